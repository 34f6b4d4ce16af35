package io.xdpml.pcap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A capture truncated by another process while it is mapped (a capture rotated by
 * copy-and-truncate): reads of the lost pages fault (SIGBUS), which the JVM reports as an
 * InternalError; the reader reports a PcapFormatException naming the file, the offset and the
 * shrink instead.
 */
class ShrinkWhileMappedTest {
    private static final long KEPT = 4096; // one page: every later page of the mapping is gone

    @TempDir
    Path dir;

    private Path copy(String relative) throws IOException {
        return Files.copy(TestData.file(relative), dir.resolve(Path.of(relative).getFileName()));
    }

    private static void truncate(Path file, long size) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
            c.truncate(size);
        }
    }

    /** Reads on until the current packet's record starts past {@code offset}. */
    private static void readPast(CaptureReader r, long offset) throws IOException {
        do {
            assertThat(r.next()).isTrue();
        } while (r.recordOffset() < offset);
    }

    @ParameterizedTest
    @ValueSource(strings = {"benign/ndpi-ftp.pcap", "attack/portscan-1-10000.pcapng"})
    void nextTellsTheShrinkAtTheRecordItWasReading(String relative) throws IOException {
        Path file = copy(relative);
        long size = Files.size(file);
        try (CaptureReader r = CaptureReader.open(file)) {
            readPast(r, 3 * KEPT);
            long nextRecord = r.dataOffset() + r.capturedLength();
            if (r.format() == CaptureFormat.PCAPNG) {
                nextRecord = r.recordOffset() + r.file().get(ValueLayout.JAVA_INT_UNALIGNED, r.recordOffset() + 4);
            }
            truncate(file, KEPT);
            PcapFormatException e = catchThrowableOfType(PcapFormatException.class, r::next);
            assertThat(e.source()).isEqualTo(file.toString());
            assertThat(e.offset()).isEqualTo(nextRecord);
            assertThat(e.reason()).isEqualTo("the file shrank while being read: it is " + KEPT + " bytes now, it was " + size
                    + " when opened");
            assertThat(e.getMessage()).startsWith(file + ": " + (r.format() == CaptureFormat.PCAPNG ? "block" : "record")
                    + " at offset " + nextRecord + ": the file shrank");
            assertThat(e.getCause()).isInstanceOf(InternalError.class);
            assertThatThrownBy(r::next).isSameAs(e);
        }
    }

    /** The caller's own read of data() is where the fault shows: shrinkDamage tells it the same way. */
    @Test
    void aFaultInTheCallersReadIsToldByShrinkDamage() throws IOException {
        Path file = copy("benign/ndpi-ftp.pcap");
        try (CaptureReader r = CaptureReader.open(file)) {
            readPast(r, 3 * KEPT);
            long record = r.recordOffset();
            MemorySegment data = r.data();
            truncate(file, KEPT);
            InternalError fault = catchThrowableOfType(InternalError.class, () -> data.toArray(ValueLayout.JAVA_BYTE));
            PcapFormatException e = r.shrinkDamage(fault);
            assertThat(e.offset()).isEqualTo(record);
            assertThat(e.reason()).startsWith("the file shrank while being read: it is 4096 bytes now");
            assertThat(e.getCause()).isSameAs(fault);
            assertThatThrownBy(r::next).isSameAs(e);
            assertThatThrownBy(r::data).isInstanceOf(IllegalStateException.class);
        }
    }

    /** An InternalError that is not a shrink (the file is as long as ever, or not a file) is not hidden as damage. */
    @Test
    void anInternalErrorWithoutAShrinkIsNotDamage() throws IOException {
        InternalError other = new InternalError("not the capture's doing");
        try (CaptureReader r = CaptureReader.open(copy("benign/ndpi-ftp.pcap"))) {
            assertThat(r.next()).isTrue();
            assertThatThrownBy(() -> r.shrinkDamage(other)).isSameAs(other);
            assertThat(r.next()).isTrue();
        }
        try (CaptureReader r = CaptureReader.open(MemorySegment.ofArray(TestData.bytes("benign/ndpi-ftp.pcap")), "mem")) {
            assertThat(r.next()).isTrue();
            assertThatThrownBy(() -> r.shrinkDamage(other)).isSameAs(other);
        }
    }
}
