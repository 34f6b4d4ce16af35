/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The CPU spread (cfg_cpumap_n > 0; off by default): for a NIC with one receive queue, whose
 * every packet arrives on one CPU. The program attached to the interface is then xdpml_cpu_pick:
 * it reads only what picks a CPU (Ethernet, up to XDPML_MAX_VLAN tags, the IPv4/IPv6 addresses,
 * the TCP/UDP ports), hashes them symmetrically (both directions of a flow on the same CPU, since
 * the flow table, conntrack and the model's per-flow state are per flow), and redirects the frame
 * into xdpml_cpumap. The whole pipeline (xdpml_pipeline and its tail calls) runs as that map's
 * program (expected attach type BPF_XDP_CPUMAP, set by Java at load) in the chosen CPU's kthread.
 *
 * What the hash reads:
 *   IPv4/IPv6 with TCP or UDP right after the IP header   addresses and ports (xor: symmetric)
 *   IPv4 fragments, other IP protocols, IPv6 with          the addresses alone (every fragment of a
 *   extension headers, UDP to or from cfg_vxlan_port       datagram, every flow of a tunnel together)
 *   anything else (ARP, LLDP, broken headers)             the first CPU of the list
 *
 * Java twin: io.xdpml.dataplane.CpuSpread.cpuOf (the same hash, for the tests).
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
	__u64 addresses;   /* hashed on the addresses alone (fragments, tunnels, other protocols) */
	__u64 not_ip;      /* not IP (or cut short): to the first CPU */
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

struct xdpml_vlan_tag {
	__be16 tci;
	__be16 type;
};

/*
 * The symmetric flow hash of the frame (host order of the xor of the network-order words), and
 * through *kind what it read: 2 addresses and ports, 1 addresses alone, 0 not IP.
 */
static __always_inline __u32 xdpml_cpumap_hash(struct xdp_md *ctx, __u16 vxlan_port, int *kind)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	*kind = 0;
	if (data + 14 > end)
		return 0;
	__be16 type = *(__be16 *)(data + 12);
	void *p = data + 14;
#pragma unroll
	for (int i = 0; i < XDPML_MAX_VLAN; i++) {
		if (type != bpf_htons(0x8100) && type != bpf_htons(0x88a8) && type != bpf_htons(0x9100))
			break;
		struct xdpml_vlan_tag *v = p;
		if ((void *)(v + 1) > end)
			return 0;
		type = v->type;
		p = v + 1;
	}
	__u32 h;
	__u8 proto;
	void *l4 = 0;
	if (type == bpf_htons(0x0800)) {
		__u8 *ip = p;
		if ((void *)(ip + 20) > end)
			return 0;
		__u32 ihl = (ip[0] & 0xf) * 4;
		if (ihl < 20)
			return 0;
		h = *(__u32 *)(ip + 12) ^ *(__u32 *)(ip + 16);
		proto = ip[9];
		if (!(*(__be16 *)(ip + 6) & bpf_htons(0x3fff))) /* not a fragment */
			l4 = ip + ihl;
	} else if (type == bpf_htons(0x86dd)) {
		__u32 *ip = p;
		if ((void *)(ip + 10) > end)
			return 0;
		h = ip[2] ^ ip[3] ^ ip[4] ^ ip[5] ^ ip[6] ^ ip[7] ^ ip[8] ^ ip[9];
		proto = ((__u8 *)ip)[6];
		l4 = ip + 10;
	} else {
		return 0;
	}
	*kind = 1;
	h ^= proto;
	if (l4 && (proto == IPPROTO_TCP || proto == IPPROTO_UDP)) {
		__be16 *ports = l4;
		if ((void *)(ports + 2) <= end) {
			__u16 sport = bpf_ntohs(ports[0]);
			__u16 dport = bpf_ntohs(ports[1]);
			if (!(proto == IPPROTO_UDP && vxlan_port && (sport == vxlan_port || dport == vxlan_port))) {
				*kind = 2;
				h ^= (__u32)(sport ^ dport) << 8;
			}
		}
	}
	return h;
}

/* The receiving CPU's whole job: pick the flow's CPU and hand the frame to it. */
static __always_inline int xdpml_cpumap_redirect(struct xdp_md *ctx, __u16 vxlan_port)
{
	__u32 zero = 0;
	struct xdpml_cpumap_stats *st = bpf_map_lookup_elem(&xdpml_cpumap_stats, &zero);
	int kind;
	__u32 h = xdpml_cpumap_hash(ctx, vxlan_port, &kind);
	__u32 n = cfg_cpumap_n;
	/* multiply-shift: the slot in [0, n) without a division */
	__u32 slot = kind ? (__u32)(((__u64)xdpml_cpumap_mix(h) * n) >> 32) : 0;
	const __u32 *cpu = bpf_map_lookup_elem(&xdpml_cpumap_cpus, &slot);
	int r = cpu ? bpf_redirect_map(&xdpml_cpumap, *cpu, XDP_ABORTED) : XDP_ABORTED;
	if (st) {
		if (kind == 0)
			st->not_ip++;
		else if (kind == 1)
			st->addresses++;
		if (r == XDP_REDIRECT)
			st->redirected++;
		else
			st->failed++;
	}
	return r;
}

#endif
