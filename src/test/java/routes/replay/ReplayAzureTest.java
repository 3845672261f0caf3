package routes.replay;

import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.ok;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlMatching;
import static org.assertj.core.api.Assertions.assertThat;
import static routes.replay.ReplayTestSupport.consumeAll;
import static routes.replay.ReplayTestSupport.lines;
import static routes.replay.ReplayTestSupport.names;
import static routes.replay.ReplayTestSupport.ndjson;
import static routes.replay.ReplayTestSupport.put;
import static routes.replay.ReplayTestSupport.replay;
import static routes.replay.ReplayTestSupport.rows;
import static routes.replay.ReplayTestSupport.snapshot;

import com.azure.storage.blob.BlobContainerClient;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import routes.testkit.AzuriteServer;
import routes.testkit.KafkaServer;
import routes.testkit.WireMockServers;

/** The replay command against Azurite and a real Kafka broker, with WireMock as Druid and Slack. */
@ExtendWith({AzuriteServer.class, KafkaServer.class})
class ReplayAzureTest {

    @RegisterExtension
    static WireMockExtension http = WireMockServers.create();

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> DOWNSTREAM = List.of("unique/", "channel/", "telemetry-denormalized/");

    @TempDir
    Path tmp;

    BlobContainerClient container;
    String topic;
    String dbUrl;
    Path config;

    @BeforeEach
    void setUp() throws Exception {
        container = ReplayTestSupport.newContainer();
        topic = ReplayTestSupport.newTopic();
        dbUrl = ReplayTestSupport.newH2Url();
        config = ReplayTestSupport.properties(tmp, settings(Map.of()));
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).atPriority(10).willReturn(okJson("[]")));
        http.stubFor(post(urlMatching("/druid/indexer/v1/datasources/.*/markUnused"))
                .willReturn(okJson("{\"numChangedSegments\":1}")));
        http.stubFor(post(urlEqualTo("/slack/hook")).willReturn(ok("ok")));
    }

    Map<String, String> settings(Map<String, String> extra) {
        Map<String, String> s = new HashMap<>();
        s.put("flowledger.db.url", dbUrl);
        s.put("flowledger.kafka.brokers", KafkaServer.bootstrapServers());
        s.put("flowledger.azure.connection-string", AzuriteServer.connectionString());
        s.put("flowledger.druid.url", WireMockServers.url(http));
        s.put("flowledger.slack.webhook-url", WireMockServers.url(http) + "/slack/hook");
        s.put("flowledger.replay.lease", "PT2S");
        s.put("flowledger.replay.delivery-timeout", "PT5S");
        s.put("flowledger.replay.progress-interval", "PT0.5S");
        s.putAll(extra);
        return s;
    }

    /** The backup of a day under raw/ (one gzip file, one plain file) and its downstream blobs. */
    int arrangeDay(String day, int gzLines, int plainLines) {
        put(container, "raw/" + day + "-00.json.gz", ndjson(lines(day, 0, gzLines), true));
        put(container, "raw/" + day + "-01.json", ndjson(lines(day, 1, plainLines), false));
        for (String dep : DOWNSTREAM) {
            put(container, dep + day + "-a.json.gz", ndjson(lines(day, 7, 5), true));
            put(container, dep + day + "-b.json", ndjson(lines(day, 8, 3), false));
        }
        return gzLines + plainLines;
    }

    void druidSegments(String datasource, String day, String... ids) {
        StringBuilder rowsJson = new StringBuilder("[");
        for (String id : ids) {
            rowsJson.append(rowsJson.length() > 1 ? "," : "").append("{\"segment_id\":\"").append(id).append("\"}");
        }
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).atPriority(1)
                .withRequestBody(containing("'" + datasource + "'")).withRequestBody(containing(day))
                .willReturn(okJson(rowsJson.append("]").toString())));
    }

    Map<String, String> downstream() {
        Map<String, String> all = new HashMap<>();
        for (String dep : DOWNSTREAM) {
            all.putAll(snapshot(container, dep));
        }
        return all;
    }

    List<String> slackTexts() throws Exception {
        List<String> out = new ArrayList<>();
        for (var r : http.findAll(postRequestedFor(urlEqualTo("/slack/hook")))) {
            out.add(JSON.readTree(r.getBodyAsString()).path("text").asText());
        }
        return out;
    }

    /** segment ids per markUnused call, in order. */
    List<String> markedUnused() throws Exception {
        List<String> out = new ArrayList<>();
        for (var r : http.findAll(postRequestedFor(urlMatching(".*/markUnused")))) {
            JSON.readTree(r.getBodyAsString()).path("segmentIds").forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    List<Map<String, Object>> days() throws Exception {
        return rows(dbUrl, "sa", "", "SELECT replay_day, status, failed_stage, records, error FROM replay_days ORDER BY replay_day");
    }

    @Test
    void three_days_replay_every_record_once_clear_downstream_and_remove_only_the_old_druid_segments() throws Exception {
        int d1 = arrangeDay("2019-12-01", 120, 30);
        int d2 = arrangeDay("2019-12-02", 80, 20);
        int d3 = arrangeDay("2019-12-03", 10, 1);
        put(container, "unique/2019-12-04-a.json", ndjson(lines("2019-12-04", 9, 2), false)); // outside the range
        druidSegments("telemetry-events", "2019-12-01", "te_2019-12-01_v1", "te_2019-12-01_v1_1");
        druidSegments("telemetry-events", "2019-12-03", "te_2019-12-03_v1");
        // Once the old segments are listed, Druid ingests the replayed records into new ones: those must stay.
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).atPriority(1).inScenario("reindex")
                .whenScenarioStateIs(Scenario.STARTED).withRequestBody(containing("'telemetry-log-events'"))
                .withRequestBody(containing("2019-12-02")).willReturn(okJson("[{\"segment_id\":\"tle_2019-12-02_old\"}]"))
                .willSetStateTo("replayed"));
        http.stubFor(post(urlEqualTo("/druid/v2/sql")).atPriority(1).inScenario("reindex")
                .whenScenarioStateIs("replayed").withRequestBody(containing("'telemetry-log-events'"))
                .withRequestBody(containing("2019-12-02"))
                .willReturn(okJson("[{\"segment_id\":\"tle_2019-12-02_old\"},{\"segment_id\":\"tle_2019-12-02_new\"}]")));

        int exit = replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-03", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw");

        assertThat(exit).isZero();
        List<String> records = consumeAll(KafkaServer.bootstrapServers(), topic);
        assertThat(records).hasSize(d1 + d2 + d3).doesNotHaveDuplicates();
        assertThat(records.stream().filter(r -> r.contains("2019-12-02"))).hasSize(d2);
        assertThat(downstream().keySet()).containsExactly("unique/2019-12-04-a.json");
        assertThat(names(container, "replay-backups/")).isEmpty();
        assertThat(names(container, "raw/")).hasSize(6); // the backup replayed from is never touched
        assertThat(markedUnused()).containsExactlyInAnyOrder("te_2019-12-01_v1", "te_2019-12-01_v1_1",
                "te_2019-12-03_v1", "tle_2019-12-02_old");
        assertThat(days()).extracting(r -> r.get("status")).containsOnly("SUCCEEDED");
        assertThat(days()).extracting(r -> ((Number) r.get("records")).intValue()).containsExactly(d1, d2, d3);
        List<String> slack = slackTexts();
        assertThat(slack).hasSize(3).allMatch(t -> t.contains("Replay completed"));
        assertThat(slack.get(0)).contains("2019-12-01").contains("Records replayed: " + d1)
                .contains("unique=2").contains("channel=2").contains("telemetry-denormalized=2")
                .contains("Druid segments removed: 2").contains("Time taken:");
    }

    @Test
    void a_corrupt_gzip_fails_its_day_in_preflight_leaving_its_downstream_untouched_and_other_days_replayed() throws Exception {
        int d1 = arrangeDay("2019-12-01", 40, 10);
        arrangeDay("2019-12-02", 40, 10);
        int d3 = arrangeDay("2019-12-03", 40, 10);
        byte[] gz = ndjson(lines("2019-12-02", 2, 500), true);
        byte[] corrupt = java.util.Arrays.copyOf(gz, gz.length / 2); // truncated mid-stream
        put(container, "raw/2019-12-02-02.json.gz", corrupt);
        druidSegments("telemetry-events", "2019-12-02", "te_2019-12-02_v1");
        Map<String, String> day2Before = new HashMap<>(downstream());
        day2Before.keySet().removeIf(k -> !k.contains("2019-12-02"));

        int exit = replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-03", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw");

        assertThat(exit).isEqualTo(1);
        List<String> records = consumeAll(KafkaServer.bootstrapServers(), topic);
        assertThat(records).hasSize(d1 + d3).noneMatch(r -> r.contains("2019-12-02"));
        Map<String, String> after = downstream();
        assertThat(after).containsExactlyInAnyOrderEntriesOf(day2Before); // byte for byte, and days 1 and 3 cleared
        assertThat(markedUnused()).doesNotContain("te_2019-12-02_v1");
        assertThat(days()).extracting(r -> r.get("status")).containsExactly("SUCCEEDED", "FAILED", "SUCCEEDED");
        assertThat(days().get(1).get("failed_stage")).isEqualTo("PREFLIGHT");
        List<String> slack = slackTexts();
        assertThat(slack).hasSize(3);
        assertThat(slack.get(1)).contains("FAILED").contains("2019-12-02").contains("PREFLIGHT")
                .contains("raw/2019-12-02-02.json.gz").contains("Records replayed: 0");
    }

    @Test
    void kafka_refusing_a_record_after_the_backup_restores_the_downstream_byte_for_byte() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaServer.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1)
                    .configs(Map.of("max.message.bytes", "200000")))).all().get();
        }
        arrangeDay("2019-12-01", 50, 10);
        put(container, "raw/2019-12-01-02.json", ("{\"big\":\"" + "x".repeat(300_000) + "\"}\n").getBytes(StandardCharsets.UTF_8));
        druidSegments("telemetry-events", "2019-12-01", "te_2019-12-01_v1");
        Map<String, String> before = downstream();

        int exit = replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw");

        assertThat(exit).isEqualTo(1);
        assertThat(downstream()).containsExactlyInAnyOrderEntriesOf(before);
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic)).as("read_committed sees none of the day").isEmpty();
        assertThat(names(container, "replay-backups/")).isEmpty();
        assertThat(markedUnused()).isEmpty();
        assertThat(days().get(0)).containsEntry("status", "FAILED").containsEntry("failed_stage", "REPLAY");
        assertThat((String) days().get(0).get("error")).contains("RecordTooLarge");
        assertThat(slackTexts()).singleElement().satisfies(t -> assertThat(t).contains("FAILED").contains("REPLAY")
                .contains("Downstream data restored"));
    }

    @Test
    void malformed_lines_go_to_the_dead_letter_blob_with_their_position_and_too_many_fail_the_day() throws Exception {
        List<String> day1 = new ArrayList<>(lines("2019-12-01", 0, 199));
        day1.add(57, "{not json");
        put(container, "raw/2019-12-01-00.json", ndjson(day1, false));
        List<String> day2 = new ArrayList<>(lines("2019-12-02", 0, 90));
        for (int i = 0; i < 10; i++) {
            day2.add("garbage " + i);
        }
        put(container, "raw/2019-12-02-00.json", ndjson(day2, false));
        put(container, "unique/2019-12-02-a.json", ndjson(lines("2019-12-02", 7, 3), false));

        int exit = replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-02", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw");

        assertThat(exit).isEqualTo(1);
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(199).noneMatch(r -> r.contains("not json"));
        List<String> dl = names(container, "replay-dead-letters/");
        assertThat(dl).singleElement().satisfies(n -> assertThat(n).endsWith("/2019-12-01.ndjson"));
        String dead = container.getBlobClient(dl.get(0)).downloadContent().toString();
        assertThat(JSON.readTree(dead.trim()).path("line").asInt()).isEqualTo(58);
        assertThat(JSON.readTree(dead.trim()).path("file").asText()).isEqualTo("raw/2019-12-01-00.json");
        assertThat(days()).extracting(r -> r.get("status")).containsExactly("SUCCEEDED", "FAILED");
        assertThat(days().get(1).get("failed_stage")).isEqualTo("PREFLIGHT");
        assertThat(names(container, "unique/")).containsExactly("unique/2019-12-02-a.json");
    }

    @Test
    void file_path_mode_replays_the_one_missing_file_and_leaves_dependent_data_alone() throws Exception {
        arrangeDay("2019-12-01", 30, 5);
        put(container, "raw/2019-12-01-missing.json.gz", ndjson(lines("2019-12-01", 4, 17), true));
        Map<String, String> before = downstream();

        int exit = replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--file-path", "raw/2019-12-01-missing.json.gz",
                "--delete-backups", "false");

        assertThat(exit).isZero();
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(17).allMatch(r -> r.contains("\"file\":4"));
        assertThat(downstream()).containsExactlyInAnyOrderEntriesOf(before);
        assertThat(markedUnused()).isEmpty();
    }

    @Test
    void dry_run_reads_everything_and_changes_nothing() throws Exception {
        arrangeDay("2019-12-01", 30, 5);
        druidSegments("telemetry-events", "2019-12-01", "te_2019-12-01_v1");
        Map<String, String> before = snapshot(container, "");

        int exit = replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw", "--dry-run");

        assertThat(exit).isZero();
        assertThat(snapshot(container, "")).isEqualTo(before);
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic)).isEmpty();
        assertThat(markedUnused()).isEmpty();
        assertThat(slackTexts()).isEmpty();
        assertThat(days().get(0)).containsEntry("status", "SUCCEEDED");
    }

    @Test
    void bad_parameters_are_refused_with_exit_2_before_anything_changes() throws Exception {
        arrangeDay("2019-12-01", 3, 1);
        Map<String, String> before = snapshot(container, "");
        String bucket = container.getBlobContainerName();

        assertThat(replay(config, "--start-date", "2019-12-02", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", bucket, "--prefix", "raw")).as("end before start").isEqualTo(2);
        assertThat(replay(config, "--start-date", "2019-13-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", bucket, "--prefix", "raw")).as("bad date").isEqualTo(2);
        assertThat(replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", bucket, "--prefix", "nosuch")).as("unknown prefix").isEqualTo(2);
        assertThat(replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01",
                "--bucket", bucket, "--prefix", "raw")).as("missing topic").isEqualTo(2);
        assertThat(replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", bucket, "--prefix", "raw", "--file-path", "raw/2019-12-01-00.json.gz")).as("both").isEqualTo(2);

        assertThat(snapshot(container, "")).isEqualTo(before);
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic)).isEmpty();
    }

    @Test
    void a_run_cut_off_mid_backup_is_restored_then_replayed_from_the_start_on_resume() throws Exception {
        int d1 = arrangeDay("2019-12-01", 20, 5);
        String bucket = container.getBlobContainerName();
        String runId = "replay-cut-off-in-backup";
        // The ledger as a process left it when it died mid-backup: one blob copied and deleted, one only planned.
        try (var db = routes.common.MetadataDb.open(dbUrl, "sa", "", 2)) {
            ReplayLedger ledger = new ReplayLedger(db.dataSource());
            ledger.createRun(runId, JSON.writeValueAsString(new ReplayParams("2019-12-01", "2019-12-01", topic, bucket,
                    "raw", null, KafkaServer.bootstrapServers(), true, null, false)), false, List.of("2019-12-01"));
            ledger.claim(runId, "a-process-that-died", java.time.Instant.now());
            ledger.dayStatus(runId, "2019-12-01", ReplayLedger.DayStatus.BACKUP);
            for (String name : List.of("unique/2019-12-01-a.json.gz", "unique/2019-12-01-b.json")) {
                var info = container.getBlobClient(name).getProperties();
                ledger.planBackup(new ReplayLedger.Backup(runId, "2019-12-01", "unique", name,
                        "replay-backups/" + runId + "/" + name, info.getBlobSize(), info.getETag(),
                        info.getContentMd5() == null ? null : java.util.HexFormat.of().formatHex(info.getContentMd5()),
                        ReplayLedger.BackupState.PLANNED));
            }
            var source = container.getBlobClient("unique/2019-12-01-a.json.gz");
            container.getBlobClient("replay-backups/" + runId + "/unique/2019-12-01-a.json.gz")
                    .beginCopy(source.getBlobUrl(), java.time.Duration.ofMillis(100)).waitForCompletion();
            ledger.backupState(runId, "unique/2019-12-01-a.json.gz", ReplayLedger.BackupState.COPIED);
            source.delete();
        }

        int exit = replay(config, "--resume", runId);

        assertThat(exit).isZero();
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(d1);
        assertThat(downstream()).isEmpty();
        assertThat(names(container, "replay-backups/")).isEmpty();
        // Both blobs went through a fresh, complete backup: the one deleted before the crash was restored first.
        assertThat(rows(dbUrl, "sa", "", "SELECT blob_name, state FROM replay_blob_backups WHERE source_prefix = 'unique'"
                + " ORDER BY blob_name")).extracting(r -> r.get("blob_name") + "=" + r.get("state"))
                .containsExactly("unique/2019-12-01-a.json.gz=CLEANED", "unique/2019-12-01-b.json=CLEANED");
    }

    @Test
    void a_day_without_backup_blobs_and_an_unreadable_container_fail_in_preflight_and_slack_hears_why() throws Exception {
        int d1 = arrangeDay("2019-12-01", 10, 2);
        put(container, "unique/2019-12-02-a.json", ndjson(lines("2019-12-02", 7, 2), false));

        int exit = replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-02", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw");

        assertThat(exit).isEqualTo(1);
        assertThat(consumeAll(KafkaServer.bootstrapServers(), topic)).hasSize(d1);
        assertThat(names(container, "unique/")).containsExactly("unique/2019-12-02-a.json");
        assertThat(days().get(1)).containsEntry("status", "FAILED").containsEntry("failed_stage", "PREFLIGHT");
        assertThat(slackTexts().get(1)).contains("no backup blobs under").contains("untouched");

        int noContainer = replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", "no-such-container", "--prefix", "raw");

        assertThat(noContainer).isEqualTo(1);
        assertThat(slackTexts()).hasSize(3);
        assertThat(slackTexts().get(2)).contains("FAILED").contains("PREFLIGHT").contains("no-such-container");
    }

    @Test
    void with_delete_backups_false_the_backup_of_the_cleared_downstream_blobs_is_kept() throws Exception {
        arrangeDay("2019-12-01", 10, 2);
        Map<String, String> before = downstream();

        int exit = replay(config, "--start-date", "2019-12-01", "--end-date", "2019-12-01", "--topic", topic,
                "--bucket", container.getBlobContainerName(), "--prefix", "raw", "--delete-backups", "false");

        assertThat(exit).isZero();
        assertThat(downstream()).isEmpty();
        Map<String, String> kept = new HashMap<>();
        snapshot(container, "replay-backups/").forEach((k, v) -> kept.put(k.replaceFirst("^replay-backups/[^/]+/", ""), v));
        assertThat(kept).isEqualTo(before);
        assertThat(rows(dbUrl, "sa", "", "SELECT DISTINCT state FROM replay_blob_backups"))
                .extracting(r -> r.get("state")).containsExactly("KEPT");
    }
}
