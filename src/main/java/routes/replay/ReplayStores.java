package routes.replay;

import org.apache.camel.CamelContext;
import routes.app.Config;
import routes.common.AzureBlobClients;
import routes.common.S3Clients;

/** Makes the configured {@link ReplayStore}: {@code flowledger.replay.store} = azure (default) or s3. */
public final class ReplayStores {

    private ReplayStores() {
    }

    public static ReplayStore create(Config c, CamelContext camel) {
        return switch (c.get("flowledger.replay.store").toLowerCase()) {
            case "s3" -> new S3ReplayStore(S3Clients.create(c), camel);
            default -> new AzureReplayStore(AzureBlobClients.from(c::get), camel);
        };
    }
}
