package routes.app.logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;

/** The readable log layout: logback's pattern layout with configured secrets masked. */
public class MaskingPatternLayout extends PatternLayout {
    @Override
    public String doLayout(ILoggingEvent event) {
        return Secrets.mask(super.doLayout(event));
    }
}
