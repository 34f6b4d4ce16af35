package io.xdpml.flow;

import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.kernel.RingBufferConsumer;
import io.xdpml.kernel.TestRun;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.ParserProgram;
import io.xdpml.pipeline.PipelineLoader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The flow pipeline live: a namespace of its own with a veth pair, the flow pipeline attached
 * natively to one end (real clock), scripted TCP conversations (handshake, data, FIN both ways,
 * the last ACK) and UDP flows sent into the other end through AF_PACKET, flow records read from
 * the ring buffer as they come (poll), and everything that does not depend on time compared with
 * the Java reference fed the same frames. Everything it creates is removed.
 */
public final class LiveFlowCheck {
    /**
     * What happened; the maps hold, per flow key, the time-independent part of a record or table
     * entry ({@link #describe}).
     */
    public record Outcome(int framesSent, Map<String, String> kernelRecords, Map<String, String> javaRecords,
                          Map<String, String> kernelTable, Map<String, String> javaTable, long recordsLost) {
        public boolean matches() {
            return kernelRecords.equals(javaRecords) && kernelTable.equals(javaTable) && recordsLost == 0;
        }
    }

    private LiveFlowCheck() {}

    /** The frames: {@code tcp} conversations that end with FIN both ways and {@code udp} flows. */
    public static List<byte[]> conversations(int tcp, int udp) {
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < tcp; i++) {
            String client = "198.51.100." + (1 + i % 200);
            String server = "203.0.113.80";
            int port = 40000 + i;
            frames.add(tcp(client, server, port, 80, 0x02, 0)); // SYN
            frames.add(tcp(server, client, 80, port, 0x12, 0)); // SYN-ACK
            frames.add(tcp(client, server, port, 80, 0x10, 0)); // ACK
            frames.add(tcp(client, server, port, 80, 0x18, 100 + i)); // request
            frames.add(tcp(server, client, 80, port, 0x18, 1000 + i)); // response
            frames.add(tcp(client, server, port, 80, 0x11, 0)); // FIN
            frames.add(tcp(server, client, 80, port, 0x11, 0)); // FIN: the close record
            frames.add(tcp(client, server, port, 80, 0x10, 0)); // the last ACK: absorbed
        }
        for (int i = 0; i < udp; i++) {
            for (int p = 0; p < 3; p++) {
                frames.add(new FrameBuilder().ethernet().ipv4("192.0.2." + (1 + i), "192.0.2.53").udp(5000 + i, 53)
                        .payload(30 + p).build());
            }
        }
        return frames;
    }

    private static byte[] tcp(String src, String dst, int sport, int dport, int flags, int payload) {
        return new FrameBuilder().ethernet().ipv4(src, dst).tcp(sport, dport, flags).payload(payload).build();
    }

    public static Outcome run(List<byte[]> frames) {
        Map<String, String> javaRecords = new TreeMap<>();
        Map<String, String> javaTable = new TreeMap<>();
        try (JavaFlowEngine java = new JavaFlowEngine(FlowConfig.defaults(), TestRun.maxTestRunFrame(),
                (t, r, k, s) -> javaRecords.put(hex(k), r.label() + " " + describe(s)))) {
            long t = 1_000_000_000L;
            for (byte[] f : frames) {
                java.packet(MemorySegment.ofArray(f), f.length, t += 1000);
            }
            java.forEachFlow((k, s) -> javaTable.put(hex(k), describe(s)));
        }
        Map<String, String> kernelRecords = new TreeMap<>();
        Map<String, String> kernelTable = new TreeMap<>();
        long lost;
        try (NetworkNamespace ns = NetworkNamespace.create("xdpml-flows")) {
            ns.createVethPair("xdpmlf0", "xdpmlf1");
            lost = ns.run(() -> {
                int receiver = Interfaces.indexOf("xdpmlf1");
                try (PipelineLoader.Loaded p = PipelineLoader.load("flow", ParserProgram.XDP_DROP);
                     RingBufferConsumer records = new RingBufferConsumer(p.object().map("xdpml_flow_records"), rec ->
                             kernelRecords.put(hex(rec.asSlice(FlowLayout.RECORD_KEY, FlowLayout.KEY_SIZE)),
                                     FlowReason.of(rec.get(FlowLayout.U32, FlowLayout.RECORD_REASON)).label() + " "
                                             + describe(rec.asSlice(FlowLayout.RECORD_FLOW, FlowLayout.FLOW_SIZE))));
                     XdpAttachment att = XdpAttachment.attach(p.program(), receiver, XdpMode.NATIVE);
                     PacketSocket socket = PacketSocket.open("xdpmlf0");
                     Arena arena = Arena.ofConfined()) {
                    MemorySegment buf = arena.allocate(2048);
                    for (byte[] f : frames) {
                        MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                        socket.send(buf, f.length);
                    }
                    long deadline = System.nanoTime() + 3_000_000_000L;
                    while (kernelRecords.size() < javaRecords.size() && System.nanoTime() < deadline) {
                        records.poll(100); // blocks on the map fd until the kernel wakes it
                    }
                    records.drain();
                    KernelFlowTable.forEach(p.object().map("xdpml_flows"), (k, s) -> kernelTable.put(hex(k), describe(s)));
                    return p.object().map("xdpml_flow_counters").sumPerCpuLongs(FlowCounter.RECORDS_LOST.id())[0];
                }
            });
        }
        return new Outcome(frames.size(), kernelRecords, javaRecords, kernelTable, javaTable, lost);
    }

    private static String hex(MemorySegment key) {
        return java.util.HexFormat.of().formatHex(key.toArray(ValueLayout.JAVA_BYTE));
    }

    /** A flow's state without its times: counts, bytes, lengths, header bytes, flags, windows, closing. */
    static String describe(MemorySegment s) {
        StringBuilder b = new StringBuilder();
        for (int d = 0; d < 2; d++) {
            long o = FlowLayout.dirOffset(d);
            b.append(d == 0 ? "fwd " : " bwd ").append(FlowLayout.u64(s, o + FlowLayout.D_PACKETS)).append('/')
                    .append(FlowLayout.u64(s, o + FlowLayout.D_BYTES)).append("B hdr ")
                    .append(FlowLayout.u64(s, o + FlowLayout.D_HEADER_BYTES)).append(" len ")
                    .append(FlowLayout.u32(s, o + FlowLayout.D_LEN_MIN)).append('-')
                    .append(FlowLayout.u32(s, o + FlowLayout.D_LEN_MAX)).append(" win ")
                    .append(FlowLayout.u16(s, o + FlowLayout.D_INIT_WINDOW));
        }
        b.append(" flags");
        for (int i = 0; i < 8; i++) {
            b.append(' ').append(FlowLayout.tcpFlagCount(s, i));
        }
        b.append(" closing ").append(s.get(ValueLayout.JAVA_BYTE, FlowLayout.CLOSING));
        return b.toString();
    }
}
