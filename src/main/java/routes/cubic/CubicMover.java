package routes.cubic;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * The archive and error steps: copy the object to the archive (or error) bucket under the same key, then delete it
 * from incoming. Each step can be repeated after a crash at any point: a copy overwrites, a missing source whose
 * copy exists means the step already got past the delete.
 */
public class CubicMover {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final S3Client s3;
    private final CubicSettings settings;

    public CubicMover(S3Client s3, CubicSettings settings) {
        this.s3 = s3;
        this.settings = settings;
    }

    public void archive(CubicLoad load) {
        move(load, settings.archiveBucket());
    }

    /** Moves the object to the error bucket and writes {@code <key>.error.json} with the reason beside it. */
    public void error(CubicLoad load, String instance) {
        ObjectNode reason = JSON.createObjectNode();
        reason.put("loadId", load.id());
        reason.put("table", load.tableName());
        reason.put("bucket", settings.incomingBucket());
        reason.put("key", load.s3Key());
        reason.put("modified", load.s3Modified().toString());
        reason.put("size", load.s3Size());
        reason.put("reason", load.errorReason() == null ? "unknown" : load.errorReason());
        reason.put("erroredAt", Instant.now().toString());
        reason.put("instance", instance);
        s3.putObject(b -> b.bucket(settings.errorBucket()).key(load.s3Key() + ".error.json").contentType("application/json"),
                RequestBody.fromString(reason.toPrettyString()));
        move(load, settings.errorBucket());
    }

    private void move(CubicLoad load, String target) {
        String key = load.s3Key();
        if (head(settings.incomingBucket(), key) == null) {
            if (head(target, key) == null) {
                throw new IllegalStateException("s3://" + settings.incomingBucket() + "/" + key
                        + " is gone and s3://" + target + "/" + key + " does not exist");
            }
            return; // copied and deleted before a crash: nothing left to do
        }
        s3.copyObject(b -> b.sourceBucket(settings.incomingBucket()).sourceKey(key)
                .destinationBucket(target).destinationKey(key));
        s3.deleteObject(b -> b.bucket(settings.incomingBucket()).key(key));
    }

    /**
     * Moves an errored load's object back from the error bucket to incoming (for a retry) and returns its new
     * modified time there. Already back (a repeated retry): returns the incoming copy's time.
     */
    public Instant restore(CubicLoad load) {
        String key = load.s3Key();
        if (head(settings.errorBucket(), key) != null) {
            s3.copyObject(b -> b.sourceBucket(settings.errorBucket()).sourceKey(key)
                    .destinationBucket(settings.incomingBucket()).destinationKey(key));
        }
        HeadObjectResponse back = head(settings.incomingBucket(), key);
        if (back == null) {
            throw new IllegalStateException("s3://" + settings.errorBucket() + "/" + key
                    + " does not exist: nothing to retry");
        }
        return back.lastModified();
    }

    /** Removes the error bucket's copy and reason file once a retried load is back in incoming. */
    public void forgetError(CubicLoad load) {
        s3.deleteObject(b -> b.bucket(settings.errorBucket()).key(load.s3Key()));
        s3.deleteObject(b -> b.bucket(settings.errorBucket()).key(load.s3Key() + ".error.json"));
    }

    HeadObjectResponse head(String bucket, String key) {
        try {
            return s3.headObject(b -> b.bucket(bucket).key(key));
        } catch (NoSuchKeyException e) {
            return null;
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return null;
            }
            throw e;
        }
    }
}
