package io.xdpml.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.NetworkNamespace;
import io.xdpml.testing.Requirements;
import io.xdpml.kernel.PacketSocket;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;

/** What the tests with real tools (nmap, hping3, iperf3) share: finding a tool, running one in a namespace, a tap on the victim. */
final class RealTools {
    private RealTools() {}

    /** Whether {@code tool} is on the PATH (or in /usr/sbin, /usr/bin). */
    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/usr/sbin").split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/usr/bin", tool));
    }

    /** Each tool on the PATH, or the test skips saying which is missing (a failure under CI's requireKernelTests). */
    static void requireTools(String... tools) {
        for (String tool : tools) {
            Requirements.require(onPath(tool), tool + " not installed (scripts/setup installs it: apt-get install " + tool + ")");
        }
    }

    /**
     * The live tests' wire: a veth pair whose end {@code victimEnd} stays in {@code victim} with
     * {@code victimAddress}, and whose end {@code outsideEnd} moves into {@code outside}, up, with
     * each of {@code outsideAddresses} (all /24).
     */
    static void link(NetworkNamespace victim, String victimEnd, String victimAddress, NetworkNamespace outside, String outsideEnd,
            List<String> outsideAddresses) throws Exception {
        victim.createVethPair(outsideEnd, victimEnd);
        victim.exec("ip", "link", "set", outsideEnd, "netns", outside.name());
        victim.exec("ip", "addr", "add", victimAddress + "/24", "dev", victimEnd);
        outside.exec("ip", "link", "set", outsideEnd, "up");
        for (String a : outsideAddresses) {
            outside.exec("ip", "addr", "add", a + "/24", "dev", outsideEnd);
        }
    }

    /** Starts {@code command} in {@code ns}, its output (both streams) into {@code output}. */
    static Process start(NetworkNamespace ns, Path output, String... command) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns.name()));
        cmd.addAll(List.of(command));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(output.toFile()).start();
    }

    /** Runs {@code command} in {@code ns} to its end (60 s at most). */
    static void runToEnd(NetworkNamespace ns, Path output, String... command) throws Exception {
        Process p = start(ns, output, command);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s ends", command[0]).isTrue();
    }

    /**
     * Runs {@code xdpml ARGS} inside {@code ns} on a thread of its own, its output into {@code out}
     * and {@code err}; returns once an XDP program is attached natively to {@code iface} there (10 s
     * at most) and 300 ms more, with the command's exit code to come.
     */
    static CompletableFuture<Integer> startAgent(NetworkNamespace ns, String iface, StringWriter out, StringWriter err, String... args)
            throws Exception {
        CompletableFuture<Integer> run = CompletableFuture.supplyAsync(() -> {
            try {
                return ns.callOnThisThread(() -> {
                    CommandLine cl = Main.commandLine();
                    cl.setOut(new PrintWriter(out));
                    cl.setErr(new PrintWriter(err));
                    return cl.execute(args);
                });
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }, r -> Thread.ofPlatform().start(r));
        int ifindex = ns.run(() -> Interfaces.indexOf(iface));
        for (int i = 0; i < 200 && ns.run(() -> XdpAttachment.attachedProgramId(ifindex, XdpMode.NATIVE)).isEmpty(); i++) {
            Thread.sleep(50);
        }
        Thread.sleep(300);
        return run;
    }

    /** What {@code xdpml blocks list --pin-dir PINS} prints now (the running agent's blocks). */
    static String blocksList(Path pins) {
        StringWriter listed = new StringWriter();
        CommandLine blocks = Main.commandLine();
        blocks.setOut(new PrintWriter(listed));
        blocks.execute("blocks", "list", "--pin-dir", pins.toString());
        return listed.toString();
    }

    /** Waits for the benign clients to end (30 s each at most), then for the one-shot iperf3 server (5 s), which it then ends. */
    static void awaitClients(Process web, Process iperf, Process iperfServer) throws InterruptedException {
        assertThat(web.waitFor(30, TimeUnit.SECONDS)).as("web client ends").isTrue();
        assertThat(iperf.waitFor(30, TimeUnit.SECONDS)).as("iperf3 client ends").isTrue();
        iperfServer.waitFor(5, TimeUnit.SECONDS);
        iperfServer.destroy();
    }

    /** The bits per second iperf3 received, from its {@code -J} output, which must report no error. */
    static double iperf3Received(Path json) throws IOException {
        JsonNode iperf = new ObjectMapper().readTree(Files.readString(json));
        assertThat(iperf.path("error").isMissingNode()).as("iperf3: %s", iperf.path("error")).isTrue();
        return iperf.path("end").path("sum_received").path("bits_per_second").asDouble();
    }

    /** Moves the tools' own output files from {@code dir} into target/{@code name} (kept for a reader), and removes dir. */
    static void keepOutputs(Path dir, String name) throws IOException {
        Path kept = Path.of("target", name);
        Files.createDirectories(kept);
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                Files.copy(f, kept.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** An IPv4 address as an unsigned number. */
    static long key(String address) {
        long k = 0;
        for (String part : address.split("\\.")) {
            k = (k << 8) | Integer.parseInt(part);
        }
        return k;
    }

    /**
     * A packet socket on the victim's interface (it sees what XDP passed to the stack), drained on
     * a thread of its own: the arrival time of every IPv4 packet by source, and whether it was a
     * TCP SYN. One source can be left out (a benign bulk flow that its tool measures itself).
     */
    static final class VictimTap {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final List<long[]> seen = new ArrayList<>(); // {source, time, 1 for a TCP SYN, 1 when sent to its own source, IP protocol}
        private final Thread thread;

        VictimTap(NetworkNamespace ns, String iface, String leaveOut) throws InterruptedException {
            long skip = leaveOut == null ? -1 : key(leaveOut);
            CompletableFuture<Void> opened = new CompletableFuture<>();
            thread = Thread.ofPlatform().daemon().name("victim-tap-" + iface).start(() -> {
                try {
                    ns.callOnThisThread(() -> {
                        try (PacketSocket s = PacketSocket.open(iface); Arena a = Arena.ofConfined()) {
                            MemorySegment buf = a.allocate(2048);
                            opened.complete(null);
                            while (running.get()) {
                                int len = s.receive(buf, 100);
                                if (len < 34 || buf.get(ValueLayout.JAVA_BYTE, 12) != 0x08 || buf.get(ValueLayout.JAVA_BYTE, 13) != 0) {
                                    continue;
                                }
                                long src = Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 26));
                                long dst = Integer.toUnsignedLong(buf.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 30));
                                if (src == skip) {
                                    continue;
                                }
                                int ihl = (buf.get(ValueLayout.JAVA_BYTE, 14) & 0x0f) * 4;
                                boolean syn = buf.get(ValueLayout.JAVA_BYTE, 23) == 6 && len >= 14 + ihl + 14
                                        && (buf.get(ValueLayout.JAVA_BYTE, 14 + ihl + 13) & 0x3f) == 0x02;
                                synchronized (seen) {
                                    seen.add(new long[] {src, System.nanoTime(), syn ? 1 : 0, src == dst ? 1 : 0,
                                            buf.get(ValueLayout.JAVA_BYTE, 23) & 0xff});
                                }
                            }
                        }
                        return null;
                    });
                } catch (Exception e) {
                    opened.completeExceptionally(e);
                }
            });
            opened.join();
        }

        /** Arrival times of the TCP SYNs from {@code source}. */
        List<Long> synsFrom(String source) {
            long k = key(source);
            synchronized (seen) {
                return seen.stream().filter(e -> e[0] == k && e[2] == 1).map(e -> e[1]).toList();
            }
        }

        /** TCP SYNs from any source but {@code except} that arrived in [from, to) (System.nanoTime): a spoofed flood's. */
        long synsBetween(long from, long to, String except) {
            long k = key(except);
            synchronized (seen) {
                return seen.stream().filter(e -> e[0] != k && e[2] == 1 && e[1] >= from && e[1] < to).count();
            }
        }

        /** ICMP packets from any source but those in {@code except} (System.nanoTime): a spoofed ICMP flood's. */
        long icmpExcept(List<String> except) {
            java.util.Set<Long> k = except.stream().map(RealTools::key).collect(java.util.stream.Collectors.toSet());
            synchronized (seen) {
                return seen.stream().filter(e -> e[4] == 1 && !k.contains(e[0])).count();
            }
        }

        /** Packets from {@code source} that arrived in [from, to) (System.nanoTime). */
        long from(String source, long from, long to) {
            long k = key(source);
            synchronized (seen) {
                return seen.stream().filter(e -> e[0] == k && e[1] >= from && e[1] < to).count();
            }
        }

        /**
         * Packets from {@code source} to {@code source} itself in [from, to) (System.nanoTime): a
         * flood forged with the victim's own address, told from what the victim sends (the tap sees both ways).
         */
        long toItself(String source, long from, long to) {
            long k = key(source);
            synchronized (seen) {
                return seen.stream().filter(e -> e[0] == k && e[3] == 1 && e[1] >= from && e[1] < to).count();
            }
        }

        /** When the first packet from {@code source} to itself arrived, or 0. */
        long firstToItself(String source) {
            long k = key(source);
            synchronized (seen) {
                return seen.stream().filter(e -> e[0] == k && e[3] == 1).mapToLong(e -> e[1]).min().orElse(0);
            }
        }

        /** When the first packet from {@code source} arrived, or 0. */
        long first(String source) {
            long k = key(source);
            synchronized (seen) {
                return seen.stream().filter(e -> e[0] == k).mapToLong(e -> e[1]).min().orElse(0);
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            thread.join(5000);
        }
    }
}
