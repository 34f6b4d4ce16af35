package io.xdpml.pcap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** next() and the scalar accessors allocate nothing (measured with the thread allocation counter, after warm-up). */
class AllocationTest {

    private static long readAll(String relative) throws IOException {
        long sum = 0;
        try (CaptureReader r = CaptureReader.open(TestData.file(relative))) {
            com.sun.management.ThreadMXBean bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = bean.getCurrentThreadAllocatedBytes();
            while (r.next()) {
                sum += r.timestampNanos() + r.capturedLength() + r.originalLength() + r.linkType() + r.interfaceId()
                        + r.recordOffset() + r.file().get(java.lang.foreign.ValueLayout.JAVA_BYTE, r.dataOffset());
            }
            long allocated = bean.getCurrentThreadAllocatedBytes() - before;
            return sum == 42 ? -1 : allocated;
        }
    }

    @Test
    void readingAllocatesNothingPerPacket() throws IOException {
        for (String relative : new String[] {"attack/portscan-1-10000.pcapng", "attack/synflood-spoofed.pcap"}) {
            for (int warm = 0; warm < 3; warm++) {
                readAll(relative);
            }
            long allocated = readAll(relative);
            // 10,009 and 37,841 packets: even 8 bytes each would be 80 KB and more
            assertThat(allocated).as("bytes allocated reading %s", relative).isLessThan(4_096);
        }
    }
}
