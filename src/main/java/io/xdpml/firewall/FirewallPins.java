package io.xdpml.firewall;

import io.xdpml.kernel.BpfFs;
import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.Interfaces;
import io.xdpml.kernel.XdpAttachment;
import io.xdpml.kernel.XdpLink;
import io.xdpml.kernel.XdpMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The firewall as it lives between commands: pinned under a bpffs directory (default
 * {@code /sys/fs/bpf/xdpml/fw}): every map by its name (with BTF, so {@code bpftool map dump name
 * xdpml_fw_ct} shows fields by name), the program as {@code prog}, and one pinned BPF link per
 * interface as {@code link_IFNAME}, which keeps the program attached after the process exits.
 * Removing the directory ({@link #clear}) detaches and frees everything.
 */
public final class FirewallPins {
    public static final Path DEFAULT_DIR = BpfFs.ROOT.resolve("xdpml").resolve("fw");

    private final Path dir;

    public FirewallPins(Path dir) {
        this.dir = dir;
    }

    public Path dir() { return dir; }

    /** Whether a firewall is pinned here. */
    public boolean exists() {
        return Files.exists(dir.resolve("prog")) && Files.exists(dir.resolve(FirewallMaps.NAMES.getFirst()));
    }

    /**
     * Validated config in, enforced config out: loads and pins the program and its maps the first
     * time (with {@code limits}), else opens the pinned maps; swaps the config in atomically
     * ({@link FirewallMaps#install}); attaches to {@code iface} (if given and not yet attached).
     *
     * @return what was done, one line per step
     */
    public List<String> load(FirewallConfig config, String iface, FirewallProgram.Limits limits, int vxlanPort) {
        List<String> done = new ArrayList<>();
        int ifindex = iface == null ? 0 : Interfaces.indexOf(iface); // fails before anything changes
        if (!exists()) {
            BpfFs.createDirectories(dir);
            try (FirewallProgram p = FirewallProgram.load(limits, vxlanPort, false)) {
                p.maps().install(config); // before the program is reachable from any interface
                for (var e : p.maps().all().entrySet()) {
                    e.getValue().pin(dir.resolve(e.getKey()));
                }
                p.measures().pin(dir); // measures (xdpml blocks --pin-dir /sys/fs/bpf/xdpml --iface fw reaches them)
                p.object().map(CookieInterfaces.MAP).pin(dir.resolve(CookieInterfaces.MAP)); // the MACs SYN cookies answer
                p.program().pin(dir.resolve("prog"));
                done.add("loaded the firewall program; maps pinned under " + dir);
            } catch (RuntimeException e) {
                BpfFs.removeRecursively(dir);
                throw e;
            }
        } else {
            try (Opened o = open()) {
                o.maps().install(config);
                done.add("swapped the new config in");
                if (o.maps().olderProgram()) {
                    done.add("note: the pinned program is of an older xdpml (its conntrack keys have no VXLAN VNI, its entries"
                            + " no sequence check of RSTs, or its connections not yet assured no table of their own): 'xdpml fw clear'"
                            + " and load again to run this one's (tracked connections are lost)");
                }
            }
        }
        if (iface != null) {
            Path link = dir.resolve("link_" + iface);
            if (Files.exists(link)) {
                done.add("already attached to " + iface);
            } else {
                try (XdpLink l = XdpLink.attachPinned(dir.resolve("prog"), ifindex)) {
                    l.pin(link);
                }
                done.add("attached to " + iface + " (link pinned at " + link + ")");
            }
            keepCookieInterface(iface, ifindex, done);
        }
        return done;
    }

    /**
     * Sets the MACs SYN cookies answer on {@code iface} (CookieInterfaces) to its MACs now: at each
     * load with --iface, so that a load after a MAC change reads it again. A program pinned by an
     * older xdpml has no such map (and checks no MAC).
     */
    private void keepCookieInterface(String iface, int ifindex, List<String> done) {
        Path pin = dir.resolve(CookieInterfaces.MAP);
        if (!Files.exists(pin)) {
            return;
        }
        try (BpfMap m = BpfMap.openPinned(pin)) {
            new CookieInterfaces(name -> m).keep(iface, ifindex);
        } catch (RuntimeException e) {
            // the program is attached by now: said, not failed (SYN cookies alone are affected)
            done.add("SYN cookies answer nothing on " + iface + ": " + e.getMessage());
        }
    }

    /** The pinned maps, opened (close to release the fds). */
    public Opened open() {
        if (!exists()) {
            throw new IllegalStateException("no firewall is loaded (nothing pinned at " + dir + "); use 'xdpml fw load'");
        }
        List<BpfMap> opened = new ArrayList<>();
        try {
            FirewallMaps maps = new FirewallMaps(name -> {
                Path pin = dir.resolve(name);
                if (!Files.exists(pin, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    throw new java.util.NoSuchElementException("nothing pinned at " + pin);
                }
                BpfMap m = BpfMap.openPinned(pin);
                opened.add(m);
                return m;
            });
            return new Opened(maps, opened);
        } catch (RuntimeException e) {
            opened.forEach(BpfMap::close);
            throw e;
        }
    }

    /** Interfaces the pinned program is attached to (by its links). */
    public List<String> interfaces() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("link_")).map(n -> n.substring(5)).sorted()
                    .toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * Detaches from every interface and removes every pin; returns whether anything was there.
     * The kernel frees an unpinned link asynchronously: this waits (up to 2 s) until the program is
     * gone from each interface of this namespace it was attached to, so that the caller sees it
     * detached on return.
     */
    public boolean clear() {
        boolean any = Files.exists(dir);
        java.util.Map<Integer, Integer> attached = new java.util.HashMap<>();
        for (String iface : interfaces()) {
            try {
                int ifindex = Interfaces.indexOf(iface);
                XdpAttachment.attachedProgramId(ifindex, XdpMode.AUTO).ifPresent(id -> attached.put(ifindex, id));
            } catch (RuntimeException gone) {
                // the interface no longer exists (or is in another namespace): nothing to wait for
            }
        }
        BpfFs.removeRecursively(dir);
        long deadline = System.nanoTime() + 2_000_000_000L;
        for (var e : attached.entrySet()) {
            while (System.nanoTime() < deadline
                    && XdpAttachment.attachedProgramId(e.getKey(), XdpMode.AUTO).orElse(0) == e.getValue()) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        return any;
    }

    /** Pinned maps opened by this process. */
    public record Opened(FirewallMaps maps, List<BpfMap> fds) implements AutoCloseable {
        @Override
        public void close() {
            fds.forEach(BpfMap::close);
        }
    }
}
