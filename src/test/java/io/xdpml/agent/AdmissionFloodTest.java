package io.xdpml.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.flow.FlowCounter;
import io.xdpml.flow.FlowLayout;
import io.xdpml.flow.KernelFlowTable;
import io.xdpml.gen.FrameSink;
import io.xdpml.gen.ScenarioSender;
import io.xdpml.gen.ScenarioSettings;
import io.xdpml.gen.Scenarios;
import io.xdpml.gen.TestRunSink;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.Interfaces;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Admission under a spoofed flood, on a veth pair, through the agent's composed program: 1,000
 * benign UDP flows are established (5 packets each), then {@link #FLOOD} SYNs from spoofed sources
 * arrive flat out (xdpml gen's spoofedsyn: nearly every SYN a source of its own), then 3 more packets per
 * benign flow. The flow table holds 4,096 flows. With {@code admission: second-packet} every benign
 * flow keeps exactly the state it has without the flood (every field that does not depend on the
 * clock: counts, bytes, lengths, headers, flags, running length statistics), and the flood's
 * packets wait in probation slots; with {@code first-packet} (the control) the same flood evicts
 * the benign flows, which come back with only their last 3 packets.
 */
class AdmissionFloodTest {
    static final int BENIGN = 1000;
    /**
     * SYNs of the flood: 200,000 (50 times the table) in the suite, where the generator sends ~50,000
     * frames/s (it builds every frame in Java); {@code -Dxdpml.admission.flood=1000000} for the 10^6.
     */
    static final long FLOOD = Long.getLong("xdpml.admission.flood", 200_000);

    static String config(String iface, String admission) {
        return """
                interfaces: [%s]
                blocks: {enabled: false}
                flows:
                  max-flows: 4096
                  admission: %s
                sampling: {enabled: false}
                detectors: {enabled: none}
                outputs: {status: 0s}
                """.formatted(iface, admission);
    }

    static byte[] benign(int i) {
        return new FrameBuilder().ethernet().ipv4("10.88." + (i / 250) + "." + (1 + i % 250), "10.77.0.2").udp(20000 + i, 5353)
                .payload(40 + i % 50).build();
    }

    /** What a flow's state holds that does not depend on the clock. */
    static String clockFree(MemorySegment s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int d = 0; d < 2; d++) {
            long dir = FlowLayout.DIR + (long) d * FlowLayout.DIR_SIZE;
            b.writeBytes(s.asSlice(dir + FlowLayout.D_PACKETS, FlowLayout.D_IAT_SUM_US).toArray(ValueLayout.JAVA_BYTE)); // packets .. header bytes
            b.writeBytes(s.asSlice(dir + FlowLayout.D_LEN_MIN, 8).toArray(ValueLayout.JAVA_BYTE)); // len min, max
            b.writeBytes(s.asSlice(dir + FlowLayout.D_IAT_MAX_US + 4, 2).toArray(ValueLayout.JAVA_BYTE)); // init window
        }
        b.writeBytes(s.asSlice(FlowLayout.TCP_FLAGS, FlowLayout.RUN_LEN - FlowLayout.TCP_FLAGS).toArray(ValueLayout.JAVA_BYTE));
        b.writeBytes(s.asSlice(FlowLayout.RUN_LEN, 16).toArray(ValueLayout.JAVA_BYTE));
        b.writeBytes(s.asSlice(FlowLayout.RUN_DIR, 16).toArray(ValueLayout.JAVA_BYTE));
        b.writeBytes(s.asSlice(FlowLayout.INITIATOR_IS_A, 4).toArray(ValueLayout.JAVA_BYTE));
        return HexFormat.of().formatHex(b.toByteArray());
    }

    /** Whether a flow key has a 10.88.0.0/16 endpoint (the benign sources; endpoint b, above 10.77.0.2). */
    static boolean fromBenignSource(MemorySegment k) {
        for (int end : new int[] {FlowLayout.KEY_ADDR_A, FlowLayout.KEY_ADDR_B}) {
            if ((k.get(ValueLayout.JAVA_BYTE, end + 12) & 0xff) == 10 && (k.get(ValueLayout.JAVA_BYTE, end + 13) & 0xff) == 88) {
                return true;
            }
        }
        return false;
    }

    record Outcome(Map<String, String> benign, Map<String, Long> benignPackets, long[] counters, long flooded) {}

    /**
     * {@code copies} packets of each benign flow, flow after flow, through one generator, one frame a call: a test
     * run with repeat 2 or more pays a fixed 16-30 ms (docs/machine-facts.md), 1,000 such calls half a minute.
     */
    static void sendBenign(AgentRig rig, int copies) {
        rig.ns.run(() -> {
            try (io.xdpml.pipeline.LiveFrameGenerator g = io.xdpml.pipeline.LiveFrameGenerator.open(Interfaces.indexOf(rig.tx))) {
                for (int i = 0; i < BENIGN; i++) {
                    byte[] frame = benign(i);
                    for (int c = 0; c < copies; c++) {
                        g.send(frame, 1, 0);
                    }
                }
            }
            return null;
        });
    }

    /** A sink sending each frame {@code copies} times, back to back: a flood that repeats every packet. */
    static FrameSink repeating(FrameSink sink, int copies) {
        return new FrameSink() {
            @Override
            public void send(java.lang.foreign.MemorySegment frame, int length, long timeNanos) {
                for (int c = 0; c < copies; c++) {
                    sink.send(frame, length, timeNanos);
                }
            }

            @Override
            public void flush() {
                sink.flush();
            }

            @Override
            public boolean live() {
                return sink.live();
            }

            @Override
            public String way() {
                return sink.way();
            }

            @Override
            public void close() {}
        };
    }

    static Outcome run(Path dir, String admission, boolean flood) throws Exception {
        return run(dir, admission, flood ? 1 : 0);
    }

    /** {@code copies}: 0 no flood; else each of the flood's {@link #FLOOD} SYNs that many times. */
    static Outcome run(Path dir, String admission, int copies) throws Exception {
        return run(dir, admission, copies == 0 ? null : "syn-x" + copies, copies == 0 ? null : sink -> {
            ScenarioSender s = new ScenarioSender(repeating(sink, copies));
            return s.run(Scenarios.create("spoofedsyn", ScenarioSettings.defaults()), 0, FLOOD, () -> false);
        });
    }

    /** A flood key's packet: a spoofed UDP datagram (even i) or a spoofed ACK (odd i), sources in 100.64.0.0/10. */
    static byte[] spoofedUdpOrAck(int i) {
        byte[] src = {100, (byte) (64 + (i >>> 16 & 63)), (byte) (i >>> 8), (byte) i};
        FrameBuilder b = new FrameBuilder().ethernet().ipv4(src, new byte[] {10, 77, 0, 2}, 0, 64);
        return (i % 2 == 0 ? b.udp(1024 + i % 60000, 5353).payload(40) : b.tcp(1024 + i % 60000, 443, 0x10, 7 * i, 13 * i)).build();
    }

    /** {@link #FLOOD} spoofed UDP keys and as many spoofed ACK keys, interleaved, each packet sent twice back to back. */
    static long udpAndAckTwice(FrameSink sink) {
        for (int i = 0; i < 2 * FLOOD; i++) {
            byte[] f = spoofedUdpOrAck(i);
            MemorySegment m = MemorySegment.ofArray(f);
            sink.send(m, f.length, 0);
            sink.send(m, f.length, 0);
        }
        return 2 * FLOOD;
    }

    /** {@code flood}: null no flood; else what it sends into the sink, returning the keys sent. */
    static Outcome run(Path dir, String admission, String name, java.util.function.ToLongFunction<FrameSink> flood) throws Exception {
        try (AgentRig rig = new AgentRig("adm")) {
            Path file = dir.resolve(admission + (flood != null ? "-flood-" + name : "") + ".yaml");
            Files.writeString(file, config(rig.rx, admission));
            rig.start(file);
            sendBenign(rig, 5);
            long t0 = System.nanoTime();
            long flooded = flood == null ? 0 : rig.ns.run(() -> {
                try (TestRunSink sink = TestRunSink.open(Interfaces.indexOf(rig.tx))) {
                    return flood.applyAsLong(sink);
                }
            });
            if (flood != null) {
                System.out.printf("%s: flood %s of %,d keys sent in %.1f s%n", admission, name, flooded, (System.nanoTime() - t0) / 1e9);
            }
            sendBenign(rig, 3);
            Map<String, String> states = new TreeMap<>();
            Map<String, Long> packets = new TreeMap<>();
            long[] counters = new long[FlowCounter.SLOTS];
            try (AgentPins.Opened o = AgentPins.open(rig.rx)) {
                KernelFlowTable.forEach(o.map("xdpml_flows"), (k, s) -> {
                    if (fromBenignSource(k)) {
                        String key = HexFormat.of().formatHex(k.toArray(ValueLayout.JAVA_BYTE));
                        states.put(key, clockFree(s));
                        packets.put(key, FlowLayout.u64(s, FlowLayout.DIR + FlowLayout.D_PACKETS)
                                + FlowLayout.u64(s, FlowLayout.DIR + FlowLayout.DIR_SIZE + FlowLayout.D_PACKETS));
                    }
                });
                BpfMap c = o.map("xdpml_flow_counters");
                for (FlowCounter fc : FlowCounter.values()) {
                    counters[fc.id()] = c.sumPerCpuLongs(fc.id())[0];
                }
            }
            assertThat(rig.stop()).isZero();
            return new Outcome(states, packets, counters, flooded);
        }
    }

    @Test
    void establishedFlowsKeepTheirStateThroughASpoofedFlood(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Outcome quiet = run(dir, "second-packet", false);
        Outcome flooded = run(dir, "second-packet", true);
        Outcome control = run(dir, "first-packet", true);
        System.out.printf("admission second-packet, no flood: %d benign flows; flood of %,d: %d benign flows, parked %,d, promoted %,d,"
                + " new %,d%nadmission first-packet, flood of %,d: %d benign flows with all 8 packets of %d present%n",
                quiet.benign().size(), flooded.flooded(), flooded.benign().size(), flooded.counters()[FlowCounter.PARKED.id()],
                flooded.counters()[FlowCounter.PROMOTED.id()], flooded.counters()[FlowCounter.NEW.id()], control.flooded(),
                control.benignPackets().values().stream().filter(p -> p == 8).count(), control.benign().size());

        assertThat(quiet.benign()).hasSize(BENIGN);
        assertThat(quiet.benignPackets().values()).allMatch(p -> p == 8);
        assertThat(flooded.flooded()).isEqualTo(FLOOD);
        // the flood waited in the probation slots: (nearly) every SYN parked, nothing of it evicted a benign flow
        assertThat(flooded.counters()[FlowCounter.PARKED.id()]).isGreaterThanOrEqualTo(FLOOD + BENIGN - 1000);
        assertThat(flooded.benign()).as("every benign flow, with exactly its state without the flood").isEqualTo(quiet.benign());
        // the control: admitted at their first packet, the flood's flows evicted the benign ones
        assertThat(control.flooded()).isEqualTo(FLOOD);
        assertThat(control.benignPackets().values().stream().filter(p -> p == 8).count()).as("benign flows untouched by the flood")
                .isLessThan(BENIGN / 2);
    }

    /**
     * The flood sending each spoofed SYN twice, back to back (review of 2026-12-06: the second copy
     * promoted its key, 50,000 keys evicted all 1,000 benign flows of a table of 4,096). Since
     * 2026-12-06 a SYN after its key's parked SYN parks in its place (flow_stage.h,
     * xdpml_syn_repeated): no flood key is promoted, and the benign flows keep exactly their state.
     */
    @Test
    void establishedFlowsKeepTheirStateThroughASpoofedFloodSendingEachSynTwice(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Outcome quiet = run(dir, "second-packet", 0);
        Outcome doubled = run(dir, "second-packet", 2);
        System.out.printf("admission second-packet, flood of %,d SYNs sent twice each: %d benign flows, parked %,d, promoted %,d, new %,d%n",
                doubled.flooded(), doubled.benign().size(), doubled.counters()[FlowCounter.PARKED.id()],
                doubled.counters()[FlowCounter.PROMOTED.id()], doubled.counters()[FlowCounter.NEW.id()]);

        assertThat(quiet.benign()).hasSize(BENIGN);
        assertThat(doubled.flooded()).isEqualTo(FLOOD);
        assertThat(doubled.benign()).as("every benign flow, with exactly its state without the flood").isEqualTo(quiet.benign());
        // every copy parked (the second in its first's place); promoted: the benign flows alone
        assertThat(doubled.counters()[FlowCounter.PARKED.id()]).isGreaterThanOrEqualTo(2 * FLOOD + BENIGN - 1000);
        assertThat(doubled.counters()[FlowCounter.PROMOTED.id()]).as("flows promoted").isLessThanOrEqualTo(BENIGN);
    }

    /**
     * The flood sending each spoofed key's packet twice, back to back, where the packet is a UDP
     * datagram or an ACK: per key it looks like any flow's second packet, so the SYN rule does not
     * stop it (before 2026-12-06 its 400,000 keys were promoted, 2 packets each, and evicted the
     * benign flows). Since 2026-12-06 the promotion budget ({@code promotion-budget: auto}, for 4,096
     * flows and 120 s a quarter of the table at once and 8 a second; flow_stage.h
     * xdpml_promotion_allowed) bounds what the flood can promote: the benign flows keep exactly their
     * state, and the flood's second packets over the budget are parked again (deferred).
     */
    @Test
    void establishedFlowsKeepTheirStateThroughASpoofedUdpAndAckFloodSendingEachPacketTwice(@TempDir Path dir) throws Exception {
        TestData.assumeBpf();
        Outcome quiet = run(dir, "second-packet", 0);
        Outcome doubled = run(dir, "second-packet", "udp-ack-x2", AdmissionFloodTest::udpAndAckTwice);
        long promoted = doubled.counters()[FlowCounter.PROMOTED.id()];
        System.out.printf("admission second-packet, flood of %,d UDP and %,d ACK keys, each packet twice: %d benign flows, parked %,d,"
                + " promoted %,d, deferred %,d, new %,d%n", FLOOD, FLOOD, doubled.benign().size(), doubled.counters()[FlowCounter.PARKED.id()],
                promoted, doubled.counters()[FlowCounter.DEFERRED.id()], doubled.counters()[FlowCounter.NEW.id()]);

        assertThat(quiet.benign()).hasSize(BENIGN);
        assertThat(quiet.benignPackets().values()).allMatch(p -> p == 8);
        assertThat(doubled.flooded()).isEqualTo(2 * FLOOD);
        assertThat(doubled.benign()).as("every benign flow, with exactly its state without the flood").isEqualTo(quiet.benign());
        // the budget's depth (1,024) and its rate (8 a second over the flood's seconds) bound the promotions;
        // every other second packet of the flood was parked again
        assertThat(promoted).as("flows promoted").isLessThan(BENIGN + 1024 + 8 * 120);
        assertThat(doubled.counters()[FlowCounter.DEFERRED.id()]).as("second packets over the budget").isGreaterThan(2 * FLOOD - 1024 - 8 * 120);
    }
}
