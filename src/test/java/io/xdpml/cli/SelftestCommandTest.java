package io.xdpml.cli;

import static io.xdpml.testing.Requirements.require;
import static org.assertj.core.api.Assertions.assertThat;

import io.xdpml.kernel.BpfSupport;
import io.xdpml.testing.TestData;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code xdpml selftest} keeps its help's promise: exit 0 only when kernel and Java were compared and agree. Without
 * BPF it compares nothing, says so and exits 4. Where this test runs as root, the no-BPF case is real: the command runs
 * in a JVM of its own as the unprivileged user nobody (setpriv), where BPF cannot be used.
 */
class SelftestCommandTest {

    @Test
    void withoutBpfItSaysItComparedNothingAndFails() throws Exception {
        String out;
        int code;
        if (BpfSupport.unavailableReason().isPresent()) {
            CliHarness.Result r = CliHarness.run("selftest");
            code = r.code();
            out = r.out();
        } else {
            Path setpriv = Path.of("/usr/bin/setpriv");
            require(Files.isExecutable(setpriv), "setpriv (util-linux) not installed: cannot run the self-test unprivileged");
            Result r = asNobody(setpriv, "selftest");
            code = r.code();
            out = r.out();
            assertThat(out).as(out).contains("not running as root (euid 65534)");
        }
        assertThat(code).as(out).isEqualTo(SelftestCommand.NOTHING_COMPARED);
        assertThat(out).contains("2/4  inspect: Java engine only, the kernel engine cannot run here")
                .contains("3/4  live parser on veth: not run")
                .contains("4/4  live flows on veth: not run")
                .contains("NOTHING COMPARED")
                .doesNotContain("OK:");
    }

    @Test
    void withBpfKernelAndJavaAreComparedAndAgree() {
        TestData.assumeBpf();
        CliHarness.Result r = CliHarness.run("selftest", "--rounds", "5");
        assertThat(r.code()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("2/4  inspect sample.pcap: kernel (BPF_PROG_TEST_RUN) vs Java reference")
                .contains("4/4  live flows")
                .contains("OK: kernel and Java agree on every counter, flow and record")
                .doesNotContain("NOTHING COMPARED");
    }

    private record Result(int code, String out) {}

    /**
     * Runs {@code xdpml ARGS} in a new JVM as uid/gid 65534 with no supplementary groups. The class path is copied
     * into a directory nobody can read: the build's own copy (the Maven repository) sits under root's home.
     */
    private static Result asNobody(Path setpriv, String... args) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("xdpml-selftest-cp", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        try {
            List<String> cp = new ArrayList<>();
            int i = 0;
            for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
                Path src = Path.of(entry);
                if (!Files.exists(src)) {
                    continue;
                }
                Path dst = dir.resolve((i++) + "-" + src.getFileName());
                copyReadable(src, dst);
                cp.add(dst.toString());
            }
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            List<String> command = new ArrayList<>(List.of(setpriv.toString(), "--reuid=65534", "--regid=65534",
                    "--clear-groups", java.toString(), "--enable-native-access=ALL-UNNAMED", "-cp",
                    String.join(File.pathSeparator, cp), "io.xdpml.cli.Main"));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            byte[] bytes = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("selftest as nobody finished").isTrue();
            return new Result(p.exitValue(), new String(bytes, StandardCharsets.UTF_8));
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static void copyReadable(Path src, Path dst) throws IOException {
        if (Files.isDirectory(src)) {
            try (Stream<Path> s = Files.walk(src)) {
                for (Path f : s.toList()) {
                    Path t = dst.resolve(src.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(t);
                    } else {
                        Files.copy(f, t, StandardCopyOption.COPY_ATTRIBUTES);
                    }
                    Files.setPosixFilePermissions(t, PosixFilePermissions.fromString(Files.isDirectory(t) ? "rwxr-xr-x" : "rw-r--r--"));
                }
            }
            return;
        }
        Files.copy(src, dst);
        Files.setPosixFilePermissions(dst, PosixFilePermissions.fromString("rw-r--r--"));
    }
}
