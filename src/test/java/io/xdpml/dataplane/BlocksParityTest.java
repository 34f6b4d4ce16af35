package io.xdpml.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.dataplane.JavaBlocks.Reason;
import io.xdpml.flow.FlowLayout;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfObject;
import io.xdpml.kernel.TestRun;
import io.xdpml.packet.Bytes;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pcap.CaptureReader;
import io.xdpml.pcap.EthernetFramer;
import io.xdpml.pcap.PcapFormatException;
import io.xdpml.processor.Mitigation;
import io.xdpml.testing.FrameFuzzer;
import io.xdpml.testing.TestData;
import io.xdpml.xsk.XskCounter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * One truth, two implementations: the kernel's blocks stage (mitigation.h, run in the composed program xdp_pipeline.bpf.o
 * with BPF_PROG_TEST_RUN and the test clock: XDP_DROP iff blocked, since no socket is registered
 * and the other action is XDP_PASS) against {@link JavaBlocks}, filled with the same entries
 * (through {@link Mitigation} for the kernel). On every packet of every shared capture, on 10^5
 * fuzzed frames (twice, across expiries) and on crafted edge frames: the same verdict, and for a
 * drop the same entry with the same hits (the entry the twin matched is looked up in the kernel's
 * map with the twin's lookup key: its hits there must equal the twin's, so a drop by the other map
 * or by another entry shows at once); at the end every entry's hits are the same. Two wrong twins
 * (innermost VLAN, expiry inclusive) are shown to be caught.
 */
class BlocksParityTest {
    static final int XDP_DROP = 1;
    static final int XDP_PASS = 2;
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());
    static final int MAX = TestRun.maxTestRunFrame();

    /** A blocks stage that judges frames: the twin, or a deliberately wrong variant of it. */
    interface Twin {
        /** parse: what the parse stage found, as the kernel's parse stage gives it to the blocks stage. */
        Reason check(MemorySegment frame, int length, long nowNanos, io.xdpml.packet.ParseSummary parse);
    }

    /** The kernel's blocks stage: the composed program with the blocks stage alone, in test mode. */
    static final class KernelBlocks implements AutoCloseable {
        final BpfObject object;
        final Mitigation mitigation;
        final TestRun run;
        final MemorySegment clock;
        final Arena arena = Arena.ofConfined();
        final MemorySegment key = arena.allocate(64, 8);
        final MemorySegment value = arena.allocate(16, 8);

        KernelBlocks() {
            BpfObject o = PipelineObject.open(Stages.none().withBlocks(true));
            try {
                o.setConstant("cfg_action", XDP_PASS);
                o.setConstant("cfg_test_clock", 1);
                o.load();
                this.object = o;
                this.mitigation = Mitigation.of(o);
                this.run = o.program(PipelineObject.ENTRY).testRun();
                this.clock = o.variable("test_clock_ns");
            } catch (RuntimeException | Error e) {
                o.close();
                arena.close();
                throw e;
            }
        }

        boolean dropped(MemorySegment frame, int length, long now) {
            clock.set(U64, 0, now);
            int action = run.run(frame, length);
            if (action != XDP_DROP && action != XDP_PASS) {
                throw new IllegalStateException("XDP action " + action);
            }
            return action == XDP_DROP;
        }

        /** The hits of the entry the kernel finds for a lookup key (LPM: longest prefix); -1 when none. */
        long hits(Reason reason, MemorySegment lookupKey) {
            MemorySegment.copy(lookupKey, 0, key, 0, lookupKey.byteSize());
            BpfMap m = object.map(reason == Reason.SOURCE ? "xdpml_blocks" : "xdpml_flow_blocks");
            return m.lookup(key.asSlice(0, m.keySize()), value) ? value.get(U64, 8) : -1;
        }

        /** Sets or clears the flow-lookup bit of the state word, the other bit kept. */
        void flowBlocksActive(boolean on) {
            BpfMap state = object.map("xdpml_mitigation_state");
            int was = state.lookup(0, value) ? value.get(ValueLayout.JAVA_INT, 0) : 0;
            value.set(ValueLayout.JAVA_INT, 0, on ? was | Mitigation.BLOCKING_FLOWS : was & ~Mitigation.BLOCKING_FLOWS);
            state.update(0, value.asSlice(0, 4), BpfMap.BPF_ANY);
        }

        int blocking() {
            return object.map("xdpml_mitigation_state").lookup(0, value) ? value.get(ValueLayout.JAVA_INT, 0) : 0;
        }

        long blockedCounter() {
            return object.map("xdpml_xsk_counters").sumPerCpuLongs(0)[XskCounter.BLOCKED.ordinal()];
        }

        long unreadableCounter() {
            return object.map("xdpml_xsk_counters").sumPerCpuLongs(0)[XskCounter.BLOCKED_UNREADABLE.ordinal()];
        }

        @Override
        public void close() {
            run.close();
            object.close();
            arena.close();
        }
    }

    /** Both stages, filled alike, judging the same frames. */
    static final class Pair implements AutoCloseable {
        final KernelBlocks kernel = new KernelBlocks();
        final JavaBlocks java = new JavaBlocks();
        final Twin twin;
        final io.xdpml.packet.PacketParser parser = new io.xdpml.packet.PacketParser(4789); // the parse stage before blocks
        final io.xdpml.packet.ParseSummary summary = new io.xdpml.packet.ParseSummary();
        final List<String> diffs = new ArrayList<>();
        long packets;
        long bySource;
        long byFlow;
        long unreadable;

        Pair(Function<JavaBlocks, Twin> variant) {
            twin = variant.apply(java);
        }

        void blockSource(InetAddress a, int prefix, long expires) {
            kernel.mitigation.blockUntil(a, prefix, expires);
            java.blockSource(a, prefix, expires);
        }

        void blockFlow(Mitigation.FlowBlock f, boolean reversed, long expires) {
            if (reversed) {
                Mitigation.Flow back = new Mitigation.Flow(f.addressB(), f.portB(), f.addressA(), f.portA(), f.protocol(), f.vlan(), f.vni());
                kernel.mitigation.blockFlowUntil(back, expires);
                java.blockFlow(back, expires);
            } else {
                kernel.mitigation.blockFlowUntil(f.flow(), expires);
                java.blockFlow(f.flow(), expires);
            }
        }

        void unblockSource(Mitigation.Block b) {
            assertThat(java.unblockSource(b.address(), b.prefixLength())).as("unblock " + b)
                    .isEqualTo(kernel.mitigation.unblock(b.address(), b.prefixLength()));
        }

        void unblockFlow(Mitigation.FlowBlock f) {
            assertThat(java.unblockFlow(f.flow())).as("unblock " + f).isEqualTo(kernel.mitigation.unblockFlow(f.flow()));
        }

        void flowBlocksActive(boolean on) {
            kernel.flowBlocksActive(on);
            java.flowBlocksActive(on);
        }

        void sweep(long now) {
            assertThat(java.sweep(now)).as("swept at " + now).isEqualTo(kernel.mitigation.sweep(now));
        }

        void packet(MemorySegment frame, int length, long now, String where) {
            boolean k = kernel.dropped(frame, length, now);
            parser.parse(frame, length, summary);
            Reason j = twin.check(frame, length, now, summary);
            packets++;
            String diff = null;
            if (k != (j != Reason.NONE)) {
                diff = "kernel " + (k ? "drops" : "passes") + ", java " + j;
            } else if (j == Reason.UNREADABLE) {
                unreadable++;
            } else if (j != Reason.NONE) {
                long kh = kernel.hits(j, java.lastKey());
                if (kh != java.lastHits()) {
                    diff = "both drop; java " + j + " entry hits " + java.lastHits() + ", kernel's entry for that key " + kh;
                }
                if (j == Reason.SOURCE) {
                    bySource++;
                } else {
                    byFlow++;
                }
            }
            if (diff != null && diffs.size() < 10) {
                diffs.add(where + " (" + length + " bytes, t=" + now + "): " + diff + "\n  "
                        + HexFormat.of().formatHex(frame.asSlice(0, Math.min(length, 64)).toArray(ValueLayout.JAVA_BYTE)));
            }
        }

        /** Compares every entry (expiry, hits) of both; a difference is noted like a packet's. */
        void compareEntries(String where) {
            entries(where, "source blocks", kernel.mitigation.list(), java.list());
            entries(where, "flow blocks", kernel.mitigation.listFlows(), java.listFlows());
        }

        private <T> void entries(String where, String what, List<T> kernelEntries, List<T> javaEntries) {
            java.util.Set<T> k = new java.util.HashSet<>(kernelEntries);
            java.util.Set<T> j = new java.util.HashSet<>(javaEntries);
            if (!k.equals(j) && diffs.size() < 10) {
                List<String> onlyKernel = kernelEntries.stream().filter(e -> !j.contains(e)).limit(5).map(BlocksParityTest::describe).toList();
                List<String> onlyJava = javaEntries.stream().filter(e -> !k.contains(e)).limit(5).map(BlocksParityTest::describe).toList();
                diffs.add(where + ": " + what + " differ (" + kernelEntries.size() + " in the kernel, " + javaEntries.size() + " in java): kernel's "
                        + onlyKernel + ", java's " + onlyJava);
            }
        }

        void assertSame() {
            compareEntries("at the end");
            assertThat(diffs).as("packets judged differently, or entries that differ").isEmpty();
            assertThat(java.list()).as("source blocks and their hits").containsExactlyInAnyOrderElementsOf(kernel.mitigation.list());
            assertThat(java.listFlows()).as("flow blocks and their hits").containsExactlyInAnyOrderElementsOf(kernel.mitigation.listFlows());
            assertThat(kernel.blockedCounter()).as("kernel drops").isEqualTo(dropped());
            assertThat(kernel.unreadableCounter()).as("kernel drops with no readable flow key").isEqualTo(unreadable);
        }

        long dropped() {
            return bySource + byFlow + unreadable;
        }

        @Override
        public void close() {
            kernel.close();
        }
    }

    static String describe(Object entry) {
        return switch (entry) {
            case Mitigation.Block b -> b.address().getHostAddress() + "/" + b.prefixLength() + " expires " + b.expiresNanos() + " hits " + b.hits();
            case Mitigation.FlowBlock f -> f + " expires " + f.expiresNanos() + " hits " + f.hits();
            default -> String.valueOf(entry);
        };
    }

    // ------------------------------------------------------------------ what occurs in the traffic

    /** A source or a flow as seen in the traffic: its lookup key and its packets' times. */
    static final class Seen {
        final byte[] key;
        long[] times = new long[2];
        int packets;

        Seen(byte[] key) {
            this.key = key;
        }

        void at(long t) {
            if (packets == times.length) {
                times = java.util.Arrays.copyOf(times, packets * 2);
            }
            times[packets++] = t;
        }

        /** The time of its second packet (of the first when there is one): an expiry there still matches that packet. */
        long secondOrFirst() {
            return times[Math.min(1, packets - 1)];
        }

        /** The time of its middle packet: an expiry there still matches that packet, not a later one. */
        long middle() {
            return times[packets / 2];
        }

        Mitigation.Block source() {
            return Mitigation.Block.of(128, java.util.Arrays.copyOfRange(key, 4, 20), 0, 0);
        }

        Mitigation.FlowBlock flow() {
            return Mitigation.FlowBlock.of(MemorySegment.ofArray(key), 0, 0);
        }
    }

    /** The distinct sources and flows of some traffic, in order of appearance, as the blocks stage keys them. */
    static final class Traffic {
        final JavaBlocks keys = new JavaBlocks();
        final io.xdpml.packet.PacketParser parser = new io.xdpml.packet.PacketParser(4789);
        final io.xdpml.packet.ParseSummary summary = new io.xdpml.packet.ParseSummary();
        final MemorySegment sk = MemorySegment.ofArray(new byte[JavaBlocks.SOURCE_KEY_SIZE]);
        final MemorySegment fk = MemorySegment.ofArray(new byte[FlowLayout.KEY_SIZE]);
        final Map<String, Seen> sources = new LinkedHashMap<>();
        final Map<String, Seen> flows = new LinkedHashMap<>();
        long packets;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;

        void add(MemorySegment frame, int length, long t) {
            packets++;
            first = Math.min(first, t);
            last = Math.max(last, t);
            if (keys.sourceKey(frame, length, sk)) {
                byte[] k = sk.toArray(ValueLayout.JAVA_BYTE);
                sources.computeIfAbsent(HexFormat.of().formatHex(k), x -> new Seen(k)).at(t);
            }
            parser.parse(frame, length, summary);
            if (keys.flowKey(frame, length, summary, fk)) {
                byte[] k = fk.toArray(ValueLayout.JAVA_BYTE);
                flows.computeIfAbsent(HexFormat.of().formatHex(k), x -> new Seen(k)).at(t);
            }
        }

        /** A time before every packet: an entry expiring then is expired from the start (0 would mean never). */
        long expiredFromStart() {
            return first > 1 ? first - 1 : 0;
        }
    }

    /** The blocks installed into both stages for some traffic, kept for the changes made while it runs. */
    static final class Plan {
        final List<Mitigation.Block> sources = new ArrayList<>();
        final List<Mitigation.FlowBlock> flows = new ArrayList<>();
        final List<Seen> spareFlows = new ArrayList<>();
        Mitigation.Block renewable;

        /**
         * Every 7th source as a /32 or /128, with expiries at its middle packet (exact: that packet
         * still matches), from the start, at its second packet, never; a few /24 and /48 prefixes
         * (given as the full address) and a /16, with the /32 of their own source expired from the
         * start (the longest match decides: that source stays unblocked); every 5th flow, named
         * from either end, with the same expiry kinds, and for TCP/UDP now and then the same
         * addresses with ports 0 (what later fragments key to).
         */
        static Plan install(Pair p, Traffic t, int maxPrefixes) {
            Plan plan = new Plan();
            long mid = t.first + (t.last - t.first) / 2;
            int i = 0;
            int v4Prefixes = 0;
            int v6Prefixes = 0;
            boolean wide = false;
            for (Seen s : t.sources.values()) {
                Mitigation.Block b = s.source();
                boolean v4 = b.prefixLength() == 32;
                if (i % 7 == 0) {
                    long expires = switch ((i / 7) % 5) {
                        case 0 -> s.middle();
                        case 1 -> t.expiredFromStart();
                        case 2 -> s.secondOrFirst();
                        default -> 0;
                    };
                    p.blockSource(b.address(), b.prefixLength(), expires);
                    plan.sources.add(new Mitigation.Block(b.address(), b.prefixLength(), expires, 0));
                    if (expires == 0 && plan.renewable == null) {
                        plan.renewable = plan.sources.getLast();
                    }
                } else if (i % 7 == 3 && (v4 ? v4Prefixes : v6Prefixes) < maxPrefixes) {
                    int n = v4 ? v4Prefixes++ : v6Prefixes++;
                    long expires = switch (n % 3) {
                        case 1 -> mid;
                        case 2 -> t.expiredFromStart();
                        default -> 0;
                    };
                    p.blockSource(b.address(), v4 ? 24 : 48, expires);
                    plan.sources.add(new Mitigation.Block(b.address(), v4 ? 24 : 48, expires, 0));
                    if (n % 3 == 0) {
                        p.blockSource(b.address(), b.prefixLength(), t.expiredFromStart());
                    }
                } else if (i % 7 == 5 && v4 && !wide) {
                    wide = true;
                    p.blockSource(b.address(), 16, mid);
                    plan.sources.add(new Mitigation.Block(b.address(), 16, mid, 0));
                }
                i++;
            }
            int j = 0;
            for (Seen s : t.flows.values()) {
                Mitigation.FlowBlock f = s.flow();
                if (j % 5 == 0) {
                    long expires = switch ((j / 5) % 4) {
                        case 1 -> s.secondOrFirst();
                        case 2 -> s.middle();
                        case 3 -> t.expiredFromStart();
                        default -> 0;
                    };
                    p.blockFlow(f, (j / 5) % 2 == 1, expires);
                    plan.flows.add(f);
                    if ((f.protocol() == 6 || f.protocol() == 17) && (j / 5) % 3 == 0) {
                        Mitigation.FlowBlock noPorts = new Mitigation.FlowBlock(f.addressA(), 0, f.addressB(), 0, f.protocol(), f.vlan(), f.vni(), 0, 0);
                        p.blockFlow(noPorts, false, 0);
                        plan.flows.add(noPorts);
                    }
                } else if (j % 5 == 2 && plan.spareFlows.size() < 50) {
                    plan.spareFlows.add(s);
                }
                j++;
            }
            return plan;
        }

        /** Changes while the traffic runs: every 3rd block removed, one renewed (hits from 0), new flow blocks. */
        void change(Pair p) {
            for (int i = 0; i < sources.size(); i += 3) {
                p.unblockSource(sources.get(i));
            }
            for (int i = 0; i < flows.size(); i += 3) {
                p.unblockFlow(flows.get(i));
            }
            if (renewable != null) {
                p.blockSource(renewable.address(), renewable.prefixLength(), 0);
            }
            for (Seen s : spareFlows) {
                p.blockFlow(s.flow(), true, 0);
            }
        }
    }

    // ------------------------------------------------------------------ captures

    /** How a capture's frames are replayed: as they are, or made into QinQ from a VLAN capture. */
    enum Transform {
        AS_IS,
        /** An outer 802.1ad tag (TCI 0xa123: PCP set, VID 0x123) before the frame's own 802.1Q tag. */
        OUTER_TAG,
        /** The third of three tags removed: two tags before IPv4 (the stage reads at most two). */
        DROP_THIRD_TAG;

        int apply(MemorySegment f, int length) {
            switch (this) {
                case OUTER_TAG -> {
                    if (length + 4 > MAX) {
                        length = MAX - 4;
                    }
                    MemorySegment.copy(f, 12, f, 16, length - 12);
                    f.set(Bytes.BE16, 12, (short) 0x88a8);
                    f.set(Bytes.BE16, 14, (short) 0xa123);
                    return length + 4;
                }
                case DROP_THIRD_TAG -> {
                    if (length >= 26 && tag(Bytes.be16(f, 12)) && tag(Bytes.be16(f, 16)) && tag(Bytes.be16(f, 20))) {
                        MemorySegment.copy(f, 24, f, 20, length - 24);
                        return length - 4;
                    }
                    return length;
                }
                default -> {
                    return length;
                }
            }
        }
    }

    static boolean tag(int type) {
        return type == 0x8100 || type == 0x88a8;
    }

    static Stream<Arguments> captures() {
        return Stream.concat(TestData.captures().stream().map(c -> Arguments.of(c, Transform.AS_IS)),
                Stream.of(Arguments.of(TestData.capture("tunnel/ndpi-vxlan.pcap"), Transform.OUTER_TAG),
                        Arguments.of(TestData.capture("tunnel/zeek-vlan-qinqinq.pcap"), Transform.DROP_THIRD_TAG)));
    }

    /** Calls {@code each} with every frame of the capture (transformed, at most MAX bytes) and its time. */
    interface FrameSink {
        void frame(MemorySegment frame, int length, long t, long index);
    }

    static void replay(Path capture, Transform transform, MemorySegment buf, FrameSink sink) throws Exception {
        EthernetFramer framer = new EthernetFramer();
        try (CaptureReader r = CaptureReader.open(capture)) {
            try {
                long index = 0;
                while (r.next()) {
                    int length = framer.frame(r);
                    if (length < 14) {
                        continue;
                    }
                    length = Math.min(length, MAX);
                    MemorySegment.copy(framer.frameSegment(), 0, buf, 0, length);
                    sink.frame(buf, transform.apply(buf, length), r.timestampNanos(), index++);
                }
            } catch (PcapFormatException damaged) {
                // the packets before the damage count
            }
        }
    }

    /**
     * Replays a capture through both stages with blocks chosen from its own sources and flows;
     * at 40% of it flow blocks are turned off, at 50% on again, at 60% the blocks change, at 80%
     * the expired ones are swept (captures of 10 packets and more).
     */
    static Pair runCapture(Path capture, Transform transform, Function<JavaBlocks, Twin> variant) throws Exception {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocate(MAX + 8, 64);
            Traffic t = new Traffic();
            replay(capture, transform, buf, (f, len, time, i) -> t.add(f, len, time));
            Pair p = new Pair(variant);
            try {
                Plan plan = Plan.install(p, t, 3);
                long n = t.packets;
                boolean changes = n >= 10; // a capture of a few packets: no changes while it runs
                String name = capture.getFileName() + (transform == Transform.AS_IS ? "" : " " + transform);
                replay(capture, transform, buf, (f, len, time, i) -> {
                    if (changes && i == n * 4 / 10) {
                        p.flowBlocksActive(false);
                    }
                    if (changes && i == n / 2) {
                        p.flowBlocksActive(true);
                    }
                    if (changes && i == n * 6 / 10) {
                        plan.change(p);
                    }
                    if (changes && i == n * 8 / 10) {
                        p.compareEntries(name + " before the sweep");
                        p.sweep(time);
                    }
                    p.packet(f, len, time, name + " #" + i);
                });
                System.out.printf("BlocksParityTest %s: %d packets, %d dropped (%d source, %d flow); %d sources, %d flows seen%n", name,
                        p.packets, p.dropped(), p.bySource, p.byFlow, t.sources.size(), t.flows.size());
                return p;
            } catch (RuntimeException | Error e) {
                p.close();
                throw e;
            }
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("captures")
    void kernelAndJavaBlockEveryCapturePacketAlike(Path capture, Transform transform) throws Exception {
        TestData.assumeBpf();
        try (Pair p = runCapture(capture, transform, b -> b::check)) {
            p.assertSame();
            assertThat(p.packets).isPositive();
            if (p.java.list().size() + p.java.listFlows().size() > 0 && p.packets > 1) {
                assertThat(p.dropped()).as("not vacuous: something was blocked").isPositive();
            }
        }
    }

    // ------------------------------------------------------------------ fuzzed frames

    static final int FUZZ_FRAMES = 100_000;
    static final long STEP = 10_000; // 10 us between frames
    static final long T0 = 1_000_000_000L;
    static final long ROUND = FUZZ_FRAMES * STEP;

    /**
     * 10^5 hostile frames (VLAN stacks, QinQ, IPv4 options and fragments, IPv6 extension chains,
     * VXLAN, mutations, truncations, noise), sent twice: blocks from their own sources and flows,
     * plus wide prefixes that expire during the first round; flow blocks off for a tenth of the first
     * round; between the rounds a sweep and changes.
     */
    @Test
    void kernelAndJavaBlockFuzzedFramesAlike() throws Exception {
        TestData.assumeBpf();
        List<byte[]> frames = new ArrayList<>(FUZZ_FRAMES);
        FrameFuzzer fuzz = new FrameFuzzer(20_240_611, 600);
        while (frames.size() < FUZZ_FRAMES) {
            byte[] f = fuzz.next();
            if (f.length >= 14) {
                frames.add(f);
            }
        }
        try (Arena a = Arena.ofConfined(); Pair p = new Pair(b -> b::check)) {
            MemorySegment buf = a.allocate(MAX + 8, 64);
            Traffic t = new Traffic();
            for (int i = 0; i < FUZZ_FRAMES; i++) {
                byte[] f = frames.get(i);
                MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                t.add(buf, f.length, T0 + i * STEP);
            }
            Plan plan = Plan.install(p, t, 20);
            p.blockSource(InetAddress.getByName("192.0.0.0"), 3, T0 + ROUND / 4);
            p.blockSource(InetAddress.getByName("2000::"), 5, T0 + ROUND + ROUND / 2);
            p.blockSource(InetAddress.getByName("::"), 0, T0 - 1); // the longest match of many a source: expired
            long[] qinqFlow = new long[1];
            long[] ihlFlow = new long[1];
            long[] fragmentFlow = new long[1];
            long[] v6Flow = new long[1];
            for (int round = 0; round < 2; round++) {
                if (round == 1) {
                    long now = T0 + ROUND;
                    p.compareEntries("fuzz before the sweep");
                    p.sweep(now);
                    plan.change(p);
                }
                for (int i = 0; i < FUZZ_FRAMES; i++) {
                    if (round == 0 && i == FUZZ_FRAMES * 4 / 10) {
                        p.flowBlocksActive(false);
                    }
                    if (round == 0 && i == FUZZ_FRAMES / 2) {
                        p.flowBlocksActive(true);
                    }
                    byte[] f = frames.get(i);
                    MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                    long flowsBefore = p.byFlow;
                    p.packet(buf, f.length, T0 + round * ROUND + i * STEP, "fuzz round " + round + " #" + i);
                    if (p.byFlow > flowsBefore) {
                        int t0 = Bytes.be16(buf, 12);
                        int off = 14;
                        if (tag(t0) && f.length >= 22 && tag(Bytes.be16(buf, 16))) {
                            qinqFlow[0]++;
                            off = 22;
                        } else if (tag(t0)) {
                            off = 18;
                        }
                        int type = Bytes.be16(buf, off - 2);
                        if (type == JavaBlocks.ETH_P_IP && (Bytes.u8(buf, off) & 0x0f) < 5) {
                            ihlFlow[0]++;
                        }
                        if (type == JavaBlocks.ETH_P_IP && (Bytes.be16(buf, off + 6) & 0x1fff) != 0) {
                            fragmentFlow[0]++;
                        }
                        if (type == JavaBlocks.ETH_P_IPV6) {
                            v6Flow[0]++;
                        }
                    }
                }
            }
            p.assertSame();
            System.out.printf("BlocksParityTest fuzz: %d packets (%d frames twice), %d dropped (%d source, %d flow: %d QinQ, %d IHL < 5,"
                    + " %d later fragments, %d IPv6); %d source and %d flow blocks left%n", p.packets, FUZZ_FRAMES, p.dropped(), p.bySource,
                    p.byFlow, qinqFlow[0], ihlFlow[0], fragmentFlow[0], v6Flow[0], p.java.list().size(), p.java.listFlows().size());
            assertThat(p.packets).isEqualTo(2L * FUZZ_FRAMES);
            assertThat(p.bySource).as("source drops").isGreaterThan(1000);
            assertThat(p.byFlow).as("flow drops").isGreaterThan(1000);
            assertThat(qinqFlow[0]).as("QinQ flow drops").isPositive();
            assertThat(ihlFlow[0]).as("flow drops with IHL < 5").isPositive();
            assertThat(fragmentFlow[0]).as("later-fragment flow drops").isPositive();
            assertThat(v6Flow[0]).as("IPv6 flow drops").isPositive();
        }
    }

    // ------------------------------------------------------------------ crafted edges

    /**
     * Frames built at every edge: untagged, one tag (PCP set), QinQ, three tags, TPID 0x9100;
     * IPv4 with every IHL 0..15, first and later fragments, TCP, UDP, ICMP; IPv6 with and without an
     * extension header; each cut at every length from 14 bytes on. Every flow key they produce is
     * blocked, and the same addresses with ports 0 (what a frame whose ports are cut off would key
     * to if the ports were taken as 0: it must pass).
     */
    @Test
    void kernelAndJavaBlockEdgeFramesAlike() throws Exception {
        TestData.assumeBpf();
        List<byte[]> bases = new ArrayList<>();
        bases.add(new FrameBuilder().ethernet().ipv4("10.1.0.1", "10.2.0.2").tcp(1234, 80, 0x02).payload(6).build());
        byte[] tagged = new FrameBuilder().ethernet().vlan(0x8100, 100).ipv4("10.1.0.3", "10.2.0.2").udp(5353, 53).payload(6).build();
        tagged[14] |= (byte) 0xe0; // PCP 7: not part of the VID
        bases.add(tagged);
        bases.add(new FrameBuilder().ethernet().vlan(0x88a8, 200).vlan(0x8100, 300).ipv4("10.1.0.4", "10.2.0.2").udp(40000, 4789).payload(6).build());
        bases.add(new FrameBuilder().ethernet().vlan(0x88a8, 1).vlan(0x8100, 2).vlan(0x8100, 3).ipv4("10.1.0.5", "10.2.0.2").udp(1, 2).build());
        bases.add(new FrameBuilder().ethernet().vlan(0x9100, 9).ipv4("10.1.0.6", "10.2.0.2").udp(1, 2).build());
        bases.add(new FrameBuilder().ethernet().ipv4(new byte[] {10, 1, 0, 7}, new byte[] {10, 2, 0, 2}, 0x2000, 64).tcp(999, 443, 0x10).build());
        bases.add(new FrameBuilder().ethernet().ipv4(new byte[] {10, 1, 0, 8}, new byte[] {10, 2, 0, 2}, 0x0010, 64).udp(7, 9).payload(8).build());
        bases.add(new FrameBuilder().ethernet().vlan(0x8100, 4095).ipv4("10.1.0.9", "10.2.0.2").icmpEcho(1, 2).build());
        bases.add(new FrameBuilder().ethernet().ipv6("2001:db8::1", "2001:db8::2").udp(5000, 53).payload(4).build());
        bases.add(new FrameBuilder().ethernet().vlan(0x88a8, 7).vlan(0x8100, 8).ipv6("2001:db8::3", "2001:db8::2").tcp(80, 8080, 0x12).build());
        bases.add(new FrameBuilder().ethernet().ipv6("2001:db8::4", "2001:db8::2").ipv6Extension(0, 0).tcp(22, 2222, 0x02).build());
        List<byte[]> frames = new ArrayList<>();
        for (byte[] base : bases) {
            int off = 14;
            while (off + 4 <= base.length && tag(((base[off - 2] & 0xff) << 8) | (base[off - 1] & 0xff))) {
                off += 4;
            }
            boolean v4 = ((base[off - 2] & 0xff) << 8 | (base[off - 1] & 0xff)) == 0x0800;
            for (int ihl = v4 ? 0 : 5; ihl <= (v4 ? 15 : 5); ihl++) {
                byte[] f = base.clone();
                if (v4) {
                    f[off] = (byte) (0x40 | ihl);
                }
                for (int len = 14; len <= f.length; len++) {
                    frames.add(java.util.Arrays.copyOf(f, len));
                }
            }
        }
        try (Arena a = Arena.ofConfined(); Pair p = new Pair(b -> b::check)) {
            MemorySegment buf = a.allocate(MAX + 8, 64);
            Traffic t = new Traffic();
            long now = 5_000_000_000L;
            for (byte[] f : frames) {
                MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                t.add(buf, f.length, now);
            }
            for (Seen s : t.flows.values()) {
                Mitigation.FlowBlock f = s.flow();
                p.blockFlow(f, false, 0);
                if (f.portA() != 0 || f.portB() != 0) {
                    p.blockFlow(new Mitigation.FlowBlock(f.addressA(), 0, f.addressB(), 0, f.protocol(), f.vlan(), f.vni(), 0, 0), true, 0);
                }
            }
            p.blockSource(InetAddress.getByName("10.1.0.9"), 32, 0); // the ICMP frame: blocked as a source first
            p.blockSource(InetAddress.getByName("10.1.0.1"), 32, now - 1); // expired: the flow decides
            p.blockSource(InetAddress.getByName("2001:db8::4"), 128, now); // expires now: still blocked
            // an LPM entry is its prefix's bits: another address of the prefix names the same entry
            p.blockSource(InetAddress.getByName("10.1.0.200"), 24, 0);
            p.blockSource(InetAddress.getByName("10.1.0.0"), 24, 0);
            assertThat(p.kernel.mitigation.list()).filteredOn(b -> b.prefixLength() == 24).singleElement()
                    .satisfies(b -> assertThat(b.address()).isEqualTo(InetAddress.getByName("10.1.0.0")));
            p.unblockSource(new Mitigation.Block(InetAddress.getByName("10.1.0.55"), 24, 0, 0));
            assertThat(p.kernel.mitigation.list()).noneMatch(b -> b.prefixLength() == 24);
            p.blockSource(InetAddress.getByName("10.1.0.66"), 24, now - 1); // expired: the sources under it not blocked by it
            p.compareEntries("edge blocks");
            for (int i = 0; i < frames.size(); i++) {
                byte[] f = frames.get(i);
                MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                p.packet(buf, f.length, now, "edge #" + i);
            }
            p.assertSame();
            System.out.printf("BlocksParityTest edges: %d frames, %d dropped (%d source, %d flow), %d flow blocks%n", p.packets, p.dropped(),
                    p.bySource, p.byFlow, p.java.listFlows().size());
            assertThat(p.bySource).isPositive();
            assertThat(p.byFlow).isPositive();
            assertThat(p.packets - p.dropped()).as("frames that pass (cut short, not IP, three tags, 0x9100)").isPositive();
        }
    }

    /**
     * A blocked source cannot escape its block by wrapping its packets: inside VXLAN (from a VTEP
     * that is not blocked) and behind three VLAN tags its packets are dropped as a source, the
     * innermost IP header the parse found being judged after the outer one; another inner source
     * passes. Kernel and twin alike (the detectors name inner sources, which the agent blocks).
     */
    @Test
    void aBlockedSourceIsDroppedInsideATunnelToo() throws Exception {
        TestData.assumeBpf();
        try (Arena a = Arena.ofConfined(); Pair p = new Pair(b -> b::check)) {
            MemorySegment buf = a.allocate(MAX + 8, 64);
            p.blockSource(InetAddress.getByName("10.77.1.1"), 32, 0);
            byte[] blocked = new FrameBuilder().ethernet().ipv4("192.0.2.10", "192.0.2.20").udp(40000, 4789).vxlan(7).ethernet()
                    .ipv4("10.77.1.1", "10.0.0.2").udp(5000, 53).build();
            byte[] other = new FrameBuilder().ethernet().ipv4("192.0.2.10", "192.0.2.20").udp(40000, 4789).vxlan(7).ethernet()
                    .ipv4("10.77.1.2", "10.0.0.2").udp(5000, 53).build();
            byte[] tagged = new FrameBuilder().ethernet().vlan(0x88a8, 7).vlan(0x8100, 8).vlan(0x8100, 9).ipv4("10.77.1.1", "10.0.0.2")
                    .udp(5000, 53).build();
            long now = 1_000_000_000L;
            long before = p.bySource;
            for (byte[] f : List.of(blocked, other, tagged)) {
                MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                p.packet(buf, f.length, now, "wrapped");
            }
            p.assertSame();
            assertThat(p.bySource - before).as("inside VXLAN and behind three tags").isEqualTo(2);
            assertThat(p.dropped()).isEqualTo(2);
        }
    }

    /**
     * A flow inside a VXLAN tunnel is blocked by its inner endpoints and its VNI (as the flow table
     * keys it; the operator's {@code --flow ...,vni=N}, a flagged tunnel flow of {@code xdpml run
     * --onnx}): the same inner flow in another tunnel, or outside any, passes; both directions of the
     * tunnelled flow are dropped. Kernel and twin alike.
     */
    @Test
    void aFlowInsideATunnelIsBlockedByItsVni() throws Exception {
        TestData.assumeBpf();
        try (Arena a = Arena.ofConfined(); Pair p = new Pair(b -> b::check)) {
            MemorySegment buf = a.allocate(MAX + 8, 64);
            InetAddress client = InetAddress.getByName("10.77.2.1");
            InetAddress server = InetAddress.getByName("10.0.0.2");
            p.blockFlow(new Mitigation.FlowBlock(client, 5000, server, 53, 17, 0, 7, 0, 0), false, 0);
            java.util.function.IntFunction<FrameBuilder> tunnel = vni -> new FrameBuilder().ethernet().ipv4("192.0.2.10", "192.0.2.20")
                    .udp(40000, 4789).vxlan(vni).ethernet();
            byte[] request = tunnel.apply(7).ipv4("10.77.2.1", "10.0.0.2").udp(5000, 53).build();
            byte[] reply = tunnel.apply(7).ipv4("10.0.0.2", "10.77.2.1").udp(53, 5000).build();
            byte[] otherTunnel = tunnel.apply(8).ipv4("10.77.2.1", "10.0.0.2").udp(5000, 53).build();
            byte[] untunnelled = new FrameBuilder().ethernet().ipv4("10.77.2.1", "10.0.0.2").udp(5000, 53).build();
            long now = 1_000_000_000L;
            for (byte[] f : List.of(request, reply, otherTunnel, untunnelled)) {
                MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                p.packet(buf, f.length, now, "vni");
            }
            p.assertSame();
            assertThat(p.byFlow).as("the tunnel's flow, both ways").isEqualTo(2);
            assertThat(p.dropped()).as("not VNI 8, not outside a tunnel").isEqualTo(2);
            assertThat(p.java.listFlows()).singleElement().satisfies(b -> {
                assertThat(b.vni()).isEqualTo(7);
                assertThat(b.toString()).isEqualTo("udp 10.0.0.2:53 <-> 10.77.2.1:5000 vni 7");
            });
        }
    }

    /**
     * A block of a native flow (VNI 0 in a flow block: no tunnel) drops that flow both ways, not the
     * same 5-tuple inside VXLAN VNI 0, which anyone reaching UDP 4789 can send: its key is marked
     * tunnelled (since 2026-12-06; before, the two shared the key). Kernel and twin alike.
     */
    @Test
    void aNativeFlowsBlockDoesNotReachTheSameFlowInsideVniZero() throws Exception {
        TestData.assumeBpf();
        try (Arena a = Arena.ofConfined(); Pair p = new Pair(b -> b::check)) {
            MemorySegment buf = a.allocate(MAX + 8, 64);
            p.blockFlow(new Mitigation.FlowBlock(InetAddress.getByName("10.77.2.1"), 5000, InetAddress.getByName("10.0.0.2"), 53, 17, 0, 0, 0, 0),
                    false, 0);
            byte[] request = new FrameBuilder().ethernet().ipv4("10.77.2.1", "10.0.0.2").udp(5000, 53).build();
            byte[] reply = new FrameBuilder().ethernet().ipv4("10.0.0.2", "10.77.2.1").udp(53, 5000).build();
            byte[] vniZero = new FrameBuilder().ethernet().ipv4("192.0.2.10", "192.0.2.20").udp(40000, 4789).vxlan(0).ethernet()
                    .ipv4("10.77.2.1", "10.0.0.2").udp(5000, 53).build();
            long now = 1_000_000_000L;
            for (byte[] f : List.of(request, reply, vniZero)) {
                MemorySegment.copy(f, 0, buf, ValueLayout.JAVA_BYTE, 0, f.length);
                p.packet(buf, f.length, now, "vni 0");
            }
            p.assertSame();
            assertThat(p.byFlow).as("the native flow, both ways").isEqualTo(2);
            assertThat(p.dropped()).as("not the same 5-tuple inside VNI 0").isEqualTo(2);
        }
    }

    /**
     * A flow block keys the flow as the flow table does: the same flow with IPv6 extension headers
     * (which the host's stack accepts) is still that flow and is dropped; a packet the parse
     * refuses is keyed by the narrow key of its outer header.
     */
    @Test
    void aBlockedFlowIsDroppedPastIpv6ExtensionHeaders() throws Exception {
        TestData.assumeBpf();
        try (Arena a = Arena.ofConfined(); Pair p = new Pair(b -> b::check)) {
            MemorySegment buf = a.allocate(MAX + 8, 64);
            Mitigation.FlowBlock f = new Mitigation.FlowBlock(InetAddress.getByName("2001:db8::66"), 40000, InetAddress.getByName("2001:db8::2"),
                    443, 6, 0, 0, 0, 0);
            p.blockFlow(f, false, 0);
            java.util.function.IntFunction<byte[]> withOptions = n -> {
                FrameBuilder b = new FrameBuilder().ethernet().ipv6("2001:db8::66", "2001:db8::2");
                for (int i = 0; i < n; i++) {
                    b.ipv6Extension(60, 0);
                }
                return b.tcp(40000, 443, 0x18).payload(32).build();
            };
            byte[] otherPort = new FrameBuilder().ethernet().ipv6("2001:db8::66", "2001:db8::2").ipv6Extension(0, 0).tcp(40001, 443, 0x18).build();
            long now = 1_000_000_000L;
            for (byte[] frame : List.of(withOptions.apply(0), withOptions.apply(1), withOptions.apply(3), otherPort, withOptions.apply(9))) {
                MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
                p.packet(buf, frame.length, now, "extension headers");
            }
            p.assertSame();
            assertThat(p.byFlow).as("the flow with 0, 1 and 3 destination-options headers").isEqualTo(3);
            assertThat(p.unreadable).as("with 9, past the parser's reach: no key could match, dropped while flows are blocked").isEqualTo(1);
            assertThat(p.dropped()).as("not the other port").isEqualTo(4);
        }
    }

    /**
     * A packet whose transport header lies past more IPv6 extension headers than the parser walks
     * (Linux still delivers it), or past the parser's reach in bytes, has no key that could match
     * its flow's block: while any flow block exists it is dropped (and counted apart), whatever its
     * hosts, inside a VXLAN tunnel too; with no flow block it passes. Kernel and twin alike.
     */
    @Test
    void aPacketPastTheParsersReachIsDroppedWhileFlowsAreBlocked() throws Exception {
        TestData.assumeBpf();
        try (Arena a = Arena.ofConfined(); Pair p = new Pair(b -> b::check)) {
            MemorySegment buf = a.allocate(MAX + 8, 64);
            java.util.function.Function<FrameBuilder, byte[]> deep = b -> {
                for (int i = 0; i < 9; i++) { // one more than XDPML_MAX_IPV6_EXT
                    b.ipv6Extension(60, 0);
                }
                return b.tcp(40001, 22, 0x02).build();
            };
            byte[] plain = deep.apply(new FrameBuilder().ethernet().ipv6("2001:db8::66", "2001:db8::2"));
            byte[] tagged = deep.apply(new FrameBuilder().ethernet().vlan(0x88a8, 5).vlan(6).vlan(7).ipv6("2001:db8::66", "2001:db8::2"));
            byte[] tunnelled = deep.apply(new FrameBuilder().ethernet().ipv4("192.0.2.10", "192.0.2.20").udp(40000, 4789).vxlan(7).ethernet()
                    .ipv6("2001:db8::66", "2001:db8::2"));
            // a destination-options header of 2,048 bytes (length 255): TCP starts past the parser's 2,048-byte reach
            byte[] far = new FrameBuilder().ethernet().ipv6("2001:db8::66", "2001:db8::2").ipv6Extension(60, 255).tcp(40001, 22, 0x02).build();
            byte[] readable = new FrameBuilder().ethernet().ipv6("2001:db8::66", "2001:db8::2").ipv6Extension(60, 0).tcp(40001, 22, 0x02).build();
            java.util.function.Function<byte[], Boolean> send = frame -> {
                long before = p.dropped();
                MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
                p.packet(buf, frame.length, 1_000_000_000L, frame.length + " bytes");
                return p.dropped() > before;
            };
            for (byte[] f : List.of(plain, tagged, tunnelled)) {
                assertThat(send.apply(f)).as("no flow block: passes").isFalse();
            }
            p.blockFlow(new Mitigation.FlowBlock(InetAddress.getByName("10.1.1.1"), 1000, InetAddress.getByName("10.2.2.2"), 2000, 17, 0, 0, 0, 0),
                    false, 0);
            assertThat(send.apply(plain)).as("past the chain the parser walks").isTrue();
            assertThat(send.apply(tagged)).as("behind three tags").isTrue();
            assertThat(send.apply(tunnelled)).as("inside a tunnel").isTrue();
            if (far.length <= MAX) {
                assertThat(send.apply(far)).as("past the parser's reach in bytes").isTrue();
            }
            assertThat(send.apply(readable)).as("its own flow key, not blocked").isFalse();
            p.assertSame();
            assertThat(p.unreadable).isEqualTo(far.length <= MAX ? 4 : 3);
            assertThat(p.kernel.unreadableCounter()).as("counted apart").isEqualTo(p.unreadable);
        }
    }

    /**
     * A packet the parse stopped short of what Linux reaches may hide a blocked source: a VXLAN
     * tunnel behind nine IPv6 extension headers (Linux decapsulates it; its inner source is never
     * parsed), or an IPv4 header behind a fifth VLAN tag. While a source block exists (and no flow
     * block), both are dropped as unreadable; with none, both pass; a readable packet from another
     * source passes. The state word the sweep leaves is the same in both.
     */
    @Test
    void aPacketTheParseStoppedShortIsDroppedWhileSourcesAreBlocked() throws Exception {
        TestData.assumeBpf();
        try (Arena a = Arena.ofConfined(); Pair p = new Pair(b -> b::check)) {
            MemorySegment buf = a.allocate(MAX + 8, 64);
            FrameBuilder hidden = new FrameBuilder().ethernet().ipv6("2001:db8::10", "2001:db8::20");
            for (int i = 0; i < 9; i++) { // one more than XDPML_MAX_IPV6_EXT
                hidden.ipv6Extension(60, 0);
            }
            byte[] tunnel = hidden.udp(40000, 4789).vxlan(7).ethernet().ipv4("10.66.0.1", "10.0.0.2").udp(5000, 53).build();
            FrameBuilder tags = new FrameBuilder().ethernet();
            for (int i = 0; i < 5; i++) { // one more than XDPML_MAX_VLAN
                tags.vlan(10 + i);
            }
            byte[] tagged = tags.ipv4("10.66.0.1", "10.0.0.2").udp(5000, 53).build();
            byte[] readable = new FrameBuilder().ethernet().ipv4("10.77.0.1", "10.0.0.2").udp(5000, 53).build();
            java.util.function.Function<byte[], Boolean> send = frame -> {
                long before = p.dropped();
                MemorySegment.copy(frame, 0, buf, ValueLayout.JAVA_BYTE, 0, frame.length);
                p.packet(buf, frame.length, 1_000_000_000L, frame.length + " bytes");
                return p.dropped() > before;
            };
            assertThat(send.apply(tunnel)).as("no block: passes").isFalse();
            assertThat(send.apply(tagged)).as("no block: passes").isFalse();
            p.blockSource(InetAddress.getByName("10.66.0.1"), 32, 2_000_000_000L);
            assertThat(p.kernel.blocking()).isEqualTo(Mitigation.BLOCKING_SOURCES).isEqualTo(p.java.blocking());
            assertThat(send.apply(tunnel)).as("a tunnel behind nine extension headers").isTrue();
            assertThat(send.apply(tagged)).as("behind five tags").isTrue();
            assertThat(send.apply(readable)).as("another source, readable").isFalse();
            p.sweep(3_000_000_000L); // the block expired and is swept: the bit goes
            assertThat(p.kernel.blocking()).isZero();
            assertThat(p.java.blocking()).isZero();
            assertThat(send.apply(tunnel)).as("no block left: passes").isFalse();
            p.assertSame();
            assertThat(p.unreadable).isEqualTo(2);
            assertThat(p.kernel.unreadableCounter()).as("counted apart").isEqualTo(2);
        }
    }

    // ------------------------------------------------------------------ negative controls

    /** The VID of the innermost of two tags instead of the outermost: the twin sees the tags' TCIs swapped. */
    static Twin innermostVlan(JavaBlocks b) {
        MemorySegment copy = Arena.ofAuto().allocate(MAX + 8, 64);
        return (f, length, now, in) -> {
            MemorySegment.copy(f, 0, copy, 0, length);
            if (length >= 22 && tag(Bytes.be16(copy, 12)) && tag(Bytes.be16(copy, 16))) {
                short outer = copy.get(Bytes.BE16, 14);
                copy.set(Bytes.BE16, 14, copy.get(Bytes.BE16, 18));
                copy.set(Bytes.BE16, 18, outer);
            }
            return b.check(copy, length, now, in);
        };
    }

    /** An entry that stops matching at its expiry instead of after it ({@code now >= expires}). */
    static Twin inclusiveExpiry(JavaBlocks b) {
        return (f, length, now, in) -> b.check(f, length, now + 1, in);
    }

    /** The test can fail: wrong twins differ from the kernel, each on the traffic that shows its mistake. */
    @Test
    void wrongTwinsAreCaught() throws Exception {
        TestData.assumeBpf();
        try (Pair p = runCapture(TestData.capture("tunnel/zeek-vlan-qinqinq.pcap"), Transform.DROP_THIRD_TAG, BlocksParityTest::innermostVlan)) {
            assertThat(p.diffs).as("innermost VLAN on the QinQ capture").isNotEmpty();
            System.out.println("BlocksParityTest caught, innermost VLAN on the QinQ capture: " + p.diffs.get(0));
        }
        try (Pair p = runCapture(TestData.capture("tunnel/zeek-vlan-qinqinq.pcap"), Transform.DROP_THIRD_TAG, BlocksParityTest::innermostVlan)) {
            assertThat(p.diffs).as("innermost VLAN on the QinQ capture").isNotEmpty();
            System.out.println("BlocksParityTest caught, innermost VLAN on the QinQ capture: " + p.diffs.get(0));
        }
        try (Pair p = runCapture(TestData.capture("tunnel/ndpi-vxlan.pcap"), Transform.AS_IS, BlocksParityTest::innermostVlan)) {
            assertThat(p.diffs).as("one tag: innermost is outermost").isEmpty();
        }
        try (Pair p = runCapture(TestData.capture("benign/ndpi-ftp.pcap"), Transform.AS_IS, BlocksParityTest::inclusiveExpiry)) {
            assertThat(p.diffs).as("expiry inclusive").isNotEmpty();
            System.out.println("BlocksParityTest caught, expiry inclusive: " + p.diffs.get(0));
        }
    }
}
