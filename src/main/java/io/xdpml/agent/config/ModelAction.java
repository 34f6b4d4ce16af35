package io.xdpml.agent.config;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** What the model stage does with a packet of a class. */
public enum ModelAction {
    PASS,
    DROP,
    /** Count it; the packet goes on through the stages after the model. */
    COUNT,
    /** Hand it to Java (the delivery stage). */
    JAVA;

    /** As written in the file: pass, drop, count, java. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    static List<String> ids() {
        return Arrays.stream(values()).map(ModelAction::id).toList();
    }

    static ModelAction of(String id) {
        return valueOf(id.toUpperCase(Locale.ROOT));
    }
}
