package io.xdpml.firewall;

import io.xdpml.kernel.BpfMap;
import io.xdpml.kernel.BpfMapWalk;
import io.xdpml.kernel.KernelException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import io.xdpml.dataplane.ConfigWord;

/**
 * The firewall's kernel maps, of a loaded object or opened from their pins, and the one way to
 * change what the program enforces: {@link #install}, which swaps a whole configuration in at
 * once (double buffering by generation, firewall.h).
 */
public final class FirewallMaps {
    /** The map names in the object (and their pin file names). */
    public static final List<String> NAMES = List.of("xdpml_fw_gen", "xdpml_fw_config", "xdpml_fw_sync", "xdpml_fw_lists",
            "xdpml_fw_rules", "xdpml_fw_hits", "xdpml_fw_ct", "xdpml_fw_rate", "xdpml_fw_stats", "xdpml_fw_flood");

    private final Map<String, BpfMap> maps = new LinkedHashMap<>();
    private final BpfMap gen;
    private final BpfMap config;
    private final BpfMap sync;
    private final BpfMap lists;
    private final BpfMap rules;
    private final BpfMap hits;
    private final BpfMap ct;
    /** xdpml_fw_ct_new, the unassured connections; null for an older program's pins, which have none (before 2026-12-06). */
    private final BpfMap ctNew;
    private final BpfMap rate;
    private final BpfMap stats;
    private final BpfMap flood;
    private final int maxRules;
    private final ConfigWord word;

    public FirewallMaps(Function<String, BpfMap> byName) {
        for (String n : NAMES) {
            maps.put(n, byName.apply(n));
        }
        gen = maps.get("xdpml_fw_gen");
        config = maps.get("xdpml_fw_config");
        sync = maps.get("xdpml_fw_sync");
        lists = maps.get("xdpml_fw_lists");
        rules = maps.get("xdpml_fw_rules");
        hits = maps.get("xdpml_fw_hits");
        ct = maps.get("xdpml_fw_ct");
        ctNew = optional(byName, "xdpml_fw_ct_new");
        if (ctNew != null) {
            maps.put("xdpml_fw_ct_new", ctNew); // pinned with the others (fw load)
        }
        rate = maps.get("xdpml_fw_rate");
        stats = maps.get("xdpml_fw_stats");
        flood = maps.get("xdpml_fw_flood");
        maxRules = hits.maxEntries() / 2;
        word = new ConfigWord(gen, sync);
    }

    /**
     * A map an older program does not have: null when absent (a loaded object's {@code map} and the
     * agent's pins say so with these two); any other failure (a pin that cannot be opened) is thrown,
     * not taken for an older program whose table is missing.
     */
    private static BpfMap optional(Function<String, BpfMap> byName, String name) {
        try {
            return byName.apply(name);
        } catch (java.util.NoSuchElementException | IllegalStateException absent) {
            return null;
        }
    }

    public Map<String, BpfMap> all() { return maps; }

    /** The connection tables: xdpml_fw_ct (assured), then xdpml_fw_ct_new (unassured) when the program has it. */
    private List<BpfMap> connectionTables() {
        return ctNew == null ? List.of(ct) : List.of(ct, ctNew);
    }

    public BpfMap conntrack() { return ct; }

    public BpfMap lists() { return lists; }

    public BpfMap rules() { return rules; }

    /** Rules a configuration may have (half the rule counter slots). */
    public int maxRules() { return maxRules; }

    /** The generation packets use now (0 or 1). */
    public int activeGeneration() {
        return word.active(ConfigWord.FIREWALL);
    }

    /** The configuration word whose bit 0 is the firewall's generation (pipeline.h). */
    public ConfigWord configWord() {
        return word;
    }

    /** The rule counter slot of rule 0 in the active generation. */
    public int activeSlotBase() {
        return activeGeneration() * maxRules;
    }

    /**
     * Makes {@code c} what the program enforces, all at once: the inactive generation is filled
     * (lists, rule tables, cleared rule counters, settings), the generation index flipped with one
     * map update, an RCU grace period awaited (every packet that began with the old generation has
     * finished), then the old generation's entries removed. On any failure before the flip the
     * new entries are removed and the running state is unchanged.
     *
     * @throws IllegalArgumentException when the config does not fit the maps (nothing changed)
     */
    public synchronized void install(FirewallConfig c) {
        int next = prepare(c);
        word.flip(ConfigWord.FIREWALL, next, false); // the switch: one 4-byte value, then a grace period
        removeGeneration(1 - next);
    }

    /**
     * Fills the inactive generation with {@code c} without making it active: the first half of
     * {@link #install}, for a caller that switches several stages at once with one
     * {@link ConfigWord#flip} (bit {@link ConfigWord#FIREWALL} to the returned generation), then
     * calls {@link #removeGeneration} for the old one. On failure nothing is left behind.
     *
     * @return the generation written (0 or 1)
     */
    public synchronized int prepare(FirewallConfig c) {
        int active = activeGeneration();
        int next = 1 - active;
        if (c.rules().size() > maxRules) {
            throw new IllegalArgumentException(c.rules().size() + " rules; the loaded program has room for " + maxRules);
        }
        FirewallTables t = FirewallTables.compile(c, next, next * maxRules);
        removeGeneration(next); // what an interrupted install may have left
        try (Arena a = Arena.ofConfined()) {
            try {
                write(a, lists, t.prefixes());
                write(a, rules, t.rules());
            } catch (KernelException e) {
                removeGeneration(next);
                throw new IllegalArgumentException("the config does not fit the loaded maps (" + t.prefixes().count()
                        + " prefix entries, " + t.rules().count() + " rule entries; limits " + lists.maxEntries() + ", "
                        + rules.maxEntries() + "): " + e.getMessage(), e);
            }
            MemorySegment zero = a.allocate(hits.valueBufferSize(), 8);
            for (int i = 0; i < c.rules().size(); i++) {
                hits.update(next * maxRules + i, zero, BpfMap.BPF_ANY);
            }
            MemorySegment cv = a.allocate(FirewallLayout.CONFIG_SIZE, 8);
            cv.copyFrom(MemorySegment.ofArray(FirewallTables.configValue(c)));
            config.update(next, cv, BpfMap.BPF_ANY);
        }
        return next;
    }

    private static void write(Arena a, BpfMap map, FirewallTables.Entries e) {
        MemorySegment k = a.allocate(e.keySize(), 8);
        MemorySegment v = a.allocate(e.valueSize(), 8);
        for (int i = 0; i < e.count(); i++) {
            k.copyFrom(e.key(i));
            v.copyFrom(e.value(i));
            map.update(k, v, BpfMap.BPF_ANY);
        }
    }

    /** Deletes every list and rule entry of generation {@code g}. */
    public synchronized void removeGeneration(int g) {
        for (BpfMap m : List.of(lists, rules)) {
            List<byte[]> doomed = new ArrayList<>();
            m.forEachKey(k -> {
                if (k.get(ValueLayout.JAVA_BYTE, 4) == g) {
                    doomed.add(k.toArray(ValueLayout.JAVA_BYTE));
                }
            });
            try (Arena a = Arena.ofConfined()) {
                MemorySegment k = a.allocate(m.keySize(), 8);
                for (byte[] d : doomed) {
                    k.copyFrom(MemorySegment.ofArray(d));
                    m.delete(k);
                }
            }
        }
    }

    /** Forgets every connection and every token bucket (per source and the global SYN and ICMP buckets). */
    public void clearState() {
        try (Arena a = Arena.ofConfined()) {
            flood.update(0, a.allocate(flood.valueSize(), 8), BpfMap.BPF_ANY); // the lock word is not copied
            flood.update(1, a.allocate(flood.valueSize(), 8), BpfMap.BPF_ANY); // the bucket of SYNs without options
            flood.update(2, a.allocate(flood.valueSize(), 8), BpfMap.BPF_ANY); // the bucket of ICMP
        }
        List<BpfMap> state = new ArrayList<>(connectionTables());
        state.add(rate);
        for (BpfMap m : state) {
            try (Arena a = Arena.ofConfined()) {
                MemorySegment k = a.allocate(m.keySize(), 8);
                for (byte[] key : m.keys()) {
                    k.copyFrom(MemorySegment.ofArray(key));
                    m.delete(k);
                }
            }
        }
    }

    /** The counters summed over CPUs, by counter id. */
    public long[] counters() {
        return stats.sumPerCpuLongs(0);
    }

    public long counter(FirewallCounter c) {
        return counters()[c.id()];
    }

    /** Hits of rules 0..n-1 of the active generation. */
    public long[] ruleHits(int n) {
        int base = activeSlotBase();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            out[i] = hits.sumPerCpuLongs(base + i)[0];
        }
        return out;
    }

    /** The active generation's list entries as "kind prefix" lines (what the kernel holds). */
    public List<String> activeListEntries() {
        int g = activeGeneration();
        List<String> out = new ArrayList<>();
        lists.forEachKey(k -> {
            if (k.get(ValueLayout.JAVA_BYTE, FirewallLayout.PREFIX_KEY_GEN) != g) {
                return;
            }
            int kind = k.get(ValueLayout.JAVA_BYTE, FirewallLayout.PREFIX_KEY_KIND);
            int family = k.get(ValueLayout.JAVA_BYTE, FirewallLayout.PREFIX_KEY_FAMILY);
            int len = k.get(FirewallLayout.U32, 0) - FirewallLayout.PREFIX_KEY_FIXED_BITS;
            byte[] addr = k.asSlice(FirewallLayout.PREFIX_KEY_ADDR, family == 4 ? 4 : 16).toArray(ValueLayout.JAVA_BYTE);
            String name = switch (kind) {
                case FirewallLayout.DENY_SRC -> "deny src";
                case FirewallLayout.DENY_DST -> "deny dst";
                case FirewallLayout.ALLOW_SRC -> "allow src";
                case FirewallLayout.ALLOW_DST -> "allow dst";
                case FirewallLayout.RULE_SRC -> "rule-set src";
                default -> "rule-set dst";
            };
            out.add(name + " " + new Prefix(family, addr, len));
        });
        return out;
    }

    /** Entries of the active generation in the rule trie. */
    public long activeRuleEntries() {
        int g = activeGeneration();
        long[] n = {0};
        rules.forEachKey(k -> {
            if (k.get(ValueLayout.JAVA_BYTE, FirewallLayout.RULE_KEY_GEN) == g) {
                n[0]++;
            }
        });
        return n[0];
    }

    /** The active generation's settings value (struct xdpml_fw_config). */
    public MemorySegment activeConfig(Arena a) {
        MemorySegment v = a.allocate(FirewallLayout.CONFIG_SIZE, 8);
        config.lookup(activeGeneration(), v);
        return v;
    }

    /**
     * Whether these maps are of an older program than this xdpml's: its conntrack key, of
     * {@code FirewallLayout.CT_KEY_SIZE} bytes here, is shorter there (before 2026-12-05 it had no
     * VNI), or its entry, of {@code FirewallLayout.CT_SIZE}, is (before 2026-12-06 it had no sequence
     * ends: any RST closed a connection), or it has no {@code xdpml_fw_ct_new} (before 2026-12-06,
     * evening, one table held the connections not yet assured too: no early drop). Such a program
     * keeps judging, with the rules swapped in; it only lacks what came since.
     */
    public boolean olderProgram() {
        return ct.keySize() < FirewallLayout.CT_KEY_SIZE || ct.valueSize() < FirewallLayout.CT_SIZE || ctNew == null;
    }

    /** Elements a walk of the conntrack table reads per system call. */
    private static final int WALK_BATCH = 1024;

    /**
     * Up to {@code max} tracked connections (the assured ones of xdpml_fw_ct first, then xdpml_fw_ct_new's), one line each: protocol, initiator -> responder (and
     * the VNI of a tunnelled one), state, seconds since the last packet (against {@code nowNanos}, the kernel's monotonic clock).
     * Read by bucket with keys and values together ({@link BpfMapWalk}): under a flood that opens and
     * evicts connections meanwhile it reads each once and ends (since 2026-12-06; before, a
     * get_next_key walk started again at the first bucket whenever its key was evicted, listed
     * duplicates, and lost most keys between the walk and their lookup).
     */
    public List<String> connectionLines(int max, long nowNanos) {
        List<String> out = new ArrayList<>();
        for (BpfMap table : connectionTables()) {
            try (BpfMapWalk walk = new BpfMapWalk(table, WALK_BATCH)) {
                for (int n; out.size() < max && (n = walk.next(max - out.size())) > 0; ) {
                    for (int i = 0; i < n && out.size() < max; i++) {
                        out.add(connectionLine(walk.key(i), walk.value(i), nowNanos));
                    }
                }
            }
        }
        return out;
    }

    private static String connectionLine(MemorySegment key, MemorySegment value, long nowNanos) {
        int family = FirewallLayout.u8(key, FirewallLayout.CT_KEY_FAMILY);
        String ea = endpoint(key, FirewallLayout.CT_KEY_ADDR_A, FirewallLayout.CT_KEY_PORT_A, family);
        String eb = endpoint(key, FirewallLayout.CT_KEY_ADDR_B, FirewallLayout.CT_KEY_PORT_B, family);
        boolean aFirst = FirewallLayout.u8(value, FirewallLayout.CT_INITIATOR_IS_A) == 1;
        long last = value.get(FirewallLayout.U64, FirewallLayout.CT_LAST_NS);
        // an older program's key (olderProgram) ends before the VNI
        int word = key.byteSize() >= FirewallLayout.CT_KEY_SIZE ? key.get(FirewallLayout.U32, FirewallLayout.CT_KEY_VNI) : 0;
        String vni = FirewallLayout.vniLabel(word);
        return String.format("%s %s -> %s%s %s %.1fs", FirewallLayout.u8(key, FirewallLayout.CT_KEY_PROTO) == 6 ? "tcp" : "udp",
                aFirst ? ea : eb, aFirst ? eb : ea, vni.isEmpty() ? "" : " " + vni,
                FirewallLayout.ctStateName(FirewallLayout.u8(value, FirewallLayout.CT_STATE)),
                Math.max(0, nowNanos - last) / 1e9);
    }

    private static String endpoint(MemorySegment key, int addrOff, int portOff, int family) {
        byte[] addr = key.asSlice(addrOff, 16).toArray(ValueLayout.JAVA_BYTE);
        int port = Short.toUnsignedInt(key.get(FirewallLayout.U16, portOff));
        Prefix p = family == 4 ? new Prefix(4, java.util.Arrays.copyOfRange(addr, 12, 16), 32) : new Prefix(6, addr, 128);
        String host = p.toString().substring(0, p.toString().lastIndexOf('/'));
        return (family == 6 ? "[" + host + "]" : host) + ":" + port;
    }

    /** The tracked connections of both tables (assured and not): a count by bucket ({@link BpfMapWalk}: once each under churn, as {@link #connectionLines}). */
    public long connections() {
        long n = 0;
        for (BpfMap table : connectionTables()) {
            try (BpfMapWalk walk = new BpfMapWalk(table, WALK_BATCH)) {
                for (int got; (got = walk.next(WALK_BATCH)) > 0; ) {
                    n += got;
                }
            }
        }
        return n;
    }
}
