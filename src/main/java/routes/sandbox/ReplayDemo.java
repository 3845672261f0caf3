package routes.sandbox;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import routes.app.FlowledgerApp;
import routes.common.S3Clients;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * The replay demo: two days of a "raw" backup in the sandbox's S3 store, day 2 with a corrupt gzip. Started through
 * {@code POST /api/replays}: day 1 is replayed into Kafka, its downstream blobs and old Druid segment removed; day 2
 * fails in pre-flight and keeps its downstream data; the Slack simulator shows both reports.
 */
public class ReplayDemo implements DemoScenario {

    static final String BUCKET = "replay-demo";
    static final List<String> DOWNSTREAM = List.of("unique", "channel", "telemetry-denormalized");
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String pipeline() {
        return "replay";
    }

    @Override
    public java.util.Map<String, String> config(Sandbox sandbox) {
        // The sandbox has an S3 server but no Azurite: the demo replays from the S3 store.
        return java.util.Map.of("flowledger.replay.store", "s3");
    }

    @Override
    public void prepare(Sandbox sandbox) {
        sandbox.s3.createBucket(BUCKET);
    }

    @Override
    public boolean run(Sandbox sandbox, FlowledgerApp app, PrintStream out) throws Exception {
        int day1Records = 500;
        try (S3Client s3 = S3Clients.create(app.config())) {
            put(s3, "raw/2019-12-01-00.json.gz", gzip(lines("2019-12-01", day1Records)));
            byte[] good = gzip(lines("2019-12-02", 400));
            put(s3, "raw/2019-12-02-00.json.gz", Arrays.copyOf(good, good.length / 2)); // cut off: a corrupt gzip
            for (String dep : DOWNSTREAM) {
                for (String day : List.of("2019-12-01", "2019-12-02")) {
                    put(s3, dep + "/" + day + "-part0.json", lines(day, 3));
                }
            }
        }
        String oldDay1 = sandbox.http.addDruidSegment("telemetry-events", "2019-12-01", "v1");
        String oldDay2 = sandbox.http.addDruidSegment("telemetry-events", "2019-12-02", "v1");
        int slackBefore = sandbox.http.slackMessages.size();
        out.println("Backup raw/ in s3://" + BUCKET + ": 2019-12-01 (" + day1Records + " records) and 2019-12-02 (a corrupt gzip);");
        out.println("downstream blobs under " + DOWNSTREAM + " and a Druid segment per day.");

        String api = "http://127.0.0.1:" + app.httpPort() + "/api/replays";
        String auth = "Basic " + Base64.getEncoder().encodeToString((app.config().get("flowledger.api.user") + ":"
                + app.config().get("flowledger.api.password")).getBytes(StandardCharsets.UTF_8));
        String body = "{\"startDate\":\"2019-12-01\",\"endDate\":\"2019-12-02\",\"topic\":\"telemetry.valid\","
                + "\"bucket\":\"" + BUCKET + "\",\"prefix\":\"raw\"}";
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(api)).header("Authorization", auth)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        out.println("POST " + api + " -> " + started.statusCode());
        if (started.statusCode() != 202) {
            out.println(started.body());
            return false;
        }
        String id = JSON.readTree(started.body()).path("id").asText();
        JsonNode run = null;
        long deadline = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < deadline) {
            run = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(api + "/" + id)).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            if (run.path("finished").asBoolean()) {
                break;
            }
            Thread.sleep(250);
        }
        out.println("GET " + api + "/" + id + ":");
        for (JsonNode d : run.path("days")) {
            out.printf("  %s  %-9s %-9s records=%d files deleted=%s segments removed=%d%s%n", d.path("day").asText(),
                    d.path("status").asText(), d.path("failedStage").asText(""), d.path("records").asLong(),
                    d.path("filesDeleted"), d.path("segmentsRemoved").asInt(),
                    d.has("error") ? "\n      error: " + d.path("error").asText() : "");
        }
        List<String> slack = sandbox.http.slackMessages.subList(slackBefore, sandbox.http.slackMessages.size());
        out.println("Slack simulator (" + sandbox.http.slackUrl() + ") received:");
        slack.forEach(m -> out.println("  > " + m.replace("\n", "\n    ")));
        out.println("Druid segments marked unused: " + sandbox.http.druidMarkedUnused);

        boolean ok = run.path("days").size() == 2
                && "SUCCEEDED".equals(run.path("days").get(0).path("status").asText())
                && run.path("days").get(0).path("records").asLong() == day1Records
                && "FAILED".equals(run.path("days").get(1).path("status").asText())
                && slack.size() == 2
                && sandbox.http.druidMarkedUnused.contains(oldDay1) && !sandbox.http.druidMarkedUnused.contains(oldDay2);
        try (S3Client s3 = S3Clients.create(app.config())) {
            for (String dep : DOWNSTREAM) {
                ok &= s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(dep + "/2019-12-01")).contents().isEmpty();
                ok &= s3.listObjectsV2(b -> b.bucket(BUCKET).prefix(dep + "/2019-12-02")).contents().size() == 1;
            }
        }
        out.println(ok ? "Day 1 replayed and cleaned up; day 2 failed in pre-flight with its downstream data untouched."
                : "The replay did not end as expected (see above).");
        return ok;
    }

    private static void put(S3Client s3, String key, byte[] content) {
        s3.putObject(b -> b.bucket(BUCKET).key(key), RequestBody.fromBytes(content));
    }

    private static byte[] lines(String day, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"eid\":\"LOG\",\"day\":\"").append(day).append("\",\"n\":").append(i).append("}\n");
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gzip(byte[] plain) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(plain);
        }
        return bos.toByteArray();
    }
}
