package routes.cubic;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.common.MetadataDb;
import routes.testkit.PostgresServer;
import routes.testkit.S3Server;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/** The DMAP fetch against WireMock as the DMAP API, the real S3 server, H2 and PostgreSQL. */
@ExtendWith({S3Server.class, PostgresServer.class})
class CubicDmapFetchTest {

    @RegisterExtension
    static WireMockExtension dmap = WireMockServers.create();

    static final LocalDate DAY = LocalDate.of(2022, 3, 4);
    static final String PATH = "/datasets/agg_sample/2022-03-04";

    /**
     * The service's DMAP fetch route for one day (direct:cubic-dmap-fetch-day), on a service that fetches but does
     * not ingest (its first work round is an hour away), so the uploaded file stays in incoming to be looked at.
     */
    static java.util.function.Function<LocalDate, Map<String, CubicDmapFetcher.Outcome>> fetcher(CubicFixture f) throws Exception {
        return fetcher(f, Map.of());
    }

    static java.util.function.Function<LocalDate, Map<String, CubicDmapFetcher.Outcome>> fetcher(CubicFixture f,
            Map<String, String> extra) throws Exception {
        Map<String, String> settings = f.settings("");
        settings.putAll(extra);
        settings.put("flowledger.cubic.dmap.url", WireMockServers.url(dmap));
        settings.put("flowledger.cubic.dmap.api-key", "dmap-key-1");
        settings.put("flowledger.cubic.dmap.datasets", "agg_sample=agg_sample");
        settings.put("flowledger.cubic.dmap.attempts", "3");
        settings.put("flowledger.cubic.dmap.backoff", "PT0.05S");
        settings.put("flowledger.cubic.work-interval", "PT1H");
        var template = f.start(settings).camelContext().createProducerTemplate();
        return day -> {
            @SuppressWarnings("unchecked")
            Map<String, CubicDmapFetcher.Outcome> out = template.requestBody("direct:cubic-dmap-fetch-day", day, Map.class);
            return out;
        };
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void the_days_file_is_uploaded_once_and_a_rerun_does_not_fetch_it_again(TestDatabase database) throws Exception {
        try (CubicFixture f = new CubicFixture(database)) {
            dmap.stubFor(get(PATH).withHeader("x-api-key", equalTo("dmap-key-1"))
                    .willReturn(aResponse().withStatus(200).withBody("day,count\n2022-03-04,17\n")));
            var fetcher = fetcher(f);
            assertThat(fetcher.apply(DAY)).containsEntry("agg_sample", CubicDmapFetcher.Outcome.FETCHED);
            assertThat(f.text(f.incoming, "cubic/dmap/agg_sample/20220304.csv")).isEqualTo("day,count\n2022-03-04,17\n");
            assertThat(fetcher.apply(DAY)).containsEntry("agg_sample", CubicDmapFetcher.Outcome.ALREADY_FETCHED);
            dmap.verify(1, getRequestedFor(urlEqualTo(PATH)));
            assertThat(f.status("cubic/dmap/agg_sample/20220304.csv")).as("registered as a load by the fetch").isEqualTo("ready");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void server_errors_are_retried_and_a_refused_key_is_a_clear_error_without_upload(TestDatabase database) throws Exception {
        try (CubicFixture f = new CubicFixture(database)) {
            var fetcher = fetcher(f);
            var db = f.apps.get(0).db();
            dmap.stubFor(get(PATH).inScenario("flaky").whenScenarioStateIs(Scenario.STARTED)
                    .willReturn(aResponse().withStatus(503)).willSetStateTo("up"));
            dmap.stubFor(get(PATH).inScenario("flaky").whenScenarioStateIs("up")
                    .willReturn(aResponse().withStatus(200).withBody("a\n1\n")));
            assertThat(fetcher.apply(DAY)).containsEntry("agg_sample", CubicDmapFetcher.Outcome.FETCHED);
            dmap.verify(2, getRequestedFor(urlEqualTo(PATH)));

            dmap.stubFor(get("/datasets/agg_sample/2022-03-05").willReturn(aResponse().withStatus(403)));
            assertThat(fetcher.apply(DAY.plusDays(1))).containsEntry("agg_sample", CubicDmapFetcher.Outcome.REFUSED);
            dmap.verify(1, getRequestedFor(urlEqualTo("/datasets/agg_sample/2022-03-05")));
            assertThat(f.keys(f.incoming)).containsExactly("cubic/dmap/agg_sample/20220304.csv");
            String error = Sql.run(db.dataSource(), c -> {
                try (var ps = Sql.prepare(c, "SELECT status, error FROM cubic_dmap_fetches WHERE fetch_day = ?", DAY.plusDays(1));
                     var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getString(1) + ": " + rs.getString(2);
                }
            });
            assertThat(error).startsWith("refused: ").contains("HTTP 403").contains("flowledger.cubic.dmap.api-key");

            dmap.stubFor(get("/datasets/agg_sample/2022-03-06").willReturn(aResponse().withStatus(500)));
            assertThat(fetcher.apply(DAY.plusDays(2))).containsEntry("agg_sample", CubicDmapFetcher.Outcome.FAILED);
            dmap.verify(3, getRequestedFor(urlEqualTo("/datasets/agg_sample/2022-03-06")));
        }
    }

    @org.junit.jupiter.api.Test
    void a_fetched_day_is_a_succeeded_dataflow_and_a_day_not_published_yet_is_waiting_not_running() throws Exception {
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            dmap.stubFor(get(PATH).willReturn(aResponse().withStatus(200).withBody("day,count\n2022-03-04,17\n")));
            dmap.stubFor(get("/datasets/agg_sample/2022-03-05").willReturn(aResponse().withStatus(404)));
            var fetcher = fetcher(f, Map.of("flowledger.status.enabled", "true"));
            var app = f.apps.get(0);
            assertThat(fetcher.apply(DAY)).containsEntry("agg_sample", CubicDmapFetcher.Outcome.FETCHED);
            assertThat(fetcher.apply(DAY.plusDays(1))).containsEntry("agg_sample", CubicDmapFetcher.Outcome.NOT_AVAILABLE);

            var fetched = routes.testkit.TestApp.awaitFinishedDataflow(app, "cubic-dmap-agg_sample-20220304");
            assertThat(fetched.path("state").asText()).isEqualTo("SUCCEEDED");
            assertThat(fetched.path("recordsDone").asLong()).isEqualTo(1);

            var notYet = routes.testkit.TestApp.awaitDataflow(app, "cubic-dmap-agg_sample-20220305",
                    v -> v.path("waiting").asBoolean());
            assertThat(notYet.path("finished").asBoolean()).isFalse();
            assertThat(notYet.path("waitingFor").asText()).contains("the DMAP API to publish agg_sample");
        }
    }

    @org.junit.jupiter.api.Test
    void the_scheduled_route_fetches_yesterdays_file_once_and_it_is_ingested_and_archived() throws Exception {
        try (CubicFixture f = new CubicFixture(TestDatabase.H2)) {
            LocalDate yesterday = LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1);
            String path = "/datasets/agg_sample/" + yesterday;
            dmap.stubFor(get(path).withHeader("x-api-key", equalTo("dmap-key-2"))
                    .willReturn(aResponse().withStatus(200).withBody("day,count\n" + yesterday + ",5\n")));
            Map<String, String> settings = f.settings(""); // the DMAP fetch registers its table itself
            settings.put("flowledger.cubic.dmap.url", WireMockServers.url(dmap));
            settings.put("flowledger.cubic.dmap.api-key", "dmap-key-2");
            settings.put("flowledger.cubic.dmap.datasets", "agg_sample=agg_sample");
            settings.put("flowledger.cubic.dmap.check-interval", "PT1S");
            f.start(settings);
            String key = "cubic/dmap/agg_sample/" + java.time.format.DateTimeFormatter.BASIC_ISO_DATE.format(yesterday) + ".csv";
            f.awaitStatus(key, "archived");
            Thread.sleep(2500); // more checks: the day is not fetched again
            dmap.verify(1, getRequestedFor(urlEqualTo(path)));
            assertThat(f.parquet("cubic/dmap/agg_sample/identifier=" + key.substring(key.lastIndexOf('/') + 1)
                    + "/part-00000.snappy.parquet")).containsExactly(Map.of("day", yesterday.toString(), "count", "5"));
        }
    }
}
