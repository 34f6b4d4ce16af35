package io.xdpml.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.pcap.CaptureReader;
import io.xdpml.testing.TestData;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A capture cut by another process in the middle of a walk (a rotation by copy-and-truncate): the
 * walk ends with the damage told (file, offset, "shrank"), the packets before it counted, and no
 * InternalError out of the mapping's fault, whether the reader or the parser touches the lost page.
 */
class CaptureInspectorShrinkTest {
    private static final int PAGE = 4096;

    @TempDir
    Path dir;

    /** Walks {@code file}, truncating it to {@code size} when the listener sees packet {@code index}. */
    private static CaptureInspector.Result walkTruncating(Path file, long index, long size) throws IOException {
        try (JavaParseEngine engine = new JavaParseEngine(4789, 9000)) {
            return CaptureInspector.inspect(file, engine, (i, frame, length, summary) -> {
                if (i == index) {
                    try (FileChannel c = FileChannel.open(file, StandardOpenOption.WRITE)) {
                        c.truncate(size);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
        }
    }

    private Path copy() throws IOException {
        return Files.copy(TestData.capture("benign/ndpi-ftp.pcap"), dir.resolve("rotating.pcap"));
    }

    /** The next record header is on a lost page: the reader's next() meets the fault. */
    @Test
    void theReaderMeetsTheLostPage() throws Exception {
        Path file = copy();
        long size = Files.size(file);
        CaptureInspector.Result r = walkTruncating(file, 200, PAGE);
        assertThat(r.packets()).isEqualTo(201);
        assertThat(r.damage()).isNotNull();
        assertThat(r.damage().source()).isEqualTo(file.toString());
        assertThat(r.damage().offset()).isGreaterThan(PAGE).isLessThan(size);
        assertThat(r.damage().reason()).isEqualTo("the file shrank while being read: it is 4096 bytes now, it was " + size
                + " when opened");
    }

    /**
     * The cut falls between a record's header and its frame: next() reads the header from the page
     * kept and the parser meets the fault in the frame; the walk still ends in the same damage.
     */
    @Test
    void theParserMeetsTheLostPage() throws Exception {
        Path file = copy();
        long size = Files.size(file);
        long index = -1;
        long record = -1;
        long cut = -1;
        try (CaptureReader r = CaptureReader.open(file)) {
            while (r.next()) {
                long boundary = (r.dataOffset() + PAGE - 1) / PAGE * PAGE; // first page boundary at or after the frame's start
                if (r.packetIndex() > 200 && boundary - r.dataOffset() < 14 && r.capturedLength() > 60) {
                    index = r.packetIndex();
                    record = r.recordOffset();
                    cut = boundary;
                    break;
                }
            }
        }
        assertThat(index).as("a frame whose Ethernet header crosses a page boundary").isPositive();
        CaptureInspector.Result r = walkTruncating(file, index - 1, cut);
        assertThat(r.packets()).isEqualTo(index + 1);
        assertThat(r.damage()).isNotNull();
        assertThat(r.damage().offset()).isEqualTo(record);
        assertThat(r.damage().reason()).isEqualTo("the file shrank while being read: it is " + cut + " bytes now, it was " + size
                + " when opened");
    }
}
