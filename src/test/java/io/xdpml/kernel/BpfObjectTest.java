package io.xdpml.kernel;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loads bpf/test/maps.bpf.c into the real kernel and exercises every map type. */
class BpfObjectTest extends MapsObjectFixture {

    @Test
    void mapTypesAndSizes() {
        record E(String name, MapType type, int key, int value, int max) {}
        List<E> expected = List.of(
                new E("arr", MapType.ARRAY, 4, 8, 4), new E("pcpu_arr", MapType.PERCPU_ARRAY, 4, 16, 4),
                new E("hash", MapType.HASH, 4, 8, 128), new E("pcpu_hash", MapType.PERCPU_HASH, 4, 4, 16),
                new E("lru", MapType.LRU_HASH, 4, 8, 128), new E("lru_pcpu", MapType.LRU_PERCPU_HASH, 4, 8, 128),
                new E("lpm", MapType.LPM_TRIE, 8, 4, 16), new E("progs", MapType.PROG_ARRAY, 4, 4, 4),
                new E("ring", MapType.RINGBUF, 0, 0, 4096), new E("xsks", MapType.XSKMAP, 4, 4, 4),
                new E("devs", MapType.DEVMAP, 4, 4, 4), new E("devs_hash", MapType.DEVMAP_HASH, 4, 4, 4),
                new E("cpus", MapType.CPUMAP, 4, 4, 2));
        for (E e : expected) {
            BpfMap m = obj.map(e.name);
            assertThat(m.type()).as(e.name).isEqualTo(e.type);
            assertThat(m.typeId()).isEqualTo(e.type.id());
            assertThat(m.keySize()).as(e.name + " key").isEqualTo(e.key);
            assertThat(m.valueSize()).as(e.name + " value").isEqualTo(e.value);
            assertThat(m.maxEntries()).as(e.name + " max").isEqualTo(e.max);
            assertThat(m.fd()).isPositive();
        }
        assertThat(obj.programs()).extracting(BpfProgram::name)
                .containsExactly("rc_prog", "count_a", "count_b", "tx_prog");
        assertThatThrownBy(() -> obj.map("nope")).isInstanceOf(NoSuchElementException.class)
                .hasMessageContaining("nope").hasMessageContaining("pcpu_arr");
        assertThatThrownBy(() -> obj.program("nope")).isInstanceOf(NoSuchElementException.class)
                .hasMessageContaining("rc_prog");
    }

    @Test
    void hashUpdateLookupDeleteIterateBatch() {
        BpfMap h = obj.map("hash");
        MemorySegment k = arena.allocate(4), v = arena.allocate(8);
        for (int i = 1; i <= 50; i++) {
            k.set(JAVA_INT, 0, i);
            v.set(JAVA_LONG, 0, i * 1000L);
            h.update(k, v, BpfMap.BPF_NOEXIST);
        }
        k.set(JAVA_INT, 0, 7);
        assertThat(h.lookup(k, v)).isTrue();
        assertThat(v.get(JAVA_LONG, 0)).isEqualTo(7000L);
        assertThatThrownBy(() -> h.update(k, v, BpfMap.BPF_NOEXIST)).isInstanceOf(KernelException.class)
                .hasMessageContaining("bpf_map_update_elem(map=hash").hasMessageContaining("errno 17");
        assertThat(h.delete(k)).isTrue();
        assertThat(h.delete(k)).isFalse();
        assertThat(h.lookup(k, v)).isFalse();

        Set<Integer> keys = new HashSet<>();
        h.forEachKey(key -> keys.add(key.get(JAVA_INT, 0)));
        assertThat(keys).hasSize(49).doesNotContain(7).contains(1, 50);

        MemorySegment ks = arena.allocate(4 * 128), vs = arena.allocate(8 * 128);
        int n = h.lookupBatch(ks, vs, 128);
        assertThat(n).isEqualTo(49);
        for (int i = 0; i < n; i++) {
            assertThat(vs.get(JAVA_LONG, i * 8L)).isEqualTo(ks.get(JAVA_INT, i * 4L) * 1000L);
        }
        // a small batch returns up to its capacity: the kernel hands out whole hash buckets and
        // stops at a bucket that does not fit (which bucket depends on the map's random hash seed)
        MemorySegment k1 = arena.allocate(4 * 10), v1 = arena.allocate(8 * 10);
        int total = h.lookupBatch(k1, v1, 10);
        assertThat(total).isBetween(1, 10);
        for (int i = 0; i < total; i++) {
            assertThat(v1.get(JAVA_LONG, i * 8L)).isEqualTo(k1.get(JAVA_INT, i * 4L) * 1000L);
        }
    }

    @Test
    void arrayAndIntKeys() {
        BpfMap a = obj.map("arr");
        MemorySegment v = arena.allocate(8);
        v.set(JAVA_LONG, 0, 42);
        a.update(3, v, BpfMap.BPF_ANY);
        assertThat(a.lookupLong(3, arena.allocate(8), 0)).isEqualTo(42);
        assertThat(a.keys()).hasSize(4);
        MemorySegment ks = arena.allocate(16), vs = arena.allocate(32);
        assertThat(a.lookupBatch(ks, vs, 4)).isEqualTo(4);
        assertThat(vs.get(JAVA_LONG, 3 * 8)).isEqualTo(42);
        assertThatThrownBy(() -> a.update(4, v, BpfMap.BPF_ANY)).isInstanceOf(KernelException.class)
                .hasMessageContaining("errno 7"); // E2BIG: index out of range
    }

    @Test
    void perCpuValuesAndSums() {
        int cpus = BpfMap.possibleCpus();
        assertThat(cpus).isPositive();
        BpfMap pa = obj.map("pcpu_arr");
        assertThat(pa.perCpuValueStride()).isEqualTo(16);
        MemorySegment all = arena.allocate(pa.valueBufferSize());
        for (int c = 0; c < cpus; c++) {
            all.set(JAVA_LONG, c * 16L, c + 1);          // packets
            all.set(JAVA_LONG, c * 16L + 8, 100L * (c + 1)); // bytes
        }
        pa.update(2, all, BpfMap.BPF_ANY);
        MemorySegment back = arena.allocate(pa.valueBufferSize());
        MemorySegment key = arena.allocate(4);
        key.set(JAVA_INT, 0, 2);
        assertThat(pa.lookupPerCpu(key, back)).isTrue();
        for (int c = 0; c < cpus; c++) assertThat(back.get(JAVA_LONG, c * 16L)).isEqualTo(c + 1);
        long sumPk = (long) cpus * (cpus + 1) / 2;
        assertThat(pa.sumPerCpuLongs(2)).containsExactly(sumPk, 100 * sumPk);

        // value size 4 is padded to 8 per CPU
        BpfMap ph = obj.map("pcpu_hash");
        assertThat(ph.perCpuValueStride()).isEqualTo(8);
        MemorySegment pv = arena.allocate(ph.valueBufferSize());
        for (int c = 0; c < cpus; c++) pv.set(JAVA_INT, c * 8L, 10 + c);
        ph.update(5, pv, BpfMap.BPF_ANY);
        MemorySegment out = arena.allocate(ph.valueBufferSize());
        assertThat(ph.lookup(5, out)).isTrue();
        for (int c = 0; c < cpus; c++) assertThat(out.get(JAVA_INT, c * 8L)).isEqualTo(10 + c);
        MemorySegment ks = arena.allocate(4 * 16), vs = arena.allocate(ph.valueBufferSize() * 16);
        assertThat(ph.lookupBatch(ks, vs, 16)).isEqualTo(1);
        assertThat(vs.get(JAVA_INT, (cpus - 1) * 8L)).isEqualTo(10 + cpus - 1);
    }

    @Test
    void lruHashes() {
        BpfMap lru = obj.map("lru");
        MemorySegment v = arena.allocate(8);
        for (int i = 0; i < 300; i++) { v.set(JAVA_LONG, 0, i); lru.update(i, v, BpfMap.BPF_ANY); }
        assertThat(lru.keys().size()).isLessThanOrEqualTo(128).isPositive();
        assertThat(lru.lookup(299, v)).isTrue();
        BpfMap lp = obj.map("lru_pcpu");
        MemorySegment all = arena.allocate(lp.valueBufferSize());
        all.set(JAVA_LONG, 0, 9);
        lp.update(1, all, BpfMap.BPF_ANY);
        assertThat(lp.sumPerCpuLongs(1)[0]).isEqualTo(9);
    }

    @Test
    void lpmLongestPrefix() {
        BpfMap lpm = obj.map("lpm");
        MemorySegment k = arena.allocate(8), v = arena.allocate(4);
        put(lpm, k, v, 8, new byte[] {10, 0, 0, 0}, 1);
        put(lpm, k, v, 16, new byte[] {10, 1, 0, 0}, 2);
        put(lpm, k, v, 32, new byte[] {10, 1, 2, 3}, 3);
        assertThat(match(lpm, k, v, new byte[] {10, 9, 9, 9})).isEqualTo(1);
        assertThat(match(lpm, k, v, new byte[] {10, 1, 9, 9})).isEqualTo(2);
        assertThat(match(lpm, k, v, new byte[] {10, 1, 2, 3})).isEqualTo(3);
        assertThat(match(lpm, k, v, new byte[] {11, 1, 2, 3})).isEqualTo(-1);
        // no batch support in LPM tries: falls back to iteration
        MemorySegment ks = arena.allocate(8 * 16), vs = arena.allocate(4 * 16);
        assertThat(lpm.lookupBatch(ks, vs, 16)).isEqualTo(3);
    }

    private static void put(BpfMap m, MemorySegment k, MemorySegment v, int prefix, byte[] addr, int value) {
        k.set(JAVA_INT, 0, prefix);
        MemorySegment.copy(addr, 0, k, JAVA_BYTE, 4, 4);
        v.set(JAVA_INT, 0, value);
        m.update(k, v, BpfMap.BPF_ANY);
    }

    private static int match(BpfMap m, MemorySegment k, MemorySegment v, byte[] addr) {
        k.set(JAVA_INT, 0, 32);
        MemorySegment.copy(addr, 0, k, JAVA_BYTE, 4, 4);
        return m.lookup(k, v) ? v.get(JAVA_INT, 0) : -1;
    }

    @Test
    void progArrayTakesProgramFd() {
        BpfMap progs = obj.map("progs");
        MemorySegment v = arena.allocate(4);
        v.set(JAVA_INT, 0, obj.program("count_a").fd());
        progs.update(0, v, BpfMap.BPF_ANY);
        assertThat(progs.lookup(0, v)).isTrue(); // reads back the program id
        assertThat(v.get(JAVA_INT, 0)).isEqualTo(obj.program("count_a").id());
        assertThat(progs.delete(0)).isTrue();
    }

    @Test
    void pinAndReopen() {
        Path dir = BpfFs.createDirectories(Path.of("/sys/fs/bpf/xdpml-test-" + ProcessHandle.current().pid()));
        try {
            Path pin = dir.resolve("hash");
            obj.map("hash").pin(pin);
            try (BpfMap reopened = BpfMap.openPinned(pin)) {
                assertThat(reopened.type()).isEqualTo(MapType.HASH);
                assertThat(reopened.keySize()).isEqualTo(4);
                assertThat(reopened.valueSize()).isEqualTo(8);
                assertThat(reopened.maxEntries()).isEqualTo(128);
                assertThat(reopened.name()).isEqualTo("hash");
                MemorySegment v = arena.allocate(8);
                v.set(JAVA_LONG, 0, 777);
                reopened.update(4242, v, BpfMap.BPF_ANY);
                v.set(JAVA_LONG, 0, 0);
                assertThat(obj.map("hash").lookup(4242, v)).isTrue();
                assertThat(v.get(JAVA_LONG, 0)).isEqualTo(777);
                obj.map("hash").delete(4242);
            }
            obj.program("rc_prog").pin(dir.resolve("rc_prog"));
            BpfMap.unpin(pin);
            assertThatThrownBy(() -> BpfMap.openPinned(pin)).isInstanceOf(KernelException.class)
                    .hasMessageContaining("bpf_obj_get(" + pin + ")").hasMessageContaining("errno 2");
        } finally {
            BpfFs.removeRecursively(dir);
        }
    }

    @Test
    void rodataConstantChangesReturnCodeAndBssIsLive() {
        try (BpfObject o = BpfObject.openResource("/bpf/maps.bpf.o")) {
            assertThatThrownBy(() -> o.setConstant("no_such", 1)).isInstanceOf(NoSuchElementException.class)
                    .hasMessageContaining("ret_code");
            assertThatThrownBy(() -> o.setConstant("tag", new byte[3])).hasMessageContaining("4 bytes");
            assertThatThrownBy(() -> o.setConstant("ret_code", 1L << 40)).hasMessageContaining("does not fit");
            o.setConstant("ret_code", 1); // XDP_DROP
            o.setConstant("tag", new byte[] {9, 9, 9, 9});
            o.load();
            assertThat(o.variable("tag").toArray(JAVA_BYTE)).containsExactly(9, 9, 9, 9);
            assertThatThrownBy(() -> o.setConstant("ret_code", 2)).isInstanceOf(IllegalStateException.class);
            try (TestRun run = o.program("rc_prog").testRun()) {
                MemorySegment f = KernelAssumptions.frame(arena, 100);
                assertThat(run.run(f, 100)).isEqualTo(1);
                assertThat(o.variable("last_len").get(JAVA_INT, 0)).isEqualTo(100);
                assertThat(run.run(f, 77)).isEqualTo(1);
                assertThat(o.variable("last_len").get(JAVA_INT, 0)).isEqualTo(77);
                assertThat(o.variable("runs").get(JAVA_LONG, 0)).isEqualTo(102);
                assertThat(o.map("pcpu_arr").sumPerCpuLongs(0)).containsExactly(2, 177);
            }
        }
        try (BpfObject o = BpfObject.openResource("/bpf/maps.bpf.o")) {
            o.load(); // default ret_code = XDP_PASS
            try (TestRun run = o.program("rc_prog").testRun()) {
                assertThat(run.run(KernelAssumptions.frame(arena, 64), 64)).isEqualTo(2);
            }
        }
    }

    @Test
    void verifierRejectionCarriesTheLog() {
        try (BpfObject o = BpfObject.openResource("/bpf/broken.bpf.o")) {
            assertThatThrownBy(o::load).isInstanceOfSatisfying(BpfLoadException.class, e -> {
                assertThat(e.call()).isEqualTo("bpf_object__load(broken)");
                assertThat(e.errno()).isEqualTo(13); // EACCES from the verifier
                assertThat(e.getMessage()).contains("invalid access to packet");
                assertThat(e.log()).contains("BEGIN PROG LOAD LOG");
            });
        }
    }
}
