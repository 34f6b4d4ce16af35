package io.xdpml.model.file;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/** Strict reading of one JSON object: every error names the field's path. */
final class JsonFields {
    private static final BigInteger U64_LIMIT = BigInteger.ONE.shiftLeft(64);

    private final String source;
    private final String path;
    private final JsonNode node;

    JsonFields(String source, String path, JsonNode node) {
        this.source = source;
        this.path = path;
        this.node = node;
        if (node == null || !node.isObject()) {
            throw error(path.isEmpty() ? "the file must hold a JSON object" : "must be an object");
        }
    }

    ModelFileException error(String reason) {
        return error(path, reason);
    }

    ModelFileException error(String field, String reason) {
        return new ModelFileException(source + ": " + (field.isEmpty() ? "" : "field '" + field + "': ") + reason);
    }

    private String at(String name) {
        return path.isEmpty() ? name : path + "." + name;
    }

    JsonNode required(String name) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            throw error(at(name), "missing");
        }
        return v;
    }

    boolean has(String name) {
        return node.has(name) && !node.get(name).isNull();
    }

    JsonFields object(String name) {
        return new JsonFields(source, at(name), required(name));
    }

    JsonNode raw(String name) {
        return required(name);
    }

    String string(String name) {
        JsonNode v = required(name);
        if (!v.isTextual()) {
            throw error(at(name), "must be a string");
        }
        return v.asText();
    }

    int integer(String name) {
        JsonNode v = required(name);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw error(at(name), "must be an integer");
        }
        return v.intValue();
    }

    private JsonNode array(String name) {
        JsonNode v = required(name);
        if (!v.isArray()) {
            throw error(at(name), "must be an array");
        }
        return v;
    }

    List<String> strings(String name) {
        JsonNode a = array(name);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            if (!a.get(i).isTextual()) {
                throw error(at(name) + "[" + i + "]", "must be a string");
            }
            out.add(a.get(i).asText());
        }
        return out;
    }

    int[] ints(String name) {
        JsonNode a = array(name);
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToInt()) {
                throw error(at(name) + "[" + i + "]", "must be a 32-bit integer, not " + v);
            }
            out[i] = v.intValue();
        }
        return out;
    }

    /** Unsigned 64-bit integers (stored as plain JSON numbers). */
    long[] u64s(String name) {
        JsonNode a = array(name);
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isIntegralNumber()) {
                throw error(at(name) + "[" + i + "]", "must be an integer, not " + v);
            }
            BigInteger b = v.bigIntegerValue();
            if (b.signum() < 0 || b.compareTo(U64_LIMIT) >= 0) {
                throw error(at(name) + "[" + i + "]", "must be in 0..2^64-1, not " + b);
            }
            out[i] = b.longValue();
        }
        return out;
    }

    byte[] int8s(String name) {
        int[] v = ints(name);
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            if (v[i] < -127 || v[i] > 127) {
                throw error(at(name) + "[" + i + "]", "must be in -127..127, not " + v[i]);
            }
            out[i] = (byte) v[i];
        }
        return out;
    }

    double[] doubles(String name) {
        JsonNode a = array(name);
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = a.get(i);
            if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
                throw error(at(name) + "[" + i + "]", "must be a finite number, not " + v);
            }
            out[i] = v.doubleValue();
        }
        return out;
    }

    List<JsonFields> objects(String name) {
        JsonNode a = array(name);
        List<JsonFields> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            out.add(new JsonFields(source, at(name) + "[" + i + "]", a.get(i)));
        }
        return out;
    }

    String path() {
        return path;
    }

    /**
     * Refuses a key of this object other than {@code known}: a misspelled optional key would
     * otherwise read as absent (e.g. {@code leaf_confidences}: every leaf at full confidence).
     */
    void onlyKeys(String... known) {
        List<String> k = List.of(known);
        for (var it = node.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (!k.contains(name)) {
                throw error(at(name), "unknown key (" + (path.isEmpty() ? "the file" : "'" + path + "'") + " has " + String.join(", ", k) + ")");
            }
        }
    }
}
