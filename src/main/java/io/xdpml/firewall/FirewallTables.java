package io.xdpml.firewall;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Compiles a {@link FirewallConfig} into the kernel's tables for one generation: entries of the
 * prefix trie ({@code xdpml_fw_lists}: the four lists, and the rules' source and destination
 * prefixes, which name rule sets) and of the rule trie ({@code xdpml_fw_rules}).
 *
 * <p>How a rule lookup stays O(key bits) instead of a scan (docs/firewall.md, "Rules"):
 * <ol>
 * <li>Every distinct source prefix of the rules becomes a source set; the set of prefix P holds
 *     every rule whose source covers P (itself and its shorter ancestors, and "any"). A packet's
 *     longest matching source prefix P thus names exactly the rules whose source matches it. The
 *     same for destinations.</li>
 * <li>For each (source set, destination set, protocol bucket), the rules in both sets that apply to
 *     the bucket are laid over the port space in file order: each port gets the first rule that
 *     covers it; runs of ports with the same rule are split into aligned power-of-two blocks, each
 *     block one trie entry (a prefix of the 16-bit port). Blocks never overlap, so the trie's
 *     longest match is the only one.</li>
 * </ol>
 * A packet costs three trie lookups (source set, destination set, rule), whatever the number of
 * rules. The price is paid here: sets times sets (bounded by {@link #MAX_SET_PAIRS}).
 */
public final class FirewallTables {
    /** Most (source set, destination set) pairs examined before the rules are refused as too entangled. */
    public static final long MAX_SET_PAIRS = 50_000_000L;

    /** Entries as concatenated keys and values. */
    public static final class Entries {
        private final int keySize;
        private final int valueSize;
        private byte[] keys = new byte[0];
        private byte[] values = new byte[0];
        private int count;

        Entries(int keySize, int valueSize) {
            this.keySize = keySize;
            this.valueSize = valueSize;
        }

        void add(byte[] key, byte[] value) {
            if (count * keySize == keys.length) {
                int cap = Math.max(16, count * 2);
                keys = Arrays.copyOf(keys, cap * keySize);
                values = Arrays.copyOf(values, cap * valueSize);
            }
            System.arraycopy(key, 0, keys, count * keySize, keySize);
            System.arraycopy(value, 0, values, count * valueSize, valueSize);
            count++;
        }

        public int count() { return count; }

        public int keySize() { return keySize; }

        public int valueSize() { return valueSize; }

        /** The i-th key as a view (valid until the next add). */
        public MemorySegment key(int i) {
            return MemorySegment.ofArray(keys).asSlice((long) i * keySize, keySize);
        }

        public MemorySegment value(int i) {
            return MemorySegment.ofArray(values).asSlice((long) i * valueSize, valueSize);
        }
    }

    private final Entries prefixes = new Entries(FirewallLayout.PREFIX_KEY_SIZE, 4);
    private final Entries rules = new Entries(FirewallLayout.RULE_KEY_SIZE, FirewallLayout.RULE_SIZE);
    private final int generation;
    private final int slotBase;

    private FirewallTables(int generation, int slotBase) {
        this.generation = generation;
        this.slotBase = slotBase;
    }

    /**
     * @param generation 0 or 1
     * @param slotBase   the generation's first slot in the rule counters
     * @throws IllegalArgumentException when the rules cross too many source and destination prefixes
     */
    public static FirewallTables compile(FirewallConfig config, int generation, int slotBase) {
        FirewallTables t = new FirewallTables(generation, slotBase);
        t.list(FirewallLayout.DENY_SRC, config.denySource());
        t.list(FirewallLayout.DENY_DST, config.denyDestination());
        t.list(FirewallLayout.ALLOW_SRC, config.allowSource());
        t.list(FirewallLayout.ALLOW_DST, config.allowDestination());
        t.rules(config.rules());
        return t;
    }

    public Entries prefixes() { return prefixes; }

    public Entries rules() { return rules; }

    private static final java.util.concurrent.atomic.AtomicLong LAST_STAMP = new java.util.concurrent.atomic.AtomicLong();

    /**
     * An install's own number (xdpml_fw_config.stamp, never 0): the monotonic clock's nanoseconds,
     * and more than the last of this process, so that no two installs share one, in one process or
     * two (the agent and 'xdpml fw' write the same maps), and the tunnel memo's entries of another
     * configuration never match.
     */
    static long stamp() {
        return LAST_STAMP.updateAndGet(last -> Math.max(last + 1, System.nanoTime()));
    }

    /** The kernel's config value for this generation. */
    public static byte[] configValue(FirewallConfig c) {
        MemorySegment s = MemorySegment.ofArray(new byte[FirewallLayout.CONFIG_SIZE]);
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_DEFAULT_ACTION, (byte) (c.defaultDrop() ? 1 : 0));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_MALFORMED_PASS, (byte) (c.malformedPass() ? 1 : 0));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_CONNTRACK, (byte) (c.conntrack() ? 1 : 0));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_CT_STRICT, (byte) (c.conntrackStrict() ? 1 : 0));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_HAS_DENY_SRC, (byte) (c.denySource().isEmpty() ? 0 : 1));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_HAS_DENY_DST, (byte) (c.denyDestination().isEmpty() ? 0 : 1));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_HAS_ALLOW_SRC, (byte) (c.allowSource().isEmpty() ? 0 : 1));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_HAS_ALLOW_DST, (byte) (c.allowDestination().isEmpty() ? 0 : 1));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_HAS_RULES, (byte) (c.rules().isEmpty() ? 0 : 1));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_SYN_COOKIES, (byte) (c.synCookies() ? 1 : 0));
        s.set(ValueLayout.JAVA_BYTE, FirewallLayout.CONFIG_TUNNEL_CHECK, (byte) (c.policyMayDropUdp() ? 1 : 0));
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_TIMEOUT_SYN, c.timeoutSynNanos());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_TIMEOUT_EST, c.timeoutEstablishedNanos());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_TIMEOUT_FIN, c.timeoutFinNanos());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_TIMEOUT_UDP, c.timeoutUdpNanos());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_RATE_PPS, c.ratePps());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_RATE_CAP, c.rateCap());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_SYN_PPS, c.synPps());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_SYN_CAP, c.synCap());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_RULE_COUNT, c.rules().size());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_FLOOD_PPS, c.floodPps());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_FLOOD_CAP, c.floodCap());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_STAMP, stamp()); // the tunnel memo's (firewall.h)
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_BARE_PPS, c.barePps());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_BARE_CAP, c.bareCap());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_ICMP_PPS, c.icmpPps());
        s.set(FirewallLayout.U64, FirewallLayout.CONFIG_ICMP_CAP, c.icmpCap());
        return s.toArray(ValueLayout.JAVA_BYTE);
    }

    /** The prefix trie key of (generation, kind, prefix). */
    public static byte[] prefixKey(int generation, int kind, Prefix p) {
        byte[] k = new byte[FirewallLayout.PREFIX_KEY_SIZE];
        MemorySegment.ofArray(k).set(FirewallLayout.U32, FirewallLayout.PREFIX_KEY_PREFIXLEN,
                FirewallLayout.PREFIX_KEY_FIXED_BITS + p.length());
        k[FirewallLayout.PREFIX_KEY_GEN] = (byte) generation;
        k[FirewallLayout.PREFIX_KEY_KIND] = (byte) kind;
        k[FirewallLayout.PREFIX_KEY_FAMILY] = (byte) p.family();
        System.arraycopy(p.rawAddress(), 0, k, FirewallLayout.PREFIX_KEY_ADDR, p.rawAddress().length);
        return k;
    }

    private static byte[] u32(int v) {
        byte[] b = new byte[4];
        MemorySegment.ofArray(b).set(FirewallLayout.U32, 0, v);
        return b;
    }

    private void list(int kind, List<Prefix> list) {
        for (int i = 0; i < list.size(); i++) {
            prefixes.add(prefixKey(generation, kind, list.get(i)), u32(i));
        }
    }

    /** A rule set: a prefix and the rules (by index, ascending) whose prefix covers it. */
    private record RuleSet(int id, Prefix prefix, int[] members) {}

    private void rules(List<FirewallRule> all) {
        if (all.isEmpty()) {
            return;
        }
        List<RuleSet> src = sets(all, true);
        List<RuleSet> dst = sets(all, false);
        for (RuleSet s : src) {
            prefixes.add(prefixKey(generation, FirewallLayout.RULE_SRC, s.prefix()), u32(s.id()));
        }
        for (RuleSet d : dst) {
            prefixes.add(prefixKey(generation, FirewallLayout.RULE_DST, d.prefix()), u32(d.id()));
        }
        Map<Integer, List<RuleSet>> dstByFamily = new HashMap<>();
        for (RuleSet d : dst) {
            dstByFamily.computeIfAbsent(d.prefix().family(), f -> new ArrayList<>()).add(d);
        }
        long pairs = 0;
        for (RuleSet s : src) {
            List<RuleSet> ds = dstByFamily.getOrDefault(s.prefix().family(), List.of());
            pairs += ds.size();
            if (pairs > MAX_SET_PAIRS) {
                throw new IllegalArgumentException("the rules name too many distinct source and destination prefixes together ("
                        + src.size() + " x " + dst.size() + " sets); use fewer destination prefixes, or lists");
            }
            for (RuleSet d : ds) {
                int[] both = intersect(s.members(), d.members());
                if (both.length > 0) {
                    pair(all, s.id(), d.id(), both);
                }
            }
        }
    }

    /** The source (or destination) sets: one per distinct prefix, "any" as /0 of each family. */
    private static List<RuleSet> sets(List<FirewallRule> all, boolean source) {
        Map<Prefix, List<Integer>> byPrefix = new LinkedHashMap<>();
        for (FirewallRule r : all) {
            Prefix p = source ? r.source() : r.destination();
            if (p == null) {
                int fam = r.family();
                for (int f : fam == 0 ? new int[] {4, 6} : new int[] {fam}) {
                    byPrefix.computeIfAbsent(Prefix.any(f), k -> new ArrayList<>()).add(r.index());
                }
            } else {
                byPrefix.computeIfAbsent(p, k -> new ArrayList<>()).add(r.index());
            }
        }
        List<RuleSet> sets = new ArrayList<>(byPrefix.size());
        int id = 1;
        for (Prefix p : byPrefix.keySet()) {
            TreeSet<Integer> members = new TreeSet<>();
            for (int len = 0; len <= p.length(); len++) {
                List<Integer> at = byPrefix.get(len == p.length() ? p : p.truncate(len));
                if (at != null) {
                    members.addAll(at);
                }
            }
            sets.add(new RuleSet(id++, p, members.stream().mapToInt(Integer::intValue).toArray()));
        }
        return sets;
    }

    /** The common members of two ascending arrays: the smaller one looked up in the larger (a /0 set holds them all). */
    private static int[] intersect(int[] a, int[] b) {
        int[] small = a.length <= b.length ? a : b;
        int[] large = small == a ? b : a;
        int[] out = new int[small.length];
        int n = 0;
        for (int v : small) {
            if (Arrays.binarySearch(large, v) >= 0) {
                out[n++] = v;
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** The rule trie entries of one (source set, destination set) for every protocol bucket. */
    private void pair(List<FirewallRule> all, int srcSet, int dstSet, int[] members) {
        for (int bucket : FirewallRule.BUCKETS) {
            List<FirewallRule> rs = new ArrayList<>();
            for (int m : members) {
                if (all.get(m).appliesTo(bucket)) {
                    rs.add(all.get(m));
                }
            }
            if (rs.isEmpty()) {
                continue;
            }
            TreeSet<Integer> cuts = new TreeSet<>();
            for (FirewallRule r : rs) {
                cuts.add(r.low(bucket));
                cuts.add(r.high(bucket) + 1);
            }
            Integer[] points = cuts.toArray(new Integer[0]);
            int runStart = -1;
            FirewallRule runRule = null;
            for (int i = 0; i + 1 < points.length; i++) {
                int a = points[i];
                FirewallRule winner = null;
                for (FirewallRule r : rs) { // file order: the first that covers the interval
                    if (r.low(bucket) <= a && a <= r.high(bucket)) {
                        winner = r;
                        break;
                    }
                }
                if (winner != runRule) {
                    if (runRule != null) {
                        blocks(bucket, srcSet, dstSet, runStart, a - 1, runRule);
                    }
                    runRule = winner;
                    runStart = a;
                }
            }
            if (runRule != null) {
                blocks(bucket, srcSet, dstSet, runStart, points[points.length - 1] - 1, runRule);
            }
        }
    }

    /** Ports lo..hi as aligned power-of-two blocks, one trie entry each. */
    private void blocks(int bucket, int srcSet, int dstSet, int lo, int hi, FirewallRule r) {
        byte[] value = new byte[FirewallLayout.RULE_SIZE];
        MemorySegment v = MemorySegment.ofArray(value);
        v.set(FirewallLayout.U32, FirewallLayout.RULE_SLOT, slotBase + r.index());
        v.set(FirewallLayout.U32, FirewallLayout.RULE_ACTION,
                r.action() == FirewallRule.Action.DROP ? FirewallLayout.DROP : FirewallLayout.PASS);
        long p = lo;
        while (p <= hi) {
            int size = 1;
            while ((p & (size * 2L - 1)) == 0 && p + size * 2L - 1 <= hi && size < 65536) {
                size *= 2;
            }
            int bits = 16 - Integer.numberOfTrailingZeros(size);
            byte[] key = new byte[FirewallLayout.RULE_KEY_SIZE];
            MemorySegment k = MemorySegment.ofArray(key);
            k.set(FirewallLayout.U32, FirewallLayout.RULE_KEY_PREFIXLEN, FirewallLayout.RULE_KEY_FIXED_BITS + bits);
            key[FirewallLayout.RULE_KEY_GEN] = (byte) generation;
            key[FirewallLayout.RULE_KEY_PROTO] = (byte) bucket;
            k.set(FirewallLayout.U32, FirewallLayout.RULE_KEY_SRC_SET, srcSet);
            k.set(FirewallLayout.U32, FirewallLayout.RULE_KEY_DST_SET, dstSet);
            key[FirewallLayout.RULE_KEY_PORT] = (byte) (p >> 8);
            key[FirewallLayout.RULE_KEY_PORT + 1] = (byte) p;
            rules.add(key, value);
            p += size;
        }
    }
}
