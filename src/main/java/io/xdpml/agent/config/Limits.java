package io.xdpml.agent.config;

/** Bounds shared by the sections. */
final class Limits {
    /** The most entries a kernel table (blocks, connections, sources, flows) may be given here. */
    static final int MAX_TABLE = 1 << 24;
    static final int DEFAULT_TABLE = 1 << 16;

    private Limits() {}

    static void table(String what, long n) {
        if (n < 1 || n > MAX_TABLE) {
            throw new IllegalArgumentException(what + " must be 1 to " + MAX_TABLE + ", not " + n);
        }
    }

    static void notNegative(String what, java.time.Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException(what + " must not be negative");
        }
    }

    static void positive(String what, java.time.Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(what + " must be more than 0");
        }
    }
}
