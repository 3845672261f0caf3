package routes.sandbox;

import java.net.URI;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 API server (S3Proxy over an in-memory blob store) on 127.0.0.1 and a free port.
 * For the demo and the tests only: the service never starts it.
 */
public final class S3Sandbox implements AutoCloseable {

    public static final String ACCESS_KEY = "sandbox-access";
    public static final String SECRET_KEY = "sandbox-secret-key";

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final int port;

    private S3Sandbox(S3Proxy proxy, BlobStoreContext context, int port) {
        this.proxy = proxy;
        this.context = context;
        this.port = port;
    }

    public static S3Sandbox start() throws Exception {
        BlobStoreContext context = ContextBuilder.newBuilder("transient-nio2")
                .credentials("identity", "credential")
                .overrides(new Properties())
                .build(BlobStoreContext.class);
        int port = Ports.free();
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(context.getBlobStore())
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .build();
        proxy.start();
        long deadline = System.currentTimeMillis() + 20_000;
        while (!"STARTED".equals(proxy.getState())) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(20);
        }
        return new S3Sandbox(proxy, context, port);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public BlobStore blobStore() {
        return context.getBlobStore();
    }

    /** Creates a bucket if it does not exist yet. */
    public void createBucket(String name) {
        blobStore().createContainerInLocation(null, name);
    }

    @Override
    public void close() throws Exception {
        proxy.stop();
        context.close();
    }
}
