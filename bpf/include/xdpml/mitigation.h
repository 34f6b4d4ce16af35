/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Closed-loop mitigation: sources (addresses or prefixes) that Java decided to block, with an
 * expiry, in an LPM trie checked before anything else. Java (io.xdpml.processor.Mitigation) adds
 * and removes entries one at a time (an LPM update is atomic per entry); an entry past its expiry
 * no longer matches and is removed by Java later. IPv4 is keyed as ::ffff:a.b.c.d (prefix + 96).
 */
#ifndef XDPML_MITIGATION_H
#define XDPML_MITIGATION_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <bpf/bpf_helpers.h>

struct xdpml_block_key {
	__u32 prefixlen; /* bits of addr that match, 0..128 */
	__u8 addr[16];
};

struct xdpml_block {
	__u64 expires_ns; /* CLOCK_MONOTONIC (bpf_ktime_get_ns); 0: never */
	__u64 hits;       /* packets dropped by this entry */
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 65536);
	__type(key, struct xdpml_block_key);
	__type(value, struct xdpml_block);
} xdpml_blocks SEC(".maps");

/* Whether the packet's source is blocked now; counts the hit. Reads Ethernet, up to two VLAN tags, IPv4/IPv6. */
static __always_inline int xdpml_source_blocked(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	if ((void *)(p + 14) > data_end)
		return 0;
	__u16 type = ((__u16)p[12] << 8) | p[13];
	__u32 off = 14;
#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (type != ETH_P_8021Q && type != ETH_P_8021AD)
			break;
		if ((void *)(p + off + 4) > data_end)
			return 0;
		type = ((__u16)p[off + 2] << 8) | p[off + 3];
		off += 4;
	}
	struct xdpml_block_key k = {};
	if (type == ETH_P_IP) {
		if ((void *)(p + off + 20) > data_end)
			return 0;
		k.addr[10] = k.addr[11] = 0xff;
		__builtin_memcpy(&k.addr[12], p + off + 12, 4);
	} else if (type == ETH_P_IPV6) {
		if ((void *)(p + off + 40) > data_end)
			return 0;
		__builtin_memcpy(k.addr, p + off + 8, 16);
	} else {
		return 0;
	}
	k.prefixlen = 128;
	struct xdpml_block *b = bpf_map_lookup_elem(&xdpml_blocks, &k);
	if (!b)
		return 0;
	if (b->expires_ns && bpf_ktime_get_ns() > b->expires_ns)
		return 0;
	__sync_fetch_and_add(&b->hits, 1);
	return 1;
}

#endif
