package routes.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * Only the tests need Azurite: the build's {@code npm ci} runs in a profile that is active only when tests run, so
 * {@code mvn -B package -DskipTests} installs nothing from npm (a fresh clone's {@code mvn -B verify} still does).
 */
class BuildTest {

    @Test
    void npm_ci_runs_only_when_tests_run_and_azurite_is_missing() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Path.of("pom.xml").toFile());
        NodeList profiles = pom.getElementsByTagName("profile");
        List<Element> installing = new ArrayList<>();
        for (int i = 0; i < profiles.getLength(); i++) {
            Element p = (Element) profiles.item(i);
            if (p.getTextContent().contains("<executable>") || text(p, "executable").equals("npm")) {
                installing.add(p);
            }
        }
        assertThat(installing).as("one profile runs npm").hasSize(1);
        Element activation = (Element) installing.get(0).getElementsByTagName("activation").item(0);
        assertThat(text(activation, "missing")).isEqualTo("node_modules/azurite/package.json");
        assertThat(text(activation, "name")).as("inactive with -DskipTests").isEqualTo("!skipTests");
        // The main build (outside profiles) never runs npm.
        Element build = (Element) pom.getDocumentElement().getElementsByTagName("build").item(0);
        assertThat(build.getParentNode()).isEqualTo(pom.getDocumentElement());
        assertThat(build.getTextContent()).doesNotContain("npm");
    }

    private static String text(Element e, String tag) {
        NodeList n = e.getElementsByTagName(tag);
        return n.getLength() == 0 ? "" : n.item(0).getTextContent().trim();
    }
}
