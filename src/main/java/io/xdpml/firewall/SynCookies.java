package io.xdpml.firewall;

/**
 * What the Java twin cannot compute of the firewall's SYN cookies ({@code syncookie.h}): the kernel
 * answers a SYN over a limit only when the host has a socket listening for it, and it checks an
 * ACK's cookie with the host's own secret. The twin ({@link JavaFirewall}) asks this instead.
 * {@link #NONE}, no listener and no valid cookie, is what replays of captures get: the hosts of a
 * capture are not this host (a kernel run on the same frames would find this host's listeners bound
 * to every address, {@code 0.0.0.0} or {@code ::}, for any destination; the parity tests on captures
 * run with {@code syn-cookies off}, or with ports nobody here listens on).
 */
public interface SynCookies {
    /**
     * Whether the host listens on {@code dst} (IPv4 in its first 4 bytes, or 16), TCP port {@code dport}, and {@code dst}
     * is this host's (not an address it routes on to).
     */
    boolean listens(int family, byte[] dst, int dport);

    /**
     * Whether an ACK from {@code src:sport} to {@code dst:dport} acknowledging {@code ackSeq}
     * carries a cookie the host issued (the cookie is {@code ackSeq - 1}).
     */
    boolean validAck(int family, byte[] src, int sport, byte[] dst, int dport, long ackSeq);

    /** The host setting the kernel's cookie helper needs. */
    java.nio.file.Path SYSCTL = java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_syncookies");

    /**
     * Why this host (its network namespace) cannot answer SYNs with cookies from XDP now, or null.
     * {@code bpf_tcp_gen_syncookie} gives a cookie only with {@code net.ipv4.tcp_syncookies = 2}; with 1
     * (Linux's default) only while the listener's queue is full, so SYNs over a limit are dropped.
     */
    static String hostProblem() {
        String v;
        try {
            v = java.nio.file.Files.readString(SYSCTL).strip();
        } catch (java.io.IOException e) {
            return "cannot read " + SYSCTL + " (" + e.getMessage() + "): SYNs over a limit may be dropped rather than answered";
        }
        return v.equals("2") ? null : "net.ipv4.tcp_syncookies is " + v + ": the kernel gives XDP a SYN cookie only with 2"
                + " (with 1, only while a listener's queue is full), so SYNs over a limit are dropped rather than answered"
                + " (sysctl -w net.ipv4.tcp_syncookies=2)";
    }

    SynCookies NONE = new SynCookies() {
        @Override
        public boolean listens(int family, byte[] dst, int dport) { return false; }

        @Override
        public boolean validAck(int family, byte[] src, int sport, byte[] dst, int dport, long ackSeq) { return false; }
    };
}
