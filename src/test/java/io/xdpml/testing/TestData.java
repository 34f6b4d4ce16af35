package io.xdpml.testing;

import static io.xdpml.testing.Requirements.require;

import io.xdpml.kernel.BpfSupport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** Where the test captures are (the repository's testdata/), and the assumptions kernel tests make. */
public final class TestData {
    private TestData() {}

    /**
     * The repository's testdata/ (the pom passes it as xdpml.data; {@code -Dxdpml.data=DIR} reads another copy with the
     * same layout). Relative to the working directory when the property is not set (tests run from the project's
     * base directory).
     */
    public static Path dataDir() {
        Path p = Path.of(System.getProperty("xdpml.data", "testdata"));
        require(Files.isDirectory(p.resolve("pcap")), "test captures not found at " + p.toAbsolutePath()
                + " (the repository's testdata/, or -Dxdpml.data=DIR)");
        return p;
    }

    /** Every capture under data/pcap, sorted, as paths relative names for display. */
    public static List<Path> captures() {
        try (Stream<Path> s = Files.walk(dataDir().resolve("pcap"))) {
            return s.filter(Files::isRegularFile).filter(f -> f.toString().matches(".*\\.pcap(ng)?$")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path capture(String relative) {
        return dataDir().resolve("pcap").resolve(relative);
    }

    /** Packets in a capture (records read until the end or the first damage). */
    public static long packetCount(Path capture) {
        long n = 0;
        try (io.xdpml.pcap.CaptureReader r = io.xdpml.pcap.CaptureReader.open(capture)) {
            while (r.next()) {
                n++;
            }
        } catch (io.xdpml.pcap.PcapFormatException e) {
            return n;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return n;
    }

    /** Skips the calling test, with the reason, where BPF cannot be used (not root, no bpf()...). */
    public static void assumeBpf() {
        Optional<String> why = BpfSupport.unavailableReason();
        require(why.isEmpty(), () -> "needs root and BPF: " + why.orElse(""));
    }
}
