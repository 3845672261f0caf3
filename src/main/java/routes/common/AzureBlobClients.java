package routes.common;

import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.BlobServiceClientBuilder;
import com.azure.storage.blob.models.BlobStorageException;
import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * The one place a {@link BlobServiceClient} is made from {@code flowledger.azure.*}, with one of three credentials
 * ({@code flowledger.azure.credential}): a connection string (account key; Azurite's works), a SAS token for an
 * endpoint (access limited in scope and time, no account key on the machine), or {@code default}:
 * {@code DefaultAzureCredential} (managed identity, workload identity on AKS, environment, Azure CLI) for an endpoint.
 *
 * <p>Takes a configuration lookup, not {@code routes.app.Config} ({@code routes.common} does not depend on the
 * application layer); problems are {@link InvalidSetting} (key, problem).
 */
public final class AzureBlobClients {

    public static final String CREDENTIAL = "flowledger.azure.credential";
    public static final String CONNECTION_STRING = "flowledger.azure.connection-string";
    public static final String ENDPOINT = "flowledger.azure.endpoint";
    public static final String SAS_TOKEN = "flowledger.azure.sas-token";
    static final List<String> CREDENTIALS = List.of("connection-string", "sas", "default");

    private final Function<String, String> config;

    private AzureBlobClients(Function<String, String> config) {
        this.config = config;
    }

    public static AzureBlobClients from(Function<String, String> config) {
        return new AzureBlobClients(key -> {
            String v = config.apply(key);
            return v == null ? "" : v.trim();
        });
    }

    public String credential() {
        String c = config.apply(CREDENTIAL).toLowerCase(Locale.ROOT);
        return c.isEmpty() ? "connection-string" : c;
    }

    /**
     * Checks the keys of the chosen credential and refuses those of another one: a SAS token left beside a connection
     * string would silently not be used.
     */
    public void validate() {
        String credential = credential();
        if (!CREDENTIALS.contains(credential)) {
            throw new InvalidSetting(CREDENTIAL, "must be one of " + String.join(", ", CREDENTIALS));
        }
        if (credential.equals("connection-string")) {
            required(CONNECTION_STRING);
            unused(ENDPOINT);
            unused(SAS_TOKEN);
            return;
        }
        required(ENDPOINT);
        try {
            URI u = URI.create(config.apply(ENDPOINT));
            if (u.getScheme() == null || u.getHost() == null || u.getRawQuery() != null) {
                throw new IllegalArgumentException();
            }
        } catch (IllegalArgumentException e) {
            throw new InvalidSetting(ENDPOINT, "must be the account's blob URL such as https://ACCOUNT.blob.core.windows.net"
                    + " (no query: the SAS token goes in " + SAS_TOKEN + ")");
        }
        unused(CONNECTION_STRING);
        if (credential.equals("sas")) {
            required(SAS_TOKEN);
            if (!sasToken().contains("sig=")) {
                throw new InvalidSetting(SAS_TOKEN, "is not a SAS token (it has no sig= part)");
            }
        } else {
            unused(SAS_TOKEN);
        }
    }

    private void required(String key) {
        if (config.apply(key).isEmpty()) {
            throw new InvalidSetting(key, "is required with " + CREDENTIAL + "=" + credential());
        }
    }

    private void unused(String key) {
        if (!config.apply(key).isEmpty()) {
            throw new InvalidSetting(key, "is set but " + CREDENTIAL + " is " + credential() + ", which does not use it");
        }
    }

    private String sasToken() {
        String t = config.apply(SAS_TOKEN);
        return t.startsWith("?") ? t.substring(1) : t;
    }

    public BlobServiceClient client() {
        BlobServiceClientBuilder b = new BlobServiceClientBuilder();
        switch (credential()) {
            case "sas" -> b.endpoint(config.apply(ENDPOINT)).sasToken(sasToken());
            case "default" -> b.endpoint(config.apply(ENDPOINT)).credential(new DefaultAzureCredentialBuilder().build());
            default -> b.connectionString(config.apply(CONNECTION_STRING));
        }
        return b.buildClient();
    }

    /**
     * The URL a server-side copy reads {@code source} from. With a SAS the source needs the token too (the service
     * authorises the copy's source separately); with an account key or an Entra ID token the same account's blob is
     * authorised by the request itself.
     */
    public String copySource(BlobClient source) {
        return credential().equals("sas") ? source.getBlobUrl() + "?" + sasToken() : source.getBlobUrl();
    }

    /**
     * Asks for {@code container}'s properties once, so refused credentials (an expired or wrong SAS, an identity
     * without a role) stop a run in one line before it changes anything. A missing container is not this check's
     * business: the run reports it in its own words.
     */
    public void verify(BlobServiceClient service, String container) {
        if (Reachability.problem(java.net.URI.create(service.getAccountUrl())) != null) {
            // Nothing answers: asking would sit through the SDK's retries (~45 s) and their ERROR lines. The run's
            // pre-flight names the unreachable store in one line, in seconds.
            return;
        }
        try {
            // Listing (what a run does first) works with a container-scoped SAS too, unlike the container's properties.
            service.getBlobContainerClient(container)
                    .listBlobs(new com.azure.storage.blob.models.ListBlobsOptions().setMaxResultsPerPage(1), null)
                    .iterator().hasNext();
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 401 || e.getStatusCode() == 403) {
                String key = switch (credential()) {
                    case "sas" -> SAS_TOKEN;
                    case "default" -> CREDENTIAL;
                    default -> CONNECTION_STRING;
                };
                throw new InvalidSetting(key, "Azure Blob authentication failed at " + service.getAccountUrl() + " ("
                        + credential() + "): " + e.getStatusCode() + " " + e.getErrorCode());
            }
        } catch (RuntimeException e) {
            if (e.getClass().getName().startsWith("com.azure.identity")) {
                throw new InvalidSetting(CREDENTIAL, "DefaultAzureCredential found no identity: "
                        + e.getMessage().lines().findFirst().orElse(""));
            }
            // unreachable or another error: the run reports it where it happens
        }
    }
}
