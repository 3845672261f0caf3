package routes.replay;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The blob store a replay reads its backup from and where the downstream (dependent) blobs live: Azure Blob
 * ({@code flowledger.replay.store=azure}, the design note's store) or S3 ({@code s3}) behind one interface.
 * "bucket" is an Azure container or an S3 bucket.
 */
public interface ReplayStore extends AutoCloseable {

    /** A blob's name, size and the fingerprints a copy is verified with (ETag, Content-MD5 in hex, either may be null). */
    record BlobInfo(String name, long size, String etag, String md5) {
    }

    /**
     * Throws {@link routes.common.Reachability.Unreachable} ("Azure Blob at http://host:port is unreachable: ...")
     * when nothing answers where the store should be: asked before a day relies on it, so an outage fails the day
     * at once with one line instead of the client's minute of retries.
     */
    void requireReachable();

    /** Blobs whose name starts with {@code prefix}, sorted by name (directory markers skipped). */
    List<BlobInfo> list(String bucket, String prefix);

    Optional<BlobInfo> stat(String bucket, String name);

    /** The blob's content, streamed. */
    InputStream open(String bucket, String name);

    /** Server-side copy inside the bucket; returns the copy as the store now describes it. */
    BlobInfo copy(String bucket, String from, String to);

    void delete(String bucket, String name);

    void upload(String bucket, String name, Path file);

    /** Which store this is, for messages ("azure", "s3"). */
    String kind();

    @Override
    default void close() {
    }

    /**
     * True when {@code copy} holds the same content as {@code original}: the same size and, where both sides
     * know it, the same Content-MD5. (Azure gives a copy a new ETag, so the ETag only counts where the store
     * derives it from the content, as S3 does for single-part objects.)
     */
    static boolean sameContent(BlobInfo original, BlobInfo copy) {
        if (original.size() != copy.size()) {
            return false;
        }
        if (original.md5() != null && copy.md5() != null) {
            return original.md5().equalsIgnoreCase(copy.md5());
        }
        return true;
    }
}
