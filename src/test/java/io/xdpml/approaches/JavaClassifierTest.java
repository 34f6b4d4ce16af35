package io.xdpml.approaches;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.model.classify.ModelStats;
import io.xdpml.packet.FrameBuilder;
import io.xdpml.pipeline.PipelineLoader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The Java side of {@code bench approaches}: every frame classified, read in place, nothing allocated per frame. */
class JavaClassifierTest {
    static final int FRAMES = 50_000;

    @Test
    void classifiesEveryFrameInPlaceAndAllocatesNothingPerFrame() {
        byte[] frame = new FrameBuilder().ethernet().ipv4("198.51.100.1", "198.51.100.2").udp(40000, 5000).payload(22).build();
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (String model : new String[] {"dt", "mlp"}) {
            JavaClassifier c = new JavaClassifier(PipelineLoader.benchModel(model), 256);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment ring = a.allocate(4096, 64);
                MemorySegment.copy(MemorySegment.ofArray(frame), 0, ring, 100, frame.length); // not at offset 0: read in place
                long[] allocated = new long[3];
                for (int round = 0; round < 3; round++) { // the first rounds warm up (JIT, the flow's entry)
                    long before = bean.getCurrentThreadAllocatedBytes();
                    for (int i = 0; i < FRAMES; i++) {
                        c.frame(ring, 100, frame.length, frame.length);
                    }
                    allocated[round] = bean.getCurrentThreadAllocatedBytes() - before;
                }
                assertThat(c.classified()).as(model).isEqualTo(3L * FRAMES);
                ModelStats st = c.stats();
                assertThat(st.classPackets(0) + st.classPackets(1)).as(model).isEqualTo(3L * FRAMES);
                assertThat(c.lastNanos()).isPositive();
                assertThat(allocated[2]).as(model + ": bytes allocated classifying " + FRAMES + " frames").isLessThan(FRAMES);
            }
        }
    }
}
