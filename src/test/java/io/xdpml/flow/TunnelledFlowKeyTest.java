package io.xdpml.flow;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.TestRun;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A flow inside VXLAN is keyed apart from the native flow of the same 5-tuple, VNI 0 included (the
 * key's vni carries {@link FlowLayout#KEY_TUNNELLED}; review of 2026-12-06: before, anyone reaching
 * UDP 4789 could close a native TCP flow with an RST inside VNI 0). What users see of the key is the
 * real VNI. Kernel and twin alike.
 */
class TunnelledFlowKeyTest {
    static final long S = 1_000_000_000L;

    static FlowEngine[] engines(FlowConfig c, FlowRecordListener l) {
        return new FlowEngine[] {new KernelFlowEngine(c, l), new JavaFlowEngine(c, TestRun.maxTestRunFrame(), l)};
    }

    static void send(FlowEngine e, byte[] f, long t) {
        e.packet(MemorySegment.ofArray(f), f.length, t);
    }

    @Test
    void anRstInsideVniZeroDoesNotCloseTheNativeFlow() {
        TestData.assumeBpf();
        byte[] nat = new FrameBuilder().ethernet().ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 443, 0x10).payload(100).build();
        byte[] rst = new FrameBuilder().ethernet().ipv4("203.0.113.9", "10.0.0.2").udp(5555, 4789).vxlan(0).ethernet()
                .ipv4("10.0.0.1", "10.0.0.2").tcp(40000, 443, 0x04).build();
        List<String> records = new ArrayList<>();
        FlowRecordListener l = (t, reason, key, state) -> records.add(reason + " tunnelled=" + FlowLayout.keyTunnelled(key));
        for (FlowEngine e : engines(new FlowConfig(1024, 120 * S, 4789), l)) {
            records.clear();
            try (e) {
                send(e, nat, S);
                send(e, nat, 2 * S);
                send(e, rst, 3 * S);
                List<String> flows = new ArrayList<>();
                FlowRecord r = new FlowRecord();
                e.forEachFlow((k, v) -> {
                    r.wrap(k, v);
                    flows.add(r.tunnelled() + " vni " + r.vni() + " packets " + (r.packets(0) + r.packets(1)) + " closing "
                            + v.get(java.lang.foreign.ValueLayout.JAVA_BYTE, FlowLayout.CLOSING));
                });
                assertThat(flows).as(e.name()).containsExactlyInAnyOrder("false vni 0 packets 2 closing 0", "true vni 0 packets 1 closing 12");
                assertThat(records).as(e.name() + ": only the tunnelled flow closed").containsExactly("TCP_CLOSE tunnelled=true");
            }
        }
    }

    @Test
    void aTunnelledKeyCarriesItsVniAndTheMark() {
        TestData.assumeBpf();
        byte[] inner = new FrameBuilder().ethernet().ipv4("192.0.2.1", "192.0.2.2").udp(40000, 4789).vxlan(0xabcdef).ethernet()
                .ipv4("10.9.0.1", "10.9.0.2").udp(1000, 53).build();
        for (FlowEngine e : engines(new FlowConfig(1024, 120 * S, 4789), FlowRecordListener.NONE)) {
            try (e) {
                send(e, inner, S);
                List<Long> words = new ArrayList<>();
                List<Long> vnis = new ArrayList<>();
                e.forEachFlow((k, v) -> {
                    words.add(FlowLayout.u32(k, FlowLayout.KEY_VNI));
                    vnis.add(new FlowRecord().wrap(k, v).vni());
                });
                assertThat(words).as(e.name()).containsExactly(0xabcdefL | FlowLayout.KEY_TUNNELLED);
                assertThat(vnis).containsExactly(0xabcdefL);
            }
        }
    }
}
