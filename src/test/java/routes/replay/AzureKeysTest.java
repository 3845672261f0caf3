package routes.replay;

import routes.app.StartupChecks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import routes.app.Config;
import routes.app.FlowledgerApp;
import routes.common.AzureBlobClients;

/** The Azure credential keys: each credential needs its own keys and refuses the others', in one line at start. */
class AzureKeysTest {

    static Config config(Map<String, String> azure) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("flowledger.replay.enabled", "true");
        s.putAll(azure);
        return Config.load(null, Map.of(), new Properties(), s);
    }

    @Test
    void each_credential_needs_its_own_keys_and_refuses_the_keys_of_another() {
        assertThatThrownBy(() -> StartupChecks.validate(config(Map.of("flowledger.azure.credential", "sas",
                "flowledger.azure.endpoint", "https://acct.blob.core.windows.net"))))
                .hasMessageStartingWith("flowledger.azure.sas-token: is required with flowledger.azure.credential=sas");
        assertThatThrownBy(() -> StartupChecks.validate(config(Map.of("flowledger.azure.credential", "sas",
                "flowledger.azure.endpoint", "https://acct.blob.core.windows.net", "flowledger.azure.sas-token",
                "not-a-sas-value"))))
                .hasMessageStartingWith("flowledger.azure.sas-token: value (secret) is not a SAS token")
                .hasMessageNotContaining("not-a-sas-value");
        assertThatThrownBy(() -> StartupChecks.validate(config(Map.of("flowledger.azure.connection-string",
                "AccountName=a;AccountKey=k", "flowledger.azure.sas-token", "sv=1&sig=x"))))
                .hasMessageStartingWith("flowledger.azure.sas-token: value (secret) is set but flowledger.azure.credential"
                        + " is connection-string, which does not use it");
        assertThatThrownBy(() -> StartupChecks.validate(config(Map.of("flowledger.azure.credential", "default",
                "flowledger.azure.endpoint", "https://acct.blob.core.windows.net?sv=1&sig=x"))))
                .hasMessageStartingWith("flowledger.azure.endpoint: value 'https://acct.blob.core.windows.net?sv=1&sig=x'"
                        + " must be the account's blob URL");
        assertThatThrownBy(() -> StartupChecks.validate(config(Map.of("flowledger.azure.credential", "key"))))
                .hasMessageStartingWith("flowledger.azure.credential: value 'key' must be one of connection-string, sas,"
                        + " default");
    }

    @Test
    void default_azure_credential_builds_a_client_for_the_endpoint_without_any_secret() {
        Config c = config(Map.of("flowledger.azure.credential", "default",
                "flowledger.azure.endpoint", "https://acct.blob.core.windows.net"));
        StartupChecks.validate(c);
        // Only construction can be tested here: signing in needs a managed identity, which this machine has not.
        assertThat(AzureBlobClients.from(c::get).client().getAccountName()).isEqualTo("acct");
    }
}
