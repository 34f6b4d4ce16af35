package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;

/** Records written by an XDP program (one per test run) arrive in order through the Java consumer. */
class RingBufferConsumerTest {
    record Rec(int len, int magic, long seq, long size) {}

    @Test
    void everyRecordInOrderAcrossWrapAroundWithDiscards() {
        KernelAssumptions.assumeBpf();
        try (Arena arena = Arena.ofConfined(); BpfObject obj = BpfObject.openResource("/bpf/ringbuf.bpf.o")) {
            obj.load();
            List<Rec> got = new ArrayList<>();
            try (RingBufferConsumer rb = new RingBufferConsumer(obj.map("rb"),
                    r -> got.add(new Rec(r.get(JAVA_INT, 0), r.get(JAVA_INT, 4), r.get(JAVA_LONG, 8), r.byteSize())));
                 TestRun submit = obj.program("rb_submit").testRun();
                 TestRun discard = obj.program("rb_discard").testRun()) {
                assertThat(rb.capacity()).isEqualTo(4096);
                MemorySegment f = KernelAssumptions.frame(arena, 1500);
                assertThat(rb.drain()).isZero();
                assertThat(rb.poll(10)).isZero(); // times out
                // a record takes 8 + 16 = 24 bytes: 170 fit in 4096; 12 rounds of 100 wrap the ring many times
                long expectedSeq = 0;
                for (int round = 0; round < 12; round++) {
                    for (int i = 0; i < 100; i++) {
                        int len = 60 + (round * 100 + i) % 1400;
                        assertThat(submit.run(f, len)).isEqualTo(2);
                        if (i % 10 == 0) discard.run(f, 64);
                    }
                    int n = round % 2 == 0 ? rb.drain() : rb.poll(1000);
                    assertThat(n).isEqualTo(100);
                }
                assertThat(got).hasSize(1200);
                for (int i = 0; i < got.size(); i++) {
                    Rec r = got.get(i);
                    assertThat(r.seq()).isEqualTo(expectedSeq++);
                    assertThat(r.len()).isEqualTo(60 + i % 1400);
                    assertThat(r.magic()).isEqualTo(0xfeedf00d);
                    assertThat(r.size()).isEqualTo(16);
                }
                // overfill: the program sees reserve failures, the consumer gets exactly what fit
                got.clear();
                int accepted = 0;
                for (int i = 0; i < 200; i++) if (submit.run(f, 64) == 2) accepted++;
                assertThat(accepted).isEqualTo(170);
                assertThat(obj.variable("dropped").get(JAVA_LONG, 0)).isEqualTo(30);
                assertThat(rb.drain()).isEqualTo(170);
                assertThat(got).extracting(Rec::seq).first().isEqualTo(1200L);
                assertThat(got.get(169).seq()).isEqualTo(1369L);
            }
        }
    }

    /**
     * In place, records are published in steps: a handler that throws on a record gets that record
     * again on the next drain, and none of those it handled before; the ring's space comes back
     * while a long drain is still going (the producer can write 170 more after 100 were handled).
     */
    @Test
    void aHandlerThatThrowsGetsThatRecordAgainAndNoneBefore() throws Exception {
        withRecords(150, (rb, submit, f) -> {
            List<Long> seqs = new ArrayList<>();
            RuntimeException boom = new RuntimeException("boom");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> rb.drain((ring, off, len) -> {
                long seq = ring.get(JAVA_LONG, off + 8);
                if (seq == 100) {
                    throw boom;
                }
                seqs.add(seq);
            })).isSameAs(boom);
            assertThat(seqs).hasSize(100);
            int accepted = 0;
            for (int i = 0; i < 200; i++) if (submit.run(f, 64) == 2) accepted++;
            assertThat(accepted).as("space of the 100 handled records is free again").isEqualTo(120);
            seqs.clear();
            assertThat(rb.drain((ring, off, len) -> seqs.add(ring.get(JAVA_LONG, off + 8)))).isEqualTo(170);
            assertThat(seqs.getFirst()).as("the record the handler threw on comes again").isEqualTo(100L);
            assertThat(seqs.getLast()).isEqualTo(269L);
        });
    }

    /**
     * A bounded drain takes at most its count, in order, and leaves the rest for the next look (the
     * mirror reader's step between looks at its stop flag, and its last drain's bound).
     */
    @Test
    void aBoundedDrainTakesAtMostItsCountAndLeavesTheRest() throws Exception {
        withRecords(150, (rb, submit, f) -> {
            List<Long> seqs = new ArrayList<>();
            RingBufferConsumer.InPlaceHandler h = (ring, off, len) -> seqs.add(ring.get(JAVA_LONG, off + 8));
            assertThat(rb.drainCommitted(h, 64)).isEqualTo(64);
            assertThat(rb.poll(1000, h, 64)).isEqualTo(64);
            assertThat(rb.poll(1000, h, 64)).as("what is left").isEqualTo(22);
            assertThat(rb.poll(10, h, 64)).as("nothing: times out").isZero();
            assertThat(seqs).hasSize(150);
            for (int i = 0; i < 150; i++) {
                assertThat(seqs.get(i)).isEqualTo((long) i);
            }
        });
    }

    interface RingBody {
        void run(RingBufferConsumer rb, TestRun submit, MemorySegment frame) throws Exception;
    }

    /** A fresh ring with {@code n} records of 64-byte frames submitted (seq 0..n-1), then {@code body}. */
    private static void withRecords(int n, RingBody body) throws Exception {
        KernelAssumptions.assumeBpf();
        try (Arena arena = Arena.ofConfined(); BpfObject obj = BpfObject.openResource("/bpf/ringbuf.bpf.o")) {
            obj.load();
            try (RingBufferConsumer rb = new RingBufferConsumer(obj.map("rb"), r -> { });
                 TestRun submit = obj.program("rb_submit").testRun()) {
                MemorySegment f = KernelAssumptions.frame(arena, 1500);
                for (int i = 0; i < n; i++) {
                    assertThat(submit.run(f, 64)).isEqualTo(2);
                }
                body.run(rb, submit, f);
            }
        }
    }
}
