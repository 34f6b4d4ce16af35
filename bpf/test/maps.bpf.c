/* SPDX-License-Identifier: Apache-2.0 */
/* Test object for the kernel binding: one map of every type xdpml uses, a .rodata constant
 * that sets the return code, .bss/.data globals, and small programs for attach tests. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct counters { __u64 packets; __u64 bytes; };
struct lpm_v4 { __u32 prefixlen; __u8 addr[4]; };

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __type(key, __u32); __type(value, __u64); __uint(max_entries, 4); } arr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY); __type(key, __u32); __type(value, struct counters); __uint(max_entries, 4); } pcpu_arr SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64); __uint(max_entries, 128); } hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __type(key, __u32); __type(value, __u32); __uint(max_entries, 16); } pcpu_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_HASH); __type(key, __u32); __type(value, __u64); __uint(max_entries, 128); } lru SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH); __type(key, __u32); __type(value, __u64); __uint(max_entries, 128); } lru_pcpu SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_LPM_TRIE); __type(key, struct lpm_v4); __type(value, __u32); __uint(max_entries, 16); __uint(map_flags, BPF_F_NO_PREALLOC); } lpm SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_PROG_ARRAY); __uint(key_size, 4); __uint(value_size, 4); __uint(max_entries, 4); } progs SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } ring SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_XSKMAP); __uint(key_size, 4); __uint(value_size, 4); __uint(max_entries, 4); } xsks SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(key_size, 4); __uint(value_size, 4); __uint(max_entries, 4); } devs SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_DEVMAP_HASH); __uint(key_size, 4); __uint(value_size, 4); __uint(max_entries, 4); } devs_hash SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_CPUMAP); __uint(key_size, 4); __uint(value_size, 4); __uint(max_entries, 2); } cpus SEC(".maps");

volatile const __u32 ret_code = XDP_PASS;
volatile const __u8 tag[4] = { 1, 2, 3, 4 };
__u32 last_len;          /* .bss: length of the last packet seen by rc_prog */
__u64 runs = 100;        /* .data: incremented per rc_prog run */

/* Counts into pcpu_arr[0], records the length, returns the ret_code constant. */
SEC("xdp")
int rc_prog(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u32 len = ctx->data_end - ctx->data;
	struct counters *c = bpf_map_lookup_elem(&pcpu_arr, &k);
	if (c) { c->packets++; c->bytes += len; }
	last_len = len;
	runs++;
	return ret_code;
}

static __always_inline int count(__u32 k)
{
	__u64 *v = bpf_map_lookup_elem(&arr, &k);
	if (v) __sync_fetch_and_add(v, 1);
	return XDP_PASS;
}

/* Attach tests: count every frame into arr[0] / arr[1]. */
SEC("xdp")
int count_a(struct xdp_md *ctx) { return count(0); }

SEC("xdp")
int count_b(struct xdp_md *ctx) { return count(1); }

/* Live-frames test: bounce every frame out of the ingress device. */
SEC("xdp")
int tx_prog(struct xdp_md *ctx) { return XDP_TX; }

char LICENSE[] SEC("license") = "Dual BSD/GPL";
