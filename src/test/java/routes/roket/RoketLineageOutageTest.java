package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.app.FlowledgerApp;
import routes.common.lineage.LineageDelivery;
import routes.sandbox.Ports;
import routes.testkit.MarquezStandIn;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * A lineage backend that answers 500, hangs (30 s before answering) or is not there never fails or slows a run: the
 * same upload succeeds in about the time it takes without lineage, the failures are counted
 * ({@code flowledger_lineage_events_total{outcome="failed"}}), and the service still stops promptly.
 */
class RoketLineageOutageTest {

    private static final int ROWS = 150;

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    @RegisterExtension
    static WireMockExtension marquez = WireMockServers.create();

    @Test
    void a_failing_hanging_or_unreachable_lineage_backend_changes_neither_outcome_nor_duration_of_a_run() throws Exception {
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
        long baseline = timedUpload(null);

        marquez.stubFor(post(urlPathEqualTo(MarquezStandIn.PATH)).willReturn(aResponse().withStatus(500)));
        long failing = timedUpload(WireMockServers.url(marquez));

        marquez.resetAll();
        marquez.stubFor(post(urlPathEqualTo(MarquezStandIn.PATH)).willReturn(aResponse().withStatus(201)
                .withFixedDelay(30_000)));
        long hanging = timedUpload(WireMockServers.url(marquez));

        long unreachable = timedUpload("http://127.0.0.1:" + Ports.free());

        // "About the same": a run never waits for lineage, so only the machine's noise separates them (a run that
        // waited for the hanging backend would take 30 s longer).
        long bound = Math.max(2 * baseline, baseline + 5_000);
        System.out.printf("lineage outage: run without lineage %d ms; backend 500 %d ms, hanging %d ms, unreachable %d ms%n",
                baseline, failing, hanging, unreachable);
        assertThat(failing).as("run with a backend answering 500 (baseline %d ms)", baseline).isLessThan(bound);
        assertThat(hanging).as("run with a hanging backend (baseline %d ms)", baseline).isLessThan(bound);
        assertThat(unreachable).as("run with an unreachable backend (baseline %d ms)", baseline).isLessThan(bound);
    }

    /** One upload of ROWS rows on a fresh service (lineage at {@code lineageUrl}, or off): the run's duration in ms. */
    private static long timedUpload(String lineageUrl) throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(RoketFixture.DATE, 0, ROWS);
        Map<String, String> settings = f.settings(roket);
        if (lineageUrl != null) {
            settings.put("flowledger.lineage.url", lineageUrl);
            settings.put("flowledger.lineage.timeout", "2000");
        }
        FlowledgerApp app = RoketFixture.start(settings);
        long took;
        try {
            long t0 = System.nanoTime();
            RoketRun.Summary s = RoketFixture.uploads(app).upload(RoketFixture.DATE, "test", false);
            took = (System.nanoTime() - t0) / 1_000_000;
            assertThat(s.succeeded()).as("upload with lineage at %s", lineageUrl).isTrue();
            assertThat(s.delivered()).isEqualTo(ROWS);
            if (lineageUrl != null) {
                LineageDelivery delivery = app.camelContext().getRegistry()
                        .lookupByNameAndType("lineageDelivery", LineageDelivery.class);
                await().atMost(Duration.ofSeconds(30)).until(() -> delivery.outcomes("failed") >= 1);
                assertThat(delivery.outcomes("sent")).isZero();
                String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://127.0.0.1:" + app.managementPort() + "/observe/metrics")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("flowledger_lineage_events_total{outcome=\"failed\"}");
            }
        } finally {
            long t1 = System.nanoTime();
            app.close();
            long closing = (System.nanoTime() - t1) / 1_000_000;
            // A job's exit waits for one lineage timeout at most (2 s here), never for the hanging backend's 30 s.
            assertThat(closing).as("stopping with lineage at %s", lineageUrl).isLessThan(25_000);
        }
        return took;
    }
}
