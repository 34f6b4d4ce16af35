package io.xdpml.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.packet.PacketParser;
import io.xdpml.packet.ParseSummary;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** The payload entropy as a callback sees it: in place at the frame's offset, by method and by input name, with or without a flow. */
class PacketViewEntropyTest {
    @Test
    void payloadEntropyByMethodAndInputName() {
        byte[] payload = new byte[200];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i % 8);
        }
        byte[] frame = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1000, 2000).payload(payload).build();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment umem = arena.allocate(4096);
            long at = 1000; // the frame sits inside a larger memory, as in an AF_XDP UMEM
            MemorySegment.copy(MemorySegment.ofArray(frame), 0, umem, at, frame.length);
            ParseSummary s = new ParseSummary();
            new PacketParser().parse(umem, at, frame.length, s);
            PacketView v = new PacketView();
            v.wrap(umem, at, frame.length, frame.length, 0, 0, s, null, null, null);
            assertThat(v.payloadEntropy()).isEqualTo(3.0);
            assertThat(v.input(PacketView.PAYLOAD_ENTROPY)).isEqualTo(3L << 16);
            assertThat(v.input("syn_flag_count")).isZero(); // no flow: the model inputs are 0
            byte[] empty = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").udp(1000, 2000).build();
            MemorySegment.copy(MemorySegment.ofArray(empty), 0, umem, at, empty.length);
            new PacketParser().parse(umem, at, empty.length, s);
            v.wrap(umem, at, empty.length, empty.length, 0, 0, s, null, null, null);
            assertThat(v.payloadEntropy()).isZero();
        }
    }
}
