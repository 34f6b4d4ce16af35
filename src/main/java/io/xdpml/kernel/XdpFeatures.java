package io.xdpml.kernel;

/**
 * What this kernel lets an XDP program do beyond the basics {@link BpfSupport} checks, probed once
 * per process by loading a minimal program (never attached) and cached.
 *
 * <p>{@link #adjustMetaAllowed()}: some kernels' verifiers refuse {@code bpf_xdp_adjust_meta} in
 * every XDP program ("program of this type cannot use helper bpf_xdp_adjust_meta#54"), though
 * {@code bpf_xdp_adjust_head} is allowed. The composed program's deliver stage then puts its AF_XDP
 * metadata in front of the frame instead ({@code cfg_meta_in_head}, deliver.h;
 * {@link io.xdpml.xsk.MetadataLayout}). docs/kernel.md.
 */
public final class XdpFeatures {
    /** bpf/xdp_meta_probe.bpf.c: one XDP program calling bpf_xdp_adjust_meta. */
    static final String META_PROBE = "/bpf/xdp_meta_probe.bpf.o";
    /** The plain statement for logs and status: what the fallback means. */
    public static final String ADJUST_META_REFUSED =
            "this kernel refuses bpf_xdp_adjust_meta: metadata travels in front of the frame";

    /** The probe's outcome: allowed, and when not, why (the verifier's line or the failure). */
    public record Probe(boolean allowed, String reason) {}

    private static volatile Probe adjustMeta;

    private XdpFeatures() {}

    /** Whether an XDP program may call bpf_xdp_adjust_meta here (probed once). */
    public static boolean adjustMetaAllowed() {
        return adjustMetaProbe().allowed();
    }

    /** The cached probe of {@link #adjustMetaAllowed()}, with the reason when refused. */
    public static Probe adjustMetaProbe() {
        Probe p = adjustMeta;
        if (p == null) {
            synchronized (XdpFeatures.class) {
                p = adjustMeta;
                if (p == null) {
                    p = probeAdjustMeta();
                    adjustMeta = p;
                }
            }
        }
        return p;
    }

    /**
     * Loads {@link #META_PROBE}: loaded, the helper is allowed. Refused by the verifier (or any
     * other failure to load, e.g. no BPF at all): not allowed, the fallback, which works on every
     * kernel, is taken.
     */
    static Probe probeAdjustMeta() {
        try (BpfObject o = BpfObject.openResource(META_PROBE)) {
            o.load();
            return new Probe(true, null);
        } catch (BpfLoadException e) {
            return new Probe(false, verifierLine(e.log(), e.getMessage()));
        } catch (RuntimeException | Error e) {
            return new Probe(false, String.valueOf(e.getMessage()));
        }
    }

    /** The verifier's refusal from a load's log ("program of this type cannot use helper ..."), else the message's first line. */
    static String verifierLine(String log, String message) {
        if (log != null) {
            for (String line : log.split("\n")) {
                if (line.contains("cannot use helper") || line.contains("unknown func") || line.contains("invalid func")) {
                    return line.strip();
                }
            }
        }
        String m = String.valueOf(message);
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
