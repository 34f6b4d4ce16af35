package io.xdpml.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.packet.FrameBuilder;
import io.xdpml.testing.TwoCpuLockstep;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The firewall's shared maps under two CPUs at once, for real: BPF_PROG_TEST_RUN runs the program
 * on the calling thread's CPU, so two platform threads pinned to CPU 0 and CPU 1 ({@link CpuAffinity})
 * running test runs of one loaded program on packets of the same connections race in the kernel as
 * two receive queues would. The parity tests run on one CPU and cannot see this. The packet clock is
 * fixed (the test clock), so nothing expires and no bucket refills.
 *
 * <p>How much these catch (measured 2026-12-06 on this 2-CPU machine, shared, load 12-14, one run
 * each): with the compare-and-swap of {@code xdpml_fw_ct_step} replaced by a plain store, the FIN test
 * found 35 of 4,000 connections left in fin_wait (a FIN's transition lost); with {@code BPF_NOEXIST}
 * of {@code xdpml_fw_ct_open} replaced by {@code BPF_ANY}, the datagram test counted 4,451 creations
 * for 4,000 connections. With both in place all three pass. Both depend on two test runs overlapping
 * within nanoseconds (the lockstep makes that likely, not certain): a run can pass without the fix
 * (at 35 in 4,000 the FIN test is unlikely to miss, but it is a guard that catches with a high
 * probability, not a proof). The rate test cannot fail for the race it measures: it asserts the bound
 * that holds either way and prints the overshoot (165, 358, 0 and 1,710 tokens over a burst of
 * 200,000 in four runs). A machine so loaded that the two threads seldom run at the same moment makes
 * every race here rarer (the 0 was at load 16, the 1,710 at load 8).
 */
class FirewallTwoCpuRaceTest {
    private static final String CLIENT = "10.1.1.1";
    private static final String SERVER = "192.168.7.7";
    private static final int CONNECTIONS = 4000;
    private static final long NOW = 1_000_000_000L;

    /** Frame i of both lists at nearly the same moment, on CPU 0 and CPU 1 ({@link TwoCpuLockstep}). */
    static void lockstep(KernelFirewall k, List<byte[]> cpu0, List<byte[]> cpu1, int repeat) throws Exception {
        TwoCpuLockstep.run(() -> k.program().program().testRun(), cpu0, cpu1, repeat);
    }

    private static void assumeTwoCpus() {
        TwoCpuLockstep.assumeTwoCpus();
    }

    private static KernelFirewall firewall(String config) throws Exception {
        KernelFirewall k = new KernelFirewall(FirewallParityTest.limits(), 4789);
        k.install(FirewallConfigParser.parse(config, "race"));
        k.program().object().variable("test_clock_ns").set(FirewallLayout.U64, 0, NOW);
        return k;
    }

    private static byte[] tcp(boolean fromClient, int port, int flags, long seq, long ack) {
        FrameBuilder b = new FrameBuilder().ethernet();
        return (fromClient ? b.ipv4(CLIENT, SERVER).tcp(port, 443, flags, (int) seq, (int) ack)
                : b.ipv4(SERVER, CLIENT).tcp(443, port, flags, (int) seq, (int) ack)).build();
    }

    private static long count(List<String> lines, String state) {
        return lines.stream().filter(l -> l.split(" ")[4].equals(state)).count();
    }

    /**
     * Every connection established (serially), then both sides' FINs of each at once on two CPUs.
     * In any serial order the two FINs close the connection (fin_wait, then closed): every entry
     * must end closed, every FIN pass as conntrack, nothing be dropped, the counters add up. Two
     * CPUs that each read the word before the other wrote it would, with a plain store, leave it in
     * fin_wait with one FIN bit: the transition the compare-and-swap keeps.
     */
    @Test
    void bothSidesFinsAtOnceCloseEveryConnection() throws Exception {
        assumeTwoCpus();
        try (KernelFirewall k = firewall("default pass\nconntrack on strict\n")) {
            long x = 1000, y = 5000;
            List<byte[]> clientFins = new ArrayList<>();
            List<byte[]> serverFins = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                int port = 20000 + i;
                for (byte[] f : List.of(tcp(true, port, 0x02, x, 0), tcp(false, port, 0x12, y, x + 1), tcp(true, port, 0x10, x + 1, y + 1))) {
                    k.packet(MemorySegment.ofArray(f), f.length, NOW);
                }
                clientFins.add(tcp(true, port, 0x11, x + 1, y + 1));
                serverFins.add(tcp(false, port, 0x11, y + 1, x + 1));
            }
            lockstep(k, clientFins, serverFins, 1);

            List<String> lines = k.program().maps().connectionLines(CONNECTIONS + 10, NOW);
            assertThat(lines).hasSize(CONNECTIONS);
            assertThat(count(lines, "closed")).as("closed by both FINs (the rest: %s fin_wait)", count(lines, "fin_wait"))
                    .isEqualTo(CONNECTIONS);
            assertThat(k.counter(FirewallCounter.PASS_DEFAULT)).as("the SYNs").isEqualTo(CONNECTIONS);
            assertThat(k.counter(FirewallCounter.PASS_CONNTRACK)).as("SYN-ACKs, ACKs and every FIN").isEqualTo(4L * CONNECTIONS);
            assertThat(k.counter(FirewallCounter.DROP_CT_INVALID)).isZero();
            assertThat(k.counter(FirewallCounter.DROP_CT_STRAY)).isZero();
            assertThat(k.counter(FirewallCounter.CT_NEW)).isEqualTo(CONNECTIONS);
            assertThat(k.counter(FirewallCounter.PACKETS)).isEqualTo(5L * CONNECTIONS);
        }
    }

    /**
     * Both sides' first datagram of each connection at once on two CPUs (loose conntrack). In any
     * serial order the first opens the connection and the second passes as its reply: exactly one
     * entry per connection, created once (ct_new), none failed, every datagram passed. Two CPUs that
     * both miss the lookup both try to create it: with BPF_NOEXIST one wins and the other's packet
     * joins its entry; with BPF_ANY (before 2026-12-06) both create, the second overwriting the first
     * (ct_new counted twice).
     */
    @Test
    void bothSidesFirstDatagramsAtOnceOpenOneConnectionEach() throws Exception {
        assumeTwoCpus();
        try (KernelFirewall k = firewall("default pass\nconntrack on\n")) {
            List<byte[]> fromClient = new ArrayList<>();
            List<byte[]> fromServer = new ArrayList<>();
            for (int i = 0; i < CONNECTIONS; i++) {
                int port = 20000 + i;
                fromClient.add(new FrameBuilder().ethernet().ipv4(CLIENT, SERVER).udp(port, 53).payload(8).build());
                fromServer.add(new FrameBuilder().ethernet().ipv4(SERVER, CLIENT).udp(53, port).payload(8).build());
            }
            lockstep(k, fromClient, fromServer, 1);

            List<String> lines = k.program().maps().connectionLines(CONNECTIONS + 10, NOW);
            assertThat(lines).hasSize(CONNECTIONS);
            assertThat(count(lines, "udp")).isEqualTo(CONNECTIONS);
            assertThat(k.counter(FirewallCounter.CT_NEW)).as("created once each").isEqualTo(CONNECTIONS);
            assertThat(k.counter(FirewallCounter.CT_INSERT_FAILED)).isZero();
            assertThat(k.counter(FirewallCounter.PASS_DEFAULT) + k.counter(FirewallCounter.PASS_CONNTRACK)).isEqualTo(2L * CONNECTIONS);
            assertThat(k.counter(FirewallCounter.PACKETS)).isEqualTo(2L * CONNECTIONS);
        }
    }

    /**
     * One source's packets on two CPUs at once, against its rate bucket (an LRU hash value, updated
     * without a lock: bpf_spin_lock is not allowed there). The clock stands still, so one CPU alone
     * would pass exactly the burst. Two CPUs that read the level before the other wrote it both take
     * the same token: tokens are only ever lost to the source's gain. The test holds that bound (at
     * least the burst passes, the counters add up) and prints how far over the burst two CPUs let
     * the source; the figure is in docs/firewall.md.
     */
    @Test
    void oneSourceOnTwoCpusGetsAtLeastItsBurstAndTheOvershootIsMeasured() throws Exception {
        assumeTwoCpus();
        int burst = 200_000;
        int perCpu = 200_000;
        int batches = 20;
        try (KernelFirewall k = firewall("default pass\nrate-limit 1/s burst " + burst + "\n")) {
            byte[] f = new FrameBuilder().ethernet().ipv4(CLIENT, SERVER).udp(4000, 53).payload(8).build();
            List<byte[]> frames = new ArrayList<>();
            for (int i = 0; i < batches; i++) {
                frames.add(f);
            }
            lockstep(k, frames, frames, perCpu / batches);
            long passed = k.counter(FirewallCounter.PASS_DEFAULT);
            long dropped = k.counter(FirewallCounter.DROP_RATE_LIMIT);
            System.out.printf("rate bucket, 2 CPUs, burst %d, %d packets: %d passed, %d over the burst (%.3f%%)%n", burst,
                    2L * perCpu, passed, passed - burst, 100.0 * (passed - burst) / burst);
            assertThat(passed + dropped).isEqualTo(2L * perCpu);
            assertThat(passed).isGreaterThanOrEqualTo(burst);
        }
    }
}
