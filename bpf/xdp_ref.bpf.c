/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For measuring only (xdpml bench testrun/veth --program ref-*): the physical limit of this machine
 * for what our pipelines do, written as small as it can be, so that every benchmark run sets our
 * programs beside it (issue 14). Each adds one thing to the one before:
 *
 *   xdpml_ref_parse  Ethernet, IPv4, UDP: bounds checks and the fields a flow key needs
 *   xdpml_ref_flow   + an LRU hash lookup of a 16-byte key, two counters written through the
 *                    pointer (a missing key inserted)
 *   xdpml_ref_clock  + bpf_ktime_get_ns() into the entry
 *   xdpml_ref_tree   + a complete depth-10 tree over .rodata (1,023 nodes: feature, threshold)
 *
 * and, to tell what the flow stage's size costs, xdpml_ref_flow with its key padded to the flow
 * stage's 44 bytes (xdpml_ref_flow44), with its entry padded to the flow state's 296 bytes
 * (xdpml_ref_flow296), and both (xdpml_ref_flow44_296).
 *
 * Nothing else: no per-CPU statistics, no configuration word, no records. Any other frame is
 * passed. Programs return cfg_action (benchmarks set XDP_DROP, as for every pipeline).
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

volatile const __u32 cfg_action = XDP_PASS;

struct ref_key {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u32 proto;
};

struct ref_flow {
	__u64 packets;
	__u64 bytes;
	__u64 last_ns;
	__u32 cls;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ref_key);
	__type(value, struct ref_flow);
} ref_flows SEC(".maps");

/* The flow stage's sizes: struct xdpml_flow_key (44 bytes), struct xdpml_flow (296 bytes). */
struct ref_key44 {
	struct ref_key k;
	__u8 pad[44 - sizeof(struct ref_key)];
};

struct ref_flow296 {
	struct ref_flow f;
	__u8 pad[296 - sizeof(struct ref_flow)];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ref_key44);
	__type(value, struct ref_flow);
} ref_flows44 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ref_key);
	__type(value, struct ref_flow296);
} ref_flows296 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ref_key44);
	__type(value, struct ref_flow296);
} ref_flows44_296 SEC(".maps");

#define REF_NODES 1023 /* internal nodes of a complete depth-10 tree */

/* The tree: node i tests feature ref_feature[i] against ref_threshold[i]; children 2i+1, 2i+2. */
const volatile __u8 ref_feature[REF_NODES + 1] = {}; /* + 1: indexes masked with REF_NODES for the verifier */
const volatile __u32 ref_threshold[REF_NODES + 1] = {};

/* Parses Ethernet/IPv4/UDP into key; -1 for anything else. */
static __always_inline int ref_parse(struct xdp_md *ctx, struct ref_key *key, __u32 *len)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > end || eth->h_proto != bpf_htons(ETH_P_IP))
		return -1;
	struct iphdr *ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > end || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return -1;
	struct udphdr *udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > end)
		return -1;
	key->saddr = ip->saddr;
	key->daddr = ip->daddr;
	key->sport = udp->source;
	key->dport = udp->dest;
	key->proto = IPPROTO_UDP;
	*len = end - data;
	return 0;
}

/* The flow's entry (inserted when missing), or NULL. */
static __always_inline struct ref_flow *ref_flow(const struct ref_key *key, __u32 len)
{
	struct ref_flow *f = bpf_map_lookup_elem(&ref_flows, key);
	if (f) {
		f->packets++;
		f->bytes += len;
		return f;
	}
	struct ref_flow n = {.packets = 1, .bytes = len};
	bpf_map_update_elem(&ref_flows, key, &n, BPF_NOEXIST);
	return NULL;
}

SEC("xdp")
int xdpml_ref_parse(struct xdp_md *ctx)
{
	struct ref_key key;
	__u32 len;
	if (ref_parse(ctx, &key, &len) < 0)
		return XDP_PASS;
	return cfg_action;
}

SEC("xdp")
int xdpml_ref_flow(struct xdp_md *ctx)
{
	struct ref_key key;
	__u32 len;
	if (ref_parse(ctx, &key, &len) < 0)
		return XDP_PASS;
	ref_flow(&key, len);
	return cfg_action;
}

/* ref_flow on another map: the key and entry types are that map's; counters in the entry's head. */
#define REF_FLOW_ON(map, key_type, value_type, ctx)                                  \
	({                                                                           \
		key_type k = {};                                                     \
		__u32 len;                                                           \
		if (ref_parse(ctx, (struct ref_key *)&k, &len) == 0) {               \
			value_type *f = bpf_map_lookup_elem(&map, &k);               \
			if (f) {                                                     \
				((struct ref_flow *)f)->packets++;                   \
				((struct ref_flow *)f)->bytes += len;                \
			} else {                                                     \
				value_type n = {};                                   \
				((struct ref_flow *)&n)->packets = 1;                \
				bpf_map_update_elem(&map, &k, &n, BPF_NOEXIST);      \
			}                                                            \
		}                                                                    \
	})

SEC("xdp")
int xdpml_ref_flow44(struct xdp_md *ctx)
{
	REF_FLOW_ON(ref_flows44, struct ref_key44, struct ref_flow, ctx);
	return cfg_action;
}

SEC("xdp")
int xdpml_ref_flow296(struct xdp_md *ctx)
{
	REF_FLOW_ON(ref_flows296, struct ref_key, struct ref_flow296, ctx);
	return cfg_action;
}

SEC("xdp")
int xdpml_ref_flow44_296(struct xdp_md *ctx)
{
	REF_FLOW_ON(ref_flows44_296, struct ref_key44, struct ref_flow296, ctx);
	return cfg_action;
}

SEC("xdp")
int xdpml_ref_clock(struct xdp_md *ctx)
{
	struct ref_key key;
	__u32 len;
	if (ref_parse(ctx, &key, &len) < 0)
		return XDP_PASS;
	struct ref_flow *f = ref_flow(&key, len);
	if (f)
		f->last_ns = bpf_ktime_get_ns();
	return cfg_action;
}

SEC("xdp")
int xdpml_ref_tree(struct xdp_md *ctx)
{
	struct ref_key key;
	__u32 len;
	if (ref_parse(ctx, &key, &len) < 0)
		return XDP_PASS;
	struct ref_flow *f = ref_flow(&key, len);
	if (!f)
		return cfg_action;
	f->last_ns = bpf_ktime_get_ns();
	__u64 x[4] = {len, bpf_ntohs(key.dport), f->packets, f->bytes};
	__u32 node = 0;
#pragma unroll
	for (int d = 0; d < 10; d++) {
		__u32 i = node & REF_NODES; /* node < 1023 at every depth: the mask only tells the verifier */
		__u32 v = x[ref_feature[i] & 3];
		node = 2 * i + 1 + (v > ref_threshold[i]);
	}
	f->cls = node;
	return cfg_action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
