package io.xdpml.pipeline;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseCounter;
import io.xdpml.packet.ParseCounters;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The parser on a real interface: a network namespace of its own with a veth pair, the parse
 * pipeline attached to one end, real frames sent into the other through an AF_PACKET socket,
 * the kernel's per-CPU counters read back and set beside what the Java reference expects for the
 * same frames. Everything it creates is removed, also on failure.
 */
public final class LiveParserCheck {
    /** What happened. */
    public record Outcome(XdpMode mode, String fallbackReason, int framesSent, ParseCounters kernel,
                          ParseCounters expected, boolean attachedAfterClose) {
        public boolean matches() {
            return kernel.equals(expected);
        }
    }

    private static final String SENDER = "xdpml0";
    private static final String RECEIVER = "xdpml1";

    private LiveParserCheck() {}

    /**
     * @param frames the frames (each at least 14 bytes)
     * @param rounds how many times the whole list is sent
     * @param mode   XDP mode to attach in (AUTO: native, else generic)
     */
    public static Outcome run(List<byte[]> frames, int rounds, XdpMode mode) {
        ParseCounters expected = new ParseCounters();
        PacketParser parser = new PacketParser();
        ParseSummary s = new ParseSummary();
        for (int r = 0; r < rounds; r++) {
            for (byte[] f : frames) {
                parser.parse(MemorySegment.ofArray(f), f.length, s);
                expected.count(s);
            }
        }
        long total = (long) frames.size() * rounds;
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-live")) {
            ns.createVethPair(SENDER, RECEIVER);
            return ns.run(() -> {
                int receiver = Interfaces.indexOf(RECEIVER);
                try (ParserProgram program = ParserProgram.load(4789, false, ParserProgram.XDP_DROP)) {
                    XdpMode used;
                    String fallback;
                    ParseCounters kernel;
                    try (XdpAttachment att = XdpAttachment.attach(program.program(), receiver, mode);
                         PacketSocket socket = PacketSocket.open(SENDER);
                         Arena arena = Arena.ofConfined()) {
                        used = att.mode();
                        fallback = att.fallbackReason();
                        MemorySegment buf = arena.allocate(9216);
                        for (int r = 0; r < rounds; r++) {
                            for (byte[] f : frames) {
                                MemorySegment.copy(f, 0, buf, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, f.length);
                                socket.send(buf, f.length);
                            }
                        }
                        kernel = awaitPackets(program, total);
                    }
                    boolean stillAttached = XdpAttachment.attachedProgramId(receiver, used).isPresent();
                    return new Outcome(used, fallback, (int) total, kernel, expected, stillAttached);
                }
            });
        }
    }

    /** veth delivers in softirq: wait (bounded) until the kernel has counted every frame. */
    private static ParseCounters awaitPackets(ParserProgram program, long total) throws InterruptedException {
        long deadline = System.nanoTime() + 3_000_000_000L;
        ParseCounters c = program.readCounters();
        while (c.get(ParseCounter.PACKETS) < total && System.nanoTime() < deadline) {
            Thread.sleep(10);
            c = program.readCounters();
        }
        Thread.sleep(50); // anything beyond the expected count would show up now
        return program.readCounters();
    }
}
