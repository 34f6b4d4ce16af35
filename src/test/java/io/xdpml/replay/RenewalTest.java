package io.xdpml.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.agent.config.AgentConfig;
import io.xdpml.agent.config.AgentConfigLoader;
import io.xdpml.dataplane.PacketResult;
import io.xdpml.packet.FrameBuilder;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Blocks and measures are kept while the attack they stop goes on (the agent's renewBlocksStillHit
 * and renewMeasuresStillHit, which the twin shares): once a source is blocked or a reflected port
 * dropped, the detectors no longer see it, so no report renews the mitigation; its own hits do. A
 * 30 s attack with a 5 s block or measure: after the mitigation went in, nothing passes until the
 * attack ends (before: it ran out every ~5-7 s and the attack got through for seconds each time).
 * The example's sampling (1 in 100, the drops too, flows' first packets), 2 s windows.
 */
class RenewalTest {
    private static final long S = 1_000_000_000L;
    private static final long T0 = 1_700_000_000L * S;

    @TempDir
    Path dir;

    private AgentConfig config(String block, String measureTime) throws Exception {
        Path f = dir.resolve("twin.yaml");
        Files.writeString(f, """
                interfaces: [eth0]
                blocks: {enabled: true}
                firewall:
                  rules: |
                    default pass
                flows: {max-flows: 65536}
                sampling: {every: 100, dropped: true, first-packets: 1000}
                delivery: {to: mirror}
                detectors: {window: 2s, early: 200ms}
                mitigation: {block: %s, measures: true, measure-time: %s}
                """.formatted(block, measureTime));
        return AgentConfigLoader.load(f);
    }

    /** Packets that passed, per second of the attack. */
    private static int[] run(AgentTwin twin, List<byte[]> frames, int perSecond, int seconds) {
        int[] passed = new int[seconds];
        long t = T0;
        for (int i = 0; i < perSecond * seconds; i++) {
            byte[] f = frames.get(i % frames.size()).clone(); // the data plane may write into a frame
            PacketResult r = twin.packet(MemorySegment.ofArray(f), f.length, t);
            if (r.action() == PacketResult.XDP_PASS) {
                passed[(int) ((t - T0) / S)]++;
            }
            t += S / perSecond;
        }
        twin.finish();
        return passed;
    }

    /** From the first second with nothing passed on: every second nothing passed. */
    private static void assertHeldFromItsStart(int[] passed, String what) {
        int first = 0;
        while (first < passed.length && passed[first] > 0) {
            first++;
        }
        assertThat(first).as("%s: stopped within seconds: %s", what, java.util.Arrays.toString(passed)).isLessThan(5);
        for (int s = first; s < passed.length; s++) {
            assertThat(passed[s]).as("%s: second %d of %s", what, s, java.util.Arrays.toString(passed)).isZero();
        }
    }

    @Test
    void aBlockHoldsWhileItsSourceFloods() throws Exception {
        AgentTwin twin = new AgentTwin(config("5s", "60s"), new AgentTwin.Events() {}, Integer.MAX_VALUE);
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            frames.add(new FrameBuilder().ethernet().ipv4("198.51.100.9", "10.0.0.1").icmpEcho(7, i).payload(56).build());
        }
        assertHeldFromItsStart(run(twin, frames, 6000, 30), "a 30 s ICMP flood, block 5 s");
    }

    @Test
    void aMeasureHoldsWhileTheReflectionGoesOn() throws Exception {
        AgentTwin twin = new AgentTwin(config("0", "5s"), new AgentTwin.Events() {}, Integer.MAX_VALUE);
        List<byte[]> frames = new ArrayList<>();
        for (int i = 0; i < 3000; i++) { // 200 reflectors in a scrambled order (a 1-in-100 sample of a strict rotation sees two)
            String reflector = "192.0.2." + (1 + (int) ((i * 2654435761L >>> 7) % 200));
            frames.add(new FrameBuilder().ethernet().ipv4(reflector, "10.0.0.1").udp(123, 40000).payload(468).build());
        }
        assertHeldFromItsStart(run(twin, frames, 3000, 30), "a 30 s NTP amplification, measure-time 5 s");
    }

    @Test
    void aPasswordGuesserBackFromItsBlockIsBlockedAgain() throws Exception {
        // 10 SSH connections at 1 a second (bruteforce's floor: reported and blocked at the tenth), then a pause of 11 s: its block
        // (5 s, renewed while hit) lapses; back at 20 s for 20 more: its first SYN brings the horizon to 11 and it is reported
        // and blocked again (before 2026-12-07 bruteforce reported once per 120 s horizon: all 20 passed)
        AgentTwin twin = new AgentTwin(config("5s", "60s"), new AgentTwin.Events() {}, Integer.MAX_VALUE);
        int[] passed = new int[40];
        for (int s = 0; s < 40; s++) {
            if (s >= 10 && s < 20) {
                continue;
            }
            int seq = 1_000 + 7_919 * s;
            byte[] f = new FrameBuilder().ethernet().ipv4("198.51.100.9", "10.0.0.1").tcp(40_000 + s, 22, 0x02, seq, 0).build();
            if (twin.packet(MemorySegment.ofArray(f), f.length, T0 + s * S).action() == PacketResult.XDP_PASS) {
                passed[s]++;
            }
            // its handshake's ACK and its first word: a completed connection (since 2026-12-07 bruteforce names no forged SYNs)
            byte[] ack = new FrameBuilder().ethernet().ipv4("198.51.100.9", "10.0.0.1").tcp(40_000 + s, 22, 0x10, seq + 1, 1).build();
            byte[] word = new FrameBuilder().ethernet().ipv4("198.51.100.9", "10.0.0.1").tcp(40_000 + s, 22, 0x18, seq + 1, 1).payload(21).build();
            twin.packet(MemorySegment.ofArray(ack), ack.length, T0 + s * S + 1_000_000L);
            twin.packet(MemorySegment.ofArray(word), word.length, T0 + s * S + 2_000_000L);
        }
        twin.finish();
        String seconds = java.util.Arrays.toString(passed);
        for (int s = 0; s < 10; s++) {
            assertThat(passed[s]).as("the first 10 pass: %s", seconds).isOne();
        }
        assertThat(passed[20]).as("its first SYN back, before the report: %s", seconds).isOne();
        for (int s = 21; s < 40; s++) {
            assertThat(passed[s]).as("second %d: blocked again: %s", s, seconds).isZero();
        }
    }
}
