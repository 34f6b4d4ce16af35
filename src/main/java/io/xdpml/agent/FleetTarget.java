package io.xdpml.agent;

import io.xdpml.firewall.FirewallMeasures;
import io.xdpml.firewall.Measure;
import io.xdpml.firewall.Prefix;
import io.xdpml.fleet.FleetBlock;
import io.xdpml.fleet.FleetBlockSync;
import io.xdpml.processor.Mitigation;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The fleet's blocks in this agent's kernel maps (on the fleet-blocks thread). A fleet record never
 * shortens what is there (an operator's block without expiry, a detection's longer one): it writes
 * only where it lasts longer, and remembers what it wrote and what that replaced. A tombstone
 * ({@code xdpml blocks remove --fleet}) takes back what the fleet wrote, last write first, each only
 * while it is still as written: the entry it replaced comes back while in force (the operator's
 * shorter block, a measure's own rate), else none is left; an entry the operator wrote here since
 * ({@code xdpml blocks add}), or a detection's renewal, stays. It also removes this agent's own
 * detection's block of the same address, if still as the detection wrote it (giving back the
 * shorter block the detection replaced while that is in force), but only when the tombstone answers
 * that block's own record: this agent published it ({@code publish-blocks}) and read it back from
 * the topic before the tombstone, so the block was the fleet's too. A block this agent's detection
 * made that the fleet never had (not published, or its record not yet read back: the tombstone is
 * older) is this agent's alone: no fleet record removes it; where the fleet's longer block over it
 * is taken back, it is written again at its own expiry (its renewals beneath the longer one
 * included), so it does not go with the fleet's.
 */
final class FleetTarget implements FleetBlockSync.Target {
    /** One interface's maps: its blocks, and its firewall measures (null without the firewall stage). */
    record Maps(Mitigation blocks, FirewallMeasures measures) {}

    private final Supplier<List<Maps>> interfaces;
    private final Supplier<NeverBlock> spared;
    private final BiFunction<InetAddress, Mitigation, Mitigation.Replacement> ownBlock;
    private final Function<InetAddress, FleetBlock> ownRecord;
    /** For each record key: this agent's own published record of its detection's block, as read back from the topic. */
    private final Map<String, FleetBlock> ownRecordsRead = new ConcurrentHashMap<>();
    /** For each record key, what the fleet wrote for it: until when, and how to remove each entry if still as written. */
    private final Map<String, Written> wrote = new ConcurrentHashMap<>();
    private long prunedAt = System.nanoTime();
    /** Makes each "until removed" the fleet writes its own (Mitigation.UNTIL_REMOVED + n), never the operator's 0. */
    private final java.util.concurrent.atomic.AtomicLong forever = new java.util.concurrent.atomic.AtomicLong();

    /** A prefix block the fleet wrote into one interface's blocks: its expiry, and the expiry of the entry it replaced there. */
    private record PrefixWrite(Mitigation blocks, Mitigation.Replacement replacement) {}

    /** Taking back one prefix write; remembers whether it did (the entry was still as written). */
    private static final class PrefixUndo implements Runnable {
        private final Mitigation blocks;
        private final InetAddress address;
        private final int length;
        private final Mitigation.Replacement replacement;
        private boolean tookBack;

        PrefixUndo(Mitigation blocks, InetAddress address, int length, Mitigation.Replacement replacement) {
            this.blocks = blocks;
            this.address = address;
            this.length = length;
            this.replacement = replacement;
        }

        @Override
        public void run() {
            tookBack = blocks.takeBack(address, length, replacement, System.nanoTime());
        }
    }

    /** This agent's own detection's block of an address in one interface's blocks. */
    private record OwnEntry(InetAddress address, Mitigation blocks) {}

    /**
     * An own block that stayed over a fleet block which a tombstone took back (that tombstone did not
     * answer the own block's record): the entry it replaced, {@code replaced}, was the fleet's, and
     * {@code beneath} is what lies beneath it now, what comes back when the own block is taken back.
     */
    private record Beneath(long replaced, long beneath) {}

    private final Map<OwnEntry, Beneath> beneathOwn = new ConcurrentHashMap<>();
    /** Own blocks a tombstone took back (fleet-wide removals): their expiry then, never written again by a later tombstone. */
    private final Map<OwnEntry, Long> ownTakenBack = new ConcurrentHashMap<>();

    /**
     * The entries written for one key: the latest expiry (never: Mitigation.neverExpires), their
     * removals, oldest first, and the prefix blocks written (a detection that replaced one of them
     * gives back, at the key's tombstone, what that one had replaced: the operator's, not the fleet's).
     */
    private record Written(long expiresNanos, List<Runnable> undo, List<PrefixWrite> prefixes) {
        Written and(Written later) {
            List<Runnable> all = new ArrayList<>(undo);
            all.addAll(later.undo);
            List<PrefixWrite> p = new ArrayList<>(prefixes);
            p.addAll(later.prefixes);
            return new Written(Math.max(expiresNanos, later.expiresNanos), all, p);
        }

        /** Whether one of its prefix writes in {@code blocks} was taken back (it was still as written). */
        boolean tookBackIn(Mitigation blocks) {
            return undo.stream().anyMatch(u -> u instanceof PrefixUndo p && p.blocks == blocks && p.tookBack);
        }

        /**
         * What a write over {@code previous} in {@code blocks} really replaced: past every fleet
         * write of this key there (each replaced the one before), the first entry not the fleet's.
         */
        long beneathFleet(Mitigation blocks, long previous) {
            for (int i = prefixes.size() - 1; i >= 0; i--) {
                PrefixWrite w = prefixes.get(i);
                if (w.blocks() == blocks && w.replacement().written() == previous) {
                    previous = w.replacement().previous();
                }
            }
            return previous;
        }
    }

    /**
     * @param ownBlock  what this agent's detections wrote for an address's block in one interface's
     *                  blocks (their expiry, and that of the entry they replaced there), or null when
     *                  they did not block it
     * @param ownRecord the record this agent published of its detection's block of an address, or
     *                  null when it published none (publish-blocks off, or no block of it)
     */
    FleetTarget(Supplier<List<Maps>> interfaces, Supplier<NeverBlock> spared,
            BiFunction<InetAddress, Mitigation, Mitigation.Replacement> ownBlock, Function<InetAddress, FleetBlock> ownRecord) {
        this.interfaces = interfaces;
        this.spared = spared;
        this.ownBlock = ownBlock;
        this.ownRecord = ownRecord;
    }

    /**
     * {@inheritDoc} A record "until removed" (0) is written as {@link Mitigation#UNTIL_REMOVED} plus a
     * sequence number: never the operator's 0, so that an entry the operator wrote over the fleet's
     * with {@code xdpml blocks add} (0 too) is not taken for the fleet's by the tombstone.
     */
    @Override
    public boolean apply(FleetBlock b, long until) {
        long expiresNanos = until == 0 ? Mitigation.UNTIL_REMOVED + forever.incrementAndGet() : until;
        List<Runnable> undo = new ArrayList<>();
        List<PrefixWrite> prefixes = new ArrayList<>();
        try {
            switch (b.kind()) {
                case PREFIX -> {
                    Prefix p = b.prefix();
                    InetAddress a = address(p);
                    Mitigation.prefixBits(a, p.length()); // checked before any map sees it
                    String spare = spared.get().why(p);
                    if (spare != null) { // what this agent never blocks, another's detection does not either
                        throw new IllegalArgumentException("spared here: " + spare);
                    }
                    for (Maps m : interfaces.get()) {
                        Mitigation mit = m.blocks();
                        Mitigation.Replacement r = mit.blockAtLeastReplacing(a, p.length(), expiresNanos);
                        if (r != null) {
                            undo.add(new PrefixUndo(mit, a, p.length(), r));
                            prefixes.add(new PrefixWrite(mit, r));
                        }
                    }
                }
                case FLOW -> {
                    FleetBlock.Flow r0 = b.flow();
                    // checked before any map sees it
                    Mitigation.Flow f = new Mitigation.Flow(r0.addressA(), r0.portA(), r0.addressB(), r0.portB(), r0.protocol(), r0.vlan(), r0.vni());
                    for (Maps m : interfaces.get()) {
                        Mitigation mit = m.blocks();
                        Mitigation.Replacement r = mit.blockFlowAtLeastReplacing(f, expiresNanos);
                        if (r != null) {
                            undo.add(() -> mit.takeBackFlow(f, r, System.nanoTime()));
                        }
                    }
                }
                case MEASURE -> {
                    Measure ms = b.measure();
                    int with = 0;
                    for (Maps m : interfaces.get()) {
                        if (m.measures() != null) {
                            FirewallMeasures fm = m.measures();
                            FirewallMeasures.Put put = fm.putAtLeastUntil(ms, expiresNanos);
                            if (put != null) {
                                undo.add(() -> fm.takeBack(put, System.nanoTime()));
                            }
                            with++;
                        }
                    }
                    if (with == 0) {
                        throw new IllegalStateException("no interface has the firewall stage that enforces measures");
                    }
                }
            }
        } catch (RuntimeException e) {
            List<RuntimeException> failed = new ArrayList<>();
            removeAll(undo, failed); // never applied in part
            failed.forEach(e::addSuppressed);
            throw e;
        }
        prune();
        if (isOwnRecord(b)) { // from now on the detection's block is the fleet's too: its key's tombstone takes it back
            ownRecordsRead.put(b.key(), b);
        }
        if (!undo.isEmpty()) {
            // a later record of the same key adds to what its tombstone removes (each entry only if still as written)
            wrote.merge(b.key(), new Written(expiresNanos, undo, prefixes), Written::and);
        }
        return !undo.isEmpty();
    }

    @Override
    public void remove(FleetBlock.Key k) {
        // this agent's own record of what it blocked stays: it does not block that source again before its own time is up
        List<RuntimeException> failed = new ArrayList<>();
        Written w = wrote.remove(k.toString());
        if (w != null) {
            List<Runnable> left = removeAll(w.undo(), failed);
            if (!left.isEmpty()) { // kept for the next tombstone of the key: it may succeed
                wrote.merge(k.toString(), new Written(w.expiresNanos(), left, w.prefixes()), (x, y) -> y.and(x));
            }
        }
        FleetBlock readBack = ownRecordsRead.remove(k.toString());
        if (k.kind() == FleetBlock.Kind.PREFIX) {
            InetAddress a = address(k.prefix());
            if (k.prefix().length() == a.getAddress().length * 8) {
                // this agent's own block goes only when the tombstone answers its record (read back before it, still the detection's)
                boolean answered = readBack != null && readBack.equals(ownRecord.apply(a));
                for (Maps m : interfaces.get()) {
                    try {
                        ownBlockAfter(a, m.blocks(), w, answered);
                    } catch (RuntimeException e) {
                        failed.add(e);
                    }
                }
            }
        }
        if (!failed.isEmpty()) {
            throw new IllegalStateException(failed.size() + " entr" + (failed.size() == 1 ? "y" : "ies") + " not taken back: "
                    + failed.getFirst().getMessage(), failed.getFirst());
        }
    }

    /**
     * This agent's own detection's block of {@code a} in {@code blocks}, once a tombstone of its key
     * took back the fleet's writes {@code w} (null: none): taken back too when the tombstone answers
     * its record (the operator's shorter block it replaced comes back, while in force). Else it stays,
     * and where the fleet's longer block over it was just taken back, its own expiry (its renewals
     * beneath the longer block included) is written again: it does not go with the fleet's.
     */
    private void ownBlockAfter(InetAddress a, Mitigation blocks, Written w, boolean answered) {
        Mitigation.Replacement own = ownBlock.apply(a, blocks);
        if (own == null) {
            return;
        }
        OwnEntry entry = new OwnEntry(a, blocks);
        long beneath = own.previous();
        Beneath earlier = beneathOwn.get(entry);
        if (earlier != null && earlier.replaced() == beneath) {
            beneath = earlier.beneath();
        }
        if (w != null) { // it may have replaced the fleet's own: what that replaced comes back instead
            beneath = w.beneathFleet(blocks, beneath);
        }
        int length = a.getAddress().length * 8;
        long now = System.nanoTime();
        if (answered) {
            beneathOwn.remove(entry);
            ownTakenBack.put(entry, own.written());
            blocks.takeBack(a, length, new Mitigation.Replacement(own.written(), beneath), now);
            return;
        }
        if (beneath != own.previous()) { // the fleet's block beneath it is gone: it must not come back with the own block's removal
            beneathOwn.put(entry, new Beneath(own.previous(), beneath));
        }
        Long takenBack = ownTakenBack.get(entry);
        if (w != null && w.tookBackIn(blocks) && own.written() - now > 0 && (takenBack == null || takenBack != own.written())) {
            blocks.blockAtLeastUntil(a, length, own.written());
        }
    }

    /** Whether {@code b} is this agent's own published record of its detection's block, read back. */
    private boolean isOwnRecord(FleetBlock b) {
        if (b.kind() != FleetBlock.Kind.PREFIX) {
            return false;
        }
        InetAddress a = address(b.prefix());
        return b.prefix().length() == a.getAddress().length * 8 && b.equals(ownRecord.apply(a));
    }

    /** Forgets, at most once a second, what has expired: the kernel no longer applies it, the sweep removes it. */
    private void prune() {
        long now = System.nanoTime();
        if (now - prunedAt < 1_000_000_000L) {
            return;
        }
        prunedAt = now;
        wrote.values().removeIf(w -> !Mitigation.neverExpires(w.expiresNanos()) && now - w.expiresNanos() > 0);
        ownRecordsRead.values().removeIf(b -> !isOwnRecord(b)); // the agent forgot that block, or blocked the address anew
        // a fleet block that has ended would not come back anyway; an own block taken back that has ended is not written again
        beneathOwn.values().removeIf(b -> !Mitigation.neverExpires(b.replaced()) && now - b.replaced() > 0);
        ownTakenBack.values().removeIf(written -> now - written > 0);
    }

    /** How many record keys have entries the fleet wrote here (for the tests). */
    int written() {
        return wrote.size();
    }

    /**
     * Runs the undo steps last first (a later write that replaced an earlier one gives it back before
     * that goes); the steps that failed, in their order, their errors added to {@code failed}.
     */
    private static List<Runnable> removeAll(List<Runnable> undo, List<RuntimeException> failed) {
        List<Runnable> left = new ArrayList<>();
        for (Runnable u : undo.reversed()) {
            try {
                u.run();
            } catch (RuntimeException e) {
                failed.add(e);
                left.addFirst(u);
            }
        }
        return left;
    }

    private static InetAddress address(Prefix p) {
        try {
            return InetAddress.getByAddress(p.address());
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(e);
        }
    }
}
