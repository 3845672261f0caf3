package routes.roket;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import routes.roket.RoketClassifier.Answer;

/** Roket's answers and what they mean, without a server: the rule table of DESIGN.md. */
class RoketClassifierTest {

    @Test
    void stored_refused_busy_and_forbidden_answers_are_told_apart() {
        assertThat(RoketClassifier.classify(200, 100)).isEqualTo(Answer.DELIVERED);
        assertThat(RoketClassifier.classify(201, 1)).isEqualTo(Answer.DELIVERED);
        assertThat(RoketClassifier.classify(422, 100)).as("refused content: narrow it down").isEqualTo(Answer.SPLIT);
        assertThat(RoketClassifier.classify(400, 2)).isEqualTo(Answer.SPLIT);
        assertThat(RoketClassifier.classify(413, 1)).as("one record left: it is the refused one")
                .isEqualTo(Answer.REJECTED);
        assertThat(RoketClassifier.classify(401, 100)).as("credentials do not improve by retrying").isEqualTo(Answer.STOP);
        assertThat(RoketClassifier.classify(403, 1)).isEqualTo(Answer.STOP);
        for (int busy : new int[] {408, 429, 500, 502, 503, 504}) {
            assertThat(RoketClassifier.classify(busy, 100)).as("HTTP " + busy).isEqualTo(Answer.SEND);
        }
    }

    @Test
    void retry_after_is_read_as_seconds_or_as_an_http_date_and_garbage_is_no_wish() {
        assertThat(RoketClassifier.parseRetryAfter("3")).isEqualTo(Duration.ofSeconds(3));
        assertThat(RoketClassifier.parseRetryAfter("-5")).isEqualTo(Duration.ZERO);
        assertThat(RoketClassifier.parseRetryAfter("soon")).isEqualTo(Duration.ZERO);
        String in10s = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(10));
        assertThat(RoketClassifier.parseRetryAfter(in10s)).isBetween(Duration.ofSeconds(5), Duration.ofSeconds(11));
    }

    @Test
    void a_connection_that_never_reached_roket_is_safe_to_retry_and_anything_else_is_not() {
        assertThat(RoketClassifier.neverReachedRoket(new java.net.ConnectException("refused"))).isTrue();
        assertThat(RoketClassifier.neverReachedRoket(new RuntimeException(new java.net.UnknownHostException("x"))))
                .isTrue();
        assertThat(RoketClassifier.neverReachedRoket(new java.net.SocketTimeoutException("read timed out"))).isFalse();
        assertThat(RoketClassifier.neverReachedRoket(new java.io.IOException("connection reset"))).isFalse();
    }
}
