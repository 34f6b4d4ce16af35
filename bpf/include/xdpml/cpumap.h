/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CPU spread (cfg_cpumap_n > 0; off by default): for a NIC with one receive queue, whose
 * every packet arrives on one CPU. The program attached to the interface is then xdpml_cpu_pick:
 * it parses the outer frame with the pipeline's own parser (parse.h: xdpml_parse_fast, else
 * xdpml_parse_eth without the VXLAN inner frame), hashes what picks a CPU symmetrically (both
 * directions of a flow on the same CPU, since the flow table, conntrack and the model's per-flow
 * state are per flow), and redirects the frame into xdpml_cpumap. The whole pipeline
 * (xdpml_pipeline and its tail calls) runs as that map's program (expected attach type
 * BPF_XDP_CPUMAP, set by Java at load) in the chosen CPU's kthread.
 *
 * What the hash reads (since 2026-12-06):
 *   TCP whose ports the parser reads (not a later     the addresses and the ports (xor: symmetric)
 *   fragment; IPv6 after its extension headers)
 *   every other IP packet: UDP, fragments after the   the addresses alone
 *   first, ICMP, other protocols, a broken TCP header
 *   not IP, or cut short before the IP header's end    the first CPU of the list
 *
 * Why: every packet that lands in one flow entry (and conntrack entry) must run on one CPU, or two
 * CPUs update it without a lock and its packets reorder. The parser keys a first fragment by its
 * ports (parse.h reads them at offset 0) and the fragments after it by ports 0, so a datagram that
 * is sometimes fragmented mixes both. UDP (and everything but TCP, whose segments are fragmented
 * only when something is broken) therefore goes by its addresses: all of a host pair's UDP on one
 * CPU, every fragment of a datagram with its whole datagrams, VXLAN tunnels whole (as a NIC's RSS
 * does for UDP by default). TCP keeps its ports, read by the parser itself, so that a segment the
 * parser gives ports goes by them and one it gives none (later fragments, a broken header) by the
 * addresses: each flow key has one CPU. Before 2026-12-06 a first fragment was hashed on its
 * addresses and its flow's whole datagrams on addresses and ports: up to two CPUs per flow.
 *
 * Java twin: io.xdpml.dataplane.CpuSpread.cpuOf (the same hash through PacketParser, for the tests).
 */
#ifndef XDPML_CPUMAP_H
#define XDPML_CPUMAP_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "parse.h"

/* The CPUs a spread may name (xdpml_cpumap_cpus' slots). */
#define XDPML_CPUMAP_MAX_CPUS 64

/* How many CPUs the spread uses (slots 0..n-1 of xdpml_cpumap_cpus); 0: no spread. */
volatile const __u32 cfg_cpumap_n = 0;

/* CPU number -> the pipeline program and the queue size of that CPU's kthread (Java fills it). */
struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 1); /* Java: the possible CPUs when the spread is on */
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} xdpml_cpumap SEC(".maps");

/* Slot -> CPU number: the CPUs of the spread, in the configuration's order. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XDPML_CPUMAP_MAX_CPUS);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_cpumap_cpus SEC(".maps");

/* Per receiving CPU (the pipeline's own counters are per processing CPU). */
struct xdpml_cpumap_stats {
	__u64 redirected;  /* handed to a CPU's queue (a full queue then drops it: redirected - entered) */
	__u64 failed;      /* no CPU at the slot, or none in xdpml_cpumap there: dropped (XDP_ABORTED) */
	__u64 addresses;   /* hashed on the addresses alone (all but TCP with ports) */
	__u64 not_ip;      /* not IP (or cut short): to the first CPU */
	/* not a counter: the outer parse's summary (the parser writes through a pointer into map
	 * memory, parse.h says why) */
	struct xdpml_parse_summary scratch;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_cpumap_stats);
} xdpml_cpumap_stats SEC(".maps");

/* A 32-bit finaliser (lowbias32): every input bit moves every output bit. */
static __always_inline __u32 xdpml_cpumap_mix(__u32 h)
{
	h ^= h >> 16;
	h *= 0x7feb352d;
	h ^= h >> 15;
	h *= 0x846ca68b;
	h ^= h >> 16;
	return h;
}

/*
 * The symmetric flow hash of the frame parsed into *s (host order of the xor of the network-order
 * words), and through *kind what it read: 2 addresses and ports, 1 addresses alone, 0 not IP.
 */
static __always_inline __u32 xdpml_cpumap_hash(struct xdp_md *ctx, struct xdpml_parse_summary *s, int *kind)
{
	/* the outer frame alone, VXLAN not decoded: UDP goes by its addresses whatever its port */
	if (!xdpml_parse_fast(ctx, s, 0)) {
		__builtin_memset(s, 0, sizeof(*s));
		struct xdpml_parse_state st = {
			.data = (void *)(long)ctx->data,
			.data_end = (void *)(long)ctx->data_end,
			.limit = 0xffff,
			.vxlan_port = 0,
			.s = s,
		};
		__u64 inner = 0;
		xdpml_parse_eth(&st, 0, 1, &inner);
		s->flags = st.flags;
	}
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	__u32 l3 = s->l3_off & 0x3f; /* the outer IP header: at most 14 + 4 tags in */
	__u32 h;
	*kind = 0;
	if (s->flags & XDPML_F_IPV4) {
		__u32 *ip = data + l3;
		if ((void *)(ip + 5) > end)
			return 0;
		h = ip[3] ^ ip[4];
	} else if (s->flags & XDPML_F_IPV6) {
		__u32 *ip = data + l3;
		if ((void *)(ip + 10) > end)
			return 0;
		h = ip[2] ^ ip[3] ^ ip[4] ^ ip[5] ^ ip[6] ^ ip[7] ^ ip[8] ^ ip[9];
	} else {
		return 0;
	}
	*kind = 1;
	if (s->l4_proto == IPPROTO_TCP) { /* set with the ports, once the whole TCP header checked */
		*kind = 2;
		h ^= (__u32)(s->sport ^ s->dport) << 8;
	}
	return h;
}

/* The receiving CPU's whole job: pick the flow's CPU and hand the frame to it. */
static __always_inline int xdpml_cpumap_redirect(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct xdpml_cpumap_stats *st = bpf_map_lookup_elem(&xdpml_cpumap_stats, &zero);
	if (!st) /* never: a per-CPU array's slot 0 */
		return XDP_ABORTED;
	int kind;
	__u32 h = xdpml_cpumap_hash(ctx, &st->scratch, &kind);
	__u32 n = cfg_cpumap_n;
	/* multiply-shift: the slot in [0, n) without a division */
	__u32 slot = kind ? (__u32)(((__u64)xdpml_cpumap_mix(h) * n) >> 32) : 0;
	const __u32 *cpu = bpf_map_lookup_elem(&xdpml_cpumap_cpus, &slot);
	int r = cpu ? bpf_redirect_map(&xdpml_cpumap, *cpu, XDP_ABORTED) : XDP_ABORTED;
	if (kind == 0)
		st->not_ip++;
	else if (kind == 1)
		st->addresses++;
	if (r == XDP_REDIRECT)
		st->redirected++;
	else
		st->failed++;
	return r;
}

#endif
