package io.xdpml.oracle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** tshark as the second opinion on ndpiReader's flows (test helper). */
final class Tshark {
    private Tshark() {}

    static boolean installed() {
        try {
            Process p = new ProcessBuilder("tshark", "-v").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static List<String> run(String... args) {
        Path out = null;
        try {
            out = Files.createTempFile("tshark", ".txt");
            List<String> cmd = new ArrayList<>(List.of("tshark"));
            cmd.addAll(List.of(args));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("tshark timed out: " + cmd);
            }
            return Files.readAllLines(out, StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // harmless
                }
            }
        }
    }

    /** One end of a flow: canonical address text and port (0 unless TCP/UDP). */
    record End(String addr, int port) {}

    /** Direction-less flow key, the ends in first-seen order. */
    record Key(int ipProtocol, End a, End b) {
        static Key of(int proto, End x, End y) {
            return new Key(proto, x, y);
        }

        Key reversed() {
            return new Key(ipProtocol, b, a);
        }
    }

    /** Per-direction frame and byte totals (frame.len) per 5-tuple, the way the packets were sent. */
    static final class Tally {
        long packets;
        long bytes;
    }

    /**
     * Per directed 5-tuple packet and frame.len totals from per-packet field extraction, outermost
     * IP header (ICMP errors carry inner headers: ports only for TCP/UDP, from the outer layer).
     */
    static Map<Key, Tally> directedTotals(Path capture) {
        Map<Key, Tally> map = new LinkedHashMap<>();
        for (String line : run("-r", capture.toString(), "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
                "-e", "frame.len", "-e", "ip.src", "-e", "ip.dst", "-e", "ip.proto",
                "-e", "ipv6.src", "-e", "ipv6.dst", "-e", "ipv6.nxt",
                "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "udp.srcport", "-e", "udp.dstport")) {
            String[] f = line.split("\t", -1);
            if (f.length < 11) {
                continue;
            }
            String src, dst;
            int proto;
            if (!f[1].isEmpty()) {
                src = f[1];
                dst = f[2];
                proto = Integer.parseInt(f[3]);
            } else if (!f[4].isEmpty()) {
                src = f[4];
                dst = f[5];
                proto = Integer.parseInt(f[6]);
            } else {
                continue; // not IP
            }
            int sport = 0, dport = 0;
            if (proto == 6 && !f[7].isEmpty()) {
                sport = Integer.parseInt(f[7]);
                dport = Integer.parseInt(f[8]);
            } else if (proto == 17 && !f[9].isEmpty()) {
                sport = Integer.parseInt(f[9]);
                dport = Integer.parseInt(f[10]);
            }
            Key k = Key.of(proto, new End(canonical(src), sport), new End(canonical(dst), dport));
            Tally t = map.computeIfAbsent(k, x -> new Tally());
            t.packets++;
            t.bytes += Long.parseLong(f[0]);
        }
        return map;
    }

    /** Number of frames that carry neither IPv4 nor IPv6. */
    static long nonIpFrames(Path capture) {
        return run("-r", capture.toString(), "-Y", "not ip and not ipv6", "-T", "fields", "-e", "frame.number")
                .stream().filter(s -> !s.isBlank()).count();
    }

    /**
     * A row of tshark's "-z conv,tcp|udp" table: {@code a <-> b}, frames b->a ("<-"), frames a->b
     * ("->"), and the byte columns as printed (tshark 4.0 prints "N bytes", "N kB", "N MB", truncated).
     */
    record Conversation(Key key, long framesAtoB, String bytesAtoB, long framesBtoA, String bytesBtoA) {}

    static List<Conversation> conversations(Path capture, String kind) {
        int proto = kind.equals("tcp") ? 6 : 17;
        List<Conversation> rows = new ArrayList<>();
        for (String line : run("-r", capture.toString(), "-q", "-z", "conv," + kind)) {
            String[] t = line.trim().split("\\s+");
            if (t.length < 11 || !t[1].equals("<->")) {
                continue;
            }
            End a = end(t[0]), b = end(t[2]);
            // t[3]=frames b->a, t[4..5]=bytes, t[6]=frames a->b, t[7..8]=bytes
            rows.add(new Conversation(Key.of(proto, a, b), Long.parseLong(t[6]), t[7] + " " + t[8],
                    Long.parseLong(t[3]), t[4] + " " + t[5]));
        }
        return rows;
    }

    /**
     * How tshark 4.0's conversation table prints a byte count: SI units, truncated, switching unit
     * only at 10,000 of the smaller one (1,241,907 bytes prints "1241 kB", 9,999 prints "9999 bytes").
     */
    static String printedBytes(long bytes) {
        if (bytes < 10_000) {
            return bytes + " bytes";
        }
        if (bytes < 10_000_000) {
            return bytes / 1000 + " kB";
        }
        return bytes / 1_000_000 + " MB";
    }

    private static End end(String s) {
        int colon = s.lastIndexOf(':');
        return new End(canonical(s.substring(0, colon)), Integer.parseInt(s.substring(colon + 1)));
    }

    /** Canonical address text, so ndpiReader's and tshark's IPv6 spellings compare equal. */
    static String canonical(String addr) {
        try {
            String a = addr.startsWith("[") ? addr.substring(1, addr.length() - 1) : addr;
            return InetAddress.getByName(a).getHostAddress();
        } catch (IOException e) {
            throw new IllegalArgumentException(addr, e);
        }
    }
}
