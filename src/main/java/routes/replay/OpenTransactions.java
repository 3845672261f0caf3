package routes.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka transactions of failed days that may still be open (their abort never reached the broker: it was down).
 * An open transaction is invisible to read_committed consumers but holds back what they see after it, until the
 * coordinator times it out; fencing its transactional.id aborts it at once. The ledger says which are open.
 */
final class OpenTransactions {

    private static final Logger LOG = LoggerFactory.getLogger("flowledger.replay");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ReplayLedger ledger;
    private final DayTransactions kafka;

    OpenTransactions(ReplayLedger ledger, DayTransactions kafka) {
        this.ledger = ledger;
        this.kafka = kafka;
    }

    /** A failing day: aborts its transaction if it was begun and not confirmed aborted. Never throws. */
    void abortLeftOpen(ActiveRun run, String day) {
        if (!"open".equals(ledger.kafkaTransaction(run.runId, day))) {
            return;
        }
        try {
            kafka.fence(run.plan.params().brokerList(), run.topic(), run.runId, day, false);
            ledger.kafkaTransaction(run.runId, day, "aborted");
        } catch (Exception e) {
            LOG.warn("Replay {} {}: the day's Kafka transaction could not be aborted now ({}); it stays invisible to "
                    + "read_committed consumers and is fenced by the next replay, or aborted by the broker after "
                    + "flowledger.replay.transaction-timeout", run.runId, day, DayFailure.describe(e));
        }
    }

    /** Before a day is produced: aborts every failed day's transaction still recorded as open (any run). */
    void fenceFailedDays() {
        for (ReplayLedger.OpenTransaction t : ledger.openTransactionsOfFailedDays()) {
            try {
                ReplayParams p = JSON.readValue(t.params(), ReplayParams.class);
                kafka.fence(p.brokerList(), p.topic(), t.runId(), t.day(), true);
                ledger.kafkaTransaction(t.runId(), t.day(), "aborted");
                LOG.info("Replay {} {}: the failed day's open Kafka transaction is aborted", t.runId(), t.day());
            } catch (Exception e) {
                LOG.warn("Replay {} {}: the failed day's Kafka transaction is still open: {}", t.runId(), t.day(),
                        DayFailure.describe(e));
            }
        }
    }
}
