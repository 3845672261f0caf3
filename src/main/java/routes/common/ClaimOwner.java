package routes.common;

import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who holds a claim in the ledgers (a roket date lock, a replay run, a cubic load lease): {@code pid@host},
 * optionally followed by {@code /tag} to tell several holders in one process apart. Every claim keeps the
 * heartbeat rule (a claim whose holder stopped renewing it for the timeout is taken over); on top of it, a claim
 * whose holder is a process on this very host that no longer exists (killed, crashed) may be taken over at once:
 * nobody needs to wait for a heartbeat to go stale to know that. Claims from other hosts cannot be checked so,
 * and keep the heartbeat rule alone.
 */
public final class ClaimOwner {

    private static final Pattern FORMAT = Pattern.compile("^(\\d+)@([^/\\s]+)(?:/.*)?$");
    /** {@code pid@host} as the JVM names itself (the same form older ledger rows hold). */
    private static final String SELF = ManagementFactory.getRuntimeMXBean().getName();

    private ClaimOwner() {
    }

    /** This process: {@code pid@host}. */
    public static String current() {
        return SELF;
    }

    /** This process with a tag telling holders within it apart: {@code pid@host/tag}. */
    public static String current(String tag) {
        return SELF + "/" + tag;
    }

    /** The host part of an owner in this format, or empty when the owner is not in it (e.g. a configured name). */
    public static Optional<String> host(String owner) {
        Matcher m = owner == null ? null : FORMAT.matcher(owner);
        return m != null && m.matches() ? Optional.of(m.group(2)) : Optional.empty();
    }

    /**
     * Why the claim of {@code owner} may be taken over at once (its process on this host no longer exists), or
     * empty when that is not known: the owner runs on another host, is alive, or is not in the {@code pid@host}
     * form. A reused pid only makes this answer "alive": the heartbeat rule then still applies.
     */
    public static Optional<String> deadOnThisHost(String owner) {
        Matcher m = owner == null ? null : FORMAT.matcher(owner);
        Matcher self = FORMAT.matcher(SELF);
        if (m == null || !m.matches() || !self.matches() || !m.group(2).equals(self.group(2))) {
            return Optional.empty();
        }
        long pid;
        try {
            pid = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        if (pid == ProcessHandle.current().pid()) {
            return Optional.empty();
        }
        boolean alive = ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        return alive ? Optional.empty()
                : Optional.of("process " + pid + " on host " + m.group(2) + " no longer exists");
    }
}
