package io.xdpml.flow;

import static io.xdpml.flow.FlowLayout.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The Java reference flow tracker: the same key, state bytes, update and record emission as
 * xdp_flow.bpf.c, held in a hash map without a size limit (the offline oracle; the kernel's LRU
 * may evict, this never does). No allocation per packet once a flow exists. Random per-packet
 * sampling has no twin here (the kernel draws from its own generator).
 */
public final class FlowTable {
    private final Map<FlowKey, MemorySegment> flows = new LinkedHashMap<>();
    private final FlowKey probe = new FlowKey(new byte[KEY_SIZE]);
    private final FlowConfig config;
    private final FlowRecordListener listener;
    private final long[] counters = new long[FlowCounter.SLOTS];
    private MemorySegment lastUpdated;
    private boolean lastFirst;
    private final Probation probation;
    private final FlowHash hash;
    private CachedClass cached = CachedClass.NONE;
    /** The promotion budget's time ({@code xdpml_promote_tat}): by when the promotions so far are paid for. */
    private long promoteTat;

    public FlowTable(FlowConfig config, FlowRecordListener listener) {
        this.config = config;
        this.listener = listener;
        this.probation = config.probationSlots() == 0 ? null : new Probation(config.probationSlots());
        this.hash = FlowHash.seeded(config.hashSeed());
    }

    /**
     * The probation slots of flow_stage.h ({@code struct xdpml_probation}): per slot a first packet's
     * key, contribution and time (0: empty), in flat arrays, allocated once.
     */
    private static final class Probation {
        final int mask;
        final byte[] keys;
        final MemorySegment keySegment;
        final long[] time;
        final long[] length;
        final long[] normLength;
        final long[] headerBytes;
        final int[] tcpFlags;
        final int[] tcpWindow;
        final boolean[] fromA;
        final FlowPacket replay = new FlowPacket();

        Probation(int slots) {
            mask = slots - 1;
            keys = new byte[slots * KEY_SIZE];
            keySegment = MemorySegment.ofArray(keys);
            time = new long[slots];
            length = new long[slots];
            normLength = new long[slots];
            headerBytes = new long[slots];
            tcpFlags = new int[slots];
            tcpWindow = new int[slots];
            fromA = new boolean[slots];
        }

        boolean holds(int slot, byte[] key) {
            return java.util.Arrays.equals(keys, slot * KEY_SIZE, (slot + 1) * KEY_SIZE, key, 0, KEY_SIZE);
        }

        void park(int slot, FlowPacket p, long now) {
            System.arraycopy(p.keyBytes, 0, keys, slot * KEY_SIZE, KEY_SIZE);
            length[slot] = p.length;
            normLength[slot] = p.normLength;
            headerBytes[slot] = p.headerBytes;
            tcpFlags[slot] = p.tcpFlags;
            tcpWindow[slot] = p.tcpWindow;
            fromA[slot] = p.fromA;
            time[slot] = now == 0 ? 1 : now;
        }

        /** The parked packet of {@code slot}, as a packet to replay (its key is not needed by the update). */
        FlowPacket parked(int slot) {
            replay.length = length[slot];
            replay.normLength = normLength[slot];
            replay.headerBytes = headerBytes[slot];
            replay.tcpFlags = tcpFlags[slot];
            replay.tcpWindow = tcpWindow[slot];
            replay.fromA = fromA[slot];
            return replay;
        }
    }

    /** The model stage's cache: flows whose class is current are updated without timing statistics. */
    public void cachedClass(CachedClass c) {
        cached = c;
    }

    /** Counts a packet that has no IP header. */
    public void notTracked() {
        counters[FlowCounter.NOT_IP.id()]++;
        lastUpdated = null;
        lastFirst = false;
    }

    /**
     * Adds a keyed packet at time {@code now} (ns), as flow_stage.h does: {@code xdpml_flow_lookup},
     * then {@code xdpml_flow_track}.
     */
    public void add(FlowPacket p, long now) {
        lastFirst = false;
        MemorySegment key = p.key;
        MemorySegment f = flows.get(probe.wrap(p.keyBytes));
        if (f != null && cached.current(f) && !idle(f, now)) {
            // its class is cached: no timing statistics (the kernel reads this time from the coarse clock)
            int d = FlowUpdater.updateCached(f, p, now);
            lastFirst = directionPackets(f, d) == 1; // the other way's first (a flow's first is never cached)
            counters[FlowCounter.CACHED.id()]++;
            after(key, f, now);
            return;
        }
        int promoted = -1;
        if (f == null) {
            if (probation != null) {
                int slot = hash.of(key) & probation.mask;
                long t = probation.time[slot];
                if (t == 0 || !probation.holds(slot, p.keyBytes)
                        || Long.compareUnsigned(now, t) > 0 && Long.compareUnsigned(now - t, config.idleTimeoutNanos()) > 0
                        || synRepeated(probation.tcpFlags[slot], p.tcpFlags) || !promotionAllowed(now)) {
                    // a first packet (or one whose slot another flow took, or gone idle, or a SYN after
                    // its parked SYN, or a second packet over the promotion budget: these park in its
                    // place): parked, not tracked
                    probation.park(slot, p, now);
                    counters[FlowCounter.PARKED.id()]++;
                    lastUpdated = null;
                    lastFirst = true;
                    return;
                }
                promoted = slot;
            }
            f = MemorySegment.ofArray(new byte[FLOW_SIZE]);
            flows.put(probe.copy(), f);
            counters[FlowCounter.NEW.id()]++;
        } else if (idle(f, now)) {
            // an ended flow was reported at close: report its final state, tail included
            emit(key, f, (closing(f) & CLOSE_ENDED) != 0 ? FlowReason.TAIL : FlowReason.IDLE, now);
            f.fill((byte) 0);
            counters[FlowCounter.IDLE_RESTART.id()]++;
        }
        if (u64(f, dirOffset(FWD) + D_PACKETS) + u64(f, dirOffset(BWD) + D_PACKETS) == 0) {
            f.set(ValueLayout.JAVA_BYTE, SAMPLED, (byte) (hash.sampled(key, config.sampleFlowN()) ? 1 : 0));
        }
        if (promoted >= 0) {
            // admitted at its second packet: the parked first packet first, at its own time
            FlowUpdater.update(f, probation.parked(promoted), probation.time[promoted]);
            probation.time[promoted] = 0;
            counters[FlowCounter.PROMOTED.id()]++;
        }
        int d = FlowUpdater.update(f, p, now);
        // its direction's first: a new or restarted flow's first, or the first the other way (also the
        // second packet that promotes a parked first when it goes the other way: the parked one was replayed)
        lastFirst = directionPackets(f, d) == 1;
        after(key, f, now);
    }

    private static long directionPackets(MemorySegment f, int d) {
        return u64(f, dirOffset(d) + D_PACKETS);
    }

    /**
     * Whether a TCP packet with flags {@code now} after its flow's parked packet with flags
     * {@code parked} repeats a connection request (both SYN without ACK): it does not promote the
     * flow, it parks in the parked SYN's place; flow_stage.h's {@code xdpml_syn_repeated}. A spoofed
     * SYN flood sending each key twice never completes a handshake, so its keys stay on probation.
     */
    static boolean synRepeated(int parked, int now) {
        return (parked & 0x12) == 0x02 && (now & 0x12) == 0x02; // SYN 0x02, ACK 0x10
    }

    /**
     * Whether a flow may be promoted at {@code now} within the budget, taking it if so; flow_stage.h's
     * {@code xdpml_promotion_allowed} (a token bucket kept as a time, unsigned). One thread: no
     * compare-and-swap to lose (the kernel's loser tries again from the winner's time, so it too is
     * refused only over the budget: PromotionBudgetTwoCpuTest).
     */
    private boolean promotionAllowed(long now) {
        long interval = config.promotionBudget().intervalNanos();
        if (interval == 0) {
            return true;
        }
        long next = (Long.compareUnsigned(promoteTat, now) > 0 ? promoteTat : now) + interval;
        if (Long.compareUnsigned(next - now, config.promotionBudget().depthNanos()) > 0) {
            counters[FlowCounter.DEFERRED.id()]++;
            return false;
        }
        promoteTat = next;
        return true;
    }

    private boolean idle(MemorySegment f, long now) {
        long last = u64(f, LAST_NS);
        return Long.compareUnsigned(now, last) > 0 && Long.compareUnsigned(now - last, config.idleTimeoutNanos()) > 0;
    }

    /** The records a packet may cause (TCP close, active timeout) and the counters ({@code xdpml_flow_after}). */
    private void after(MemorySegment key, MemorySegment f, long now) {
        counters[FlowCounter.PACKETS.id()]++;
        lastUpdated = f;
        int cl = closing(f);
        if ((cl & CLOSE_ENDED) == 0 && ((cl & CLOSE_RST) != 0 || (cl & (CLOSE_FIN_FWD | CLOSE_FIN_BWD)) == (CLOSE_FIN_FWD | CLOSE_FIN_BWD))) {
            f.set(ValueLayout.JAVA_BYTE, CLOSING, (byte) (cl | CLOSE_ENDED));
            emit(key, f, FlowReason.TCP_CLOSE, now);
        } else if (config.activeTimeoutNanos() != 0 && (cl & CLOSE_ENDED) == 0) {
            long exported = u64(f, EXPORTED_NS);
            long since = exported != 0 ? exported : u64(f, FIRST_NS);
            if (Long.compareUnsigned(now, since) > 0 && Long.compareUnsigned(now - since, config.activeTimeoutNanos()) >= 0) {
                f.set(U64, EXPORTED_NS, now);
                emit(key, f, FlowReason.ACTIVE, now);
            }
        }
        if (f.get(ValueLayout.JAVA_BYTE, SAMPLED) != 0) {
            counters[FlowCounter.SAMPLED_FLOW.id()]++;
        }
    }

    private static int closing(MemorySegment f) {
        return f.get(ValueLayout.JAVA_BYTE, CLOSING) & 0xff;
    }

    private void emit(MemorySegment key, MemorySegment f, FlowReason reason, long now) {
        counters[FlowCounter.RECORDS.id()]++;
        listener.onRecord(now, reason, key, f);
    }

    /** Removes what {@link FlowSweeper} says to, reporting each flow removed; returns the flows removed. */
    public int sweep(long now, long lingerNanos) {
        int removed = 0;
        for (Iterator<Map.Entry<FlowKey, MemorySegment>> it = flows.entrySet().iterator(); it.hasNext();) {
            Map.Entry<FlowKey, MemorySegment> e = it.next();
            FlowSweeper.Action a = FlowSweeper.decide(e.getValue(), now, config.idleTimeoutNanos(), lingerNanos);
            if (a == FlowSweeper.Action.KEEP) {
                continue;
            }
            listener.onRecord(now, a.reason(), MemorySegment.ofArray(e.getKey().bytes), e.getValue());
            it.remove();
            removed++;
        }
        return removed;
    }

    /** The state the last packet updated, or null when it was not tracked. */
    public MemorySegment lastUpdated() {
        return lastUpdated;
    }

    /**
     * Whether the last packet was the first of its direction of its flow (since 2026-12-06; before,
     * of the flow alone): a flow created or restarted after idle, a packet parked on probation, and
     * the first packet that goes the other way (the answer to a SYN; the second packet that promotes
     * a parked one when it goes the other way; on the cached path too); the kernel's
     * {@code first_pkt} of {@code xdpml_flow_track}.
     */
    public boolean lastFirst() {
        return lastFirst;
    }

    public int size() {
        return flows.size();
    }

    public long counter(FlowCounter c) {
        return counters[c.id()];
    }

    /** Every flow: key bytes and state bytes (in the kernel's layouts). */
    public void forEach(BiConsumer<MemorySegment, MemorySegment> action) {
        flows.forEach((k, v) -> action.accept(MemorySegment.ofArray(k.bytes), v));
    }
}
