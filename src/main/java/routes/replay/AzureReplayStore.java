package routes.replay;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.ListBlobsOptions;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/** Azure Blob Storage (Azurite in tests) through the Azure SDK, from {@code flowledger.azure.connection-string}. */
public final class AzureReplayStore implements ReplayStore {

    private final BlobServiceClient service;

    public AzureReplayStore(String connectionString) {
        this.service = new BlobServiceClientBuilder().connectionString(connectionString).buildClient();
    }

    private BlobContainerClient container(String bucket) {
        return service.getBlobContainerClient(bucket);
    }

    @Override
    public List<BlobInfo> list(String bucket, String prefix) {
        List<BlobInfo> out = new ArrayList<>();
        for (BlobItem item : container(bucket).listBlobs(new ListBlobsOptions().setPrefix(prefix), null)) {
            if (item.getName().endsWith("/") || Boolean.TRUE.equals(item.isPrefix())) {
                continue;
            }
            var p = item.getProperties();
            out.add(new BlobInfo(item.getName(), p.getContentLength() == null ? 0 : p.getContentLength(),
                    p.getETag(), hex(p.getContentMd5())));
        }
        out.sort(Comparator.comparing(BlobInfo::name));
        return out;
    }

    @Override
    public Optional<BlobInfo> stat(String bucket, String name) {
        BlobClient blob = container(bucket).getBlobClient(name);
        if (!blob.exists()) {
            return Optional.empty();
        }
        BlobProperties p = blob.getProperties();
        return Optional.of(new BlobInfo(name, p.getBlobSize(), p.getETag(), hex(p.getContentMd5())));
    }

    @Override
    public InputStream open(String bucket, String name) {
        return container(bucket).getBlobClient(name).openInputStream();
    }

    @Override
    public BlobInfo copy(String bucket, String from, String to) {
        BlobContainerClient c = container(bucket);
        BlobClient src = c.getBlobClient(from);
        BlobClient dst = c.getBlobClient(to);
        // The SDK's copy-from-URL, not Camel's copyBlob: Camel's ignores the destination name (see STACK.md).
        dst.beginCopy(src.getBlobUrl(), Duration.ofMillis(100)).waitForCompletion(Duration.ofMinutes(10));
        return stat(bucket, to).orElseThrow(() -> new IllegalStateException("copy of " + from + " to " + to + " vanished"));
    }

    @Override
    public void delete(String bucket, String name) {
        container(bucket).getBlobClient(name).deleteIfExists();
    }

    @Override
    public void upload(String bucket, String name, Path file) {
        container(bucket).getBlobClient(name).uploadFromFile(file.toString(), true);
    }

    @Override
    public String kind() {
        return "azure";
    }

    private static String hex(byte[] md5) {
        return md5 == null || md5.length == 0 ? null : HexFormat.of().formatHex(md5);
    }
}
