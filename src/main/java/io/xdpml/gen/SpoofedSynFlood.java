package io.xdpml.gen;

/**
 * A SYN flood from spoofed sources, as {@code hping3 -S -p 443 --flood --rand-source} sends it:
 * SYNs without options, window 512, each from a random address of the spoofedsyn range (a /10 by
 * default: about four million addresses, so nearly every SYN has a source of its own), random
 * source ports and sequence numbers, to one port of the victim ({@link ScenarioSettings#spoofedPort()});
 * never an ACK. No source sends enough to be named or blocked: only a limit on the victim's port
 * holds it (a firewall syn-limit measure).
 */
final class SpoofedSynFlood extends SingleKindScenario {
    SpoofedSynFlood(ScenarioSettings settings) {
        super(settings, TrafficKind.SPOOFEDSYN);
    }

    @Override
    int write() {
        int source = sources.host(random.nextInt(sources.count()));
        toVictim(source, FrameWriter.PROTO_TCP)
                .tcp(1024 + random.nextInt(64512), settings.spoofedPort(), random.nextInt(), 0, FrameWriter.SYN, 512, 0);
        return w.finish();
    }
}
