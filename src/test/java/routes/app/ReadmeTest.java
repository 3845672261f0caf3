package routes.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The README's configuration reference keeps up with application.properties. */
class ReadmeTest {

    @Test
    void every_configuration_key_is_documented_in_the_readme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Config defaults = Config.load(null, Map.of(), new Properties(), Map.of());
        var undocumented = defaults.asProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("flowledger."))
                .filter(k -> !readme.contains("`" + k + "`") && !documentedAsGroup(readme, k))
                .sorted().collect(Collectors.toList());
        assertThat(undocumented).as("keys missing from README.md").isEmpty();
    }

    /** "`flowledger.db.user` / `.password`" documents flowledger.db.password too. */
    private static boolean documentedAsGroup(String readme, String key) {
        int dot = key.lastIndexOf('.');
        String parent = key.substring(0, dot);
        String last = key.substring(dot);
        return readme.lines().anyMatch(l -> l.contains("`" + parent + ".") && l.contains("`" + last + "`"))
                || key.matches("flowledger\\.[a-z-]+\\.enabled") && readme.contains("`flowledger.<pipeline>.enabled`");
    }
}
