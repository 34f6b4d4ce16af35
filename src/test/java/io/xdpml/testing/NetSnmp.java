package io.xdpml.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The kernel's IP, UDP and ICMP counters (/proc/net/snmp) as the calling thread's network namespace sees them. */
public final class NetSnmp {
    private NetSnmp() {}

    /** The counter {@code name} of the {@code Ip:} lines (ReasmReqds: fragments the stack took in for reassembly, ...). */
    public static long ip(String name) throws IOException {
        return counter("Ip", name);
    }

    /** The counter {@code name} of the {@code Udp:} lines (InDatagrams: to an open port; NoPorts: to a closed one, ...). */
    public static long udp(String name) throws IOException {
        return counter("Udp", name);
    }

    /** The counter {@code name} of the {@code Icmp:} lines (InEchos: echo requests the stack took in, ...). */
    public static long icmp(String name) throws IOException {
        return counter("Icmp", name);
    }

    private static long counter(String group, String name) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/thread-self/net/snmp"));
        String prefix = group + ": ";
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix) && lines.get(i + 1).startsWith(prefix)) {
                List<String> names = List.of(lines.get(i).split(" "));
                int k = names.indexOf(name);
                if (k < 1) {
                    throw new IllegalArgumentException("no " + group + " counter " + name);
                }
                return Long.parseLong(lines.get(i + 1).split(" ")[k]);
            }
        }
        throw new IllegalStateException("no " + group + " lines in /proc/thread-self/net/snmp");
    }
}
