package io.xdpml.cli;

import io.xdpml.gen.FrameSink;
import io.xdpml.gen.Ipv4Range;
import io.xdpml.gen.PcapSink;
import io.xdpml.gen.Scenario;
import io.xdpml.gen.ScenarioSender;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.Scenarios;
import io.xdpml.gen.TestRunSink;
import io.xdpml.gen.TrafficKind;
import io.xdpml.gen.XskSink;
import io.xdpml.kernel.BpfSupport;
import io.xdpml.kernel.Interfaces;
import io.xdpml.pipeline.LiveFrameGenerator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code xdpml gen}: real frames out of an interface (live frames or AF_XDP TX), or a scenario into a pcap file. */
@Command(name = "gen", mixinStandardHelpOptions = true,
        header = "Send real frames out of an interface: attack/benign scenarios, one frame kind, or a capture replayed.",
        description = {"--scenario sends a seeded scenario: benign (HTTP connections, DNS, ICMP, NTP from benign clients),"
            + " synflood, portscan, amplification (DNS/NTP/memcached responses), dnstunnel, spoofedsyn (SYNs from a random"
            + " spoofed source each), or mix (all interleaved by --mix shares); each kind comes from its own source range"
            + " (docs/gen.md). Two ways: testrun (BPF_PROG_TEST_RUN live frames returning XDP_TX, one test run per frame:"
            + " tens of kpps) and xsk (AF_XDP TX, copy mode on veth: hundreds of kpps). --write FILE.pcap writes the"
            + " scenario to a capture instead (no root; timestamps follow --rate, default 1000/s).",
            "Without --scenario: one --frame kind repeated (Mpps), or --capture replayed.",
            "Into a veth pair, live frames reach the peer only when the peer has an XDP program attached. Sending needs root."})
final class GenCommand implements Callable<Integer> {
    /** Capture rate when --write is given without --rate. */
    static final long DEFAULT_WRITE_RATE = 1000;
    /** Frames of a scenario when neither --count nor --duration is given. */
    static final long DEFAULT_SCENARIO_FRAMES = 10_000;

    enum Way { testrun, xsk }

    @Spec
    CommandSpec spec;

    @Option(names = "--iface", paramLabel = "IF", description = "interface to send out of (not with --write)")
    String iface;

    @Option(names = "--scenario", paramLabel = "NAME",
            description = "benign, synflood, portscan, amplification, dnstunnel, spoofedsyn or mix")
    String scenario;

    @Option(names = "--way", defaultValue = "testrun", paramLabel = "testrun|xsk", description = "with --scenario: testrun or xsk (default: ${DEFAULT-VALUE})")
    Way way;

    @Option(names = "--write", paramLabel = "FILE.pcap", description = "with --scenario: write a pcap file instead of sending")
    Path write;

    @Option(names = "--duration", paramLabel = "S",
            description = "with --scenario: seconds to send (with --write: seconds of capture time at --rate)")
    Double duration;

    @Option(names = "--victim", paramLabel = "IP", description = "with --scenario: the victim's IPv4 address (default 10.99.0.1)")
    String victim;

    @Option(names = "--victim-mac", paramLabel = "MAC", description = "with --scenario: destination MAC (default 02:00:00:00:00:02)")
    String victimMac;

    @Option(names = "--source-mac", paramLabel = "MAC", description = "with --scenario: source MAC (default 02:00:00:00:00:01)")
    String sourceMac;

    @Option(names = "--sources", paramLabel = "KIND=PREFIX", split = ",",
            description = "with --scenario: a kind's source range, e.g. synflood=10.66.0.0/29,portscan=10.77.0.7 (repeatable)")
    java.util.List<String> sources = new java.util.ArrayList<>();

    @Option(names = "--mix", paramLabel = "KIND=W,...",
            description = "with --scenario mix: shares (default " + ScenarioSettings.DEFAULT_SHARES + ")")
    String mix;

    @Option(names = "--flood-port", defaultValue = "80", paramLabel = "PORT", description = "with --scenario: port the SYN flood hits (default: ${DEFAULT-VALUE})")
    int floodPort;

    @Option(names = "--spoofed-port", defaultValue = "443", paramLabel = "PORT",
            description = "with --scenario: port the spoofed SYN flood hits (default: ${DEFAULT-VALUE})")
    int spoofedPort;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "with --scenario: seed; the same seed sends the same frames (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--frame", defaultValue = "udp4", paramLabel = "KIND", description = "frame kind: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    BenchCommand.FrameKind frame;

    @Option(names = "--size", defaultValue = "64", paramLabel = "N", description = "frame size in bytes (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--count", paramLabel = "N",
            description = "frames to send (default: 1000000 of a --frame kind; 10000 of a scenario without --duration)")
    Long count;

    @Option(names = "--rate", defaultValue = "0", paramLabel = "PPS",
            description = "frames per second, in bursts (0: flat out; with --write: the capture's rate, default 1000)")
    long rate;

    @Option(names = "--capture", paramLabel = "FILE", description = "replay this capture's frames instead")
    Path capture;

    @Option(names = "--loops", defaultValue = "1", paramLabel = "N", description = "with --capture: times to replay it (default: ${DEFAULT-VALUE})")
    int loops;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if ((count != null && count < 0) || rate < 0 || loops < 1 || (duration != null && !(duration > 0))) {
            throw new IllegalArgumentException("--count and --rate must be >= 0, --duration > 0, --loops >= 1");
        }
        if (scenario != null) {
            return scenario(out);
        }
        if (write != null || duration != null) {
            throw new IllegalArgumentException("--write and --duration go with --scenario");
        }
        if (iface == null) {
            throw new IllegalArgumentException("--iface is needed to send");
        }
        if (capture != null) {
            LiveFrameGenerator.checkCapture(capture); // not a capture, or damaged before its first packet: an error
        }
        requireBpf();
        long frames = count == null ? 1_000_000 : count;
        try (LiveFrameGenerator g = LiveFrameGenerator.open(Interfaces.indexOf(iface))) {
            long t0 = System.nanoTime();
            String what;
            if (capture != null) {
                PrintWriter err = spec.commandLine().getErr();
                g.replay(capture, loops, e -> err.println("xdpml gen: " + e.getMessage() + " (the packets before it were sent)"));
                what = capture.getFileName() + (loops > 1 ? " x" + loops : "");
            } else {
                byte[] bytes = frame.build(size);
                g.send(bytes, frames, rate);
                what = bytes.length + "-byte " + frame.description + " frames";
            }
            double s = (System.nanoTime() - t0) / 1e9;
            out.printf("sent %d frames (%s) out of %s in %.3f s: %.3f Mpps%n", g.sent(), what, iface, s, g.sent() / s / 1e6);
        }
        out.flush();
        return 0;
    }

    private static void requireBpf() {
        BpfSupport.unavailableReason().ifPresent(why -> {
            throw new IllegalStateException("gen needs BPF to send (--write FILE.pcap does not): " + why);
        });
    }

    private ScenarioSettings settings() {
        ScenarioSettings s = ScenarioSettings.defaults().withSeed(seed).withFloodPort(floodPort).withSpoofedPort(spoofedPort);
        if (victim != null) {
            s = s.withVictim(victim);
        }
        if (victimMac != null) {
            s = s.withVictimMac(victimMac);
        }
        if (sourceMac != null) {
            s = s.withSourceMac(sourceMac);
        }
        Map<TrafficKind, Ipv4Range> ranges = new java.util.EnumMap<>(TrafficKind.class);
        for (String kv : sources) {
            int eq = kv.indexOf('=');
            if (eq < 0) {
                throw new IllegalArgumentException("--sources '" + kv + "' is not KIND=PREFIX");
            }
            ranges.put(TrafficKind.of(kv.substring(0, eq)), Ipv4Range.parse(kv.substring(eq + 1)));
        }
        s = s.withSources(ranges);
        if (mix != null) {
            s = s.withShares(ScenarioSettings.parseShares(mix));
        }
        return s;
    }

    private int scenario(PrintWriter out) throws Exception {
        if (capture != null) {
            throw new IllegalArgumentException("--scenario and --capture exclude each other");
        }
        if (count != null && duration != null) {
            throw new IllegalArgumentException("--count and --duration exclude each other");
        }
        ScenarioSettings settings = settings();
        long r = write != null && rate == 0 ? DEFAULT_WRITE_RATE : rate;
        Scenario sc = Scenarios.create(scenario, settings, r); // flat out (r 0): the pings' clock at the nominal rate
        FrameSink sink;
        if (write != null) {
            if (iface != null) {
                throw new IllegalArgumentException("--write and --iface exclude each other");
            }
            sink = PcapSink.open(write);
        } else {
            if (iface == null) {
                throw new IllegalArgumentException("--iface (or --write FILE.pcap) is needed");
            }
            requireBpf();
            int ifindex = Interfaces.indexOf(iface);
            sink = way == Way.xsk ? XskSink.open(ifindex) : TestRunSink.open(ifindex);
        }
        long max = count != null ? count : duration == null ? DEFAULT_SCENARIO_FRAMES : Long.MAX_VALUE;
        ScenarioSender sender = new ScenarioSender(sink);
        java.util.function.BooleanSupplier stop = () -> false;
        if (duration != null) {
            if (write != null) {
                max = (long) Math.ceil(duration * r);
            } else {
                long end = System.nanoTime() + (long) (duration * 1e9);
                stop = () -> System.nanoTime() - end >= 0;
            }
        }
        try (sink) {
            sender.run(sc, r, max, stop);
        }
        double s = sender.elapsedNanos() / 1e9;
        StringJoiner kinds = new StringJoiner(", ");
        for (Map.Entry<TrafficKind, Long> e : sender.sentByKind().entrySet()) {
            if (e.getValue() > 0) {
                kinds.add(e.getKey().cliName() + " " + e.getValue());
            }
        }
        if (write != null) {
            out.printf(Locale.ROOT, "wrote %d frames of %s (%s) to %s: %.3f s of traffic at %d/s, victim %s%n", sender.sent(),
                    sc.name(), kinds, write, sender.sent() / (double) r, r, settings.victimText());
        } else {
            out.printf(Locale.ROOT, "sent %d frames of %s (%s) out of %s by %s in %.3f s: %.3f Mpps, victim %s%n", sender.sent(),
                    sc.name(), kinds, iface, sender.way(), s, sender.sent() / s / 1e6, settings.victimText());
        }
        out.flush();
        return 0;
    }
}
