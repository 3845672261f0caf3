package routes.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.TestApp;

/**
 * deploy/kubernetes/: read into the Kubernetes API's types (fabric8's model), so a field the API does not have
 * fails here, and held against what flowledger knows: its keys, its ports, its management paths, its command line.
 */
class KubernetesManifestsTest {

    static final Path DIR = Path.of("deploy/kubernetes");

    @Test
    void every_manifest_is_a_kubernetes_api_object_with_no_field_the_api_does_not_know() throws Exception {
        KubernetesManifests m = KubernetesManifests.read(DIR);
        assertThat(m.problems).isEmpty();
        assertThat(m.resources).extracting(r -> r.getKind() + " " + KubernetesManifests.name(r)).containsExactlyInAnyOrder(
                "ConfigMap flowledger-config", "Deployment flowledger", "Service flowledger",
                "PodDisruptionBudget flowledger", "CronJob flowledger-roket-upload", "Job flowledger-migrate-",
                "Secret flowledger-db-service", "Secret flowledger-db-owner", "Secret flowledger-credentials");
    }

    @Test
    void every_env_var_in_the_manifests_is_a_key_flowledger_knows() throws Exception {
        KubernetesManifests m = KubernetesManifests.read(DIR);
        Set<String> names = new TreeSet<>();
        m.podTemplates().forEach((workload, pod) -> {
            for (Container c : pod.getSpec().getContainers()) {
                Map<String, String> env = m.environment(workload, c);
                names.addAll(env.keySet());
                // Config.load refuses an unknown FLOWLEDGER_ name as the real start does; validate checks the values.
                assertThat(m.flowledgerConfig(workload, env)).as(workload).isNotNull();
            }
        });
        assertThat(m.problems).isEmpty();
        assertThat(names).contains("FLOWLEDGER_DB_URL", "FLOWLEDGER_DB_USER", "FLOWLEDGER_DB_PASSWORD",
                "FLOWLEDGER_API_PASSWORD", "FLOWLEDGER_MANAGEMENT_PASSWORD", "FLOWLEDGER_ROKET_API_TOKEN",
                "FLOWLEDGER_HTTP_PORT", "FLOWLEDGER_MANAGEMENT_PORT");
        assertThat(m.configMap("flowledger-config").getData().get("FLOWLEDGER_DB_URL")).startsWith("jdbc:postgresql://");
    }

    @Test
    void every_workload_keeps_the_rules_on_ports_probes_arguments_security_resources_and_selectors() throws Exception {
        assertThat(KubernetesManifests.check(DIR).problems).isEmpty();
    }

    @Test
    void the_probe_and_metrics_paths_are_answered_by_the_real_management_server() throws Exception {
        Deployment d = KubernetesManifests.read(DIR).one(Deployment.class);
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        List<String> paths = Stream.of(c.getLivenessProbe(), c.getReadinessProbe(), c.getStartupProbe())
                .map(p -> p.getHttpGet().getPath()).distinct().toList();
        String metrics = d.getSpec().getTemplate().getMetadata().getAnnotations().get("prometheus.io/path");
        HttpClient http = HttpClient.newHttpClient();
        try (FlowledgerApp app = TestApp.start(Map.of())) {
            String base = "http://127.0.0.1:" + app.managementPort();
            for (String path : paths) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + path)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).as(path + " " + r.body()).isEqualTo(200);
                assertThat(r.body()).as(path).contains("UP");
            }
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + metrics)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).contains("# TYPE").contains("jvm_memory");
        }
    }

    @Test
    void the_service_runs_as_uid_10001_with_requests_and_limits_and_a_disruption_budget_below_its_replicas()
            throws Exception {
        KubernetesManifests m = KubernetesManifests.read(DIR);
        Deployment d = m.one(Deployment.class);
        PodSpec pod = d.getSpec().getTemplate().getSpec();
        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
        Container c = pod.getContainers().get(0);
        assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory");
        assertThat(c.getArgs()).as("no arguments: the image runs the service").isEmpty();
        PodDisruptionBudget pdb = m.one(PodDisruptionBudget.class);
        assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
        assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isPositive().isLessThan(d.getSpec().getReplicas());
        assertThat(m.one(Service.class).getSpec().getSelector()).isEqualTo(d.getSpec().getSelector().getMatchLabels());
    }

    @Test
    void the_daily_upload_forbids_overlap_and_is_the_only_workload_with_roket_upload_enabled() throws Exception {
        KubernetesManifests m = KubernetesManifests.read(DIR);
        CronJob cj = m.one(CronJob.class);
        assertThat(cj.getSpec().getConcurrencyPolicy()).isEqualTo("Forbid");
        Container c = cj.getSpec().getJobTemplate().getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getArgs()).containsExactly("upload", "--yesterday");
        // The service's own schedule would upload the same date again: it stays off where the CronJob runs it.
        m.podTemplates().forEach((workload, pod) -> {
            Container w = pod.getSpec().getContainers().get(0);
            Config config = m.flowledgerConfig(workload, m.environment(workload, w));
            assertThat(config.getBoolean("flowledger.roket-upload.enabled")).as(workload)
                    .isEqualTo(workload.startsWith("CronJob"));
        });
    }

    @Test
    void the_migration_runs_migrate_as_the_owner_and_no_other_workload_gets_the_owner_secret() throws Exception {
        KubernetesManifests m = KubernetesManifests.read(DIR);
        Job job = m.one(Job.class);
        Container c = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getArgs()).containsExactly("migrate");
        assertThat(secretsRead(c)).containsOnly("flowledger-db-owner");
        m.podTemplates().forEach((workload, pod) -> {
            if (!workload.startsWith("Job")) {
                Container w = pod.getSpec().getContainers().get(0);
                assertThat(secretsRead(w)).as(workload).doesNotContain("flowledger-db-owner");
                assertThat(m.flowledgerConfig(workload, m.environment(workload, w)).get("flowledger.db.migrate"))
                        .as(workload + " runs with the app role: it must not try DDL").isEqualTo("off");
            }
        });
    }

    @Test
    void kustomization_applies_everything_but_the_secret_placeholders_and_the_migration_job() throws Exception {
        List<String> files = new ArrayList<>();
        try (Stream<Path> s = Files.list(DIR)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).forEach(files::add);
        }
        files.removeAll(List.of("kustomization.yaml", "secrets.example.yaml", "migrate-job.yaml"));
        assertThat(KubernetesManifests.read(DIR).kustomizationResources()).containsExactlyInAnyOrderElementsOf(files);
    }

    @Test
    void the_checker_catches_each_kind_of_mistake_put_into_a_copy_of_the_manifests(@TempDir Path tmp) throws Exception {
        String[][] mistakes = {
            // file, text, replaced by, what the checker must say
            {"deployment.yaml", "readinessProbe:", "readinesProbe:", "readinesProbe"},
            {"deployment.yaml", "replicas: 2", "replicas: two", "two"},
            {"deployment.yaml", "  replicas: 2\n", "  replicas: 2\n  replicas: 3\n", "Duplicate field 'replicas'"},
            {"cronjob-roket-upload.yaml", "kind: CronJob", "kind: CronJobs", "is no Kubernetes API type"},
            {"configmap.yaml", "FLOWLEDGER_ROKET_ID_COLUMN", "FLOWLEDGER_ROKET_IDCOLUMN",
                "FLOWLEDGER_ROKET_IDCOLUMN is no key of application.properties"},
            {"configmap.yaml", "FLOWLEDGER_LOG_FORMAT: \"json\"", "FLOWLEDGER_LOG_FORMAT: \"yaml\"",
                "flowledger refuses its configuration: flowledger.log.format"},
            {"configmap.yaml", "FLOWLEDGER_MANAGEMENT_PORT: \"9876\"", "FLOWLEDGER_MANAGEMENT_PORT: \"9877\"",
                "are not flowledger's http 8080 and management 9877"},
            {"cronjob-roket-upload.yaml", "key: roket-api-token", "key: roket-token", "key roket-token"},
            {"cronjob-roket-upload.yaml", "- name: TZ", "- name: TIMEZONE", "TIMEZONE is neither"},
            {"cronjob-roket-upload.yaml", "value: \"Etc/UTC\"", "value: \"Europe/Oslo\"", "differs from spec.timeZone"},
            {"cronjob-roket-upload.yaml", "concurrencyPolicy: Forbid", "concurrencyPolicy: Allow", "not Forbid"},
            {"cronjob-roket-upload.yaml", "\"--yesterday\"]", "\"--yesterdy\"]", "refuses the arguments"},
            {"deployment.yaml", "path: /observe/health/live\n              port: management\n            periodSeconds: 5",
                "path: /health\n              port: management\n            periodSeconds: 5", "startupProbe must GET"},
            {"deployment.yaml", "prometheus.io/port: \"9876\"", "prometheus.io/port: \"8080\"", "Prometheus annotations"},
            {"deployment.yaml", "runAsUser: 10001", "runAsUser: 0", "non-root"},
            {"deployment.yaml", "              cpu: 500m\n", "", "a request and a limit of cpu"},
            {"deployment.yaml", "  minAvailable: 1\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: flowledger\n"
                + "      app.kubernetes.io/component: service", "  minAvailable: 1\n  selector:\n    matchLabels:\n"
                + "      app.kubernetes.io/name: flowledger\n      app.kubernetes.io/component: roket-upload",
                "PodDisruptionBudget flowledger does not select"},
        };
        for (String[] mistake : mistakes) {
            Path copy = Files.createDirectories(tmp.resolve("case" + List.of(mistakes).indexOf(mistake)));
            try (Stream<Path> s = Files.list(DIR)) {
                for (Path f : s.toList()) {
                    Files.copy(f, copy.resolve(f.getFileName()));
                }
            }
            Path file = copy.resolve(mistake[0]);
            String text = Files.readString(file);
            assertThat(text).as("the mistake's text is in " + mistake[0]).contains(mistake[1]);
            Files.writeString(file, text.replace(mistake[1], mistake[2]));
            assertThat(KubernetesManifests.check(copy).problems).as(mistake[2])
                    .anySatisfy(p -> assertThat(p).contains(mistake[3]));
        }
    }

    private static Set<String> secretsRead(Container c) {
        Set<String> out = new TreeSet<>();
        for (EnvVar v : c.getEnv()) {
            if (v.getValueFrom() != null && v.getValueFrom().getSecretKeyRef() != null) {
                out.add(v.getValueFrom().getSecretKeyRef().getName());
            }
        }
        return out;
    }
}
