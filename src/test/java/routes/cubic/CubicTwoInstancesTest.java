package routes.cubic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import routes.app.FlowledgerApp;
import routes.testkit.PostgresServer;
import routes.testkit.S3Server;
import routes.testkit.TestApp;
import routes.testkit.TestDatabase;

/** Two flowledger instances on one PostgreSQL and one bucket: each of 500 loads is ingested exactly once. */
@ExtendWith({S3Server.class, PostgresServer.class})
class CubicTwoInstancesTest {

    @Test
    void two_instances_on_one_database_and_bucket_ingest_each_of_500_loads_exactly_once() throws Exception {
        try (CubicFixture f = new CubicFixture(TestDatabase.POSTGRES)) {
            int tables = 25;
            int perTable = 20;
            StringBuilder reg = new StringBuilder();
            for (int t = 0; t < tables; t++) {
                reg.append(reg.length() == 0 ? "" : ",").append("cubic__dmap__t").append(t).append("=cubic/dmap/t").append(t).append('/');
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> puts = new ArrayList<>();
            for (int t = 0; t < tables; t++) {
                for (int i = 0; i < perTable; i++) {
                    String key = "cubic/dmap/t" + t + "/202203" + String.format("%02d", i + 1) + ".csv";
                    String body = "id,value\n" + t + "-" + i + ",v\n";
                    puts.add(pool.submit(() -> f.put(key, body)));
                }
            }
            for (Future<?> p : puts) {
                p.get();
            }
            pool.shutdown();

            Map<String, String> a = f.settings(reg.toString());
            a.put("flowledger.cubic.instance-id", "instance-a");
            a.put("flowledger.cubic.batch-size", "10");
            Map<String, String> b = new java.util.LinkedHashMap<>(a);
            b.put("flowledger.cubic.instance-id", "instance-b");
            // Both start at once: they discover and claim the same objects concurrently.
            ExecutorService starter = Executors.newFixedThreadPool(2);
            Future<FlowledgerApp> fa = starter.submit(() -> TestApp.start(a));
            Future<FlowledgerApp> fb = starter.submit(() -> TestApp.start(b));
            f.apps.add(fa.get());
            f.apps.add(fb.get());
            starter.shutdown();
            assertThat(f.apps.get(0).httpPort()).isNotEqualTo(f.apps.get(1).httpPort());

            int total = tables * perTable;
            await().atMost(Duration.ofSeconds(170)).pollInterval(Duration.ofMillis(500)).until(() ->
                    f.count("SELECT COUNT(*) FROM cubic_loads WHERE status = 'archived'") == total);

            assertThat(f.count("SELECT COUNT(*) FROM cubic_loads")).as("each object discovered once").isEqualTo(total);
            assertThat(f.count("SELECT COUNT(*) FROM cubic_load_transitions WHERE to_status = 'ingesting'"))
                    .as("each load claimed for ingesting exactly once").isEqualTo(total);
            assertThat(f.count("SELECT COUNT(*) FROM (SELECT load_id FROM cubic_load_transitions WHERE to_status = 'archived'"
                    + " GROUP BY load_id HAVING COUNT(*) = 1) x")).isEqualTo(total);
            assertThat(f.count("SELECT COUNT(*) FROM cubic_loads WHERE attempts <> 1")).isZero();
            assertThat(f.count("SELECT COUNT(DISTINCT instance) FROM cubic_load_transitions WHERE to_status = 'ingesting'"))
                    .as("both instances did work").isEqualTo(2);
            assertThat(f.keys(f.springboard)).hasSize(total);
            assertThat(f.keys(f.archive)).hasSize(total);
            assertThat(f.keys(f.incoming)).isEmpty();
        }
    }
}
