package io.xdpml.output;

/**
 * A host and port as operators write them: {@code PORT}, {@code HOST:PORT}, {@code [V6ADDR]:PORT}.
 * Not resolved here (a collector's name is resolved when the exporter starts).
 */
public record Endpoint(String host, int port) {
    public Endpoint {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("no host");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " is not in 1..65535");
        }
    }

    /**
     * Parses {@code [HOST:]PORT}; without a host, {@code defaultHost} (null: the host is required).
     *
     * @throws IllegalArgumentException saying what is wrong
     */
    public static Endpoint parse(String text, String defaultHost) {
        String t = text.strip();
        String host;
        String port;
        if (t.startsWith("[")) {
            int close = t.indexOf(']');
            if (close < 0 || close + 1 >= t.length() || t.charAt(close + 1) != ':') {
                throw new IllegalArgumentException("'" + text + "': expected [IPV6]:PORT");
            }
            host = t.substring(1, close);
            port = t.substring(close + 2);
        } else {
            int colon = t.lastIndexOf(':');
            if (colon >= 0 && t.indexOf(':') != colon) {
                throw new IllegalArgumentException("'" + text + "': write an IPv6 address in brackets, [ADDR]:PORT");
            }
            host = colon < 0 ? defaultHost : t.substring(0, colon);
            port = colon < 0 ? t : t.substring(colon + 1);
        }
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("'" + text + "': expected HOST:PORT");
        }
        int p;
        try {
            p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "': '" + port + "' is not a port number");
        }
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("'" + text + "': port " + p + " is not in 1..65535");
        }
        return new Endpoint(host, p);
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
