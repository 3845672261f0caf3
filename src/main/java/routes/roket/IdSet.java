package routes.roket;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The record ids of one date a run must not send again, kept as 128-bit digests (MD5) in an open-addressing table
 * of longs: 16 bytes an id instead of ~100 for a {@code HashSet<String>}, so a date of millions of records fits a
 * small heap and loads without garbage. Two different ids share a digest with a probability of about n^2 / 2^129
 * (1e-27 for a million ids): far below any hardware error rate. Not thread-safe: one run's reading thread uses it.
 */
final class IdSet {

    private final MessageDigest md5;
    private long[] table; // pairs (hi, lo); (0, 0) = empty slot
    private int size;
    private boolean hasZero; // the one id whose digest is (0, 0)

    IdSet(int expected) {
        try {
            md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        int slots = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
        table = new long[slots * 2];
    }

    int size() {
        return size + (hasZero ? 1 : 0);
    }

    boolean contains(String id) {
        long[] d = digest(id);
        if (d[0] == 0 && d[1] == 0) {
            return hasZero;
        }
        return find(table, d[0], d[1]) >= 0;
    }

    /** Adds the id; false when it was there already. */
    boolean add(String id) {
        long[] d = digest(id);
        if (d[0] == 0 && d[1] == 0) {
            boolean had = hasZero;
            hasZero = true;
            return !had;
        }
        if (find(table, d[0], d[1]) >= 0) {
            return false;
        }
        if ((size + 1) * 2 > table.length / 2) {
            grow();
        }
        insert(table, d[0], d[1]);
        size++;
        return true;
    }

    private long[] digest(String id) {
        ByteBuffer b = ByteBuffer.wrap(md5.digest(id.getBytes(StandardCharsets.UTF_8)));
        return new long[] {b.getLong(), b.getLong()};
    }

    private static int slot(long[] t, long hi) {
        int slots = t.length / 2;
        return (int) (hi ^ (hi >>> 32)) & (slots - 1);
    }

    private static int find(long[] t, long hi, long lo) {
        int slots = t.length / 2;
        for (int s = slot(t, hi), n = 0; n < slots; s = (s + 1) & (slots - 1), n++) {
            long h = t[2 * s];
            long l = t[2 * s + 1];
            if (h == 0 && l == 0) {
                return -1;
            }
            if (h == hi && l == lo) {
                return s;
            }
        }
        return -1;
    }

    private static void insert(long[] t, long hi, long lo) {
        int slots = t.length / 2;
        int s = slot(t, hi);
        while (t[2 * s] != 0 || t[2 * s + 1] != 0) {
            s = (s + 1) & (slots - 1);
        }
        t[2 * s] = hi;
        t[2 * s + 1] = lo;
    }

    private void grow() {
        long[] bigger = new long[table.length * 2];
        for (int s = 0; s < table.length / 2; s++) {
            if (table[2 * s] != 0 || table[2 * s + 1] != 0) {
                insert(bigger, table[2 * s], table[2 * s + 1]);
            }
        }
        table = bigger;
    }
}
