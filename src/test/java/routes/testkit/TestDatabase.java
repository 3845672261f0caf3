package routes.testkit;

import java.util.UUID;

/**
 * The two metadata databases every DB test runs against:
 * {@code @ParameterizedTest @EnumSource(TestDatabase.class)}. Each {@link #newUrl()} is a fresh database.
 * POSTGRES needs {@code @ExtendWith(PostgresServer.class)} on the test class.
 */
public enum TestDatabase {
    H2 {
        @Override
        public String newUrl() {
            return "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1;MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;"
                    + "DEFAULT_NULL_ORDERING=HIGH";
        }

        @Override
        public String user() {
            return "sa";
        }

        @Override
        public String password() {
            return "";
        }
    },
    POSTGRES {
        @Override
        public String newUrl() {
            return PostgresServer.newDatabase();
        }

        @Override
        public String user() {
            return "postgres";
        }

        @Override
        public String password() {
            return "postgres";
        }
    };

    public abstract String newUrl();

    public abstract String user();

    public abstract String password();
}
