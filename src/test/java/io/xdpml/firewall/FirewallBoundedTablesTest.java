package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TestData;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/**
 * The Java twin's connections and sources' buckets are bounded by the capacities of the kernel's
 * maps (xdpml_fw_ct, xdpml_fw_rate) and evict the least recently used entry: a spoofed flood of
 * many more new 4-tuples than the capacity (each from a new source) leaves each table at its
 * capacity, its memory as it was when it filled, allocates nothing once the tables are full, and
 * does not evict an established connection that keeps sending (under strict conntrack its next
 * ACK would otherwise be drop_ct_stray). Before 2026-12-06 the twin's tables grew without bound.
 */
class FirewallBoundedTablesTest {
    static final byte[] HOST_MAC = {0x02, 0, 0, 0, 0, 0x02};
    static final byte[] PEER_MAC = {0x02, 0, 0, 0, 0, 0x01};
    static final int SYN = 0x02;
    static final int ACK = 0x10;
    static final int PSH = 0x08;
    static final ValueLayout.OfInt BIG_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);
    static final ValueLayout.OfShort BIG_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(java.nio.ByteOrder.BIG_ENDIAN);

    static final int CONNECTIONS = 4096;
    static final int SOURCES = 2048;
    /** Flood packets between two packets of the established connection. */
    static final int GAP = 64;

    private long now = 1_000_000_000L;
    private int clientSeq = 1000;
    private int serverSeq = 50_000;

    @Test
    void aFloodOfNewTuplesKeepsTheTablesAtTheirCapacityAndTheEstablishedConnection() throws Exception {
        JavaFirewall fw = new JavaFirewall(4789, CONNECTIONS, SOURCES);
        fw.install(FirewallConfigParser.parse("""
                default pass
                conntrack on strict
                rate-limit 1000000/s burst 1000
                """, "bounded"));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment syn = frame(arena, new FrameBuilder().ethernet(HOST_MAC, PEER_MAC).ipv4("192.0.2.10", "198.51.100.1")
                    .tcp(40000, 443, SYN, clientSeq, 0).build());
            MemorySegment synAck = frame(arena, new FrameBuilder().ethernet(PEER_MAC, HOST_MAC).ipv4("198.51.100.1", "192.0.2.10")
                    .tcp(443, 40000, SYN | ACK, serverSeq, clientSeq + 1).build());
            clientSeq++;
            serverSeq++;
            MemorySegment data = frame(arena, new FrameBuilder().ethernet(HOST_MAC, PEER_MAC).ipv4("192.0.2.10", "198.51.100.1")
                    .tcp(40000, 443, ACK | PSH, clientSeq, serverSeq).payload(10).build());
            MemorySegment reply = frame(arena, new FrameBuilder().ethernet(PEER_MAC, HOST_MAC).ipv4("198.51.100.1", "192.0.2.10")
                    .tcp(443, 40000, ACK, serverSeq, clientSeq).build());
            // UDP from 10.0.0.0/8, source address and port rewritten in place for each packet: a new 4-tuple and source each time
            MemorySegment flood = frame(arena, new FrameBuilder().ethernet(HOST_MAC, PEER_MAC).ipv4("10.0.0.1", "198.51.100.1")
                    .udp(1024, 53).payload(20).build());
            int dataLength = (int) data.byteSize();
            int replyLength = (int) reply.byteSize();
            int floodLength = (int) flood.byteSize();

            assertThat(fw.packet(syn, (int) syn.byteSize(), now += 1000)).isEqualTo(FirewallCounter.PASS_DEFAULT);
            assertThat(fw.packet(synAck, (int) synAck.byteSize(), now += 1000)).isEqualTo(FirewallCounter.PASS_CONNTRACK);
            int n = 0;
            long[] reasons = new long[FirewallCounter.SLOTS];
            // fill the tables several times over (and warm the JIT up), the connection sending all along
            for (; n < 20 * CONNECTIONS; n++) {
                exchange(fw, n, flood, floodLength, data, dataLength, reply, replyLength, reasons);
            }
            // the flood's unassured entries fill their table, the connection (assured) is in the other
            assertThat(fw.connectionEntries()).as("connection entries after %,d new 4-tuples", n).isEqualTo(CONNECTIONS + 1);
            assertThat(fw.assuredEntries()).as("the assured one").isEqualTo(1);
            assertThat(fw.sourceEntries()).as("source entries after %,d new sources", n).isEqualTo(SOURCES);
            int slots = fw.connectionSlots();
            assertThat(slots).as("the connection tables' slots").isLessThanOrEqualTo(4 * CONNECTIONS); // two tables, each at most twice its capacity

            com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = bean.getCurrentThreadAllocatedBytes();
            int measured = 200_000;
            for (int end = n + measured; n < end; n++) {
                exchange(fw, n, flood, floodLength, data, dataLength, reply, replyLength, reasons);
            }
            long allocated = bean.getCurrentThreadAllocatedBytes() - before;
            System.out.printf("FirewallBoundedTablesTest: %,d bytes allocated for %,d packets of new 4-tuples (and the connection's)%n",
                    allocated, measured);
            assertThat(fw.connectionEntries()).as("connection entries after %,d new 4-tuples", n).isEqualTo(CONNECTIONS + 1);
            assertThat(fw.sourceEntries()).as("source entries after %,d new sources", n).isEqualTo(SOURCES);
            assertThat(fw.connectionSlots()).as("the connection table's memory did not grow").isEqualTo(slots);
            assertThat(allocated).as("bytes allocated judging %,d flood packets at capacity", measured).isLessThan(1024);
            assertThat(reasons[FirewallCounter.PASS_CONNTRACK.id()]).as("the connection's packets passed as its")
                    .isEqualTo(2L * (n / GAP));
            assertThat(reasons[FirewallCounter.DROP_CT_STRAY.id()]).as("none of its packets found no entry").isZero();
            assertThat(fw.connections()).as("the connection's entry, and only %d more", CONNECTIONS).hasSize(CONNECTIONS + 1)
                    .containsKey(connectionName(fw));
        }
    }

    /**
     * Kernel (BPF_PROG_TEST_RUN, one CPU) and twin with the same capacity: up to it both hold every
     * new 4-tuple and judge alike; one more and the twin evicts one entry, the kernel's LRU a batch
     * of free entries' worth (up to 128 on the kernels read: bpf_lru_list.c's LOCAL_FREE_TARGET),
     * so above the capacity it holds fewer than the twin: docs/firewall.md, "One truth, two
     * implementations". The capacity is a multiple of 128: the kernel starts evicting at the
     * capacity rounded down to one (measured on 6.18: 897 new 4-tuples in a map of 1,000 left 873).
     */
    @Test
    void upToTheCapacityKernelAndTwinHoldTheSameAboveItTheKernelEvictsInBatches() throws Exception {
        TestData.assumeBpf();
        int capacity = 1024;
        FirewallConfig c = FirewallConfigParser.parse("default pass\nconntrack on\n", "bounded");
        JavaFirewall java = twin(capacity, c);
        try (KernelFirewall kernel = kernel(capacity, c); Arena arena = Arena.ofConfined()) {
            MemorySegment flood = frame(arena, new FrameBuilder().ethernet(HOST_MAC, PEER_MAC).ipv4("10.0.0.1", "198.51.100.1")
                    .udp(1024, 53).payload(20).build());
            int length = (int) flood.byteSize();
            for (int n = 1; n <= capacity; n++) {
                flood.set(BIG_INT, 14 + 12, 0x0a00_0000 | n);
                now += 1000;
                assertThat(kernel.packet(flood, length, now)).as("tuple %d", n).isEqualTo(java.packet(flood, length, now));
            }
            assertThat(kernel.program().maps().connections()).as("the kernel's entries at the capacity").isEqualTo(capacity);
            assertThat(java.connectionEntries()).as("the twin's").isEqualTo(capacity);
            flood.set(BIG_INT, 14 + 12, 0x0a00_0000 | (capacity + 1));
            now += 1000;
            kernel.packet(flood, length, now);
            java.packet(flood, length, now);
            long held = kernel.program().maps().connections();
            System.out.printf("FirewallBoundedTablesTest: one new 4-tuple over a capacity of %d: the kernel holds %d, the twin %d%n",
                    capacity, held, java.connectionEntries());
            assertThat(java.connectionEntries()).as("the twin evicts one").isEqualTo(capacity);
            assertThat(held).as("the kernel evicts a batch").isLessThan(capacity).isGreaterThanOrEqualTo(capacity - 128);
        }
    }

    /** The connection's key name, as {@link JavaFirewall#connections()} lists it (the entry whose ports are 40000 and 443). */
    private static String connectionName(JavaFirewall fw) {
        return fw.connections().keySet().stream().filter(k -> k.startsWith("6/") && k.contains(":40000") && k.contains(":443"))
                .findFirst().orElse("the connection 192.0.2.10:40000 -> 198.51.100.1:443 (evicted)");
    }

    /** Flood packet n (a new 4-tuple and source); every GAP of them, a data segment of the connection and its ACK. */
    private void exchange(JavaFirewall fw, int n, MemorySegment flood, int floodLength, MemorySegment data, int dataLength,
                          MemorySegment reply, int replyLength, long[] reasons) {
        flood.set(BIG_INT, 14 + 12, 0x0a00_0000 | (n & 0x00ff_ffff));
        flood.set(BIG_SHORT, 14 + 20, (short) (1024 + n % 60_000));
        reasons[fw.packet(flood, floodLength, now += 1000).id()]++;
        if (n % GAP == GAP - 1) {
            data.set(BIG_INT, 14 + 20 + 4, clientSeq);
            data.set(BIG_INT, 14 + 20 + 8, serverSeq);
            reasons[fw.packet(data, dataLength, now += 1000).id()]++;
            clientSeq += 10;
            reply.set(BIG_INT, 14 + 20 + 4, serverSeq);
            reply.set(BIG_INT, 14 + 20 + 8, clientSeq);
            reasons[fw.packet(reply, replyLength, now += 1000).id()]++;
        }
    }

    /** A kernel firewall (BPF_PROG_TEST_RUN) with maps of {@code capacity} connections and sources, c installed. */
    static KernelFirewall kernel(int capacity, FirewallConfig c) {
        KernelFirewall k = new KernelFirewall(new FirewallProgram.Limits(1 << 12, 1 << 14, 1 << 8, capacity, capacity), 4789);
        k.install(c);
        return k;
    }

    /** Its twin: tables of the same capacities, c installed. */
    static JavaFirewall twin(int capacity, FirewallConfig c) {
        JavaFirewall j = new JavaFirewall(4789, capacity, capacity);
        j.install(c);
        return j;
    }

    /** The frame's bytes in native memory (what a test run and the twin take). */
    static MemorySegment frame(Arena arena, byte[] bytes) {
        MemorySegment s = arena.allocate(bytes.length);
        MemorySegment.copy(bytes, 0, s, ValueLayout.JAVA_BYTE, 0, bytes.length);
        return s;
    }
}
