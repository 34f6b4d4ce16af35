package io.xdpml.gen;

/**
 * A SYN flood as hping3 sends it ({@code hping3 -S -p 80 --flood}): SYNs without options, window
 * 512, from the attackers of the synflood range, random source ports and sequence numbers, to
 * one port of the victim; never an ACK.
 */
final class SynFlood extends SingleKindScenario {
    SynFlood(ScenarioSettings settings) {
        super(settings, TrafficKind.SYNFLOOD);
    }

    @Override
    int write() {
        int attacker = sources.host(random.nextInt(sources.count()));
        toVictim(attacker, FrameWriter.PROTO_TCP)
                .tcp(1024 + random.nextInt(64512), settings.floodPort(), random.nextInt(), 0, FrameWriter.SYN, 512, 0);
        return w.finish();
    }
}
