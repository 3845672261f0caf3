package routes.replay;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.camel.CamelContext;
import org.apache.camel.component.aws2.s3.AWS2S3Component;
import org.apache.camel.component.aws2.s3.AWS2S3Configuration;
import org.apache.camel.component.aws2.s3.AWS2S3Constants;
import org.apache.camel.component.aws2.s3.AWS2S3Operations;
import org.apache.camel.component.aws2.s3.AWS2S3Endpoint;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * S3 or an S3-compatible store through Camel's aws2-s3 component, with the shared client of
 * {@code routes.common.S3Clients} ({@code flowledger.s3.*}). The component lists one page (1,000 keys); a prefix
 * with more is listed again with the SDK's paginator, so no blob is missed.
 */
public final class S3ReplayStore implements ReplayStore {

    private static final int PAGE = 1000;

    private final S3Client s3;
    private final StoreEndpoints endpoints;
    private final CamelContext camel;

    public S3ReplayStore(S3Client s3, CamelContext camel) {
        this.camel = camel;
        this.s3 = s3;
        this.endpoints = new StoreEndpoints(camel);
    }

    private AWS2S3Endpoint endpoint(String bucket, String operation) {
        String uri = "aws2-s3://" + bucket + (operation == null ? "" : "?operation=" + operation);
        return endpoints.endpoint(uri, () -> {
            AWS2S3Component component = camel.getComponent("aws2-s3", AWS2S3Component.class);
            AWS2S3Configuration c = component.getConfiguration() == null ? new AWS2S3Configuration()
                    : component.getConfiguration().copy();
            c.setBucketName(bucket);
            c.setAmazonS3Client(s3);
            c.setAutoCreateBucket(false);
            if (operation != null) {
                c.setOperation(AWS2S3Operations.valueOf(operation));
            }
            return new AWS2S3Endpoint(uri, component, c);
        });
    }

    @Override
    public void requireReachable() {
        java.net.URI uri = s3.serviceClientConfiguration().endpointOverride().orElseGet(() -> java.net.URI.create(
                "https://s3." + s3.serviceClientConfiguration().region().id() + ".amazonaws.com"));
        routes.common.Reachability.require("S3", uri);
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<BlobInfo> list(String bucket, String prefix) {
        List<S3Object> objects = endpoints.call(endpoint(bucket, "listObjects"),
                e -> e.getIn().setHeader(AWS2S3Constants.PREFIX, prefix)).getMessage().getBody(List.class);
        if (objects.size() >= PAGE) {
            objects = s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents().stream().toList();
        }
        List<BlobInfo> out = new ArrayList<>();
        for (S3Object o : objects) {
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
            HeadObjectResponse h = endpoints.call(endpoint(bucket, "headObject"),
                    e -> e.getIn().setHeader(AWS2S3Constants.KEY, name)).getMessage().getBody(HeadObjectResponse.class);
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
        return endpoints.call(endpoint(bucket, "getObject"), e -> e.getIn().setHeader(AWS2S3Constants.KEY, name))
                .getMessage().getBody(InputStream.class);
    }

    @Override
    public BlobInfo copy(String bucket, String from, String to) {
        endpoints.call(endpoint(bucket, "copyObject"), e -> {
            e.getIn().setHeader(AWS2S3Constants.KEY, from);
            e.getIn().setHeader(AWS2S3Constants.BUCKET_DESTINATION_NAME, bucket);
            e.getIn().setHeader(AWS2S3Constants.DESTINATION_KEY, to);
        });
        return stat(bucket, to).orElseThrow(() -> new IllegalStateException("copy of " + from + " to " + to + " vanished"));
    }

    @Override
    public void delete(String bucket, String name) {
        endpoints.call(endpoint(bucket, "deleteObject"), e -> e.getIn().setHeader(AWS2S3Constants.KEY, name));
    }

    @Override
    public void upload(String bucket, String name, Path file) {
        endpoints.call(endpoint(bucket, null), e -> {
            e.getIn().setHeader(AWS2S3Constants.KEY, name);
            e.getIn().setBody(file.toFile());
        });
    }

    @Override
    public String kind() {
        return "s3";
    }

    @Override
    public void close() {
        endpoints.close();
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
