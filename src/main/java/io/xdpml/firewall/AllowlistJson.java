package io.xdpml.firewall;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The IP allowlist JSON of the VXLAN pipeline xdpml replaces:
 * <pre>
 * { "version": "...", "total_ips": 3,
 *   "organizations": [ { "name": "acme", "ips": ["192.0.2.1", "198.51.100.0/24"] } ],
 *   "flat_ip_list": ["192.0.2.1", "198.51.100.0/24", "2001:db8::1"] }
 * </pre>
 * becomes an allow list of sources with default drop. {@code total_ips} must equal the number of
 * entries of {@code flat_ip_list}, and every organization's IP must be in the flat list (so the
 * two views agree). Problems name the JSON line they were found on.
 */
public final class AllowlistJson {
    private AllowlistJson() {}

    /** A JSON value with the line it started on. */
    private record Located(Object value, int line) {}

    public static FirewallConfig parse(String text, String source) throws FirewallConfigException {
        List<String> problems = new ArrayList<>();
        Located root;
        try (JsonParser p = new JsonFactory().createParser(text)) {
            p.nextToken();
            root = read(p);
            if (p.nextToken() != null) {
                problems.add("line " + p.currentLocation().getLineNr() + ": content after the JSON object");
            }
        } catch (JsonParseException e) {
            throw new FirewallConfigException(source, List.of("line " + e.getLocation().getLineNr() + ": bad JSON: "
                    + e.getOriginalMessage()));
        } catch (IOException e) {
            throw new FirewallConfigException(source, List.of("cannot read: " + e.getMessage()));
        }
        if (!(root.value() instanceof Map<?, ?> top)) {
            throw new FirewallConfigException(source, List.of("line " + root.line() + ": expected a JSON object"));
        }
        for (String required : List.of("version", "total_ips", "flat_ip_list")) {
            if (!top.containsKey(required)) {
                problems.add("line " + root.line() + ": missing field '" + required + "'");
            }
        }
        Set<Prefix> flat = new LinkedHashSet<>();
        int flatCount = 0;
        Located flatList = (Located) top.get("flat_ip_list");
        if (flatList != null) {
            if (flatList.value() instanceof List<?> l) {
                for (Object o : l) {
                    Prefix pr = prefix((Located) o, "flat_ip_list", problems);
                    flatCount++;
                    if (pr != null && !flat.add(pr)) {
                        problems.add("line " + ((Located) o).line() + ": " + pr + " is in flat_ip_list twice");
                    }
                }
            } else {
                problems.add("line " + flatList.line() + ": 'flat_ip_list' must be a list");
            }
        }
        Located total = (Located) top.get("total_ips");
        if (total != null) {
            if (!(total.value() instanceof Long n)) {
                problems.add("line " + total.line() + ": 'total_ips' must be a whole number");
            } else if (flatList != null && n != flatCount) {
                problems.add("line " + total.line() + ": total_ips is " + n + " but flat_ip_list holds " + flatCount);
            }
        }
        Located orgs = (Located) top.get("organizations");
        if (orgs != null) {
            if (!(orgs.value() instanceof List<?> l)) {
                problems.add("line " + orgs.line() + ": 'organizations' must be a list");
            } else {
                for (Object o : l) {
                    Located org = (Located) o;
                    if (!(org.value() instanceof Map<?, ?> m) || !(m.get("name") instanceof Located name)
                            || !(name.value() instanceof String)) {
                        problems.add("line " + org.line() + ": an organization needs a 'name' string");
                        continue;
                    }
                    if (!(m.get("ips") instanceof Located ips) || !(ips.value() instanceof List<?> ipList)) {
                        problems.add("line " + org.line() + ": organization '" + name.value() + "' needs an 'ips' list");
                        continue;
                    }
                    for (Object ip : ipList) {
                        Prefix pr = prefix((Located) ip, "organization '" + name.value() + "'", problems);
                        if (pr != null && flatList != null && !flat.contains(pr)) {
                            problems.add("line " + ((Located) ip).line() + ": " + pr + " of organization '" + name.value()
                                    + "' is not in flat_ip_list");
                        }
                    }
                }
            }
        }
        if (!problems.isEmpty()) {
            throw new FirewallConfigException(source, problems);
        }
        FirewallConfig base = FirewallConfig.passAll();
        return new FirewallConfig(true, base.malformedPass(), false, false, base.timeoutSynNanos(),
                base.timeoutEstablishedNanos(), base.timeoutFinNanos(), base.timeoutUdpNanos(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, List.of(),
                List.of(), List.copyOf(flat), List.of(), List.of());
    }

    private static Prefix prefix(Located v, String where, List<String> problems) {
        if (!(v.value() instanceof String s)) {
            problems.add("line " + v.line() + ": " + where + ": expected an IP address string");
            return null;
        }
        try {
            return Prefix.parse(s.strip());
        } catch (IllegalArgumentException e) {
            problems.add("line " + v.line() + ": " + where + ": " + e.getMessage());
            return null;
        }
    }

    /** Reads the value at the current token: Map, List, String, Long, Double, Boolean or null. */
    private static Located read(JsonParser p) throws IOException {
        int line = p.currentTokenLocation().getLineNr();
        JsonToken t = p.currentToken();
        if (t == null) {
            throw new JsonParseException(p, "empty file");
        }
        return switch (t) {
            case START_OBJECT -> {
                Map<String, Located> m = new LinkedHashMap<>();
                while (p.nextToken() == JsonToken.FIELD_NAME) {
                    String name = p.currentName();
                    p.nextToken();
                    m.put(name, read(p));
                }
                yield new Located(m, line);
            }
            case START_ARRAY -> {
                List<Located> l = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    l.add(read(p));
                }
                yield new Located(l, line);
            }
            case VALUE_STRING -> new Located(p.getText(), line);
            case VALUE_NUMBER_INT -> new Located(p.getLongValue(), line);
            case VALUE_NUMBER_FLOAT -> new Located(p.getDoubleValue(), line);
            case VALUE_TRUE, VALUE_FALSE -> new Located(p.getBooleanValue(), line);
            default -> new Located(null, line);
        };
    }
}
