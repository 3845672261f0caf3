package routes.testkit;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import routes.sandbox.KafkaSandbox;

/** A real Kafka 3.9.1 KRaft broker on 127.0.0.1, once per test run: {@code @ExtendWith(KafkaServer.class)}. */
public class KafkaServer implements BeforeAllCallback {

    private static volatile KafkaSandbox kafka;

    @Override
    public void beforeAll(ExtensionContext context) {
        kafka = SharedServer.get(context, KafkaServer.class, KafkaSandbox::start);
    }

    public static String bootstrapServers() {
        return SharedServer.require(kafka, "KafkaServer").bootstrapServers();
    }
}
