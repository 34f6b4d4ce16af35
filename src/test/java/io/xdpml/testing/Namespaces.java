package io.xdpml.testing;

import java.io.IOException;
import java.util.List;

/** The network namespaces this JVM made ({@code NetworkNamespace} names them PREFIX-PID-N): other processes' come and go. */
public final class Namespaces {
    private Namespaces() {}

    /** This JVM's xdpml namespaces now, sorted. */
    public static List<String> mine() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("ip", "netns", "list").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor();
        String pid = "-" + ProcessHandle.current().pid() + "-";
        return out.lines().map(l -> l.split(" ")[0]).filter(n -> n.startsWith("xdpml") && n.contains(pid)).sorted().toList();
    }
}
