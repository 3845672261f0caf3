package routes.replay;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** S3 or an S3-compatible store, with the shared client of {@code routes.common.S3Clients} ({@code flowledger.s3.*}). */
public final class S3ReplayStore implements ReplayStore {

    private final S3Client s3;

    public S3ReplayStore(S3Client s3) {
        this.s3 = s3;
    }

    @Override
    public List<BlobInfo> list(String bucket, String prefix) {
        List<BlobInfo> out = new ArrayList<>();
        for (S3Object o : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
            if (o.key().endsWith("/")) {
                continue; // directory markers of filesystem-backed stores
            }
            String etag = unquote(o.eTag());
            out.add(new BlobInfo(o.key(), o.size(), etag, md5Of(etag)));
        }
        out.sort(Comparator.comparing(BlobInfo::name));
        return out;
    }

    @Override
    public Optional<BlobInfo> stat(String bucket, String name) {
        try {
            HeadObjectResponse h = s3.headObject(b -> b.bucket(bucket).key(name));
            String etag = unquote(h.eTag());
            return Optional.of(new BlobInfo(name, h.contentLength(), etag, md5Of(etag)));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public InputStream open(String bucket, String name) {
        return s3.getObject(b -> b.bucket(bucket).key(name));
    }

    @Override
    public BlobInfo copy(String bucket, String from, String to) {
        s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(from).destinationBucket(bucket).destinationKey(to));
        return stat(bucket, to).orElseThrow(() -> new IllegalStateException("copy of " + from + " to " + to + " vanished"));
    }

    @Override
    public void delete(String bucket, String name) {
        s3.deleteObject(b -> b.bucket(bucket).key(name));
    }

    @Override
    public void upload(String bucket, String name, Path file) {
        s3.putObject(b -> b.bucket(bucket).key(name), RequestBody.fromFile(file));
    }

    @Override
    public String kind() {
        return "s3";
    }

    @Override
    public void close() {
        s3.close();
    }

    private static String unquote(String etag) {
        return etag == null ? null : etag.replace("\"", "");
    }

    /** A single-part object's ETag is its MD5; a multipart one's ("...-N") is not. */
    private static String md5Of(String etag) {
        return etag != null && etag.matches("[0-9a-fA-F]{32}") ? etag.toLowerCase() : null;
    }
}
