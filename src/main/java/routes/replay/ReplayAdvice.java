package routes.replay;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import routes.replay.ReplayLedger.Day;
import routes.replay.ReplayLedger.DayStatus;

/**
 * What to do after a run that did not succeed, as commands that work as printed. A FAILED day is final (nothing of
 * it is visible, its downstream is restored, README "Crash safety"): {@code --resume} leaves it failed, so it is
 * replayed by a new run of just its days. {@code --resume} is advised only for days left unfinished (a clean-up
 * that failed, a run cut off).
 */
final class ReplayAdvice {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ReplayAdvice() {
    }

    /** The lines to print after the per-day table; empty when the run succeeded. */
    static String text(ReplayLedger ledger, String runId) {
        ReplayLedger.Run run = ledger.run(runId).orElseThrow();
        if ("SUCCEEDED".equals(run.status())) {
            return "";
        }
        List<Day> days = ledger.days(runId);
        StringBuilder b = new StringBuilder();
        if (days.stream().anyMatch(d -> d.status() != DayStatus.SUCCEEDED && d.status() != DayStatus.FAILED)) {
            b.append("Resume with: replay --resume ").append(runId).append("  (finishes or restores unfinished days)")
                    .append(System.lineSeparator());
        }
        ReplayParams p;
        try {
            p = JSON.readValue(run.params(), ReplayParams.class);
        } catch (IOException e) {
            return b.toString();
        }
        for (LocalDate[] range : failedRanges(days)) {
            b.append("Replay the failed day(s) again once the cause is fixed, with the same configuration: ")
                    .append(command(p, range[0], range[1])).append(System.lineSeparator());
        }
        return b.toString();
    }

    /** Consecutive FAILED days as [first, last] ranges, so a run of the advice never replays a succeeded day. */
    static List<LocalDate[]> failedRanges(List<Day> days) {
        List<LocalDate[]> out = new ArrayList<>();
        LocalDate[] open = null;
        for (Day d : days) {
            if (d.status() == DayStatus.FAILED) {
                LocalDate day = LocalDate.parse(d.day());
                if (open != null && open[1].plusDays(1).equals(day)) {
                    open[1] = day;
                } else {
                    open = new LocalDate[] {day, day};
                    out.add(open);
                }
            } else {
                open = null;
            }
        }
        return out;
    }

    static String command(ReplayParams p, LocalDate from, LocalDate to) {
        boolean file = p.filePath() != null;
        StringBuilder b = new StringBuilder("replay");
        option(b, "--start-date", file ? p.startDate() : from.toString());
        option(b, "--end-date", file ? p.endDate() : to.toString());
        option(b, "--topic", p.topic());
        option(b, "--bucket", p.bucket());
        option(b, file ? "--file-path" : "--prefix", file ? p.filePath() : p.prefix());
        option(b, "--broker-list", p.brokerList());
        option(b, "--delete-backups", p.deleteBackups() == null ? null : p.deleteBackups().toString());
        option(b, "--config", p.config() == null || p.config().isBlank() ? null : p.config());
        if (Boolean.TRUE.equals(p.dryRun())) {
            b.append(" --dry-run");
        }
        return b.toString();
    }

    private static void option(StringBuilder b, String name, String value) {
        if (value != null) {
            b.append(' ').append(name).append(' ')
                    .append(value.matches("[A-Za-z0-9._:/,=@+-]+") ? value : "'" + value.replace("'", "'\\''") + "'");
        }
    }
}
