package io.xdpml.kernel;

/** BPF map types used by xdpml, with their kernel numbers ({@code enum bpf_map_type}). */
public enum MapType {
    HASH(1), ARRAY(2), PROG_ARRAY(3), PERCPU_HASH(5), PERCPU_ARRAY(6), LRU_HASH(9),
    LRU_PERCPU_HASH(10), LPM_TRIE(11), DEVMAP(14), CPUMAP(16), XSKMAP(17), DEVMAP_HASH(25),
    RINGBUF(27),
    /** Any other kernel map type; {@link BpfMap#typeId()} has the number. */
    OTHER(-1);

    private final int id;

    MapType(int id) { this.id = id; }

    /** The kernel's {@code BPF_MAP_TYPE_*} number (-1 for {@link #OTHER}). */
    public int id() { return id; }

    /** Whether values are per CPU (one slot of {@code round_up(value_size, 8)} bytes per possible CPU). */
    public boolean perCpu() {
        return this == PERCPU_ARRAY || this == PERCPU_HASH || this == LRU_PERCPU_HASH;
    }

    /** The enum constant for a kernel number, {@link #OTHER} when not listed. */
    public static MapType of(int id) {
        for (MapType t : values()) if (t.id == id) return t;
        return OTHER;
    }
}
