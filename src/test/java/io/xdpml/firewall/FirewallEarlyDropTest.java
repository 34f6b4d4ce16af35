package io.xdpml.firewall;

import static io.xdpml.firewall.FirewallBoundedTablesTest.ACK;
import static io.xdpml.firewall.FirewallBoundedTablesTest.BIG_INT;
import static io.xdpml.firewall.FirewallBoundedTablesTest.BIG_SHORT;
import static io.xdpml.firewall.FirewallBoundedTablesTest.HOST_MAC;
import static io.xdpml.firewall.FirewallBoundedTablesTest.PEER_MAC;
import static io.xdpml.firewall.FirewallBoundedTablesTest.PSH;
import static io.xdpml.firewall.FirewallBoundedTablesTest.SYN;
import static io.xdpml.firewall.FirewallBoundedTablesTest.frame;
import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * Linux conntrack's early_drop, in xdpml: established connections survive a flood of new ones far
 * larger than the connection table (max-connections), kernel (BPF_PROG_TEST_RUN, one CPU) and Java
 * twin alike. A connection opened by a SYN or a UDP datagram waits in the table of unassured ones
 * (xdpml_fw_ct_new) until it is established or answered, so a flood of spoofed SYNs or of UDP first
 * datagrams evicts only its own kind. Before 2026-12-06 one table held both: this test on the
 * old program (Linux 6.18), after 8 x 1,024 spoofed SYNs or UDP first datagrams, found the next
 * ACK of 128 of the 256 established connections drop_ct_stray in the kernel (its approximate LRU
 * kept the other 128, looked up more often) and of all 256 in the twin (exact LRU).
 * docs/firewall.md, "Early drop".
 */
class FirewallEarlyDropTest {
    /** max-connections: a multiple of 128 (the kernel's LRU evicts in batches of up to 128). */
    static final int CAPACITY = 1024;
    /** Established connections: half seen both ways (SYN, SYN-ACK, ACK), half inbound only (SYN, ACK: one NIC). */
    static final int ESTABLISHED = 256;
    static final int FLOOD = 8 * CAPACITY;

    @Test
    void establishedConnectionsSurviveASynFloodLargerThanTheTable() throws Exception {
        assertSurvive(true);
    }

    @Test
    void establishedConnectionsSurviveAUdpFloodLargerThanTheTable() throws Exception {
        assertSurvive(false);
    }

    private void assertSurvive(boolean synFlood) throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("default pass\nconntrack on strict\n", "early-drop");
        JavaFirewall java = FirewallBoundedTablesTest.twin(CAPACITY, c);
        try (KernelFirewall kernel = FirewallBoundedTablesTest.kernel(CAPACITY, c); Arena arena = Arena.ofConfined()) {
            long[] now = {1_000_000_000L};
            int clientSeq = 1000;
            int serverSeq = 50_000;
            MemorySegment syn = frame(arena, new FrameBuilder().ethernet(HOST_MAC, PEER_MAC).ipv4("192.0.2.10", "198.51.100.1")
                    .tcp(40000, 443, SYN, clientSeq, 0).build());
            MemorySegment synAck = frame(arena, new FrameBuilder().ethernet(PEER_MAC, HOST_MAC).ipv4("198.51.100.1", "192.0.2.10")
                    .tcp(443, 40000, SYN | ACK, serverSeq, clientSeq + 1).build());
            MemorySegment ack = frame(arena, new FrameBuilder().ethernet(HOST_MAC, PEER_MAC).ipv4("192.0.2.10", "198.51.100.1")
                    .tcp(40000, 443, ACK | PSH, clientSeq + 1, serverSeq + 1).payload(10).build());
            for (int i = 0; i < ESTABLISHED; i++) {
                short port = (short) (40000 + i);
                syn.set(BIG_SHORT, 14 + 20, port);
                synAck.set(BIG_SHORT, 14 + 20 + 2, port);
                ack.set(BIG_SHORT, 14 + 20, port);
                assertThat(both(kernel, java, syn, now)).as("SYN %d", i).isEqualTo(FirewallCounter.PASS_DEFAULT);
                if (i % 2 == 0) {
                    assertThat(both(kernel, java, synAck, now)).as("SYN-ACK %d", i).isEqualTo(FirewallCounter.PASS_CONNTRACK);
                }
                assertThat(both(kernel, java, ack, now)).as("handshake's ACK %d", i).isEqualTo(FirewallCounter.PASS_CONNTRACK);
            }
            assertThat(kernel.program().maps().connections()).as("the kernel's connections").isEqualTo(ESTABLISHED);
            assertThat(java.connectionEntries()).as("the twin's").isEqualTo(ESTABLISHED);

            // the flood: spoofed sources of 10.0.0.0/8, a new 4-tuple each, rewritten in place
            MemorySegment flood = frame(arena, synFlood
                    ? new FrameBuilder().ethernet(HOST_MAC, PEER_MAC).ipv4("10.0.0.1", "198.51.100.1").tcp(1024, 443, SYN, 7, 0).build()
                    : new FrameBuilder().ethernet(HOST_MAC, PEER_MAC).ipv4("10.0.0.1", "198.51.100.1").udp(1024, 53).payload(20).build());
            for (int n = 1; n <= FLOOD; n++) {
                flood.set(BIG_INT, 14 + 12, 0x0a00_0000 | n);
                flood.set(BIG_SHORT, 14 + 20, (short) (1024 + n % 60_000));
                assertThat(both(kernel, java, flood, now)).as("flood packet %d", n).isEqualTo(FirewallCounter.PASS_DEFAULT);
            }

            // the established connections' next packets, judged by each side (above the capacity the kernel's LRU and
            // the twin's exact one evict differently: on the old single table their counts differed)
            int[] passed = new int[2];
            int[] stray = new int[2];
            for (int i = 0; i < ESTABLISHED; i++) {
                ack.set(BIG_SHORT, 14 + 20, (short) (40000 + i));
                ack.set(BIG_INT, 14 + 20 + 4, clientSeq + 11);
                now[0] += 1000;
                FirewallCounter[] r = {kernel.packet(ack, (int) ack.byteSize(), now[0]), java.packet(ack, (int) ack.byteSize(), now[0])};
                for (int side = 0; side < 2; side++) {
                    passed[side] += r[side] == FirewallCounter.PASS_CONNTRACK ? 1 : 0;
                    stray[side] += r[side] == FirewallCounter.DROP_CT_STRAY ? 1 : 0;
                }
            }
            System.out.printf("FirewallEarlyDropTest: after %,d %s over a table of %,d, of %d established connections quiet meanwhile:"
                            + " kernel %d passed, %d drop_ct_stray; twin %d passed, %d drop_ct_stray; connections held: kernel %d, twin %d%n",
                    FLOOD, synFlood ? "spoofed SYNs" : "UDP first datagrams", CAPACITY, ESTABLISHED, passed[0], stray[0], passed[1],
                    stray[1], kernel.program().maps().connections(), java.connectionEntries());
            assertThat(stray).as("established connections' next packets dropped as stray {kernel, twin}").containsExactly(0, 0);
            assertThat(passed).as("passed as their connection's {kernel, twin}").containsExactly(ESTABLISHED, ESTABLISHED);
        }
    }

    static final int FIN = 0x01;
    static final int RST = 0x04;
    static final long SECOND = 1_000_000_000L;

    /**
     * Every way a connection enters, moves between or leaves the two tables, kernel and twin packet
     * by packet: the same verdict, and the same number of entries in each table (xdpml_fw_ct and
     * xdpml_fw_ct_new, the twin's assured and unassured), below the capacity (nothing evicted). A
     * SYN's connection waits unassured, its handshake's ACK moves it; a FIN and the peer's RST close
     * it where it is; a SYN over the closed one starts it unassured again (the closed entry deleted
     * from the assured table), a RST closes it unassured, a SYN replaces that, the ACK alone (one NIC)
     * moves it; an expired assured one is taken over by a SYN (unassured), an expired unassured
     * one by a loose mid-stream ACK (assured); a SYN from the responder's side over a closed
     * connection opens it the other way. UDP: unassured until answered, moved by the reply; expired,
     * a datagram from the former responder opens it anew, unassured, and its answer moves it.
     */
    @Test
    void everyTransitionLeavesTheConnectionInTheSameTableOnBothSides() throws Exception {
        TestData.assumeBpf();
        FirewallConfig c = FirewallConfigParser.parse("default pass\nconntrack on\n", "tables");
        JavaFirewall java = FirewallBoundedTablesTest.twin(CAPACITY, c);
        try (KernelFirewall kernel = FirewallBoundedTablesTest.kernel(CAPACITY, c); Arena arena = Arena.ofConfined()) {
            long[] now = {1_000_000_000L};
            String client = "192.0.2.10";
            String server = "198.51.100.1";
            // {assured, unassured} after each packet, and its verdict
            step(kernel, java, arena, now, 0, tcp(client, server, 40000, 443, SYN, 1000, 0), FirewallCounter.PASS_DEFAULT, 0, 1);
            step(kernel, java, arena, now, 0, tcp(server, client, 443, 40000, SYN | ACK, 50_000, 1001), FirewallCounter.PASS_CONNTRACK, 0, 1);
            step(kernel, java, arena, now, 0, tcp(client, server, 40000, 443, ACK, 1001, 50_001), FirewallCounter.PASS_CONNTRACK, 1, 0);
            step(kernel, java, arena, now, 0, tcp(client, server, 40000, 443, FIN | ACK, 1001, 50_001), FirewallCounter.PASS_CONNTRACK, 1, 0);
            step(kernel, java, arena, now, 0, tcp(server, client, 443, 40000, RST, 50_001, 0), FirewallCounter.PASS_CONNTRACK, 1, 0);
            // closed: a SYN opens it again, unassured
            step(kernel, java, arena, now, 0, tcp(client, server, 40000, 443, SYN, 7000, 0), FirewallCounter.PASS_DEFAULT, 0, 1);
            step(kernel, java, arena, now, 0, tcp(client, server, 40000, 443, RST, 7001, 0), FirewallCounter.PASS_CONNTRACK, 0, 1);
            step(kernel, java, arena, now, 0, tcp(client, server, 40000, 443, SYN, 9000, 0), FirewallCounter.PASS_DEFAULT, 0, 1);
            step(kernel, java, arena, now, 0, tcp(client, server, 40000, 443, ACK, 9001, 70_000), FirewallCounter.PASS_CONNTRACK, 1, 0);
            // expired while assured: a SYN takes the key over, unassured
            step(kernel, java, arena, now, 3601 * SECOND, tcp(client, server, 40000, 443, SYN, 11_000, 0), FirewallCounter.PASS_DEFAULT, 0, 1);
            // expired while unassured: a mid-stream ACK (loose) picks it up, assured
            step(kernel, java, arena, now, 31 * SECOND, tcp(client, server, 40000, 443, ACK, 11_001, 80_000), FirewallCounter.PASS_DEFAULT, 1, 0);
            // closed by the responder's RST, then a SYN from the responder's side: the other way round, unassured
            step(kernel, java, arena, now, 0, tcp(server, client, 443, 40000, RST, 80_000, 0), FirewallCounter.PASS_CONNTRACK, 1, 0);
            step(kernel, java, arena, now, 0, tcp(server, client, 443, 40000, SYN, 90_000, 0), FirewallCounter.PASS_DEFAULT, 0, 1);
            step(kernel, java, arena, now, 0, tcp(client, server, 40000, 443, SYN | ACK, 12_000, 90_001), FirewallCounter.PASS_CONNTRACK, 0, 1);
            step(kernel, java, arena, now, 0, tcp(server, client, 443, 40000, ACK, 90_001, 12_001), FirewallCounter.PASS_CONNTRACK, 1, 0);

            // UDP beside it
            step(kernel, java, arena, now, 0, udp(client, server, 5000, 53), FirewallCounter.PASS_DEFAULT, 1, 1);
            step(kernel, java, arena, now, 0, udp(client, server, 5000, 53), FirewallCounter.PASS_CONNTRACK, 1, 1);
            step(kernel, java, arena, now, 0, udp(server, client, 53, 5000), FirewallCounter.PASS_CONNTRACK, 2, 0);
            step(kernel, java, arena, now, 0, udp(client, server, 5000, 53), FirewallCounter.PASS_CONNTRACK, 2, 0);
            // expired (60 s): the former responder's datagram opens it anew, unassured; the answer moves it
            step(kernel, java, arena, now, 61 * SECOND, udp(server, client, 53, 5000), FirewallCounter.PASS_DEFAULT, 1, 1);
            step(kernel, java, arena, now, 0, udp(client, server, 5000, 53), FirewallCounter.PASS_CONNTRACK, 2, 0);
        }
    }

    private static byte[] tcp(String src, String dst, int sport, int dport, int flags, int seq, int ack) {
        boolean toServer = dport == 443;
        return new FrameBuilder().ethernet(toServer ? HOST_MAC : PEER_MAC, toServer ? PEER_MAC : HOST_MAC).ipv4(src, dst)
                .tcp(sport, dport, flags, seq, ack).build();
    }

    private static byte[] udp(String src, String dst, int sport, int dport) {
        boolean toServer = dport == 53;
        return new FrameBuilder().ethernet(toServer ? HOST_MAC : PEER_MAC, toServer ? PEER_MAC : HOST_MAC).ipv4(src, dst)
                .udp(sport, dport).payload(20).build();
    }

    /** One packet after {@code advance} ns (and a microsecond): the verdict and the tables' entries {assured, unassured}, both sides. */
    private static void step(KernelFirewall kernel, JavaFirewall java, Arena arena, long[] now, long advance, byte[] bytes,
                             FirewallCounter expected, int assured, int unassured) {
        now[0] += advance;
        MemorySegment f = frame(arena, bytes);
        FirewallCounter r = both(kernel, java, f, now);
        int kernelAssured = kernel.program().maps().conntrack().keys().size();
        int kernelUnassured = kernel.program().object().map("xdpml_fw_ct_new").keys().size();
        String what = "the packet after " + kernel.counter(FirewallCounter.PACKETS) + " packets";
        assertThat(new int[] {kernelAssured, kernelUnassured}).as("%s: the kernel's {assured, unassured}", what)
                .containsExactly(java.assuredEntries(), java.connectionEntries() - java.assuredEntries());
        assertThat(r).as("%s: its verdict", what).isEqualTo(expected);
        assertThat(new int[] {kernelAssured, kernelUnassured}).as("%s: {assured, unassured}", what).containsExactly(assured, unassured);
    }

    /** The packet judged by the kernel and the twin at the next microsecond: their verdict, which must be the same. */
    private static FirewallCounter both(KernelFirewall kernel, JavaFirewall java, MemorySegment frame, long[] now) {
        now[0] += 1000;
        int length = (int) frame.byteSize();
        FirewallCounter k = kernel.packet(frame, length, now[0]);
        FirewallCounter j = java.packet(frame, length, now[0]);
        assertThat(k).as("kernel and twin").isEqualTo(j);
        return k;
    }
}
