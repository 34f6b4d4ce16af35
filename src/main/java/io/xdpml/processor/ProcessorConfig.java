package io.xdpml.processor;

import io.xdpml.dataplane.DataPlaneSetup;
import io.xdpml.xsk.XskBindMode;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * What an {@link MlPacketProcessor} does: which interface and queues, which packets reach the
 * callback (1-in-N sampling in XDP, protocol filter, a rate cap), AF_XDP settings, flow tracking,
 * and capture of flagged packets. Immutable; start from {@link #forInterface} and use the withers.
 *
 * @param iface          interface to attach to
 * @param queues         receive queues, one AF_XDP socket and thread each
 * @param sampleN        1-in-N packets go to Java, chosen in XDP (1: all); the rest pass untouched
 * @param bindMode       zero-copy preference (AUTO: zero-copy, falling back to copy)
 * @param batchSize      frames taken from the RX ring per call (mirror: records taken from the ring per look)
 * @param flowTracking   keep a flow table in Java so callbacks see flow features
 * @param maxFlows       flow table size (per queue)
 * @param idleTimeoutNanos silence that ends a flow
 * @param protocols      transport protocols the callback sees (IANA numbers); empty: all
 * @param maxCallbackRate packets per second handed to the callback at most, per queue (0: no cap);
 *                       the rest are counted as rate-limited
 * @param captureFile    pcap file for flagged packets, or null
 * @param captureLimit   the first this many flagged packets are written
 * @param delivery       how sampled packets reach Java: AF_XDP sockets (the stack does not get
 *                       them) or a mirror copy through a ring buffer (the stack gets every packet)
 * @param blocksPin      bpffs path where the mitigation blocks map is pinned while the processor
 *                       runs (so other processes can list and remove blocks), or null
 * @param cpus           AF_XDP: CPU to pin queue i's thread to ({@code cpus[i]}; none or -1: not pinned)
 * @param hugePages      AF_XDP: UMEM on huge pages (reserved 2 MiB pages, else transparent ones: fewer TLB misses)
 * @param dataPlane      the stages of the composed XDP program before sampling (blocks are always on)
 *                       and how to set them up: {@link DataPlaneSetup#BLOCKS_ONLY}, or the agent's
 */
public record ProcessorConfig(String iface, int[] queues, int sampleN, XskBindMode bindMode, int batchSize, boolean flowTracking,
                              int maxFlows, long idleTimeoutNanos, int[] protocols, long maxCallbackRate, Path captureFile,
                              int captureLimit, Delivery delivery, Path blocksPin, int[] cpus, boolean hugePages,
                              DataPlaneSetup dataPlane) {
    public ProcessorConfig {
        queues = queues.clone();
        cpus = cpus.clone();
        if (dataPlane == null) {
            throw new IllegalArgumentException("a data plane set-up is needed (DataPlaneSetup.BLOCKS_ONLY for blocks alone)");
        }
        if (delivery == null) {
            throw new IllegalArgumentException("a delivery (AF_XDP or MIRROR) is needed");
        }
        protocols = protocols.clone();
        if (iface == null || iface.isBlank()) {
            throw new IllegalArgumentException("an interface is needed");
        }
        if (queues.length == 0) {
            throw new IllegalArgumentException("at least one queue");
        }
        if (sampleN < 1) {
            throw new IllegalArgumentException("sampleN must be >= 1, not " + sampleN);
        }
        if (batchSize < 1 || maxFlows < 1 || idleTimeoutNanos <= 0 || maxCallbackRate < 0 || captureLimit < 0) {
            throw new IllegalArgumentException("batch size, flow table size and idle timeout must be positive; rate cap and capture limit >= 0");
        }
    }

    /** Queue 0 of {@code iface}, every packet, AF_XDP delivery with AUTO bind, batches of 64, flows on. */
    public static ProcessorConfig forInterface(String iface) {
        return new ProcessorConfig(iface, new int[] {0}, 1, XskBindMode.AUTO, 64, true, 65_536, 120_000_000_000L, new int[0], 0, null, 0,
                Delivery.AF_XDP, null, new int[0], false, DataPlaneSetup.BLOCKS_ONLY);
    }

    /** AF_XDP: pin queue i's thread to CPU {@code cpus[i]} (-1: not pinned). */
    public ProcessorConfig withCpus(int... c) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, delivery, blocksPin, c, hugePages, dataPlane);
    }

    /** AF_XDP: put the UMEM on huge pages. */
    public ProcessorConfig withHugePages(boolean on) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, delivery, blocksPin, cpus, on, dataPlane);
    }

    /** The composed program's stages before sampling, and their set-up ({@link DataPlaneSetup}). */
    public ProcessorConfig withDataPlane(DataPlaneSetup d) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, delivery, blocksPin, cpus, hugePages, d);
    }

    @Override
    public int[] cpus() {
        return cpus.clone();
    }

    /** Pin the mitigation blocks at {@code pin} while running (e.g. {@code Mitigation.DEFAULT_PIN_DIR.resolve(iface)}). */
    public ProcessorConfig withBlocksPin(Path pin) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, delivery, pin, cpus, hugePages, dataPlane);
    }

    /** How sampled packets reach Java ({@link Delivery}). */
    public ProcessorConfig withDelivery(Delivery d) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, d, blocksPin, cpus, hugePages, dataPlane);
    }

    public ProcessorConfig withQueues(int... q) {
        return new ProcessorConfig(iface, q, sampleN, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, delivery, blocksPin, cpus, hugePages, dataPlane);
    }

    public ProcessorConfig withSampling(int n) {
        return new ProcessorConfig(iface, queues, n, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, delivery, blocksPin, cpus, hugePages, dataPlane);
    }

    public ProcessorConfig withBindMode(XskBindMode m) {
        return new ProcessorConfig(iface, queues, sampleN, m, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, delivery, blocksPin, cpus, hugePages, dataPlane);
    }

    public ProcessorConfig withBatchSize(int n) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, n, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, delivery, blocksPin, cpus, hugePages, dataPlane);
    }

    public ProcessorConfig withFlowTracking(boolean on, int maxFlows, long idleTimeoutNanos) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, batchSize, on, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, captureFile, captureLimit, delivery, blocksPin, cpus, hugePages, dataPlane);
    }

    public ProcessorConfig withProtocols(int... p) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, p,
                maxCallbackRate, captureFile, captureLimit, delivery, blocksPin, cpus, hugePages, dataPlane);
    }

    public ProcessorConfig withRateCap(long packetsPerSecond) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                packetsPerSecond, captureFile, captureLimit, delivery, blocksPin, cpus, hugePages, dataPlane);
    }

    /** Write the first {@code limit} packets the callback flags to a pcap file. */
    public ProcessorConfig withCapture(Path file, int limit) {
        return new ProcessorConfig(iface, queues, sampleN, bindMode, batchSize, flowTracking, maxFlows, idleTimeoutNanos, protocols,
                maxCallbackRate, file, limit, delivery, blocksPin, cpus, hugePages, dataPlane);
    }

    @Override
    public int[] queues() {
        return queues.clone();
    }

    @Override
    public int[] protocols() {
        return protocols.clone();
    }

    /** Whether the callback sees transport protocol {@code p}. */
    boolean admits(int p) {
        if (protocols.length == 0) {
            return true;
        }
        for (int x : protocols) {
            if (x == p) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "ProcessorConfig[" + iface + ", queues " + Arrays.toString(queues) + ", 1-in-" + sampleN + ", " + bindMode + ", batch "
                + batchSize + ", flows " + (flowTracking ? maxFlows : "off") + ", protocols "
                + (protocols.length == 0 ? "all" : Arrays.toString(protocols)) + ", cap " + maxCallbackRate + "/s, " + delivery + "]";
    }
}
