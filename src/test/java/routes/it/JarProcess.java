package routes.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs {@code java -jar target/flowledger.jar ...} as a user would, in a directory of the test's own. */
final class JarProcess implements AutoCloseable {

    static final Path JAR = Path.of("target/flowledger.jar").toAbsolutePath();

    final Process process;
    final Path output;

    private JarProcess(Process process, Path output) {
        this.process = process;
        this.output = output;
    }

    static JarProcess start(Path workDir, Map<String, String> env, List<String> jvmArgs, String... args) throws IOException {
        if (!Files.exists(JAR)) {
            throw new IllegalStateException(JAR + " is missing: run 'mvn -B verify' (the jar is built in package)");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(JAR.toString());
        cmd.addAll(List.of(args));
        Path out = workDir.resolve("output.log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FLOWLEDGER_"));
        pb.environment().putAll(env);
        return new JarProcess(pb.start(), out);
    }

    String output() throws IOException {
        return Files.exists(output) ? Files.readString(output, StandardCharsets.UTF_8) : "";
    }

    int waitFor(long seconds) throws Exception {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + seconds + " s; output:\n" + output());
        }
        return process.exitValue();
    }

    @Override
    public void close() throws Exception {
        process.destroy(); // SIGTERM: the service shuts down gracefully
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
