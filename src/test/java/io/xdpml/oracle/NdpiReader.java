package io.xdpml.oracle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs {@code ndpiReader} (nDPI 4.2, Debian package libndpi-bin) on a capture file and parses its
 * per-flow CSV ({@code -C file}) and its traffic summary (stdout). A test oracle: an independent
 * flow table for packet and byte counts per direction. Semantics: docs/ndpi-oracle.md.
 */
public final class NdpiReader {
    /** Where the binary is; override with -Dxdpml.ndpiReader=/path. */
    static final String BINARY = System.getProperty("xdpml.ndpiReader", "ndpiReader");
    static final long TIME_LIMIT_SECONDS = 120;

    /** The summary ndpiReader prints on stdout ("Traffic statistics"). */
    public record Summary(
            long totalPackets,
            long ipPackets,
            long ipBytes,
            long discardedBytes,
            long uniqueFlows,
            long tcpPackets,
            long udpPackets,
            long vlanPackets,
            long fragmentedPackets) {}

    /** One run: every flow in the CSV and the summary. */
    public record Run(List<NdpiFlow> flows, Summary summary) {}

    private NdpiReader() {}

    public static boolean installed() {
        try {
            Process p = new ProcessBuilder(BINARY, "-h").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(20, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Every flow ndpiReader reports for the capture (pcap or pcapng). */
    public static List<NdpiFlow> flows(Path capture) {
        return run(capture).flows();
    }

    /** Runs ndpiReader once; fails if it times out, reports an error, or prints no summary. */
    public static Run run(Path capture) {
        if (!Files.isReadable(capture)) {
            throw new IllegalArgumentException("not readable: " + capture);
        }
        Path dir = null;
        try {
            dir = Files.createTempDirectory("ndpi");
            Path csv = dir.resolve("flows.csv");
            Path out = dir.resolve("stdout.txt");
            // -v 2 is required: the CSV holds only the flows the text listing would print, and that
            // is the detected flows without -v, only the undetected ones with -v 1, all with -v 2.
            // No -q: that would suppress the summary.
            Process p = new ProcessBuilder(BINARY, "-i", capture.toString(), "-v", "2", "-C", csv.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(TIME_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("ndpiReader exceeded " + TIME_LIMIT_SECONDS + " s on " + capture);
            }
            String stdout = Files.readString(out, StandardCharsets.ISO_8859_1);
            // ndpiReader 4.2 exits 0 even when it cannot open the file: check its output instead.
            if (p.exitValue() != 0 || stdout.contains("ERROR:") || !Files.exists(csv)) {
                throw new IllegalStateException("ndpiReader failed (exit " + p.exitValue() + ") on " + capture
                        + ":\n" + stdout);
            }
            return new Run(parseCsv(Files.readAllLines(csv, StandardCharsets.ISO_8859_1)), parseSummary(stdout));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (dir != null) {
                deleteQuietly(dir);
            }
        }
    }

    /** Parses ndpiReader's -C output: a '#'-prefixed header line, then one line per flow. */
    static List<NdpiFlow> parseCsv(List<String> lines) {
        if (lines.isEmpty() || !lines.get(0).startsWith("#")) {
            throw new IllegalArgumentException("no ndpiReader CSV header");
        }
        String[] header = lines.get(0).substring(1).split(",", -1);
        Map<String, Integer> col = new HashMap<>();
        for (int i = 0; i < header.length; i++) {
            col.put(header[i], i);
        }
        int id = need(col, "flow_id"), proto = need(col, "protocol"), first = need(col, "first_seen"),
                last = need(col, "last_seen"), sip = need(col, "src_ip"), sport = need(col, "src_port"),
                dip = need(col, "dst_ip"), dport = need(col, "dst_port"), app = need(col, "ndpi_proto"),
                cp = need(col, "c_to_s_pkts"), cb = need(col, "c_to_s_bytes"),
                sp = need(col, "s_to_c_pkts"), sb = need(col, "s_to_c_bytes");
        List<NdpiFlow> flows = new ArrayList<>(lines.size());
        for (int n = 1; n < lines.size(); n++) {
            String line = lines.get(n);
            if (line.isEmpty()) {
                continue;
            }
            String[] f = line.split(",", -1);
            // ndpiReader replaces ',' by ';' inside text fields; a different field count means it did not.
            if (f.length != header.length) {
                throw new IllegalArgumentException("CSV line " + (n + 1) + " has " + f.length + " fields, header "
                        + header.length + ": " + line);
            }
            int ipProto = Integer.parseInt(f[proto]);
            flows.add(new NdpiFlow(
                    Integer.parseInt(f[id]), NdpiFlow.protocolName(ipProto), ipProto, f[app],
                    f[sip], Integer.parseInt(f[sport]), f[dip], Integer.parseInt(f[dport]),
                    Long.parseLong(f[cp]), Long.parseLong(f[cb]), Long.parseLong(f[sp]), Long.parseLong(f[sb]),
                    millis(f[first]), millis(f[last])));
        }
        return List.copyOf(flows);
    }

    private static final Pattern IP_PACKETS = Pattern.compile("IP packets:\\s+(\\d+)\\s+of\\s+(\\d+) packets total");

    static Summary parseSummary(String stdout) {
        Matcher m = IP_PACKETS.matcher(stdout);
        if (!m.find()) {
            throw new IllegalArgumentException("no traffic summary in ndpiReader output:\n" + stdout);
        }
        return new Summary(Long.parseLong(m.group(2)), Long.parseLong(m.group(1)),
                stat(stdout, "IP bytes"), stat(stdout, "Discarded bytes"), stat(stdout, "Unique flows"),
                stat(stdout, "TCP Packets"), stat(stdout, "UDP Packets"), stat(stdout, "VLAN Packets"),
                stat(stdout, "Fragmented Packets"));
    }

    private static long stat(String stdout, String name) {
        Matcher m = Pattern.compile("\\n\\s*" + Pattern.quote(name) + ":\\s+(\\d+)").matcher(stdout);
        if (!m.find()) {
            throw new IllegalArgumentException("no '" + name + "' in ndpiReader summary");
        }
        return Long.parseLong(m.group(1));
    }

    private static long millis(String seconds) {
        return new BigDecimal(seconds).movePointRight(3).longValueExact();
    }

    private static int need(Map<String, Integer> col, String name) {
        Integer i = col.get(name);
        if (i == null) {
            throw new IllegalArgumentException("ndpiReader CSV has no column " + name + " (columns: "
                    + Arrays.toString(col.keySet().toArray()) + ")");
        }
        return i;
    }

    private static void deleteQuietly(Path dir) {
        try (var s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }
}
