package io.xdpml.gen;

import java.lang.foreign.MemorySegment;

/**
 * An endless, deterministic (seeded) sequence of valid Ethernet/IPv4 frames of one traffic
 * scenario. {@link #next()} builds the next frame in a buffer the scenario owns and reuses
 * (nothing is allocated per frame); its bytes are {@link #frame()} {@code [0, }{@link #length()}
 * {@code )} until the next call. Not thread-safe. Made by {@link Scenarios#create}.
 */
public interface Scenario {
    /** The scenario's name (benign, synflood, portscan, amplification, dnstunnel, mix). */
    String name();

    /** Builds the next frame; returns the kind it belongs to. */
    TrafficKind next();

    /** The buffer holding the frame built last, from byte 0. */
    MemorySegment frame();

    /** The length of the frame built last. */
    int length();
}
