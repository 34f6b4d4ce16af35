package io.xdpml.gen;

import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

/** A scenario of one traffic kind: its frame writer, random source and the settings. */
abstract class SingleKindScenario implements Scenario {
    /** Linux's default ephemeral port range, 32768..60999. */
    static final int EPHEMERAL_FIRST = 32768;
    static final int EPHEMERAL_COUNT = 28232;
    /** BACnet's UDP port lies in the ephemeral range and is an amplification service: benign clients avoid it. */
    static final int BACNET_PORT = 47808;

    final FrameWriter w = new FrameWriter();
    final ScenarioSettings settings;
    final SplittableRandom random;
    final TrafficKind kind;
    final Ipv4Range sources;
    private int length;

    SingleKindScenario(ScenarioSettings settings, TrafficKind kind) {
        this.settings = settings;
        this.kind = kind;
        this.sources = settings.source(kind);
        // one stream per kind, so a kind's frames do not depend on what else the mix holds
        this.random = new SplittableRandom(settings.seed() * 0x9E3779B97F4A7C15L + kind.ordinal());
    }

    /** Writes the next frame with {@link #w} and returns {@code w.finish()}. */
    abstract int write();

    @Override
    public final TrafficKind next() {
        length = write();
        return kind;
    }

    @Override
    public final MemorySegment frame() {
        return w.segment();
    }

    @Override
    public final int length() {
        return length;
    }

    @Override
    public String name() {
        return kind.cliName();
    }

    /** An ephemeral port (never BACnet's). */
    int ephemeralPort() {
        int p = EPHEMERAL_FIRST + random.nextInt(EPHEMERAL_COUNT);
        return p == BACNET_PORT ? p + 1 : p;
    }

    /** Starts an IPv4 frame from {@code src} to the victim. */
    FrameWriter toVictim(int src, int protocol) {
        return toVictim(src, protocol, 64);
    }

    /** Starts an IPv4 frame from {@code src} to the victim with the sender's initial TTL. */
    FrameWriter toVictim(int src, int protocol, int ttl) {
        return w.ipv4(settings.victimMac(), settings.sourceMac(), src, settings.victim(), protocol, random.nextInt(0x10000), ttl, true);
    }
}
