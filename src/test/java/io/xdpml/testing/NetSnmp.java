package io.xdpml.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The kernel's IP counters (/proc/net/snmp) as the calling thread's network namespace sees them. */
public final class NetSnmp {
    private NetSnmp() {}

    /** The counter {@code name} of the {@code Ip:} lines (ReasmReqds: fragments the stack took in for reassembly, ...). */
    public static long ip(String name) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/thread-self/net/snmp"));
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith("Ip: ") && lines.get(i + 1).startsWith("Ip: ")) {
                List<String> names = List.of(lines.get(i).split(" "));
                int k = names.indexOf(name);
                if (k < 1) {
                    throw new IllegalArgumentException("no IP counter " + name);
                }
                return Long.parseLong(lines.get(i + 1).split(" ")[k]);
            }
        }
        throw new IllegalStateException("no Ip lines in /proc/thread-self/net/snmp");
    }
}
