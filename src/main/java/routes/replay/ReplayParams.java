package routes.replay;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.util.ArrayList;
import java.util.List;
import routes.app.Config;

/**
 * A replay's parameters as the design note names them (command options and the JSON body of
 * {@code POST /api/replays} alike). {@link #resolve(Config)} fills the defaults from configuration and refuses
 * bad ones before anything changes.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record ReplayParams(String startDate, String endDate, String topic, String bucket, String prefix,
                           String filePath, String brokerList, Boolean deleteBackups, String config, Boolean dryRun) {

    static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("uuuu-MM-dd").withResolverStyle(ResolverStyle.STRICT);
    /** A longer range is almost certainly a typo; it would also make one huge run. */
    static final int MAX_DAYS = 366;

    /** A parameter the run cannot go ahead with; says which and why. */
    public static class Invalid extends Exception {
        public Invalid(String message) {
            super(message);
        }
    }

    /** The checked, defaulted parameters and what they mean: the days, the backup entry, the dependents. */
    public record Plan(ReplayParams params, List<LocalDate> days, String entryName, DependentSources.Entry entry,
                       String fileDay) {

        public boolean fileMode() {
            return params.filePath() != null;
        }

        public boolean dryRun() {
            return Boolean.TRUE.equals(params.dryRun());
        }

        /** Azure prefixes to back up and clear; none in --file-path mode (the file's data is missing downstream). */
        public List<String> azureDependents() {
            return fileMode() ? List.of() : entry.azurePrefixes();
        }

        public List<String> druidDependents() {
            return fileMode() ? List.of() : entry.druidDataSources();
        }
    }

    public Plan resolve(Config c) throws Invalid {
        LocalDate start = day("--start-date", startDate);
        LocalDate end = day("--end-date", endDate);
        if (end.isBefore(start)) {
            throw new Invalid("--end-date " + endDate + " is before --start-date " + startDate);
        }
        if (end.toEpochDay() - start.toEpochDay() >= MAX_DAYS) {
            throw new Invalid("the range " + startDate + ".." + endDate + " is longer than " + MAX_DAYS + " days");
        }
        if (blank(topic)) {
            throw new Invalid("--topic is required (the Kafka topic to replay into)");
        }
        if (!topic.matches("[a-zA-Z0-9._-]{1,249}")) {
            throw new Invalid("--topic '" + topic + "' is not a valid Kafka topic name");
        }
        boolean hasPrefix = !blank(prefix);
        boolean hasFile = !blank(filePath);
        if (hasPrefix == hasFile) {
            throw new Invalid("give exactly one of --prefix (a backup folder) or --file-path (one missing file)");
        }
        String theBucket = blank(bucket) ? c.get("flowledger.replay.bucket") : bucket.trim();
        if (theBucket.isBlank()) {
            throw new Invalid("--bucket is required (no default in flowledger.replay.bucket)");
        }
        String brokers = blank(brokerList) ? c.get("flowledger.kafka.brokers") : brokerList.trim();
        if (brokers.isBlank() || !brokers.matches("[^,\\s]+:\\d+(,[^,\\s]+:\\d+)*")) {
            throw new Invalid("--broker-list '" + brokers + "' must be host:port[,host:port...]");
        }
        boolean delete = deleteBackups != null ? deleteBackups : c.getBoolean("flowledger.replay.delete-backups");
        String cfg = blank(config) ? c.get("flowledger.replay.config") : config.trim();
        DependentSources sources;
        try {
            sources = DependentSources.load(cfg);
        } catch (IOException e) {
            throw new Invalid("--config " + (cfg.isBlank() ? DependentSources.BUILT_IN : cfg) + ": " + e.getMessage());
        }
        String normPrefix = hasPrefix ? trimSlashes(prefix) : null;
        String normFile = hasFile ? filePath.trim().replaceAll("^/+", "") : null;
        String folder = hasPrefix ? normPrefix : (normFile.contains("/") ? normFile.substring(0, normFile.lastIndexOf('/')) : "");
        String entryName = entryFor(folder, sources);
        if (entryName == null) {
            throw new Invalid((hasPrefix ? "--prefix '" + prefix : "--file-path '" + filePath + "' (folder '" + folder)
                    + "' names no entry of the dependent sources config" + (hasPrefix ? "" : ")")
                    + " (known: " + String.join(", ", sources.entries().keySet()) + ")");
        }
        DependentSources.Entry entry = sources.entries().get(entryName);
        String fileDay = null;
        if (hasFile) {
            String name = normFile.substring(normFile.lastIndexOf('/') + 1);
            if (name.length() < 10) {
                throw new Invalid("--file-path '" + filePath + "': its name does not start with a yyyy-MM-dd day");
            }
            LocalDate d;
            try {
                d = LocalDate.parse(name.substring(0, 10), DAY);
            } catch (DateTimeParseException e) {
                throw new Invalid("--file-path '" + filePath + "': its name does not start with a yyyy-MM-dd day");
            }
            if (d.isBefore(start) || d.isAfter(end)) {
                throw new Invalid("--file-path '" + filePath + "' is of " + d + ", outside " + startDate + ".." + endDate);
            }
            fileDay = d.toString();
            start = d;
            end = d;
        }
        if (!hasFile && !entry.druidDataSources().isEmpty() && c.get("flowledger.druid.url").isBlank()) {
            throw new Invalid("prefix '" + entryName + "' has Druid dependents but flowledger.druid.url is empty");
        }
        List<LocalDate> days = new ArrayList<>();
        for (LocalDate d = start; !d.isAfter(end); d = d.plusDays(1)) {
            days.add(d);
        }
        ReplayParams resolved = new ReplayParams(start.toString(), end.toString(), topic, theBucket, normPrefix, normFile,
                brokers, delete, cfg.isBlank() ? null : cfg, Boolean.TRUE.equals(dryRun));
        return new Plan(resolved, days, entryName, entry, fileDay);
    }

    /** The blob-name prefix of a day's backup: {@code <prefix>/<yyyy-MM-dd>}. */
    static String dayPrefix(String folder, String day) {
        return folder.isEmpty() ? day : folder + "/" + day;
    }

    private static String entryFor(String folder, DependentSources sources) {
        if (sources.entries().containsKey(folder)) {
            return folder;
        }
        String last = folder.contains("/") ? folder.substring(folder.lastIndexOf('/') + 1) : folder;
        return sources.entries().containsKey(last) ? last : null;
    }

    private static LocalDate day(String option, String value) throws Invalid {
        if (blank(value)) {
            throw new Invalid(option + " is required (yyyy-MM-dd)");
        }
        try {
            return LocalDate.parse(value.trim(), DAY);
        } catch (DateTimeParseException e) {
            throw new Invalid(option + " '" + value + "' is not a yyyy-MM-dd date");
        }
    }

    private static String trimSlashes(String s) {
        return s.trim().replaceAll("^/+|/+$", "");
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }
}
