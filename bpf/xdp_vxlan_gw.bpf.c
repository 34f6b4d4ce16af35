/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pipeline "vxlan": the VXLAN gateway on the ingress interface (vxlan_gw.h, docs/vxlan.md).
 *
 * Per packet:
 *   parse stopped at its limits, not VXLAN      -> drop (too_deep): the host would read on past them
 *   not VXLAN (and no VXLAN error)              -> XDP_PASS (not_vxlan): ARP etc. reach the host
 *   VXLAN the parser rejected                   -> drop (err_parse)
 *   VNI not served (cfg_vni_filter)             -> drop (other_vni)
 *   outer IPv4/IPv6 header a fragment           -> drop (outer_frag; RFC 7348 4.3)
 *   inner frame VLAN-tagged                     -> drop (inner_vlan; RFC 7348 6.1)
 *   inner frame without IPv4/IPv6               -> drop (err_inner_not_ip)
 *   inner src (dst) not on the allowlist        -> drop (denied)
 *   NAT entry for an inner IPv6 packet with segments left in a Routing header -> drop (nat_source_routed)
 *   NAT of the inner destination (addr, port), IPv4 DF cleared: checksums updated (RFC 1624)
 *   decap: outer headers removed (adjust_head); Ethernet addresses set for the egress if given
 *   egress: DEVMAP redirect (to_devmap), or XSKMAP (to_xsk) when configured or when the DEVMAP
 *   has no egress and the fallback is on; each counted (handed) only when bpf_redirect_map said
 *   XDP_REDIRECT, and what the kernel then fails to send is not seen here (vxlan_gw.h). Never
 *   XDP_TX: nothing goes back out of the ingress.
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/firewall.h"
#include "xdpml/vxlan_gw.h"
#include "xdpml/ipv6_routing.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
volatile const __u8 cfg_match_dst = 0;     /* 1: the allowlist judges the inner destination */
volatile const __u8 cfg_decap = 1;         /* 0: forward mode, outer headers kept */
volatile const __u8 cfg_clear_df = 0;
volatile const __u8 cfg_egress_xsk = 0;    /* 1: every forwarded packet goes to the XSKMAP */
volatile const __u8 cfg_xsk_fallback = 0;  /* 1: to the XSKMAP when the DEVMAP redirect fails */
volatile const __u8 cfg_rewrite_eth = 0;   /* 1: set the (final) Ethernet addresses below */
volatile const __u8 cfg_eth_dst[6] = {};
volatile const __u8 cfg_eth_src[6] = {};
volatile const __u8 cfg_record_verdict = 0;
volatile const __u8 cfg_vni_filter = 0;    /* 1: only the VNIs in xdpml_vx_vnis are served */

struct xdpml_vx_verdict last_verdict;

static __always_inline int xdpml_vx_done(struct xdpml_vx_counters *vc, __u32 reason, int action)
{
	if (reason < XDPML_VXC_MAX)
		vc->c[reason]++;
	if (cfg_record_verdict) {
		last_verdict.action = action;
		last_verdict.reason = reason;
	}
	return action;
}

/* The allowlist (firewall.h lists of the active generation). 1: the address may pass. */
static __always_inline int xdpml_vx_allowed(__u8 family, const __u8 *addr)
{
	__u32 zero = 0;
	__u32 *genp = bpf_map_lookup_elem(&xdpml_fw_gen, &zero);
	if (!genp)
		return 0;
	__u32 g = *genp & 1;
	struct xdpml_fw_config *cfg = bpf_map_lookup_elem(&xdpml_fw_config, &g);
	if (!cfg)
		return 0;
	if (cfg->default_action != XDPML_FW_DROP)
		return 1;
	struct xdpml_fw_prefix_key k = {
		.prefixlen = 32 + (family == 4 ? 32 : 128),
		.gen = g,
		.kind = cfg_match_dst ? XDPML_FW_ALLOW_DST : XDPML_FW_ALLOW_SRC,
		.family = family,
	};
	__builtin_memcpy(k.addr, addr, 16);
	return bpf_map_lookup_elem(&xdpml_fw_lists, &k) != NULL;
}

/*
 * 1: the outer IP header (after the outer VLAN tags) is a fragment: IPv4 MF or a fragment offset,
 * or an IPv6 fragment header in its extension chain (the parse's FRAGMENT flag covers every layer).
 * Only a first fragment reaches here: later ones carry no UDP header and are not VXLAN.
 */
static __always_inline int xdpml_vx_outer_fragment(void *data, void *data_end, __u8 vlan_depth)
{
	__u32 o = 14 + 4 * (vlan_depth & 7);
	__u8 *h = data + o;
	if ((void *)(h + 40) > data_end)
		return 0; /* not after a clean VXLAN parse: the frame holds outer IP, UDP, VXLAN, inner Ethernet */
	if ((h[0] >> 4) == 4)
		return (h[6] & 0x3f) || h[7];
	__u8 nh = h[6];
	o += 40;
#pragma unroll
	for (int i = 0; i < XDPML_MAX_IPV6_EXT; i++) {
		if (nh == 44)
			return 1;
		if (nh != 0 && nh != 43 && nh != 60 && nh != 51)
			return 0;
		h = data + (o & 0xfff);
		if ((void *)(h + 2) > data_end)
			return 0;
		o += nh == 51 ? (h[1] + 2) * 4 : (h[1] + 1) * 8;
		nh = h[0];
	}
	return 0;
}

SEC("xdp")
int xdpml_vxlan_gw(struct xdp_md *ctx)
{
	struct xdpml_counters *c = xdpml_parse_stage(ctx, cfg_vxlan_port);
	__u32 zero = 0;
	struct xdpml_vx_counters *vc = bpf_map_lookup_elem(&xdpml_vx_stats, &zero);
	if (!c || !vc)
		return XDP_ABORTED;
	vc->c[XDPML_VXC_TOTAL]++;
	const struct xdpml_parse_summary *s = &c->scratch.s;
	__u32 inner = c->scratch.inner;
	int vxlan_error = s->error == XDPML_E_VXLAN_TRUNCATED || s->error == XDPML_E_VXLAN_BAD_FLAGS;
	if (!(s->flags & XDPML_F_VXLAN) && !vxlan_error) {
		/* Nine outer extension headers, say: Linux walks on to the UDP header, and a VXLAN
		 * device on the host would decapsulate what the allowlist and VNI checks never saw. */
		if (xdpml_parse_stopped_short(s))
			return xdpml_vx_done(vc, XDPML_VXC_TOO_DEEP, XDP_DROP);
		return xdpml_vx_done(vc, XDPML_VXC_NOT_VXLAN, XDP_PASS);
	}
	vc->c[XDPML_VXC_VXLAN]++;
	if (s->error)
		return xdpml_vx_done(vc, XDPML_VXC_ERR_PARSE, XDP_DROP);
	__u32 vni = s->vni;
	if (cfg_vni_filter && !bpf_map_lookup_elem(&xdpml_vx_vnis, &vni))
		return xdpml_vx_done(vc, XDPML_VXC_OTHER_VNI, XDP_DROP);
	if (xdpml_vx_outer_fragment((void *)(long)ctx->data, (void *)(long)ctx->data_end, s->vlan_depth))
		return xdpml_vx_done(vc, XDPML_VXC_OUTER_FRAG, XDP_DROP);
	if (s->inner_vlan_depth) /* a tenant must not pick a VLAN on the egress network */
		return xdpml_vx_done(vc, XDPML_VXC_INNER_VLAN, XDP_DROP);
	if (!inner || s->l3_off <= inner || !(s->flags & (XDPML_F_IPV4 | XDPML_F_IPV6)))
		return xdpml_vx_done(vc, XDPML_VXC_ERR_INNER_NOT_IP, XDP_DROP);
	vc->c[XDPML_VXC_INNER]++;

	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l3 = s->l3_off & 0xfff;
	__u8 *ip = data + l3;
	if ((void *)(ip + 20) > data_end)
		return xdpml_vx_done(vc, XDPML_VXC_ERR_BOUNDS, XDP_DROP);
	__u8 family = (ip[0] >> 4) == 4 ? 4 : 6;
	__u8 addr[16] = {};
	__u8 *dst_field;
	if (family == 4) {
		__builtin_memcpy(addr, ip + (cfg_match_dst ? 16 : 12), 4);
		dst_field = ip + 16;
	} else {
		if ((void *)(ip + 40) > data_end)
			return xdpml_vx_done(vc, XDPML_VXC_ERR_BOUNDS, XDP_DROP);
		__builtin_memcpy(addr, ip + (cfg_match_dst ? 24 : 8), 16);
		dst_field = ip + 24;
	}
	if (!xdpml_vx_allowed(family, addr))
		return xdpml_vx_done(vc, XDPML_VXC_DENIED, XDP_DROP);

	/* checksum deltas: inner IPv4 header, inner TCP/UDP, outer UDP (forward mode) */
	__u32 d_ip = 0, d_l4 = 0, d_outer = 0;
	__u8 proto = s->l4_proto;
	int nat = 0;
	if ((proto == 6 || proto == 17) && !(s->flags & XDPML_F_FRAGMENT) && s->l4_off > l3) {
		struct xdpml_vx_nat_key nk = { .family = family, .port = s->dport };
		if (family == 4)
			__builtin_memcpy(nk.addr, dst_field, 4);
		else
			__builtin_memcpy(nk.addr, dst_field, 16);
		struct xdpml_vx_nat *to = bpf_map_lookup_elem(&xdpml_vx_nat, &nk);
		if (!to) {
			__builtin_memset(nk.addr, 0, 16);
			to = bpf_map_lookup_elem(&xdpml_vx_nat, &nk);
		}
		if (to) {
			__u32 l4 = s->l4_off & 0xfff;
			/* The NAT matched the IPv6 destination; with segments left that is a waypoint, and
			 * the transport peer, whose address the L4 checksum covers, is the Routing header's
			 * final destination. Rewriting the waypoint would not send the packet to the NAT
			 * target, and the checksum update would assume the wrong address: refused. */
			if (family == 6 && xdpml_ipv6_source_routed(data, data_end, l3))
				return xdpml_vx_done(vc, XDPML_VXC_NAT_SOURCE_ROUTED, XDP_DROP);
			__u8 *th = data + l4;
			if ((void *)(th + 20) > data_end && proto == 6)
				return xdpml_vx_done(vc, XDPML_VXC_ERR_BOUNDS, XDP_DROP);
			if ((void *)(th + 8) > data_end)
				return xdpml_vx_done(vc, XDPML_VXC_ERR_BOUNDS, XDP_DROP);
			__u32 d_pseudo = 0; /* address words: in the IP header and the L4 pseudo header */
			if (family == 4) {
				xdpml_vx_set16(dst_field, *(__u16 *)to->addr, &d_pseudo, &d_outer);
				xdpml_vx_set16(dst_field + 2, *(__u16 *)(to->addr + 2), &d_pseudo, &d_outer);
				d_ip += d_pseudo;
			} else {
				if ((void *)(ip + 40) > data_end)
					return xdpml_vx_done(vc, XDPML_VXC_ERR_BOUNDS, XDP_DROP);
#pragma unroll
				for (int i = 0; i < 16; i += 2)
					xdpml_vx_set16(ip + 24 + i, *(__u16 *)(to->addr + i), &d_pseudo, &d_outer);
			}
			d_l4 += d_pseudo;
			xdpml_vx_set16(th + 2, bpf_htons(to->port), &d_l4, &d_outer);
			__u8 *csum = th + (proto == 6 ? 16 : 6);
			if ((void *)(csum + 2) > data_end)
				return xdpml_vx_done(vc, XDPML_VXC_ERR_BOUNDS, XDP_DROP);
			__u16 old = *(__u16 *)csum;
			/* an IPv4 UDP checksum of 0 means none: it stays 0 */
			if (proto == 6 || old || family == 6) {
				__u16 v = xdpml_csum_apply(old, d_l4);
				if (proto == 17 && v == 0)
					v = 0xffff;
				__u32 unused = 0;
				xdpml_vx_set16(csum, v, &unused, &d_outer);
			}
			nat = 1;
		}
	}
	if (family == 4) {
		if (cfg_clear_df && (ip[6] & 0x40)) {
			__u16 w = *(__u16 *)(ip + 6);
			__u8 b[2];
			__builtin_memcpy(b, &w, 2);
			b[0] &= ~0x40;
			__u16 nw;
			__builtin_memcpy(&nw, b, 2);
			xdpml_vx_set16(ip + 6, nw, &d_ip, &d_outer);
			vc->c[XDPML_VXC_DF_CLEARED]++;
		}
		if (d_ip) {
			__u32 unused = 0;
			xdpml_vx_set16(ip + 10, xdpml_csum_apply(*(__u16 *)(ip + 10), d_ip), &unused, &d_outer);
		}
	}
	if (nat)
		vc->c[XDPML_VXC_NAT_APPLIED]++;

	if (cfg_decap) {
		if (bpf_xdp_adjust_head(ctx, inner & 0xfff))
			return xdpml_vx_done(vc, XDPML_VXC_ERR_ADJUST_HEAD, XDP_DROP);
	} else if (d_outer) {
		/* the outer UDP checksum covers the inner frame: csum at inner - 16 + 6 */
		__u32 off = (inner - 10) & 0xfff;
		__u8 *oc = data + off;
		if ((void *)(oc + 2) > data_end)
			return xdpml_vx_done(vc, XDPML_VXC_ERR_BOUNDS, XDP_DROP);
		__u16 old = *(__u16 *)oc;
		if (old) {
			__u16 v = xdpml_csum_apply(old, d_outer);
			*(__u16 *)oc = v ? v : 0xffff;
		}
	}
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (cfg_rewrite_eth) {
		__u8 *eth = data;
		if ((void *)(eth + 14) > data_end)
			return xdpml_vx_done(vc, XDPML_VXC_ERR_BOUNDS, XDP_DROP);
#pragma unroll
		for (int i = 0; i < 6; i++) {
			eth[i] = cfg_eth_dst[i];
			eth[6 + i] = cfg_eth_src[i];
		}
	}

	__u64 len = data_end - data;
	/*
	 * Counted after bpf_redirect_map has answered, and only for XDP_REDIRECT: a map without an
	 * entry for the key answers with the flags' low bits (0 here: XDP_ABORTED). XDP_REDIRECT means
	 * handed to the kernel, which sends after this program returned (vxlan_gw.h, XDPML_VXC_HANDED).
	 */
	if (!cfg_egress_xsk) {
		int ret = bpf_redirect_map(&xdpml_vx_egress, 0, 0);
		if (ret == XDP_REDIRECT) {
			vc->c[XDPML_VXC_HANDED]++;
			vc->c[XDPML_VXC_BYTES] += len;
			return xdpml_vx_done(vc, XDPML_VXC_TO_DEVMAP, XDP_REDIRECT);
		}
		if (!cfg_xsk_fallback)
			return xdpml_vx_done(vc, XDPML_VXC_ERR_REDIRECT, XDP_DROP);
	}
	int ret = bpf_redirect_map(&xdpml_vx_xsk, ctx->rx_queue_index, 0);
	if (ret == XDP_REDIRECT) {
		vc->c[XDPML_VXC_HANDED]++;
		vc->c[XDPML_VXC_BYTES] += len;
		return xdpml_vx_done(vc, XDPML_VXC_TO_XSK, XDP_REDIRECT);
	}
	return xdpml_vx_done(vc, XDPML_VXC_ERR_XSK, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
