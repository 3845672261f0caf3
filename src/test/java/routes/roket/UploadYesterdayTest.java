package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import routes.testkit.CapturedCli;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * {@code upload --yesterday}: the daily run for a scheduler outside flowledger (the Kubernetes CronJob of
 * deploy/kubernetes/), which has no shell to compute a date in.
 */
class UploadYesterdayTest {

    @RegisterExtension
    static WireMockExtension roket = WireMockServers.create();

    @RegisterExtension
    final CapturedCli captured = new CapturedCli();
    private final ByteArrayOutputStream out = captured.out();
    private final ByteArrayOutputStream err = captured.err();

    @BeforeEach
    void roketStoresEveryBatch() {
        roket.stubFor(post(urlPathEqualTo("/api/records")).willReturn(aResponse().withStatus(201)));
    }

    @Test
    void upload_yesterday_uploads_the_day_before_today_and_nothing_of_today() throws Exception {
        String yesterday = LocalDate.now().minusDays(1).toString();
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(yesterday, 0, 30)
                .rows(LocalDate.now().toString(), 100, 110);
        int code = captured.run(f.settings(roket), "upload", "--yesterday");
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed + err).isEqualTo(0);
        assertThat(printed).contains("roket-upload " + yesterday + ": run").contains("delivered 30");
        assertThat(RoketFixture.stored(roket)).containsOnlyKeys(RoketFixture.ids(0, 30));
    }

    @Test
    void yesterday_with_a_date_or_a_to_date_or_no_date_at_all_is_bad_usage_exit_2() throws Exception {
        Map<String, String> settings = new RoketFixture(TestDatabase.H2).settings(roket);
        assertThat(captured.run(settings, "upload", "--yesterday", "--date", RoketFixture.DATE)).isEqualTo(2);
        assertThat(captured.run(settings, "upload", "--yesterday", "--to-date", RoketFixture.DATE)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--to-date needs --date");
        assertThat(captured.run(settings, "upload")).isEqualTo(2);
        // A word where a date belongs stays an error: only the explicit flag means "yesterday".
        assertThat(captured.run(settings, "upload", "--date", "yesterday")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("is not a date");
        assertThat(RoketFixture.requests(roket)).isZero();
    }
}
