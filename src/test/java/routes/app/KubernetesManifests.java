package routes.app;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.Annotated;
import com.fasterxml.jackson.databind.introspect.JacksonAnnotationIntrospector;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.internal.KubernetesDeserializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The manifests of a folder (deploy/kubernetes/), read into the Kubernetes API's own types, and the checks that
 * find what kubectl or flowledger would refuse only at deploy time: a field the API does not have, a kind it does not
 * know, a {@code FLOWLEDGER_*} variable that is no key, a Secret nobody created. A copy of the folder with a mistake
 * put in must fail the same checks (KubernetesManifestsTest), so these prove something.
 */
final class KubernetesManifests {

    /** Environment variables the manifests may set besides FLOWLEDGER_*: each with the reason it is needed. */
    static final Map<String, String> OTHER_ENV = Map.of(
            "TZ", "the zone the upload CronJob computes 'yesterday' in, kept equal to its spec.timeZone");

    /**
     * The Kubernetes types keep unknown fields in "additionalProperties" (an any-setter) and ignore nothing else,
     * so turning the any-setter off makes Jackson refuse an unknown field, naming it and its path.
     */
    private static final ObjectMapper STRICT = YAMLMapper.builder(new YAMLFactory())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .annotationIntrospector(new JacksonAnnotationIntrospector() {
                @Override
                public Boolean hasAnySetter(Annotated a) {
                    return Boolean.FALSE;
                }

                @Override
                public JsonIgnoreProperties.Value findPropertyIgnoralByName(
                        com.fasterxml.jackson.databind.cfg.MapperConfig<?> config, Annotated a) {
                    return JsonIgnoreProperties.Value.empty();
                }
            })
            .build();

    /** The API's kinds by apiVersion and kind, as fabric8 knows them (core, apps, batch, policy models). */
    private static final KubernetesDeserializer KINDS = new KubernetesDeserializer();

    final Path dir;
    /** Every resource of every *.yaml file but kustomization.yaml, in file order. */
    final List<HasMetadata> resources = new ArrayList<>();
    /** What is wrong: a field or kind the Kubernetes API does not know, or what flowledger would refuse. */
    final List<String> problems = new ArrayList<>();

    private KubernetesManifests(Path dir) {
        this.dir = dir;
    }

    /** Reads every manifest of {@code dir}; a document the API schemas refuse becomes a problem, not a resource. */
    static KubernetesManifests read(Path dir) throws IOException {
        KubernetesManifests m = new KubernetesManifests(dir);
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                if (!f.getFileName().toString().equals("kustomization.yaml")) {
                    m.readFile(f);
                }
            }
        }
        return m;
    }

    private void readFile(Path file) throws IOException {
        List<JsonNode> docs;
        try (MappingIterator<JsonNode> it = STRICT.readerFor(JsonNode.class).readValues(file.toFile())) {
            docs = it.readAll();
        } catch (IOException e) {
            problems.add(file.getFileName() + ": not YAML: " + e.getMessage());
            return;
        }
        for (JsonNode doc : docs) {
            if (doc == null || doc.isEmpty()) {
                continue;
            }
            String where = file.getFileName() + ": " + doc.path("kind").asText("?") + " "
                    + doc.path("metadata").path("name").asText(doc.path("metadata").path("generateName").asText("?"));
            String apiVersion = doc.path("apiVersion").asText();
            String kind = doc.path("kind").asText();
            Class<?> type = KINDS.getRegisteredKind(apiVersion, kind);
            if (type == null || type == GenericKubernetesResource.class) {
                problems.add(where + ": apiVersion " + apiVersion + " kind " + kind + " is no Kubernetes API type");
                continue;
            }
            try {
                resources.add((HasMetadata) STRICT.treeToValue(doc, type));
            } catch (IOException | IllegalArgumentException e) {
                problems.add(where + ": " + e.getMessage().lines().findFirst().orElse(""));
            }
        }
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type) {
        List<T> found = all(type);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + type.getSimpleName() + " in " + dir + ", found " + found.size());
        }
        return found.get(0);
    }

    /** The pod templates of the workloads (Deployment, CronJob, Job), by a name for messages. */
    Map<String, PodTemplateSpec> podTemplates() {
        Map<String, PodTemplateSpec> out = new LinkedHashMap<>();
        all(Deployment.class).forEach(d -> out.put("Deployment " + name(d), d.getSpec().getTemplate()));
        all(CronJob.class).forEach(c -> out.put("CronJob " + name(c), c.getSpec().getJobTemplate().getSpec().getTemplate()));
        all(Job.class).forEach(j -> out.put("Job " + name(j), j.getSpec().getTemplate()));
        return out;
    }

    static String name(HasMetadata r) {
        return r.getMetadata().getName() != null ? r.getMetadata().getName() : r.getMetadata().getGenerateName();
    }

    /**
     * The environment a container starts with: its ConfigMaps' entries, then its own {@code env} (which wins, as in
     * Kubernetes), a Secret's value read from the Secrets of this folder. A reference to a ConfigMap, Secret or
     * Secret key this folder does not hold is a problem: the pod would never start.
     */
    Map<String, String> environment(String workload, Container c) {
        Map<String, String> env = new LinkedHashMap<>();
        for (EnvFromSource from : c.getEnvFrom()) {
            if (from.getConfigMapRef() == null) {
                problems.add(workload + ": envFrom other than a ConfigMap");
                continue;
            }
            ConfigMap cm = configMap(from.getConfigMapRef().getName());
            if (cm == null) {
                problems.add(workload + ": ConfigMap " + from.getConfigMapRef().getName() + " is not in " + dir);
            } else {
                env.putAll(cm.getData());
            }
        }
        for (EnvVar v : c.getEnv()) {
            if (v.getValueFrom() == null) {
                env.put(v.getName(), v.getValue());
            } else if (v.getValueFrom().getSecretKeyRef() != null) {
                String secret = v.getValueFrom().getSecretKeyRef().getName();
                String key = v.getValueFrom().getSecretKeyRef().getKey();
                Secret s = all(Secret.class).stream().filter(x -> name(x).equals(secret)).findFirst().orElse(null);
                if (s == null || s.getStringData() == null || !s.getStringData().containsKey(key)) {
                    problems.add(workload + ": " + v.getName() + " reads Secret " + secret + " key " + key
                            + ", which secrets.example.yaml does not have");
                } else {
                    env.put(v.getName(), s.getStringData().get(key));
                }
            } else {
                problems.add(workload + ": " + v.getName() + " comes from neither a value nor a Secret");
            }
        }
        return env;
    }

    ConfigMap configMap(String name) {
        return all(ConfigMap.class).stream().filter(x -> name(x).equals(name)).findFirst().orElse(null);
    }

    /**
     * flowledger's configuration as the container would load it from {@code env}: every FLOWLEDGER_* name must be a
     * key of application.properties (the same rule flowledger applies at start, exit 2), other names must be
     * listed in {@link #OTHER_ENV}, and the values must pass flowledger's own start-up checks.
     */
    Config flowledgerConfig(String workload, Map<String, String> env) {
        Set<String> knownEnvNames = new TreeSet<>();
        for (String key : defaults().stringPropertyNames()) {
            knownEnvNames.add(Config.envName(key));
        }
        for (String name : env.keySet()) {
            if (name.startsWith("FLOWLEDGER_") && !knownEnvNames.contains(name)) {
                problems.add(workload + ": " + name + " is no key of application.properties");
            } else if (!name.startsWith("FLOWLEDGER_") && !OTHER_ENV.containsKey(name)) {
                problems.add(workload + ": " + name + " is neither a FLOWLEDGER_ key nor one of " + OTHER_ENV.keySet());
            }
        }
        try {
            Config config = Config.load(null, env, new Properties(), Map.of());
            StartupChecks.validate(config);
            return config;
        } catch (ConfigException e) {
            problems.add(workload + ": flowledger refuses its configuration: " + e.getMessage());
            return null;
        }
    }

    private static Properties defaults() {
        Properties p = new Properties();
        try (var in = KubernetesManifests.class.getClassLoader().getResourceAsStream(Config.DEFAULTS)) {
            p.load(in);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return p;
    }

    /** Reads {@code dir} and runs every check on it (ManifestRules); {@link #problems} says what is wrong. */
    static KubernetesManifests check(Path dir) throws IOException {
        KubernetesManifests m = read(dir);
        ManifestRules.check(m);
        return m;
    }

    /** The kustomization's resources, to compare with the files here. */
    List<String> kustomizationResources() throws IOException {
        JsonNode k = STRICT.readTree(dir.resolve("kustomization.yaml").toFile());
        List<String> out = new ArrayList<>();
        k.path("resources").forEach(n -> out.add(n.asText()));
        return out;
    }
}
