package routes.replay;

import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobStorageException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.apache.camel.CamelContext;
import org.apache.camel.component.azure.storage.blob.BlobComponent;
import org.apache.camel.component.azure.storage.blob.BlobConfiguration;
import org.apache.camel.component.azure.storage.blob.BlobConstants;
import org.apache.camel.component.azure.storage.blob.BlobOperationsDefinition;
import org.apache.camel.component.azure.storage.blob.BlobEndpoint;
import routes.common.AzureBlobClients;

/**
 * Azure Blob Storage (Azurite in tests), with the client {@link AzureBlobClients} makes from {@code flowledger.azure.*}
 * (connection string, SAS token or DefaultAzureCredential): listed, read, deleted and
 * written through Camel's azure-storage-blob component. Copies use the SDK's copy-from-URL: the component's copy
 * ignores a destination name (STACK.md), and a backup must live under a new name.
 */
public final class AzureReplayStore implements ReplayStore {

    private final AzureBlobClients azure;
    private final BlobServiceClient service;
    private final StoreEndpoints endpoints;
    private final String account;
    private final CamelContext camel;

    public AzureReplayStore(AzureBlobClients azure, CamelContext camel) {
        this.camel = camel;
        this.azure = azure;
        this.service = azure.client();
        this.endpoints = new StoreEndpoints(camel);
        this.account = service.getAccountName();
    }

    private BlobEndpoint endpoint(String bucket, String operation) {
        String uri = "azure-storage-blob://" + account + "/" + bucket + "?operation=" + operation;
        return endpoints.endpoint(uri, () -> {
            BlobComponent component = camel.getComponent("azure-storage-blob", BlobComponent.class);
            BlobConfiguration c = component.getConfiguration() == null ? new BlobConfiguration()
                    : component.getConfiguration().copy();
            c.setAccountName(account);
            c.setContainerName(bucket);
            c.setServiceClient(service);
            c.setOperation(BlobOperationsDefinition.valueOf(operation));
            return new BlobEndpoint(uri, component, c);
        });
    }

    @Override
    public void requireReachable() {
        routes.common.Reachability.require("Azure Blob", java.net.URI.create(service.getAccountUrl()));
    }

    @Override
    @SuppressWarnings("unchecked")
    public List<BlobInfo> list(String bucket, String prefix) {
        List<BlobItem> items = endpoints.call(endpoint(bucket, "listBlobs"),
                e -> e.getIn().setHeader(BlobConstants.PREFIX, prefix)).getMessage().getBody(List.class);
        List<BlobInfo> out = new ArrayList<>();
        for (BlobItem item : items) {
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
        return list(bucket, name).stream().filter(b -> b.name().equals(name)).findFirst();
    }

    @Override
    public InputStream open(String bucket, String name) {
        return endpoints.call(endpoint(bucket, "getBlob"), e -> e.getIn().setHeader(BlobConstants.BLOB_NAME, name))
                .getMessage().getBody(InputStream.class);
    }

    @Override
    public BlobInfo copy(String bucket, String from, String to) {
        BlobContainerClient c = service.getBlobContainerClient(bucket);
        BlobClient src = c.getBlobClient(from);
        c.getBlobClient(to).beginCopy(azure.copySource(src), Duration.ofMillis(100)).waitForCompletion(Duration.ofMinutes(10));
        return stat(bucket, to).orElseThrow(() -> new IllegalStateException("copy of " + from + " to " + to + " vanished"));
    }

    @Override
    public void delete(String bucket, String name) {
        try {
            endpoints.call(endpoint(bucket, "deleteBlob"), e -> e.getIn().setHeader(BlobConstants.BLOB_NAME, name));
        } catch (BlobStorageException e) {
            if (e.getStatusCode() != 404) {
                throw e; // already gone is what a delete wants
            }
        }
    }

    @Override
    public void upload(String bucket, String name, Path file) {
        endpoints.call(endpoint(bucket, "uploadBlockBlob"), e -> {
            e.getIn().setHeader(BlobConstants.BLOB_NAME, name);
            e.getIn().setBody(file.toFile());
        });
    }

    @Override
    public String kind() {
        return "azure";
    }

    @Override
    public void close() {
        endpoints.close();
    }

    private static String hex(byte[] md5) {
        return md5 == null || md5.length == 0 ? null : HexFormat.of().formatHex(md5);
    }
}
