package io.xdpml.detect;

import io.xdpml.testing.Requirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** tshark, the independent decoder the detectors' counts are held against (test helper). */
final class TsharkOracle {
    private TsharkOracle() {}

    /** Skips (or fails under -Dxdpml.requireKernelTests) without tshark. */
    static void require() {
        boolean ok;
        try {
            Process p = new ProcessBuilder("tshark", "-v").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            ok = false;
        }
        Requirements.require(ok, "needs tshark (Debian package tshark)");
    }

    static List<String> run(String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("xdpml-tshark", ".txt");
        try {
            List<String> cmd = new ArrayList<>(List.of("tshark"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(out.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("tshark timed out: " + cmd);
            }
            return Files.readAllLines(out, StandardCharsets.ISO_8859_1);
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
