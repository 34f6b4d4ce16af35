/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pipeline "xsk": hands packets to AF_XDP sockets (one per receive queue, in xdpml_xsks), all of
 * them or 1-in-N (cfg_sample_n, counted per CPU: exact shares, no random numbers). A sampled
 * packet is parsed and its flow key hashed; the result travels with the frame as struct
 * xdpml_xsk_meta in the metadata area (bpf_xdp_adjust_meta). Packets not sampled, and sampled
 * packets whose queue has no socket, get cfg_other_action (XDP_PASS by default). First of all,
 * packets from a source or of a flow that Java blocked (mitigation.h) are dropped.
 *
 * With cfg_mirror, sampled packets are not redirected: their head and metadata are copied into
 * the ring buffer xdpml_mirror (struct xdpml_mirror_rec) and they pass on to the stack, so a
 * server keeps all its traffic while Java watches a copy.
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/flow.h"
#include "xdpml/xsk.h"
#include "xdpml/mitigation.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
volatile const __u32 cfg_sample_n = 1;
volatile const __u32 cfg_other_action = XDP_PASS;
/* 0: no metadata, no parse (the cheapest hand-off, for benchmarks of the rings alone) */
volatile const __u8 cfg_metadata = 1;
/* 1: copy sampled packets into xdpml_mirror and pass them, instead of redirecting to a socket */
volatile const __u8 cfg_mirror = 0;
/* Test mode: keep each sampled packet's metadata in .bss for the caller of BPF_PROG_TEST_RUN. */
volatile const __u8 cfg_record_meta = 0;

struct xdpml_xsk_meta last_meta;

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[XDPML_XC_MAX]);
} xdpml_xsk_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} xdpml_mirror SEC(".maps");

/* The record is built here (per CPU), then copied into the ring at its real size. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_mirror_rec);
} xdpml_mirror_scratch SEC(".maps");

/* Copies the packet and its metadata into the mirror ring; counts a full ring as lost. */
static __always_inline void xdpml_mirror_packet(struct xdp_md *ctx, __u64 *c, __u32 hash, __u16 flags, __u16 error,
						__u32 queue)
{
	__u32 zero = 0;
	struct xdpml_mirror_rec *r = bpf_map_lookup_elem(&xdpml_mirror_scratch, &zero);
	if (!r)
		return;
	__u32 len = ctx->data_end - ctx->data;
	__u64 cap = len;
	if (cap > XDPML_MIRROR_SNAP)
		cap = XDPML_MIRROR_SNAP;
	/* keep the clamped register: else clang may pass a fresh copy of len the verifier can't bound */
	asm volatile("" : "+r"(cap));
	if (cap < 1 || cap > XDPML_MIRROR_SNAP || bpf_xdp_load_bytes(ctx, 0, r->data, cap) != 0) {
		c[XDPML_XC_MIRROR_LOST]++;
		return;
	}
	r->wire_len = len;
	r->cap_len = cap;
	r->ktime_ns = bpf_ktime_get_ns();
	r->meta.magic = XDPML_XSK_META_MAGIC;
	r->meta.flow_hash = hash;
	r->meta.parse_flags = flags;
	r->meta.parse_error = error;
	r->meta.verdict = 0;
	r->meta.rx_queue = queue;
	if (bpf_ringbuf_output(&xdpml_mirror, r, XDPML_MIRROR_HEADER + cap, 0) == 0)
		c[XDPML_XC_MIRRORED]++;
	else
		c[XDPML_XC_MIRROR_LOST]++;
}

SEC("xdp")
int xdpml_xsk(struct xdp_md *ctx)
{
	__u32 zero = 0;
	__u64 *c = bpf_map_lookup_elem(&xdpml_xsk_counters, &zero);
	if (!c)
		return XDP_ABORTED;
	__u64 seen = c[XDPML_XC_SEEN]++;
	if (xdpml_source_blocked(ctx) || xdpml_flow_blocked(ctx)) {
		c[XDPML_XC_BLOCKED]++;
		return XDP_DROP;
	}
	if (cfg_sample_n > 1 && seen % cfg_sample_n != 0)
		return cfg_other_action;
	c[XDPML_XC_SAMPLED]++;

	__u32 queue = ctx->rx_queue_index;
	if (!cfg_mirror && !bpf_map_lookup_elem(&xdpml_xsks, &queue) && !cfg_record_meta) {
		c[XDPML_XC_NO_SOCKET]++;
		return cfg_other_action;
	}
	if (cfg_metadata) {
		struct xdpml_counters *pc = xdpml_parse_stage(ctx, cfg_vxlan_port);
		if (!pc)
			return XDP_ABORTED;
		struct xdpml_flow_key key;
		struct xdpml_flow_packet pkt;
		__builtin_memset(&key, 0, sizeof(key));
		__u32 hash = 0;
		if (xdpml_flow_key_of(ctx, &pc->scratch.s, &key, &pkt) == 0)
			hash = xdpml_flow_hash(&key);
		__u16 flags = pc->scratch.s.flags;
		__u16 error = pc->scratch.s.error;
		if (cfg_mirror) {
			xdpml_mirror_packet(ctx, c, hash, flags, error, queue);
			return XDP_PASS;
		}
		if (cfg_record_meta) {
			last_meta.magic = XDPML_XSK_META_MAGIC;
			last_meta.flow_hash = hash;
			last_meta.parse_flags = flags;
			last_meta.parse_error = error;
			last_meta.verdict = 0;
			last_meta.rx_queue = queue;
		}
		if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct xdpml_xsk_meta)) == 0) {
			void *data = (void *)(long)ctx->data;
			struct xdpml_xsk_meta *m = (void *)(long)ctx->data_meta;
			if ((void *)(m + 1) <= data) {
				m->magic = XDPML_XSK_META_MAGIC;
				m->flow_hash = hash;
				m->parse_flags = flags;
				m->parse_error = error;
				m->verdict = 0;
				m->rx_queue = queue;
			} else {
				c[XDPML_XC_META_FAILED]++;
			}
		} else {
			c[XDPML_XC_META_FAILED]++;
		}
	}
	int r = bpf_redirect_map(&xdpml_xsks, queue, XDP_ABORTED);
	if (r == XDP_REDIRECT)
		c[XDPML_XC_REDIRECTED]++;
	else
		c[XDPML_XC_NO_SOCKET]++;
	return r == XDP_REDIRECT ? r : cfg_other_action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
