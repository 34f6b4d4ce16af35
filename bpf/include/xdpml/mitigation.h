/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Closed-loop mitigation: sources (addresses or prefixes) that Java decided to block, with an
 * expiry, in an LPM trie checked before anything else. Java (io.xdpml.processor.Mitigation) adds
 * and removes entries one at a time (an LPM update is atomic per entry); an entry past its expiry
 * no longer matches and is removed by Java later. IPv4 is keyed as ::ffff:a.b.c.d (prefix + 96).
 *
 * Flows can be blocked too (both directions): keyed by the flow table's canonical key (flow.h),
 * built as the flow stage builds it, from the parse (the innermost packet, past IPv6 extension
 * headers; outermost VLAN and VNI in the key): a flow cannot escape its block by adding an
 * extension header. A packet the parse refused is keyed by a small parser of its own (the outer
 * IPv4 or IPv6 header, its protocol field and the ports after it). The per-packet key costs, so it
 * is built only while xdpml_mitigation_state says Java has flow blocks (XDPML_BLOCKING_FLOWS).
 *
 * A packet the parse stopped short of what Linux still reaches (an IPv6 extension chain longer
 * than the parser walks, a header past XDPML_MAX_HDR_OFF, a fifth VLAN tag; at any layer, a
 * tunnel's inner packet too) has no flow key that could match its flow's block, and may hide a
 * tunnel whose inner source is blocked (VXLAN behind nine extension headers): while any block
 * exists, of a source or a flow, it is dropped (XDPML_BLOCK_UNREADABLE), so that nothing escapes
 * its block by adding headers. No benign traffic is known to carry such chains; the firewall's
 * `malformed drop`, its default, drops them anyway.
 */
#ifndef XDPML_MITIGATION_H
#define XDPML_MITIGATION_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>
#include "flow.h"
#include "clock.h"
#include "pipeline.h" /* XDPML_BLOCK_* */

struct xdpml_block_key {
	__u32 prefixlen; /* bits of addr that match, 0..128 */
	__u8 addr[16];
};

struct xdpml_block {
	__u64 expires_ns; /* CLOCK_MONOTONIC (xdpml_now: bpf_ktime_get_ns, or the test clock); 0: never */
	__u64 hits;       /* packets dropped by this entry */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct xdpml_block_key);
	__type(value, struct xdpml_block);
} xdpml_blocks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct xdpml_flow_key);
	__type(value, struct xdpml_block);
} xdpml_flow_blocks SEC(".maps");

/*
 * [0]: which maps may hold entries, set by Java before it adds one, cleared by its sweep when the
 * map is empty (io.xdpml.processor.Mitigation).
 */
#define XDPML_BLOCKING_FLOWS 1   /* xdpml_flow_blocks */
#define XDPML_BLOCKING_SOURCES 2 /* xdpml_blocks */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_mitigation_state SEC(".maps");

/*
 * The ethertype after up to two VLAN tags, the offset of the header it names, and the outermost
 * VID (0 untagged). Returns -1 when the frame ends first.
 */
static __always_inline int xdpml_mitigation_l2(struct xdp_md *ctx, __u16 *type, __u32 *off, __u16 *vlan)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	if ((void *)(p + 14) > data_end)
		return -1;
	__u16 t = ((__u16)p[12] << 8) | p[13];
	__u32 o = 14;
	*vlan = 0;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (t != ETH_P_8021Q && t != ETH_P_8021AD)
			break;
		if ((void *)(p + o + 4) > data_end)
			return -1;
		if (i == 0)
			*vlan = (((__u16)p[o] << 8) | p[o + 1]) & 0x0fff;
		t = ((__u16)p[o + 2] << 8) | p[o + 3];
		o += 4;
	}
	*type = t;
	*off = o;
	return 0;
}

/* Whether the entry matches now; counts the hit. */
static __always_inline int xdpml_block_hit(struct xdpml_block *b)
{
	if (!b)
		return 0;
	if (b->expires_ns && xdpml_now() > b->expires_ns)
		return 0;
	__sync_fetch_and_add(&b->hits, 1);
	return 1;
}

/*
 * The flow key of a packet the parse refused (s->error): the outer IPv4/IPv6 header after up to
 * two VLAN tags, its protocol field as is, TCP/UDP ports right after it. -1: nothing to key.
 */
static __always_inline int xdpml_flow_block_key_narrow(struct xdp_md *ctx, struct xdpml_flow_key *kp)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	struct xdpml_flow_key k;
	__builtin_memset(&k, 0, sizeof(k));
	__u16 type;
	__u32 off;
	if (xdpml_mitigation_l2(ctx, &type, &off, &k.vlan) != 0)
		return -1;
	__u8 src[16] = {}, dst[16] = {};
	__u32 l4;
	__u8 proto;
	int ports = 1;
	if (type == ETH_P_IP) {
		__u8 *ip = p + off;
		if ((void *)(ip + 20) > data_end)
			return -1;
		k.ip_version = 4;
		src[10] = src[11] = dst[10] = dst[11] = 0xff;
		__builtin_memcpy(src + 12, ip + 12, 4);
		__builtin_memcpy(dst + 12, ip + 16, 4);
		proto = ip[9];
		l4 = off + (ip[0] & 0x0f) * 4;
		ports = ((((__u16)ip[6] << 8) | ip[7]) & 0x1fff) == 0; /* a later fragment has no ports */
	} else if (type == ETH_P_IPV6) {
		__u8 *ip = p + off;
		if ((void *)(ip + 40) > data_end)
			return -1;
		k.ip_version = 6;
		__builtin_memcpy(src, ip + 8, 16);
		__builtin_memcpy(dst, ip + 24, 16);
		proto = ip[6];
		l4 = off + 40;
	} else {
		return -1;
	}
	k.protocol = proto;
	__u16 sport = 0, dport = 0;
	if (ports && (proto == 6 || proto == 17)) {
		__u8 *t = p + (l4 & 0x3ff);
		if ((void *)(t + 4) > data_end)
			return -1;
		sport = ((__u16)t[0] << 8) | t[1];
		dport = ((__u16)t[2] << 8) | t[3];
	}
	xdpml_flow_key_endpoints(&k, src, dst, sport, dport);
	*kp = k;
	return 0;
}

/*
 * The lookup of xdpml_flow_blocked: a function of its own (a BPF-to-BPF call, paid only while flow
 * blocks exist), so that its key and the narrow parser's copies take no room in the entry
 * program's stack frame, which shares the 512 bytes with the SYN cookie helpers' calls.
 */
static __noinline int xdpml_flow_block_lookup(struct xdp_md *ctx, const struct xdpml_parse_summary *s)
{
	struct xdpml_flow_key k;
	if (!s->error) {
		struct xdpml_flow_packet fp;
		if (xdpml_flow_key_of(ctx, s, &k, &fp) != 0)
			return 0;
	} else if (xdpml_flow_block_key_narrow(ctx, &k) != 0) {
		return 0;
	}
	return xdpml_block_hit(bpf_map_lookup_elem(&xdpml_flow_blocks, &k));
}

/*
 * After the source blocks: 0, XDPML_BLOCK_FLOW when the packet belongs to a blocked flow (looked up
 * only while flow blocks exist), or XDPML_BLOCK_UNREADABLE when blocks exist and the parse stopped
 * short (xdpml_parse_stopped_short).
 */
static __always_inline __u32 xdpml_flow_blocked(struct xdp_md *ctx, const struct xdpml_parse_summary *s)
{
	__u32 zero = 0;
	__u32 *blocking = bpf_map_lookup_elem(&xdpml_mitigation_state, &zero);
	if (!blocking || !*blocking)
		return 0;
	if (xdpml_parse_stopped_short(s))
		return XDPML_BLOCK_UNREADABLE;
	if (!(*blocking & XDPML_BLOCKING_FLOWS))
		return 0;
	return xdpml_flow_block_lookup(ctx, s) ? XDPML_BLOCK_FLOW : 0;
}

/*
 * Whether the packet's source is blocked now; counts the hit. The outer source (Ethernet, up to two
 * VLAN tags, IPv4/IPv6), then, when the parse found another IP header innermost (s->l3_off: VXLAN's
 * inner packet, behind more tags), its source too: the detectors name the innermost source, and a
 * block must not be escaped by wrapping the packet.
 */
static __always_inline int xdpml_source_blocked(struct xdp_md *ctx, const struct xdpml_parse_summary *s)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u16 type, vlan;
	__u32 off = 0;
	struct xdpml_block_key k = {};
	k.prefixlen = 128;
	if (xdpml_mitigation_l2(ctx, &type, &off, &vlan) == 0) {
		if (type == ETH_P_IP && (void *)(p + off + 20) <= data_end) {
			k.addr[10] = k.addr[11] = 0xff;
			__builtin_memcpy(&k.addr[12], p + off + 12, 4);
			if (xdpml_block_hit(bpf_map_lookup_elem(&xdpml_blocks, &k)))
				return 1;
		} else if (type == ETH_P_IPV6 && (void *)(p + off + 40) <= data_end) {
			__builtin_memcpy(k.addr, p + off + 8, 16);
			if (xdpml_block_hit(bpf_map_lookup_elem(&xdpml_blocks, &k)))
				return 1;
		} else {
			off = 0;
		}
	} else {
		off = 0;
	}
	__u32 in = s->l3_off & 0xfff;
	if (!in || in == off)
		return 0;
	__u8 *ip = p + in;
	if ((void *)(ip + 20) > data_end)
		return 0;
	__builtin_memset(k.addr, 0, sizeof(k.addr));
	if ((ip[0] >> 4) == 4) {
		k.addr[10] = k.addr[11] = 0xff;
		__builtin_memcpy(&k.addr[12], ip + 12, 4);
	} else if ((ip[0] >> 4) == 6 && (void *)(ip + 40) <= data_end) {
		__builtin_memcpy(k.addr, ip + 8, 16);
	} else {
		return 0;
	}
	return xdpml_block_hit(bpf_map_lookup_elem(&xdpml_blocks, &k));
}

#endif
