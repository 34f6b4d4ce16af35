package io.xdpml.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The fixed-point payload entropy: its table against the C header's, its values against exact arithmetic, its bounds. */
class PayloadEntropyTest {
    @Test
    void tableEqualsTheCHeaders() throws Exception {
        String h = Files.readString(Path.of("bpf/include/xdpml/entropy.h"));
        Matcher m = Pattern.compile("xdpml_entropy_clog2c\\[XDPML_ENTROPY_MAX_PREFIX \\+ 1\\] = \\{(.*?)\\};", Pattern.DOTALL).matcher(h);
        assertThat(m.find()).isTrue();
        int[] c = Arrays.stream(m.group(1).split(",")).map(String::strip).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
        assertThat(c).containsExactly(PayloadEntropy.table());
        Matcher dm = Pattern.compile("xdpml_entropy_dclog2c\\[XDPML_ENTROPY_MAX_PREFIX\\] = \\{(.*?)\\};", Pattern.DOTALL).matcher(h);
        assertThat(dm.find()).isTrue();
        int[] d = Arrays.stream(dm.group(1).split(",")).map(String::strip).filter(s -> !s.isEmpty()).mapToInt(Integer::parseInt).toArray();
        int[] t = PayloadEntropy.table();
        assertThat(d).hasSize(PayloadEntropy.MAX_PREFIX);
        for (int i = 0; i < d.length; i++) {
            assertThat(d[i]).as("D[%d]", i).isEqualTo(t[i + 1] - t[i]);
        }
        Matcher max = Pattern.compile("#define XDPML_ENTROPY_MAX_PREFIX (\\d+)").matcher(h);
        assertThat(max.find()).isTrue();
        assertThat(Integer.parseInt(max.group(1))).isEqualTo(PayloadEntropy.MAX_PREFIX);
        Matcher shift = Pattern.compile("#define XDPML_ENTROPY_SHIFT (\\d+)").matcher(h);
        assertThat(shift.find()).isTrue();
        assertThat(Integer.parseInt(shift.group(1))).isEqualTo(PayloadEntropy.SHIFT);
    }

    @Test
    void fixedPointIsWithinOneStepOfTheExactEntropy() {
        PayloadEntropy e = new PayloadEntropy();
        Random r = new Random(15);
        byte[] b = new byte[64];
        for (int round = 0; round < 20_000; round++) {
            int n = r.nextInt(65);
            int alphabet = 1 + r.nextInt(round % 3 == 0 ? 256 : 8);
            for (int i = 0; i < n; i++) {
                b[i] = (byte) r.nextInt(alphabet);
            }
            int q = e.ofBytes(MemorySegment.ofArray(b), 0, n);
            double exact = PayloadEntropy.exactBits(b, 0, n);
            // T rounds each term by at most 1/2 step: the sum of at most n + 1 of them, over n, and the floor
            assertThat(PayloadEntropy.bits(q)).as("n=%d", n).isCloseTo(exact, org.assertj.core.data.Offset.offset(2.0 / PayloadEntropy.ONE));
            assertThat(e.lastBytes()).isEqualTo(n);
        }
    }

    @Test
    void knownValues() {
        PayloadEntropy e = new PayloadEntropy();
        MemorySegment zeros = MemorySegment.ofArray(new byte[64]);
        assertThat(e.ofBytes(zeros, 0, 64)).isZero();
        assertThat(e.ofBytes(zeros, 0, 0)).isZero();
        byte[] all = new byte[64];
        for (int i = 0; i < 64; i++) {
            all[i] = (byte) i;
        }
        assertThat(e.ofBytes(MemorySegment.ofArray(all), 0, 64)).isEqualTo(6 << 16);
        assertThat(e.ofBytes(MemorySegment.ofArray(all), 0, 16)).isEqualTo(4 << 16);
        byte[] two = new byte[64];
        for (int i = 0; i < 64; i++) {
            two[i] = (byte) (i & 1);
        }
        assertThat(e.ofBytes(MemorySegment.ofArray(two), 0, 64)).isEqualTo(1 << 16);
        // the histogram is cleared between calls
        assertThat(e.ofBytes(zeros, 0, 64)).isZero();
        assertThatThrownBy(() -> new PayloadEntropy(65)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new PayloadEntropy(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void payloadOfUdpTcpIcmpAndNone() {
        PacketParser parser = new PacketParser();
        ParseSummary s = new ParseSummary();
        PayloadEntropy e = new PayloadEntropy();
        byte[] payload = new byte[100];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i % 4);
        }
        byte[] udp = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1234, 5678).payload(payload).build();
        parser.parse(MemorySegment.ofArray(udp), udp.length, s);
        assertThat(PayloadEntropy.payloadBounds(MemorySegment.ofArray(udp), 0, udp.length, s)).isEqualTo((42L << 32) | 142);
        assertThat(e.ofPacket(MemorySegment.ofArray(udp), 0, udp.length, s)).isEqualTo(2 << 16);
        assertThat(e.lastBytes()).isEqualTo(64);
        PayloadEntropy short16 = new PayloadEntropy(16);
        assertThat(short16.ofPacket(MemorySegment.ofArray(udp), 0, udp.length, s)).isEqualTo(2 << 16);
        assertThat(short16.lastBytes()).isEqualTo(16);
        // Ethernet padding after the IP packet is not payload
        byte[] padded = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).payload(new byte[] {7}).padTo(60).build();
        padded[50] = 9;
        parser.parse(MemorySegment.ofArray(padded), padded.length, s);
        assertThat(e.ofPacket(MemorySegment.ofArray(padded), 0, padded.length, s)).isZero();
        assertThat(e.lastBytes()).isEqualTo(1);
        // no payload at all
        byte[] empty = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).build();
        parser.parse(MemorySegment.ofArray(empty), empty.length, s);
        assertThat(e.ofPacket(MemorySegment.ofArray(empty), 0, empty.length, s)).isZero();
        assertThat(e.lastBytes()).isZero();
        // TCP after its data offset (options included), ICMP after 8 bytes
        byte[] tcp = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").tcp(1, 2, 0x18).payload(payload).build();
        parser.parse(MemorySegment.ofArray(tcp), tcp.length, s);
        assertThat(PayloadEntropy.payloadBounds(MemorySegment.ofArray(tcp), 0, tcp.length, s)).isEqualTo((54L << 32) | 154);
        byte[] icmp = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").icmpEcho(1, 2).payload(new byte[56]).build();
        parser.parse(MemorySegment.ofArray(icmp), icmp.length, s);
        assertThat(PayloadEntropy.payloadBounds(MemorySegment.ofArray(icmp), 0, icmp.length, s)).isEqualTo((42L << 32) | 98);
        assertThat(e.ofPacket(MemorySegment.ofArray(icmp), 0, icmp.length, s)).isZero();
        assertThat(e.lastBytes()).isEqualTo(56);
    }
}
