package io.xdpml.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xdpml.dataplane.JavaBlocks.Reason;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.processor.Mitigation;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The twin's own semantics, without a kernel (BlocksParityTest holds it to the kernel's). */
class JavaBlocksTest {
    static MemorySegment frame(byte[] f) {
        return MemorySegment.ofArray(f);
    }

    /** The parse the blocks stage is given (the parse stage's). */
    static io.xdpml.packet.ParseSummary parse(byte[] f) {
        io.xdpml.packet.ParseSummary s = new io.xdpml.packet.ParseSummary();
        new io.xdpml.packet.PacketParser(4789).parse(frame(f), f.length, s);
        return s;
    }

    static InetAddress ip(String s) throws Exception {
        return InetAddress.getByName(s);
    }

    @Test
    void theLongestPrefixDecidesAloneEvenExpired() throws Exception {
        JavaBlocks b = new JavaBlocks();
        byte[] f = new FrameBuilder().ethernet().ipv4("10.1.2.3", "10.9.9.9").udp(1, 2).build();
        b.blockSource(ip("10.1.0.0"), 16, 0);
        assertThat(b.check(frame(f), f.length, 100, parse(f))).isEqualTo(Reason.SOURCE);
        b.blockSource(ip("10.1.2.77"), 24, 50); // the bits after the prefix do not matter; expired at 100
        assertThat(b.check(frame(f), f.length, 50, parse(f))).as("at its expiry it still matches").isEqualTo(Reason.SOURCE);
        assertThat(b.check(frame(f), f.length, 100, parse(f))).as("the /24 expired: the /16 is not consulted").isEqualTo(Reason.NONE);
        b.blockSource(ip("10.1.2.0"), 24, 0); // the same entry as 10.1.2.77/24: replaced, hits from 0
        assertThat(b.list()).hasSize(2).contains(new Mitigation.Block(ip("10.1.2.0"), 24, 0, 0));
        assertThat(b.check(frame(f), f.length, 100, parse(f))).isEqualTo(Reason.SOURCE);
        assertThat(b.lastHits()).isEqualTo(1);
        assertThat(b.unblockSource(ip("10.1.2.99"), 24)).isTrue();
        assertThat(b.unblockSource(ip("10.1.2.99"), 24)).isFalse();
        assertThat(b.list()).containsExactly(new Mitigation.Block(ip("10.1.0.0"), 16, 0, 1));
        assertThatThrownBy(() -> b.blockSource(ip("10.1.0.0"), 33, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void flowBlocksMatchBothDirectionsOnlyWhileActive() throws Exception {
        JavaBlocks b = new JavaBlocks();
        byte[] out = new FrameBuilder().ethernet().vlan(0x88a8, 7).vlan(0x8100, 8).ipv4("10.0.0.1", "10.0.0.2").tcp(5000, 80, 0x02).build();
        byte[] back = new FrameBuilder().ethernet().vlan(0x88a8, 7).vlan(0x8100, 8).ipv4("10.0.0.2", "10.0.0.1").tcp(80, 5000, 0x12).build();
        byte[] inner = new FrameBuilder().ethernet().vlan(0x88a8, 8).vlan(0x8100, 7).ipv4("10.0.0.1", "10.0.0.2").tcp(5000, 80, 0x02).build();
        assertThat(b.flowBlocksActive()).isFalse();
        b.blockFlow(new Mitigation.Flow(ip("10.0.0.2"), 80, ip("10.0.0.1"), 5000, 6, 7), 0);
        assertThat(b.flowBlocksActive()).isTrue();
        assertThat(b.check(frame(out), out.length, 1, parse(out))).isEqualTo(Reason.FLOW);
        assertThat(b.check(frame(back), back.length, 1, parse(back))).isEqualTo(Reason.FLOW);
        assertThat(b.check(frame(inner), inner.length, 1, parse(inner))).as("outermost VID 8: another flow").isEqualTo(Reason.NONE);
        b.flowBlocksActive(false);
        assertThat(b.check(frame(out), out.length, 1, parse(out))).isEqualTo(Reason.NONE);
        assertThat(b.listFlows()).singleElement().satisfies(f -> assertThat(f.hits()).isEqualTo(2));
        assertThat(b.sweep(1)).isZero();
        assertThat(b.flowBlocksActive()).as("a flow block is left").isTrue();
        assertThat(b.unblockFlow(new Mitigation.Flow(ip("10.0.0.1"), 5000, ip("10.0.0.2"), 80, 6, 7))).isTrue();
        b.sweep(1);
        assertThat(b.flowBlocksActive()).isFalse();
    }

    @Test
    void portsCutOffMeanNotBlockedAndLaterFragmentsHaveNone() throws Exception {
        JavaBlocks b = new JavaBlocks();
        b.blockFlow(new Mitigation.Flow(ip("10.0.0.1"), 0, ip("10.0.0.2"), 0, 17, 0), 0);
        byte[] later = new FrameBuilder().ethernet().ipv4(new byte[] {10, 0, 0, 1}, new byte[] {10, 0, 0, 2}, 0x0008, 64).udp(1, 2).build();
        assertThat(b.check(frame(later), later.length, 1, parse(later))).isEqualTo(Reason.FLOW);
        byte[] first = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(0, 0).build();
        assertThat(b.check(frame(first), first.length, 1, parse(first))).isEqualTo(Reason.FLOW);
        byte[] cut = java.util.Arrays.copyOf(first, 14 + 20 + 3);
        assertThat(parse(cut).error()).as("the parse refuses it: the narrow key").isNotZero();
        assertThat(b.check(frame(first), cut.length, 1, parse(cut))).as("three bytes of ports").isEqualTo(Reason.NONE);
    }

    @Test
    void checkAllocatesNothing() throws Exception {
        JavaBlocks b = new JavaBlocks();
        byte[][] frames = {
            new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build(),
            new FrameBuilder().ethernet().vlan(0x88a8, 7).vlan(0x8100, 8).ipv6("2001:db8::1", "2001:db8::2").tcp(1, 2, 0x02).build(),
            new FrameBuilder().ethernet().ipv4("10.0.0.3", "10.0.0.2").tcp(3, 4, 0x02).build(),
        };
        b.blockSource(ip("10.0.0.0"), 31, 0);
        b.blockSource(ip("2001:db8::"), 32, 0);
        b.blockSource(ip("2001:db8::1"), 128, 1);
        b.blockFlow(new Mitigation.Flow(ip("10.0.0.3"), 3, ip("10.0.0.2"), 4, 6, 0), 0);
        MemorySegment[] segs = new MemorySegment[frames.length];
        io.xdpml.packet.ParseSummary[] parses = new io.xdpml.packet.ParseSummary[frames.length];
        for (int i = 0; i < frames.length; i++) {
            segs[i] = MemorySegment.ofArray(frames[i]);
            parses[i] = parse(frames[i]);
        }
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long blocked = 0;
        for (int round = 0; round < 5; round++) {
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 1_000_000; i++) {
                int k = i % frames.length;
                blocked += b.check(segs[k], frames[k].length, i, parses[k]) != Reason.NONE ? 1 : 0;
            }
            long allocated = mx.getCurrentThreadAllocatedBytes() - before;
            if (round == 4) {
                assertThat(allocated).as("bytes allocated by 10^6 checks, compiled").isLessThan(64 * 1024);
            }
        }
        assertThat(blocked).isPositive();
    }
}
