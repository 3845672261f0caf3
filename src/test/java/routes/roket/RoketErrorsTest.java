package routes.roket;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.junit5.WireMockExtension;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import routes.testkit.PostgresServer;
import routes.testkit.CapturedCli;
import routes.testkit.TestDatabase;
import routes.testkit.WireMockServers;

/**
 * Errors that help (issue 18, item 6), as the {@code upload} command prints them: a failed run names the records
 * that need a person with Roket's answer, and a driver's message is printed whole.
 */
@ExtendWith(PostgresServer.class)
class RoketErrorsTest {

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
    void a_source_query_on_an_empty_database_prints_the_drivers_whole_message_with_its_sql() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2);
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.source.url", TestDatabase.H2.newUrl()); // a database without any table
        settings.put("flowledger.roket.source.query", "SELECT * FROM T WHERE sale_date = :#date");
        int code = captured.run(settings, "upload", "--date", DATE);
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed + err).isEqualTo(1);
        // H2 puts the SQL on a line of its own: it is joined into the one line, not dropped.
        assertThat(printed).as(printed).containsPattern(
                "the source query failed: Table \"[tT]\" not found \\(this database is empty\\); SQL statement: "
                        + "SELECT \\* FROM T WHERE sale_date = \\? \\[42104-\\d+\\]");
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void two_refused_records_are_named_with_roket_s_answer(TestDatabase db) throws Exception {
        RoketFixture f = new RoketFixture(db).rows(DATE, 0, 100);
        List<String> bad = List.of(RoketFixture.id(17), RoketFixture.id(62));
        refuse(bad);
        int code = captured.run(f.settings(roket), "upload", "--date", DATE);
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isEqualTo(1);
        for (String id : bad) {
            assertThat(printed).as(printed).containsPattern(Pattern.quote(id) + " +rejected by Roket, HTTP 422: "
                    + Pattern.quote("{\"error\":\"invalid record\",\"id\":\"" + id + "\"}"));
        }
        assertThat(printed).doesNotContain("more:");
    }

    @Test
    void more_than_20_refused_records_name_the_first_20_and_a_command_that_lists_them_all() throws Exception {
        RoketFixture f = new RoketFixture(TestDatabase.H2).rows(DATE, 0, 100);
        // 25 refused records: those ending in 3 or 7, and five more.
        List<String> refused = new java.util.ArrayList<>(RoketFixture.ids(0, 100).stream()
                .filter(id -> id.endsWith("3") || id.endsWith("7")).toList());
        List.of(10, 20, 30, 40, 50).forEach(i -> refused.add(RoketFixture.id(i)));
        assertThat(refused).hasSize(25);
        refuse(refused);
        Map<String, String> settings = f.settings(roket);
        int code = captured.run(settings, "upload", "--date", DATE);
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isEqualTo(1);
        captured.console().println(printed); // the summary as a person sees it, in the test report
        assertThat(printed.lines().filter(l -> l.contains("rejected by Roket, HTTP 422"))).as(printed).hasSize(20);
        Matcher m = Pattern.compile("and " + (refused.size() - 20) + " more: (status \\S+ --failures \\d+)")
                .matcher(printed);
        assertThat(m.find()).as(printed).isTrue();

        // The command, run as printed, lists every refused record with Roket's answer.
        out.reset();
        captured.run(settings, m.group(1).split(" "));
        String listed = out.toString(StandardCharsets.UTF_8);
        for (String id : refused) {
            assertThat(listed).as(listed).containsPattern("record " + Pattern.quote(id) + " .*422.*invalid record");
        }
    }

    @ParameterizedTest
    @EnumSource(TestDatabase.class)
    void uncertain_records_are_named_with_why(TestDatabase db) throws Exception {
        RoketFixture f = new RoketFixture(db).rows(DATE, 0, 10);
        // Roket never answers in time: the batch and its resend at the run's end stay uncertain.
        roket.stubFor(post(urlPathEqualTo("/api/records")).atPriority(1)
                .willReturn(aResponse().withStatus(201).withFixedDelay(2500)));
        Map<String, String> settings = f.settings(roket);
        settings.put("flowledger.roket.request-timeout", "1000");
        int code = captured.run(settings, "upload", "--date", DATE);
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(code).as(printed).isEqualTo(1);
        assertThat(printed).contains("needs a person: 10 record(s)");
        for (String id : RoketFixture.ids(0, 10)) {
            assertThat(printed).as(printed).containsPattern(Pattern.quote(id)
                    + " +uncertain \\(Roket may or may not have stored it; batch \\S+\\): .+");
        }
    }

    private void refuse(List<String> ids) {
        for (String id : ids) {
            roket.stubFor(post(urlPathEqualTo("/api/records")).withRequestBody(containing("\"" + id + "\""))
                    .atPriority(1).willReturn(aResponse().withStatus(422)
                            .withBody("{\"error\":\"invalid record\",\"id\":\"" + id + "\"}")));
        }
    }

}
