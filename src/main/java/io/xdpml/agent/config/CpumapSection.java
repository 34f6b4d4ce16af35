package io.xdpml.agent.config;

import io.xdpml.dataplane.CpuSpread;
import java.util.List;
import java.util.Objects;

/**
 * The CPU spread ({@link CpuSpread}): for a NIC with one receive queue, each frame handed to its
 * flow's CPU in XDP, where the whole pipeline runs. Off by default.
 *
 * @param spread    the CPUs and their queue size (also when off: what the file says, checked)
 * @param cpusGiven whether the file names the CPUs; when it leaves them out, {@code spread} has the
 *                  CPUs online when the file was read, which a CPU going on- or offline changes
 */
public record CpumapSection(boolean enabled, CpuSpread spread, boolean cpusGiven) {
    public CpumapSection {
        Objects.requireNonNull(spread);
    }

    /** With the CPUs named in the file. */
    public CpumapSection(boolean enabled, CpuSpread spread) {
        this(enabled, spread, true);
    }

    /** Off. */
    public static CpumapSection defaults() {
        return new CpumapSection(false, new CpuSpread(List.of(0), CpuSpread.DEFAULT_QUEUE_SIZE), false);
    }

    /**
     * Whether {@code next} (a reload's file) asks for the spread this one (the file the program was
     * loaded from) runs: both off; or both on with the same queue size and the same CPUs, where two
     * files that both leave the CPUs out ask for the same ("every online CPU") whatever went on- or
     * offline between the two readings (until 2026-12-06 such a change made every reload "cpumap
     * changed (fixed at load)"). A file that names CPUs is held against this one's list.
     */
    public boolean sameSpreadAs(CpumapSection next) {
        if (!enabled && !next.enabled) {
            return true;
        }
        if (enabled != next.enabled || spread.queueSize() != next.spread.queueSize()) {
            return false;
        }
        return (!cpusGiven && !next.cpusGiven) || spread.cpus().equals(next.spread.cpus());
    }

    /** The spread's CPUs that are offline now ("1", "1,3"), or null (none, or the spread off). */
    public String offlineCpus() {
        java.util.BitSet online = CpuSpread.onlineCpus();
        if (!enabled || online == null) {
            return null;
        }
        String off = spread.cpus().stream().filter(n -> !online.get(n)).map(String::valueOf)
                .collect(java.util.stream.Collectors.joining(","));
        return off.isEmpty() ? null : off;
    }

    String describe() {
        return enabled ? "cpumap: on (" + spread.describe() + (cpusGiven ? "" : "; cpus left out: those online now")
                + "; the pipeline runs on the flow's CPU)" : "cpumap: off";
    }
}
