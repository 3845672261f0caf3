package routes.common.lineage;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import routes.common.lineage.LineageJob.Dataset;

/** Dataset names per the OpenLineage naming spec, for each kind of source and sink flowledger touches. */
class LineageNamesTest {

    @Test
    void snowflake_table_is_named_by_organisation_account_and_database_schema_table() {
        Dataset d = LineageNames.jdbc("jdbc:snowflake://myorg-myaccount.snowflakecomputing.com/?db=SALES&schema=PUBLIC"
                + "&warehouse=WH", "SALES.PUBLIC.INVOICES");
        assertThat(d.namespace()).isEqualTo("snowflake://myorg-myaccount");
        assertThat(d.name()).isEqualTo("SALES.PUBLIC.INVOICES");
    }

    @Test
    void postgres_table_is_named_by_host_port_and_database_schema_table() {
        Dataset d = LineageNames.jdbc("jdbc:postgresql://db.example.com:5432/shop", "public.orders");
        assertThat(d.namespace()).isEqualTo("postgres://db.example.com:5432");
        assertThat(d.name()).isEqualTo("shop.public.orders");
    }

    @Test
    void the_table_of_a_source_query_is_its_first_from() {
        assertThat(LineageNames.tableOf("SELECT id, amount FROM sales.public.invoices WHERE day = :#date"))
                .isEqualTo("sales.public.invoices");
        assertThat(LineageNames.tableOf("select * from \"Invoices\" i join x on true")).isEqualTo("Invoices");
        assertThat(LineageNames.tableOf("VALUES (1)")).isNull();
    }

    @Test
    void s3_kafka_azure_and_http_follow_the_spec() {
        assertThat(LineageNames.s3("cubic-incoming", "cubic/dmap/agg_sample/"))
                .isEqualTo(new Dataset("s3://cubic-incoming", "cubic/dmap/agg_sample/"));
        assertThat(LineageNames.kafka("SASL_SSL://b1.example.com:9093,b2:9093", "replayed"))
                .isEqualTo(new Dataset("kafka://b1.example.com:9093", "replayed"));
        assertThat(LineageNames.azureBlob("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=x;",
                "telemetry", "ingest/")).isEqualTo(new Dataset("wasbs://telemetry@devstoreaccount1.blob.core.windows.net",
                "ingest/"));
        assertThat(LineageNames.http("https://user:pw@API.roket.example:8443/api/records?token=secret"))
                .isEqualTo(new Dataset("https://api.roket.example:8443", "/api/records"));
    }

    @Test
    void a_non_uuid_correlation_id_gets_a_stable_name_based_uuid_and_a_uuid_is_kept() {
        assertThat(LineageEvents.runId("demo-invoices-4242")).isEqualTo(LineageEvents.runId("demo-invoices-4242"))
                .isNotEqualTo(LineageEvents.runId("demo-invoices-4243"));
        assertThat(LineageEvents.runId("demo-invoices-4242").version()).isEqualTo(3);
        String uuid = "0b6c3f7e-9d1a-4c1e-8f43-2b8a6f1d9e55";
        assertThat(LineageEvents.runId(uuid).toString()).isEqualTo(uuid);
    }

    @Test
    void snowflake_table_without_database_and_schema_takes_them_from_the_url() {
        Dataset d = LineageNames.jdbc("jdbc:snowflake://myorg-myaccount.snowflakecomputing.com/?db=SALES&schema=PUBLIC",
                "INVOICES");
        assertThat(d).isEqualTo(new Dataset("snowflake://myorg-myaccount", "SALES.PUBLIC.INVOICES"));
    }

    @Test
    void a_database_without_a_spec_scheme_keeps_its_url_without_settings() {
        assertThat(LineageNames.jdbc("jdbc:h2:mem:src;MODE=PostgreSQL;PASSWORD=x", "invoices").namespace())
                .isEqualTo("h2:mem:src");
    }
}
