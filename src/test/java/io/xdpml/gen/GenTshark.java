package io.xdpml.gen;

import io.xdpml.testing.Requirements;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** tshark as the independent judge of generated frames (test helper). */
final class GenTshark {
    /** Checksums verified too: a wrong one becomes an expert error. */
    static final String[] CHECKSUMS = {"-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"};
    /** Malformed packets and expert infos of severity error (0x00800000) or warning (0x00600000). */
    static final String PROBLEMS = "_ws.malformed || _ws.expert.severity >= 0x00600000";

    private GenTshark() {}

    /** Skips (or fails under -Dxdpml.requireKernelTests) without tshark. */
    static void require() {
        boolean ok;
        try {
            Process p = new ProcessBuilder("tshark", "-v").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            ok = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            ok = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ok = false;
        }
        Requirements.require(ok, "needs tshark (Debian package tshark)");
    }

    /** tshark's standard output lines (its standard error discarded). */
    static List<String> run(String... args) throws IOException, InterruptedException {
        Path out = Files.createTempFile("xdpml-gen-tshark", ".txt");
        try {
            List<String> cmd = new ArrayList<>(List.of("tshark"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).redirectOutput(out.toFile()).start();
            if (!p.waitFor(300, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("tshark timed out: " + cmd);
            }
            return Files.readAllLines(out, StandardCharsets.ISO_8859_1).stream().filter(l -> !l.isBlank()).toList();
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** The frames tshark finds malformed or flags with an expert warning or error (checksums checked), one line each. */
    static List<String> problems(Path capture) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("-r", capture.toString()));
        args.addAll(List.of(CHECKSUMS));
        args.addAll(List.of("-Y", PROBLEMS, "-T", "fields", "-e", "frame.number", "-e", "_ws.col.Protocol", "-e", "_ws.expert.message",
                "-e", "_ws.col.Info"));
        return run(args.toArray(String[]::new));
    }
}
