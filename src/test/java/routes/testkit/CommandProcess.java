package routes.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A flowledger command ({@code upload}, {@code status}, ...) in a JVM of its own, as a user runs it: settings as
 * {@code -Dkey=value}, the production logging configuration (not the test one), FLOWLEDGER_* variables of the test
 * JVM removed, stdout and stderr kept apart. A child JVM is the only way to kill a run with SIGKILL.
 */
public final class CommandProcess implements AutoCloseable {

    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private CommandProcess(Process process, Path stdout, Path stderr) {
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code args} (e.g. {@code "upload", "--date", D}) with {@code settings} as system properties. */
    public static CommandProcess start(Path workDir, Map<String, String> settings, String... args) throws IOException {
        return start(workDir, settings, Map.of(), args);
    }

    /** As {@link #start(Path, Map, String...)}, with {@code env} added to (or replacing in) its environment. */
    public static CommandProcess start(Path workDir, Map<String, String> settings, Map<String, String> env,
                                       String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add("-Dlogback.configurationFile=logback.xml"); // what the jar logs with, not logback-test.xml
        cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("routes.app.FlowledgerCli");
        cmd.addAll(List.of(args));
        Files.createDirectories(workDir);
        Path out = Files.createTempFile(workDir, "stdout-", ".log");
        Path err = Files.createTempFile(workDir, "stderr-", ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("FLOWLEDGER_"));
        pb.environment().putAll(env);
        return new CommandProcess(pb.start(), out, err);
    }

    /** Runs the command to its end (at most {@code seconds}) and returns its exit code. */
    public static CommandProcess run(Path workDir, Map<String, String> settings, String... args) throws Exception {
        CommandProcess p = start(workDir, settings, args);
        p.waitFor(120);
        return p;
    }

    public Process process() {
        return process;
    }

    public int waitFor(long seconds) throws Exception {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("still running after " + seconds + " s:\n" + describe());
        }
        return process.exitValue();
    }

    public int exitCode() {
        return process.exitValue();
    }

    public String stdout() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    public String stderr() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    /** Both streams, for assertion messages. */
    public String describe() throws IOException {
        return "--- stdout\n" + stdout() + "--- stderr\n" + stderr();
    }

    /** SIGKILL: no shutdown hook, no clean-up. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        process.destroyForcibly();
    }
}
