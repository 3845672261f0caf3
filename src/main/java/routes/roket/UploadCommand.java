package routes.roket;

import java.io.PrintStream;
import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.MDC;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.app.FlowledgerCli;

/**
 * {@code upload --date D [--to-date D2] [--release-held]} or {@code upload --yesterday}: uploads each date once (one
 * after the other), shows progress, prints each date's summary and exits 0 only when every row of every date is
 * delivered.
 */
@Command(name = "upload", mixinStandardHelpOptions = true,
        header = "Uploads a date's rows to the Roket API, never re-sending a delivered record.",
        description = {"Uploads the rows of one date (or each date of a range) to the Roket API, skipping records",
            "already delivered. Prints the run id (the correlationId of its status messages), progress and a summary.",
            "Exit 0 when every row is delivered, 1 when anything was rejected, uncertain, held or failed, 2 bad usage."})
public class UploadCommand implements Callable<Integer> {

    @ParentCommand
    FlowledgerCli parent;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Day day;

    /** Which date: one given, or yesterday for schedulers outside flowledger that cannot compute a date. */
    static class Day {
        @Option(names = "--date", required = true, paramLabel = "YYYY-MM-DD", description = "The date to upload (the first of a range).")
        String date;

        @Option(names = "--yesterday", required = true, description = {"Upload yesterday's date in the JVM's time zone,",
            "the date the service's daily schedule uploads (for a Kubernetes CronJob or cron)."})
        boolean yesterday;
    }

    @Option(names = "--to-date", paramLabel = "YYYY-MM-DD", description = "The last date of a range (inclusive).")
    String toDate;

    @Option(names = "--release-held", description = {"Send again the records of uncertain batches kept out by",
        "flowledger.roket.on-uncertain=hold (after a person checked Roket)."})
    boolean releaseHeld;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        PrintStream err = System.err;
        LocalDate from;
        LocalDate to;
        if (day.yesterday && toDate != null) {
            err.println("flowledger upload: --to-date needs --date (--yesterday is one date)");
            return FlowledgerCli.USAGE;
        }
        try {
            from = day.yesterday ? RoketUploads.yesterday() : LocalDate.parse(RoketUploads.parseDate(day.date));
            to = toDate == null ? from : LocalDate.parse(RoketUploads.parseDate(toDate));
        } catch (IllegalArgumentException e) {
            err.println("flowledger upload: " + e.getMessage());
            return FlowledgerCli.USAGE;
        }
        if (to.isBefore(from)) {
            err.println("flowledger upload: --to-date " + to + " is before --date " + from);
            return FlowledgerCli.USAGE;
        }
        Config config = parent.loadConfig(Map.of("flowledger.roket-upload.enabled", "true"));
        if (!config.getBoolean("flowledger.roket-upload.enabled")) {
            err.println("flowledger upload: flowledger.roket-upload.enabled is false (from "
                    + config.origin("flowledger.roket-upload.enabled") + ")");
            return FlowledgerCli.USAGE;
        }
        boolean allOk = true;
        try (FlowledgerApp app = new FlowledgerApp(config).startJob()) {
            RoketUploads uploads = RoketUploads.of(app.camelContext());
            long progressMs = uploads.settings().progressInterval().toMillis();
            for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
                RoketRun run;
                try {
                    run = uploads.start(d.toString(), "command", releaseHeld);
                } catch (RoketLedger.DateBusyException e) {
                    err.println("flowledger upload: " + e.getMessage());
                    allOk = false;
                    continue;
                }
                MDC.put("correlationId", run.runId);
                out.println("roket-upload " + run.date + ": run " + run.runId + " (correlationId; dataSetId "
                        + RoketLedger.PROCESSOR_PREFIX + run.date + ")");
                RoketRun.Summary summary;
                while (true) {
                    try {
                        summary = run.completion().get(progressMs, TimeUnit.MILLISECONDS);
                        break;
                    } catch (TimeoutException e) {
                        out.println(run.progress());
                    }
                }
                out.println(summary.format());
                allOk &= summary.succeeded();
                MDC.remove("correlationId");
            }
        }
        return allOk ? FlowledgerCli.OK : FlowledgerCli.FAILED;
    }
}
