package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Base64;
import java.util.Map;
import org.apache.camel.ServiceStatus;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.app.FlowledgerApp;
import routes.testkit.PostgresServer;
import routes.testkit.CapturedCli;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** The ways a run starts (command, API, schedule), and that one date never runs twice at once. */
@ExtendWith(PostgresServer.class)
class RoketTriggersTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    private static final String DATE = RoketFixture.DATE;
    @RegisterExtension
    final CapturedCli captured = new CapturedCli();
    private final ByteArrayOutputStream out = captured.out();
    private final ByteArrayOutputStream err = captured.err();

    @BeforeEach
    void roketStoresEveryBatch() {
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
    }

    @Test
    void upload_command_prints_the_run_id_and_summary_and_exits_0_when_every_row_is_delivered() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 120).rows("2026-11-21", 500, 530);
        int code = captured.run(f.settings(roket), "upload", "--date", DATE, "--to-date", "2026-11-21");
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed + err).isEqualTo(0);
        assertThat(printed).containsPattern("roket-upload 2026-11-20: run [0-9a-f-]{36} \\(correlationId")
                .contains("roket-upload 2026-11-21 run").contains("SUCCEEDED")
                .contains("rows read 120 | already delivered (skipped) 0 | sent 120 | delivered 120 | batches 2")
                .contains("rows read 30").contains("throughput");
        assertThat(RoketFixture.stored(roket)).hasSize(150);
    }

    @Test
    void upload_command_exits_1_when_a_record_is_rejected() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 20);
        roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"s-00003\"")).atPriority(1)
                .willReturn(aResponse().withStatus(400).withBody("{\"error\":\"bad amount\"}")));
        assertThat(captured.run(f.settings(roket), "upload", "--date", DATE)).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("rejected 1").contains("delivered 19").contains("FAILED");
    }

    @Test
    void batch_size_101_is_a_configuration_error_exit_2_naming_the_key() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 5);
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.batch-size", "101");
        assertThat(captured.run(settings, "upload", "--date", DATE)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("flowledger.roket.batch-size")
                .contains("between 1 and 100");
        assertThat(RoketFixture.requests(roket)).isZero();
    }

    @Test
    void a_bad_date_is_bad_usage_exit_2() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2);
        assertThat(captured.run(f.settings(roket), "upload", "--date", "2026-13-01")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("is not a date");
        assertThat(captured.run(f.settings(roket), "upload", "--date", DATE, "--to-date", "2026-11-01")).isEqualTo(2);
    }

    @Test
    void a_second_run_of_a_running_date_is_refused_also_from_another_instance_on_one_postgresql() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.POSTGRES).rows(DATE, 0, 60);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201).withFixedDelay(400)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.batch-size", "10");
        settings.put("flowledger.roket.concurrency", "1");
        settings.put("flowledger.roket.request-timeout", "5000");
        try (FlowledgerApp one = RoketFixture.start(settings); FlowledgerApp two = RoketFixture.start(settings)) {
            RoketRun running = RoketFixture.uploads(one).start(DATE, "test", false);
            await().atMost(Duration.ofSeconds(10)).until(() -> RoketFixture.requests(roket) > 0);
            assertThatThrownBy(() -> RoketFixture.uploads(two).upload(DATE, "test", false))
                    .isInstanceOf(RoketLedger.DateBusyException.class)
                    .hasMessageContaining("an upload of " + DATE + " is already running")
                    .hasMessageContaining(running.runId);
            assertThatThrownBy(() -> RoketFixture.uploads(one).upload(DATE, "test", false))
                    .isInstanceOf(RoketLedger.DateBusyException.class);
            // Another date is not held up.
            assertThat(RoketFixture.uploads(two).upload("2026-11-22", "test", false).message()).contains("no rows");
            RoketRun.Summary s = running.completion().get();
            assertThat(s.succeeded()).isTrue();
            // Once released, the date runs again (and sends nothing: all delivered).
            RoketRun.Summary again = RoketFixture.uploads(two).upload(DATE, "test", false);
            assertThat(again.sent()).isZero();
            assertThat(again.skipped()).isEqualTo(60);
        }
        assertThat(RoketFixture.stored(roket).values()).hasSize(60).containsOnly(1);
    }

    @Test
    void post_api_starts_an_authenticated_upload_and_refuses_a_second_one_of_the_same_date() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 40);
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201).withFixedDelay(300)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.api.password", "api-secret");
        settings.put("flowledger.roket.batch-size", "10");
        settings.put("flowledger.roket.concurrency", "1");
        settings.put("flowledger.roket.request-timeout", "5000");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            String url = "http://127.0.0.1:" + app.httpPort() + "/api/roket/uploads?date=" + DATE;
            assertThat(postApi(url, null).statusCode()).isEqualTo(401);
            assertThat(postApi(url, "wrong").statusCode()).isEqualTo(401);
            assertThat(RoketFixture.requests(roket)).isZero();

            HttpResponse<String> started = postApi(url, "api-secret");
            assertThat(started.statusCode()).isEqualTo(202);
            assertThat(started.body()).contains("\"runId\"").contains("\"dataSetId\":\"roket-upload/" + DATE + "\"");
            HttpResponse<String> second = postApi(url, "api-secret");
            assertThat(second.statusCode()).isEqualTo(409);
            assertThat(second.body()).contains("already running");
            assertThat(postApi("http://127.0.0.1:" + app.httpPort() + "/api/roket/uploads?date=yesterday", "api-secret")
                    .statusCode()).isEqualTo(400);

            RoketQueries ledger = RoketFixture.uploads(app).ledger();
            await().atMost(Duration.ofSeconds(30)).until(() -> ledger.runs(DATE).stream()
                    .anyMatch(r -> "SUCCEEDED".equals(r.get("state"))));
            assertThat(ledger.runs(DATE)).singleElement()
                    .satisfies(r -> assertThat(r.get("trigger_name")).isEqualTo("api"));
        }
        assertThat(RoketFixture.stored(roket)).hasSize(40);
    }

    @Test
    void the_schedule_uploads_yesterday_in_the_service_and_stays_stopped_in_a_job() throws Exception {
        String yesterday = LocalDate.now().minusDays(1).toString();
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(yesterday, 0, 15);
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.schedule", "0/1 * * * * ?");
        try (FlowledgerApp app = RoketFixture.start(settings)) {
            RoketQueries ledger = RoketFixture.uploads(app).ledger();
            java.util.concurrent.atomic.AtomicInteger fires = new java.util.concurrent.atomic.AtomicInteger();
            org.apache.camel.support.EventNotifierSupport counter = new org.apache.camel.support.EventNotifierSupport() {
                @Override
                public void notify(org.apache.camel.spi.CamelEvent event) {
                    if (event instanceof org.apache.camel.spi.CamelEvent.ExchangeCompletedEvent e
                            && "roket-upload-schedule".equals(e.getExchange().getFromRouteId())) {
                        fires.incrementAndGet();
                    }
                }
            };
            app.camelContext().getManagementStrategy().addEventNotifier(counter);
            counter.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> ledger.runs(yesterday).stream()
                    .anyMatch(r -> "SUCCEEDED".equals(r.get("state")) && "schedule".equals(r.get("trigger_name"))));
            // Later fires (of this or any other instance) find the date uploaded and leave it: one run per date.
            int before = fires.get();
            await().atMost(Duration.ofSeconds(30)).until(() -> fires.get() >= before + 3);
            app.camelContext().getRouteController().stopRoute("roket-upload-schedule");
            assertThat(ledger.runs(yesterday)).hasSize(1);
        }
        assertThat(RoketFixture.stored(roket)).hasSize(15);
        assertThat(RoketFixture.stored(roket).values()).containsOnly(1);

        FlowledgerApp job = new FlowledgerApp(routes.testkit.TestApp.config(settings)).startJob();
        try (job) {
            assertThat(job.camelContext().getRouteController().getRouteStatus("roket-upload-schedule"))
                    .isEqualTo(ServiceStatus.Stopped);
        }
    }

    private static HttpResponse<String> postApi(String url, String password) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.noBody());
        if (password != null) {
            b.header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString(("admin:" + password).getBytes(StandardCharsets.UTF_8)));
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }
}
