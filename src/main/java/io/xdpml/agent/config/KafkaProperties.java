package io.xdpml.agent.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;

/**
 * Checks {@code outputs.kafka.properties} when the file is loaded, against the clients the agent
 * builds from them (producer, consumer, admin): a name none of them knows but that is within two
 * letters of one is a typo and a problem (Kafka only logs it, and a mistyped
 * {@code security.protocol} connected in plaintext); other unknown names pass through (properties
 * of interceptors, reporters, callbacks, newer clients). A known name's value its client would
 * refuse at start ({@code acks: banana}) is a problem too, with Kafka's own reason.
 */
final class KafkaProperties {
    private static final Map<String, ConfigDef.ConfigKey> KEYS = keys();

    private KafkaProperties() {}

    private static Map<String, ConfigDef.ConfigKey> keys() {
        Map<String, ConfigDef.ConfigKey> k = new TreeMap<>();
        for (ConfigDef d : List.of(ProducerConfig.configDef(), ConsumerConfig.configDef(), AdminClientConfig.configDef())) {
            d.configKeys().forEach(k::putIfAbsent);
        }
        return k;
    }

    /** Whether the clients read {@code name} as a number (an integer YAML read is then passed as its value, 1_000 as 1000). */
    static boolean numeric(String name) {
        ConfigDef.ConfigKey key = KEYS.get(name);
        return key != null && switch (key.type) {
            case INT, LONG, SHORT, DOUBLE -> true;
            default -> false;
        };
    }

    /** Why {@code name: value} cannot be given to the agent's Kafka clients, or null when it can. */
    static String problem(String name, String value) {
        ConfigDef.ConfigKey key = KEYS.get(name);
        if (key == null) {
            List<String> near = new ArrayList<>();
            for (String known : KEYS.keySet()) {
                if (distance(name, known) <= 2) {
                    near.add(known);
                }
            }
            return near.isEmpty() ? null // not a typo of theirs: passed through, for whatever reads it
                    : "'" + name + "' is not a property of Kafka's producer, consumer or admin client; did you mean "
                            + String.join(" or ", near.stream().map(n -> "'" + n + "'").toList()) + "?";
        }
        try {
            Object parsed = ConfigDef.parseType(name, value, key.type);
            if (key.validator != null) {
                key.validator.ensureValid(name, parsed);
            }
            return null;
        } catch (ConfigException | IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** Levenshtein distance, for a typo's suggestion. */
    private static int distance(String a, String b) {
        if (Math.abs(a.length() - b.length()) > 2) {
            return 3;
        }
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
