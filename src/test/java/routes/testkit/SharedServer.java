package routes.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Starts a real server once per test run (the first test class that asks for it) and stops it when the
 * run ends: JUnit closes what sits in the root context's store after the last test.
 */
final class SharedServer {

    private SharedServer() {
    }

    @FunctionalInterface
    interface Starter<T> {
        T start() throws Exception;
    }

    static <T extends AutoCloseable> T get(ExtensionContext context, Class<?> key, Starter<T> starter) {
        ExtensionContext.Store store = context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL);
        Holder<?> h = store.getOrComputeIfAbsent(key, k -> {
            try {
                return new Holder<>(starter.start());
            } catch (Exception e) {
                throw new IllegalStateException("could not start " + key.getSimpleName() + ": " + e.getMessage(), e);
            }
        }, Holder.class);
        @SuppressWarnings("unchecked")
        T server = (T) h.server;
        return server;
    }

    static <T> T require(T server, String name) {
        if (server == null) {
            throw new IllegalStateException(name + " is not started: add @ExtendWith(" + name + ".class) to the test class");
        }
        return server;
    }

    static final class Holder<T extends AutoCloseable> implements ExtensionContext.Store.CloseableResource {
        final T server;

        Holder(T server) {
            this.server = server;
        }

        @Override
        public void close() throws Throwable {
            server.close();
        }
    }

}
