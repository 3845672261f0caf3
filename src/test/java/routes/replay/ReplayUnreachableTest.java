package routes.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.ndjson;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import routes.sandbox.Ports;
import routes.testkit.AzuriteServer;
import routes.testkit.CommandProcess;
import routes.testkit.KafkaServer;

/**
 * A store or broker that cannot be reached fails a replay within 10 s with one line naming it, and the advice
 * printed works as printed (issue 18, item 6). The command runs in a JVM of its own with the production logging,
 * so what is counted is what a person sees.
 */
@ExtendWith({KafkaServer.class, AzuriteServer.class})
class ReplayUnreachableTest {

    private static final String DAY = "2019-12-01";

    @TempDir
    Path tmp;

    @Test
    void azure_unreachable_fails_within_10_s_with_one_line_and_advice_that_works_as_printed() throws Exception {
        int port = Ports.free(); // bound, then closed: nothing listens there
        String conn = AzuriteServer.connectionString().replace(":" + AzuriteServer.port() + "/", ":" + port + "/");
        Map<String, String> s = settings();
        s.put("flowledger.azure.connection-string", conn);
        String[] args = {"replay", "--start-date", DAY, "--end-date", DAY, "--topic", ReplayTestSupport.newTopic(),
            "--bucket", "telemetry-store", "--prefix", "failed"};

        long t0 = System.nanoTime();
        CommandProcess run = CommandProcess.run(tmp.resolve("first"), s, args);
        double wall = (System.nanoTime() - t0) / 1e9;
        System.out.printf("replay with Azure unreachable: command ended after %.1f s%n%s%n", wall, run.describe());
        String printed = run.stdout();
        String logged = run.stderr();
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
        double seconds = runSeconds(printed);
        System.out.printf("replay with Azure unreachable: the run failed after %.1f s%n", seconds);
        assertThat(seconds).as("the run's own time\n" + run.describe()).isLessThan(10);
        List<String> problems = problems(logged);
        assertThat(problems).as(run.describe()).hasSize(1);
        assertThat(problems.get(0)).contains("Azure Blob at http://127.0.0.1:" + port).contains("unreachable");
        assertThat(logged).as("no SDK stack traces").doesNotContain("\tat ").doesNotContain("com.azure");
        assertThat(printed).as("a day failed in PREFLIGHT is not resumable").doesNotContain("--resume");
        assertThat(printed).contains("Azure Blob at http://127.0.0.1:" + port);

        // The store comes up: the command printed as advice, run as printed, replays the day.
        String advice = advice(printed);
        try (AutoCloseable azurite = AzuriteServer.startOn(port)) {
            BlobContainerClient c = new BlobServiceClientBuilder().connectionString(conn).buildClient()
                    .getBlobContainerClient("telemetry-store");
            c.create();
            c.getBlobClient("failed/" + DAY + "-00.json").upload(BinaryData.fromBytes(
                    ndjson(lines(DAY, 0, 10), false)), true);
            CommandProcess again = CommandProcess.run(tmp.resolve("again"), s, splitArgs(advice));
            assertThat(again.exitCode()).as(advice + "\n" + again.describe()).isZero();
            assertThat(ReplayTestSupport.consumeAll(KafkaServer.bootstrapServers(), args[6])).hasSize(10);
        }
    }

    @Test
    void kafka_unreachable_fails_within_10_s_with_one_line_before_anything_is_deleted() throws Exception {
        BlobContainerClient c = ReplayTestSupport.newContainer();
        ReplayTestSupport.put(c, "failed/" + DAY + "-00.json", ndjson(lines(DAY, 0, 10), false));
        int port = Ports.free();
        Map<String, String> s = settings();
        s.put("flowledger.azure.connection-string", AzuriteServer.connectionString());
        CommandProcess run = CommandProcess.run(tmp.resolve("kafka"), s, "replay", "--start-date", DAY, "--end-date", DAY,
                "--topic", ReplayTestSupport.newTopic(), "--bucket", c.getBlobContainerName(), "--prefix", "failed",
                "--broker-list", "127.0.0.1:" + port);
        String printed = run.stdout();
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
        double seconds = runSeconds(printed);
        System.out.printf("replay with Kafka unreachable: the run failed after %.1f s%n", seconds);
        assertThat(seconds).as(run.describe()).isLessThan(10);
        List<String> problems = problems(run.stderr());
        assertThat(problems).as(run.describe()).hasSize(1);
        assertThat(problems.get(0)).contains("Kafka broker at 127.0.0.1:" + port + " is unreachable: connection refused");
        assertThat(printed).doesNotContain("--resume").contains("--broker-list 127.0.0.1:" + port);
        assertThat(ReplayTestSupport.names(c, "failed/")).as("the backup is untouched").hasSize(1);
    }

    @Test
    void s3_unreachable_fails_within_10_s_with_one_line_naming_it() throws Exception {
        int port = Ports.free();
        Map<String, String> s = settings();
        s.put("flowledger.replay.store", "s3");
        s.put("flowledger.s3.endpoint", "http://127.0.0.1:" + port);
        s.put("flowledger.s3.access-key", "key");
        s.put("flowledger.s3.secret-key", "secret");
        CommandProcess run = CommandProcess.run(tmp.resolve("s3"), s, "replay", "--start-date", DAY, "--end-date", DAY,
                "--topic", ReplayTestSupport.newTopic(), "--bucket", "telemetry-store", "--prefix", "failed");
        String printed = run.stdout();
        assertThat(run.exitCode()).as(run.describe()).isEqualTo(1);
        double seconds = runSeconds(printed);
        System.out.printf("replay with S3 unreachable: the run failed after %.1f s%n", seconds);
        assertThat(seconds).as(run.describe()).isLessThan(10);
        List<String> problems = problems(run.stderr());
        assertThat(problems).as(run.describe()).hasSize(1);
        assertThat(problems.get(0)).contains("S3 at http://127.0.0.1:" + port + " is unreachable: connection refused");
        assertThat(printed).doesNotContain("--resume").contains("replay --start-date " + DAY);
    }

    private Map<String, String> settings() {
        Map<String, String> s = new HashMap<>();
        s.put("flowledger.db.url", "jdbc:h2:file:" + tmp.resolve("ledger").toAbsolutePath()
                + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DEFAULT_NULL_ORDERING=HIGH");
        s.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        return s;
    }

    /** ERROR and WARN lines of the log (a stack trace's lines count too). */
    static List<String> problems(String logged) {
        List<String> out = new ArrayList<>();
        for (String l : logged.lines().toList()) {
            if (l.matches("^\\S+ (ERROR|WARN) .*") || l.startsWith("\tat ") || l.startsWith("Caused by")) {
                out.add(l);
            }
        }
        return out;
    }

    /** The run's duration as the command prints it ("... in 3.2 s"). */
    static double runSeconds(String printed) {
        Matcher m = Pattern.compile("replay run \\S+: FAILED after ([0-9.]+) s").matcher(printed);
        assertThat(m.find()).as(printed).isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** The command the output advises ("Replay the failed day(s) again ...: replay --start-date ..."). */
    static String advice(String printed) {
        Matcher m = Pattern.compile("(replay --start-date .*)").matcher(printed);
        assertThat(m.find()).as(printed).isTrue();
        return m.group(1).strip();
    }

    static String[] splitArgs(String command) {
        return command.split(" +");
    }
}
