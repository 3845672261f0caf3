package routes.app;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.batch.v1.CronJob;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine;

/**
 * What flowledger needs of its workloads beyond the API schemas: arguments its command line takes, probes and
 * Prometheus on the ports and paths its management server serves, the image's non-root user, resources, and the
 * Service, PodDisruptionBudget and CronJob wired to the right pods. Each broken rule is a line in
 * {@link KubernetesManifests#problems}.
 */
final class ManifestRules {

    /** The image's user and group (Jib {@code <user>10001:10001</user>}, README "Container image"). */
    static final long IMAGE_UID = 10001;
    /** Where flowledger writes: the JVM's temp dir and the image's working directory. */
    static final Set<String> WRITABLE = Set.of("/tmp", "/var/lib/flowledger");
    static final Set<String> HEALTH_PATHS = Set.of("/observe/health", "/observe/health/live", "/observe/health/ready");
    static final String METRICS_PATH = "/observe/metrics";

    private ManifestRules() {
    }

    /** Every rule on every container of every workload, and on the objects that point at the pods. */
    static void check(KubernetesManifests m) {
        Set<String> images = new TreeSet<>();
        m.podTemplates().forEach((workload, pod) -> {
            security(m, workload, pod.getSpec().getSecurityContext());
            for (Container c : pod.getSpec().getContainers()) {
                images.add(c.getImage());
                Map<String, String> env = m.environment(workload, c);
                Config config = m.flowledgerConfig(workload, env);
                commandLine(m, workload, c);
                security(m, workload, c);
                resources(m, workload, c.getResources());
                if (config != null && workload.startsWith("Deployment")) {
                    ports(m, workload, pod, c, config);
                }
                if (workload.startsWith("CronJob") && env.containsKey("TZ")) {
                    String zone = m.one(CronJob.class).getSpec().getTimeZone();
                    if (!env.get("TZ").equals(zone)) {
                        m.problems.add(workload + ": TZ " + env.get("TZ") + " differs from spec.timeZone " + zone
                                + ": 'yesterday' would be another day than the schedule's");
                    }
                }
            }
        });
        if (images.size() != 1) {
            m.problems.add("the workloads run different images: " + images);
        }
        m.all(CronJob.class).forEach(cj -> {
            if (!"Forbid".equals(cj.getSpec().getConcurrencyPolicy())) {
                m.problems.add("CronJob " + KubernetesManifests.name(cj) + ": concurrencyPolicy is "
                        + cj.getSpec().getConcurrencyPolicy() + ", not Forbid");
            }
        });
        podSelectors(m);
    }

    /**
     * The arguments must be a command line flowledger takes: parsed by its own picocli model, with every pipeline's
     * commands, as {@link FlowledgerCli#execute} builds it. The image's entrypoint is that command line, so a
     * container must not replace it with {@code command}.
     */
    static void commandLine(KubernetesManifests m, String workload, Container c) {
        if (c.getCommand() != null && !c.getCommand().isEmpty()) {
            m.problems.add(workload + ": command " + c.getCommand() + " replaces the image's flowledger entrypoint");
        }
        List<String> args = c.getArgs() == null ? List.of() : c.getArgs();
        CommandLine cli = new CommandLine(new FlowledgerCli());
        for (Pipeline p : Pipeline.values()) {
            p.module().commands().forEach(cli::addSubcommand);
        }
        try {
            cli.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            m.problems.add(workload + ": flowledger refuses the arguments " + args + ": " + e.getMessage());
        }
    }

    static void security(KubernetesManifests m, String workload, PodSecurityContext s) {
        if (s == null || !Boolean.TRUE.equals(s.getRunAsNonRoot()) || !Long.valueOf(IMAGE_UID).equals(s.getRunAsUser())
                || !Long.valueOf(IMAGE_UID).equals(s.getRunAsGroup())) {
            m.problems.add(workload + ": the pod must run as non-root uid/gid " + IMAGE_UID);
        }
    }

    static void security(KubernetesManifests m, String workload, Container c) {
        SecurityContext s = c.getSecurityContext();
        if (s == null || !Boolean.FALSE.equals(s.getAllowPrivilegeEscalation()) || s.getCapabilities() == null
                || !s.getCapabilities().getDrop().contains("ALL")) {
            m.problems.add(workload + ": container " + c.getName()
                    + " must drop all capabilities and forbid privilege escalation");
        }
        if (s != null && Boolean.TRUE.equals(s.getReadOnlyRootFilesystem())) {
            Set<String> mounted = new TreeSet<>();
            c.getVolumeMounts().stream().filter(v -> !Boolean.TRUE.equals(v.getReadOnly()))
                    .map(VolumeMount::getMountPath).forEach(mounted::add);
            if (!mounted.containsAll(WRITABLE)) {
                m.problems.add(workload + ": a read-only root file system needs writable volumes at " + WRITABLE);
            }
        }
    }

    static void resources(KubernetesManifests m, String workload, ResourceRequirements r) {
        for (String kind : List.of("cpu", "memory")) {
            Map<String, Quantity> requests = r == null ? Map.of() : r.getRequests();
            Map<String, Quantity> limits = r == null ? Map.of() : r.getLimits();
            if (!requests.containsKey(kind) || !limits.containsKey(kind)) {
                m.problems.add(workload + ": resources need a request and a limit of " + kind);
            }
        }
    }

    /** Ports, probes and Prometheus annotations against the ports the container's configuration gives flowledger. */
    static void ports(KubernetesManifests m, String workload, PodTemplateSpec pod, Container c, Config config) {
        int http = config.getPort("flowledger.http.port");
        int management = config.getPort("flowledger.management.port");
        Map<String, Integer> declared = new java.util.LinkedHashMap<>();
        for (ContainerPort p : c.getPorts()) {
            declared.put(p.getName(), p.getContainerPort());
        }
        if (!Map.of("http", http, "management", management).equals(declared)) {
            m.problems.add(workload + ": container ports " + declared + " are not flowledger's http " + http
                    + " and management " + management);
        }
        probe(m, workload, "livenessProbe", c.getLivenessProbe(), declared, management, true);
        probe(m, workload, "readinessProbe", c.getReadinessProbe(), declared, management, true);
        probe(m, workload, "startupProbe", c.getStartupProbe(), declared, management, false);
        if (c.getLivenessProbe() != null && c.getLivenessProbe().getHttpGet() != null
                && "/observe/health/ready".equals(c.getLivenessProbe().getHttpGet().getPath())) {
            m.problems.add(workload + ": liveness on readiness restarts a pod whenever a route is stopped or the DB is slow");
        }
        Map<String, String> a = pod.getMetadata().getAnnotations() == null ? Map.of() : pod.getMetadata().getAnnotations();
        if (!"true".equals(a.get("prometheus.io/scrape")) || !String.valueOf(management).equals(a.get("prometheus.io/port"))
                || !METRICS_PATH.equals(a.get("prometheus.io/path"))) {
            m.problems.add(workload + ": Prometheus annotations must say scrape true, port " + management + ", path "
                    + METRICS_PATH + " (they say " + a + ")");
        }
        for (Service s : m.all(Service.class)) {
            for (ServicePort p : s.getSpec().getPorts()) {
                if (resolve(p.getTargetPort(), declared) == null) {
                    m.problems.add("Service " + KubernetesManifests.name(s) + ": targetPort " + p.getTargetPort()
                            + " is no port of " + workload);
                }
            }
        }
    }

    private static void probe(KubernetesManifests m, String workload, String which, Probe p, Map<String, Integer> ports,
            int management, boolean required) {
        if (p == null) {
            if (required) {
                m.problems.add(workload + ": no " + which);
            }
            return;
        }
        HTTPGetAction get = p.getHttpGet();
        if (get == null || !HEALTH_PATHS.contains(get.getPath())
                || !Integer.valueOf(management).equals(resolve(get.getPort(), ports))) {
            m.problems.add(workload + ": " + which + " must GET one of " + HEALTH_PATHS + " on the management port "
                    + management);
        }
    }

    /** A port given by number or by the container port's name; null when the name is no container port. */
    static Integer resolve(IntOrString port, Map<String, Integer> ports) {
        if (port == null) {
            return null;
        }
        return port.getIntVal() != null ? port.getIntVal() : ports.get(port.getStrVal());
    }

    /** The Service and the PodDisruptionBudget must select exactly the Deployment's pods. */
    private static void podSelectors(KubernetesManifests m) {
        for (Deployment d : m.all(Deployment.class)) {
            Map<String, String> podLabels = d.getSpec().getTemplate().getMetadata().getLabels();
            if (!podLabels.entrySet().containsAll(d.getSpec().getSelector().getMatchLabels().entrySet())) {
                m.problems.add("Deployment " + KubernetesManifests.name(d) + ": its selector does not match its pods");
            }
            for (Service s : m.all(Service.class)) {
                if (!podLabels.entrySet().containsAll(s.getSpec().getSelector().entrySet())) {
                    m.problems.add("Service " + KubernetesManifests.name(s) + " does not select the Deployment's pods");
                }
            }
            for (PodDisruptionBudget pdb : m.all(PodDisruptionBudget.class)) {
                Map<String, String> sel = pdb.getSpec().getSelector().getMatchLabels();
                if (!podLabels.entrySet().containsAll(sel.entrySet())
                        || !sel.entrySet().containsAll(d.getSpec().getSelector().getMatchLabels().entrySet())) {
                    m.problems.add("PodDisruptionBudget " + KubernetesManifests.name(pdb)
                            + " does not select exactly the Deployment's pods");
                }
            }
        }
    }
}
