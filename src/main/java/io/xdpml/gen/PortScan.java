package io.xdpml.gen;

/**
 * A SYN scan as {@code nmap -sS -p-} sends it: one scanner (the first address of the portscan
 * range), one source port per pass, SYNs with an MSS option and window 1024 to every port of the
 * victim (1..65535) in a random order; a new pass (new order, new source port) after the last.
 */
final class PortScan extends SingleKindScenario {
    private final char[] ports = new char[65535];
    private int next = ports.length;
    private int sport;
    private int seq;

    PortScan(ScenarioSettings settings) {
        super(settings, TrafficKind.PORTSCAN);
        for (int i = 0; i < ports.length; i++) {
            ports[i] = (char) (i + 1);
        }
    }

    @Override
    int write() {
        if (next == ports.length) {
            for (int i = ports.length - 1; i > 0; i--) { // Fisher-Yates
                int j = random.nextInt(i + 1);
                char t = ports[i];
                ports[i] = ports[j];
                ports[j] = t;
            }
            next = 0;
            sport = 33000 + random.nextInt(27000);
            seq = random.nextInt();
        }
        toVictim(sources.host(0), FrameWriter.PROTO_TCP).tcp(sport, ports[next++], seq, 0, FrameWriter.SYN, 1024, 1460);
        return w.finish();
    }
}
