package io.xdpml.kernel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A named network namespace ({@code ip netns add}) with one dedicated platform thread that lives
 * inside it (it did {@code setns(open("/var/run/netns/NAME"), CLONE_NEWNET)}). Code that must see
 * the namespace's interfaces (if_nametoindex, XDP attach, AF_PACKET sockets, test runs with an
 * ingress device) runs there through {@link #run}. {@link #close()} stops the thread and deletes
 * the namespace, which destroys its veths.
 */
public final class NetworkNamespace implements AutoCloseable {
    static final int CLONE_NEWNET = 0x40000000;
    static final int O_RDONLY = 0;
    static final int O_CLOEXEC = 0x80000;
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final ThreadLocal<NetworkNamespace> CURRENT = new ThreadLocal<>();

    private final String name;
    private final ExecutorService thread;
    private volatile Thread nsThread;
    private volatile boolean closed;

    private NetworkNamespace(String name) {
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = Thread.ofPlatform().daemon().name("netns-" + name).unstarted(r);
            return t;
        });
    }

    /** Creates a uniquely named namespace {@code PREFIX-PID-N} and moves its thread into it. */
    public static NetworkNamespace create(String prefix) {
        String name = prefix + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        command("ip", "netns", "add", name);
        NetworkNamespace ns = new NetworkNamespace(name);
        KernelCleanup.register(ns);
        try {
            ns.run(() -> {
                try (Arena a = Arena.ofConfined()) {
                    String path = "/var/run/netns/" + name;
                    int fd = Native.open(a.allocateFrom(path), O_RDONLY | O_CLOEXEC);
                    if (fd < 0) throw new KernelException("open(" + path + ")", Native.errno());
                    int rc = Native.setns(fd, CLONE_NEWNET);
                    int err = Native.errno();
                    Native.close(fd);
                    if (rc != 0) throw new KernelException("setns(" + path + ", CLONE_NEWNET)", err);
                }
                ns.nsThread = Thread.currentThread();
                CURRENT.set(ns);
                return null;
            });
            ns.exec("ip", "link", "set", "lo", "up");
        } catch (RuntimeException | Error e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    /** The namespace name (as {@code ip netns} knows it). */
    public String name() { return name; }

    /** The namespace the calling thread is in through this class, or null (host namespace). */
    public static NetworkNamespace current() { return CURRENT.get(); }

    /** Whether the caller runs on this namespace's thread. */
    public boolean isNamespaceThread() { return Thread.currentThread() == nsThread; }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() { return closed; }

    /** Runs {@code task} on the namespace's thread and returns its result; exceptions propagate. */
    public <T> T run(Callable<T> task) {
        if (isNamespaceThread()) {
            try {
                return task.call();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
        if (closed) throw new IllegalStateException("namespace " + name + " is closed");
        Future<T> f = thread.submit(task);
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            f.cancel(true);
            throw new IllegalStateException("interrupted waiting for namespace " + name, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        }
    }

    /**
     * Runs {@code task} on the calling platform thread moved into the namespace for the call (and
     * back afterwards), without involving the namespace's own thread, which may be busy. For
     * cleanup paths (detach on close, the shutdown hook). Not on a virtual thread: setns would move
     * its carrier.
     */
    public <T> T callOnThisThread(Callable<T> task) throws Exception {
        if (isNamespaceThread()) {
            return task.call();
        }
        if (Thread.currentThread().isVirtual()) {
            return run(task);
        }
        try (Arena a = Arena.ofConfined()) {
            int self = Native.open(a.allocateFrom("/proc/thread-self/ns/net"), O_RDONLY | O_CLOEXEC);
            if (self < 0) throw new KernelException("open(/proc/thread-self/ns/net)", Native.errno());
            String path = "/var/run/netns/" + name;
            int target = Native.open(a.allocateFrom(path), O_RDONLY | O_CLOEXEC);
            if (target < 0) {
                int err = Native.errno();
                Native.close(self);
                throw new KernelException("open(" + path + ")", err);
            }
            try {
                if (Native.setns(target, CLONE_NEWNET) != 0) {
                    throw new KernelException("setns(" + path + ", CLONE_NEWNET)", Native.errno());
                }
                try {
                    return task.call();
                } finally {
                    if (Native.setns(self, CLONE_NEWNET) != 0) {
                        throw new KernelException("setns(back to this thread's namespace)", Native.errno());
                    }
                }
            } finally {
                Native.close(target);
                Native.close(self);
            }
        }
    }

    /** Runs {@code command} inside the namespace ({@code ip netns exec NAME ...}); returns its output. */
    public String exec(String... command) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", name));
        cmd.addAll(List.of(command));
        return command(cmd.toArray(new String[0]));
    }

    /**
     * Creates a veth pair {@code a <-> b} inside the namespace, disables IPv6 on both (no router
     * solicitations or MLD reports) and brings both up.
     */
    public void createVethPair(String a, String b) {
        createVethPair(a, b, 1);
    }

    /**
     * Like {@link #createVethPair(String, String)} with {@code queues} RX and TX queues on each end
     * (veth hands an XDP_TX'd or redirected frame to the peer's RX queue {@code smp_processor_id() %
     * queues}: the sender's CPU picks the queue).
     */
    public void createVethPair(String a, String b, int queues) {
        String q = String.valueOf(queues);
        exec("ip", "link", "add", a, "numrxqueues", q, "numtxqueues", q, "type", "veth", "peer", "name", b, "numrxqueues", q,
                "numtxqueues", q);
        exec("sysctl", "-q", "-w", "net.ipv6.conf." + a + ".disable_ipv6=1", "net.ipv6.conf." + b + ".disable_ipv6=1");
        exec("ip", "link", "set", a, "up");
        exec("ip", "link", "set", b, "up");
        awaitOperUp(a);
        awaitOperUp(b);
    }

    /**
     * Joins the namespace to the host by a veth pair with addresses: {@code hostEnd} stays in the
     * host with {@code hostAddr}/30, {@code nsEnd} goes into the namespace with {@code nsAddr}/30 and
     * a default route to the host's end (how the fleet's agents reach a broker on the host).
     * Deleting the namespace deletes the pair.
     */
    public void linkToHost(String hostEnd, String nsEnd, String hostAddr, String nsAddr) {
        command("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd, "netns", name);
        command("ip", "addr", "add", hostAddr + "/30", "dev", hostEnd);
        command("ip", "link", "set", hostEnd, "up");
        exec("ip", "addr", "add", nsAddr + "/30", "dev", nsEnd);
        exec("ip", "link", "set", nsEnd, "up");
        exec("ip", "route", "add", "default", "via", hostAddr);
    }

    /**
     * Waits (up to 5 s) until {@code iface} is operationally up. The kernel's link watch turns a
     * device's queueing on when it does that, up to a second after "ip link set up" (more on a busy
     * machine); a frame sent before then is dropped without a word.
     */
    public void awaitOperUp(String iface) {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!exec("ip", "-o", "link", "show", "dev", iface).contains("state UP")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(iface + " is not operationally up 5 s after 'ip link set up'");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + iface, e);
            }
        }
    }

    /** Stops the namespace thread and deletes the namespace (and with it its interfaces). Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        thread.shutdownNow();
        try {
            thread.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        command("ip", "netns", "del", name);
        KernelCleanup.unregister(this);
    }

    /** The shutdown hook's close: deletes the namespace without waiting for its thread. */
    void deleteWithoutWaiting() {
        if (closed) return;
        closed = true;
        thread.shutdownNow();
        command("ip", "netns", "del", name);
        KernelCleanup.unregister(this);
    }

    static String command(String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int rc = p.waitFor();
            if (rc != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + rc + "): " + out.strip());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("running " + String.join(" ", cmd), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", cmd), e);
        }
    }

    @Override
    public String toString() { return "NetworkNamespace[" + name + (closed ? ", closed" : "") + "]"; }
}
