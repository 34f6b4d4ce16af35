/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The xdpml packet parser: Ethernet -> VLAN/QinQ (up to XDPML_MAX_VLAN tags) -> IPv4 | IPv6
 * (extension-header chain of up to XDPML_MAX_IPV6_EXT) -> TCP | UDP | ICMP | ICMPv6, and for
 * UDP to the VXLAN port, the inner Ethernet frame through the same chain (one level deep).
 *
 * Semantics (mirrored bit for bit by io.xdpml.packet.PacketParser; docs/parser.md):
 *  - Every header is bounds-checked before it is read. The end of a header may not pass the
 *    frame nor the "limit": the end of the innermost IP packet as its own length field says
 *    (IPv4 total length; IPv6 payload length when not zero). Ethernet padding after the IP
 *    packet is thus never parsed as a header.
 *  - No header may start beyond XDPML_MAX_HDR_OFF (error header_too_deep).
 *  - IPv4 and IPv6 fragments count as fragments; only the first fragment's transport header
 *    is parsed (later fragments carry payload only).
 *  - The first failed check sets the packet's single error reason and stops parsing.
 */
#ifndef XDPML_PARSE_H
#define XDPML_PARSE_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "counters.h"

#define XDPML_MAX_VLAN 4
#define XDPML_MAX_IPV6_EXT 8
#define XDPML_MAX_HDR_OFF 2048
#define XDPML_VXLAN_PORT_DEFAULT 4789

/* Protocol flags of a packet: bit i is counter i + 1 (XDPML_C_ETHERNET ... XDPML_C_FRAGMENTS). */
enum xdpml_flag {
	XDPML_F_ETHERNET = 1 << 0,
	XDPML_F_VLAN = 1 << 1,
	XDPML_F_IPV4 = 1 << 2,
	XDPML_F_IPV6 = 1 << 3,
	XDPML_F_TCP = 1 << 4,
	XDPML_F_UDP = 1 << 5,
	XDPML_F_ICMP = 1 << 6,
	XDPML_F_ICMPV6 = 1 << 7,
	XDPML_F_VXLAN = 1 << 8,
	XDPML_F_FRAGMENT = 1 << 9,
	XDPML_F_LATER_FRAGMENT = 1 << 10, /* not a counter: no transport header to parse */
	XDPML_F_CHAIN_CUT = 1 << 11,      /* not a counter: an IPv6 extension chain goes on past XDPML_MAX_IPV6_EXT
					   * (with ipv6_ext_too_deep): what follows, which Linux reaches, is unknown */
	XDPML_F_COUNTED_MASK = (1 << 10) - 1,
};

/*
 * What the parser found in one packet. 24 bytes; io.xdpml.packet.ParseSummary reads the same
 * layout. Offsets are from the start of the frame; "innermost" means the VXLAN inner frame
 * when there is one.
 *
 *  0       4       6    7    8       10      12   13   14      16      18      20      24
 *  +-------+-------+----+----+-------+-------+----+----+-------+-------+-------+-------+
 *  | flags | error |vlan|ivln| l3_off| l4_off|l4p |ext | sport | dport |  pad  |  vni  |
 *  +-------+-------+----+----+-------+-------+----+----+-------+-------+-------+-------+
 */
struct xdpml_parse_summary {
	__u32 flags;           /* enum xdpml_flag */
	__u16 error;           /* 0, or an XDPML_E_* reason */
	__u8 vlan_depth;       /* VLAN tags of the outer frame */
	__u8 inner_vlan_depth; /* VLAN tags of the VXLAN inner frame */
	__u16 l3_off;          /* innermost IP header, 0 when none */
	__u16 l4_off;          /* innermost transport header, 0 when none */
	__u8 l4_proto;         /* its protocol number, 0 when none */
	__u8 ipv6_ext;         /* IPv6 extension headers walked, all layers */
	__u16 sport;           /* innermost TCP/UDP ports, host order */
	__u16 dport;
	__u16 pad;
	__u32 vni;             /* VXLAN network identifier */
};

/*
 * The parse's working state. The summary is written through a pointer into per-CPU map memory:
 * held as a local struct, clang split it into a dozen scalars and copied them all on every
 * branch edge (~20 instructions per bounds check, 5x the cost of the parse itself).
 */
struct xdpml_parse_state {
	void *data;
	void *data_end;
	__u64 limit; /* end of the innermost IP packet, as an offset */
	__u16 vxlan_port;
	__u32 flags; /* kept in a register while parsing; stored into s at the end */
	struct xdpml_parse_summary *s;
};

/*
 * Points *h at the header of n bytes at offset off and returns 1, or returns 0 with the error set
 * to r (or header_too_deep). Read the header only through *h: the verifier ties the checked
 * range to it. (Not "return the pointer or NULL": clang cannot know data + off is not NULL, and
 * kept a NULL test per header on the hot path; a constant 1/0 folds into the caller's branch.)
 */
static __always_inline int xdpml_hdr(struct xdpml_parse_state *st, __u64 off, __u64 n, __u16 r,
				     __u8 **h)
{
	if (off > XDPML_MAX_HDR_OFF) {
		st->s->error = XDPML_E_HEADER_TOO_DEEP;
		return 0;
	}
	/*
	 * For a variable offset: a no-op after the check above (off <= 2048), done in asm so clang
	 * can neither drop it nor move the check to another register copy: it bounds the very
	 * register added to data. Constant offsets (Ethernet, VLAN tags, the IP header on each
	 * unrolled path) need no bound, and leaving them visible to clang folds their checks.
	 */
	if (!__builtin_constant_p(off))
		asm volatile("%[off] &= 0xfff" : [off] "+r"(off));
	__u8 *p = st->data + off;
	if (off + n > st->limit || (void *)(p + n) > st->data_end) {
		st->s->error = r;
		return 0;
	}
	*h = p;
	return 1;
}

/*
 * xdpml_hdr for a header already read through a pointer from a shorter check: with a variable
 * n the verifier learns nothing for the new pointer, so the caller keeps reading the old one.
 */
static __always_inline int xdpml_check(struct xdpml_parse_state *st, __u64 off, __u64 n, __u16 r)
{
	__u8 *unused;
	return xdpml_hdr(st, off, n, r, &unused);
}

/* a 16-bit network-order field: one (unaligned, allowed for packets on x86) load and a swap */
#define XDPML_BE16(p) bpf_ntohs(*(__be16 *)(p))

/*
 * A new IP header: what was found above it is no longer the innermost. In the outer frame
 * nothing was found above it (the summary starts zeroed), so only the inner frame clears.
 */
static __always_inline void xdpml_enter_l3(struct xdpml_parse_state *st, __u64 off, int outer)
{
	st->s->l3_off = off;
	if (outer)
		return;
	st->s->l4_off = 0;
	st->s->l4_proto = 0;
	st->s->sport = 0;
	st->s->dport = 0;
}

static __always_inline void xdpml_shrink_limit(struct xdpml_parse_state *st, __u64 end)
{
	if (end < st->limit)
		st->limit = end;
}

/*
 * Transport header at off. Returns 1 when a VXLAN inner frame starts at *inner, 0 when done,
 * -1 on error. Inlined once per frame: the L3 parsers hand their protocol and offset back
 * instead of calling it (each inlined copy costs code, and code here costs time).
 */
static __always_inline int xdpml_parse_l4(struct xdpml_parse_state *st, __u64 off, __u8 proto,
					  int outer, __u64 *inner)
{
	__u8 *h;
	switch (proto) {
	case 6: { /* TCP */
		if (!xdpml_hdr(st, off, 20, XDPML_E_TCP_TRUNCATED, &h))
			return -1;
		__u64 doff = h[12] >> 4;
		if (doff < 5) {
			st->s->error = XDPML_E_TCP_BAD_DATA_OFFSET;
			return -1;
		}
		if (!xdpml_check(st, off, doff * 4, XDPML_E_TCP_TRUNCATED))
			return -1;
		st->flags |= XDPML_F_TCP;
		break;
	}
	case 17: /* UDP */
		if (!xdpml_hdr(st, off, 8, XDPML_E_UDP_TRUNCATED, &h))
			return -1;
		st->flags |= XDPML_F_UDP;
		break;
	case 1: /* ICMP: type, code, checksum and the 4-byte rest of header */
		if (!xdpml_check(st, off, 8, XDPML_E_ICMP_TRUNCATED))
			return -1;
		st->flags |= XDPML_F_ICMP;
		st->s->l4_off = off;
		st->s->l4_proto = proto;
		return 0;
	case 58: /* ICMPv6: type, code, checksum */
		if (!xdpml_check(st, off, 4, XDPML_E_ICMPV6_TRUNCATED))
			return -1;
		st->flags |= XDPML_F_ICMPV6;
		st->s->l4_off = off;
		st->s->l4_proto = proto;
		return 0;
	default:
		return 0;
	}
	/* TCP or UDP */
	st->s->l4_off = off;
	st->s->l4_proto = proto;
	st->s->sport = XDPML_BE16(h);
	st->s->dport = XDPML_BE16(h + 2);
	if (proto == 17 && outer && st->vxlan_port && st->s->dport == st->vxlan_port) { /* port 0: no VXLAN */
		off += 8;
		if (!xdpml_hdr(st, off, 8, XDPML_E_VXLAN_TRUNCATED, &h))
			return -1;
		if (!(h[0] & 0x08)) { /* the I flag: VNI valid */
			st->s->error = XDPML_E_VXLAN_BAD_FLAGS;
			return -1;
		}
		st->flags |= XDPML_F_VXLAN;
		st->s->vni = ((__u32)h[4] << 16) | ((__u32)h[5] << 8) | h[6];
		*inner = off + 8;
		return 1;
	}
	return 0;
}

/*
 * IPv4 header at *off. On 0, *off and *proto name the transport header to parse; 1 means
 * nothing follows to parse (a later fragment); -1 an error.
 */
static __always_inline int xdpml_parse_ipv4(struct xdpml_parse_state *st, __u64 *off, __u8 *proto,
					    int outer)
{
	__u64 o = *off;
	__u8 *h;
	if (!xdpml_hdr(st, o, 20, XDPML_E_IPV4_TRUNCATED, &h))
		return -1;
	__u8 vihl = h[0];
	if ((vihl >> 4) != 4) {
		st->s->error = XDPML_E_IPV4_BAD_VERSION;
		return -1;
	}
	__u64 hlen = (vihl & 0x0f) * 4;
	if (hlen < 20) {
		st->s->error = XDPML_E_IPV4_BAD_IHL;
		return -1;
	}
	if (!xdpml_check(st, o, hlen, XDPML_E_IPV4_TRUNCATED))
		return -1;
	__u64 total = XDPML_BE16(h + 2);
	if (total < hlen) {
		st->s->error = XDPML_E_IPV4_BAD_TOTAL_LENGTH;
		return -1;
	}
	st->flags |= XDPML_F_IPV4;
	xdpml_enter_l3(st, o, outer);
	xdpml_shrink_limit(st, o + total);
	__u16 frag = XDPML_BE16(h + 6);
	*proto = h[9];
	*off = o + hlen;
	if (frag & 0x3fff) { /* MF or a non-zero fragment offset */
		st->flags |= XDPML_F_FRAGMENT;
		if (frag & 0x1fff) {
			st->flags |= XDPML_F_LATER_FRAGMENT;
			return 1;
		}
	}
	return 0;
}

/* IPv6 header and its extension chain at *off; returns like xdpml_parse_ipv4. */
static __always_inline int xdpml_parse_ipv6(struct xdpml_parse_state *st, __u64 *off, __u8 *proto,
					    int outer)
{
	__u64 o = *off;
	__u8 *h;
	if (!xdpml_hdr(st, o, 40, XDPML_E_IPV6_TRUNCATED, &h))
		return -1;
	if ((h[0] >> 4) != 6) {
		st->s->error = XDPML_E_IPV6_BAD_VERSION;
		return -1;
	}
	st->flags |= XDPML_F_IPV6;
	xdpml_enter_l3(st, o, outer);
	__u64 payload = XDPML_BE16(h + 4);
	if (payload) /* zero: a jumbogram or unknown, the frame bounds it */
		xdpml_shrink_limit(st, o + 40 + payload);
	__u8 nh = h[6];
	o += 40;
#pragma unroll
	for (int i = 0; i < XDPML_MAX_IPV6_EXT; i++) {
		if (nh == 44) { /* fragment */
			if (!xdpml_hdr(st, o, 8, XDPML_E_IPV6_EXT_TRUNCATED, &h))
				return -1;
			__u16 fo = XDPML_BE16(h + 2);
			nh = h[0];
			o += 8;
			st->s->ipv6_ext++;
			st->flags |= XDPML_F_FRAGMENT;
			if (fo & 0xfff8) {
				st->flags |= XDPML_F_LATER_FRAGMENT;
				return 1;
			}
		} else if (nh == 0 || nh == 43 || nh == 60 || nh == 51) {
			/* hop-by-hop, routing, destination options: (len + 1) * 8; AH: (len + 2) * 4 */
			if (!xdpml_hdr(st, o, 2, XDPML_E_IPV6_EXT_TRUNCATED, &h))
				return -1;
			__u64 len = h[1];
			len = nh == 51 ? (len + 2) * 4 : (len + 1) * 8;
			nh = h[0];
			if (!xdpml_check(st, o, len, XDPML_E_IPV6_EXT_TRUNCATED))
				return -1;
			o += len;
			st->s->ipv6_ext++;
		} else {
			break;
		}
	}
	if (nh == 0 || nh == 43 || nh == 60 || nh == 51 || nh == 44) {
		st->s->error = XDPML_E_IPV6_EXT_TOO_DEEP;
		st->flags |= XDPML_F_CHAIN_CUT;
		return -1;
	}
	*off = o;
	*proto = nh;
	return 0;
}

/* An Ethernet frame at off (the outer frame, or a VXLAN inner frame); returns like parse_l4. */
static __always_inline int xdpml_parse_eth(struct xdpml_parse_state *st, __u64 off, int outer,
					   __u64 *inner)
{
	__u8 *h;
	if (!xdpml_hdr(st, off, 14, XDPML_E_ETH_TRUNCATED, &h))
		return -1;
	st->flags |= XDPML_F_ETHERNET;
	__u16 type = XDPML_BE16(h + 12);
	off += 14;
	__u8 depth = 0;
#pragma unroll
	for (int i = 0; i <= XDPML_MAX_VLAN; i++) {
		if (type != 0x8100 && type != 0x88a8 && type != 0x9100)
			break;
		if (i == XDPML_MAX_VLAN) {
			st->s->error = XDPML_E_VLAN_TOO_DEEP;
			return -1;
		}
		if (!xdpml_hdr(st, off, 4, XDPML_E_VLAN_TRUNCATED, &h))
			return -1;
		st->flags |= XDPML_F_VLAN;
		type = XDPML_BE16(h + 2);
		off += 4;
		depth++;
		if (outer)
			st->s->vlan_depth = depth;
		else
			st->s->inner_vlan_depth = depth;
	}
	__u8 proto = 0;
	int ret;
	if (type == 0x0800)
		ret = xdpml_parse_ipv4(st, &off, &proto, outer);
	else if (type == 0x86dd)
		ret = xdpml_parse_ipv6(st, &off, &proto, outer);
	else
		return 0;
	if (ret)
		return ret < 0 ? -1 : 0;
	return xdpml_parse_l4(st, off, proto, outer, inner);
}

/*
 * Whether the parse stopped short of what Linux may still reach: at one of the parser's own limits
 * (an IPv6 extension chain longer than XDPML_MAX_IPV6_EXT, a header past XDPML_MAX_HDR_OFF, a
 * fifth VLAN tag; at any layer), not at a fault of the packet. What lies beyond (a transport
 * header, UDP to the VXLAN port and a tunnel's inner frame) is unknown here and is reached by
 * Linux. Users: mitigation.h (unreadable packets while blocks exist), the VXLAN gateway (too_deep).
 * io.xdpml.packet.ParseSummary#stoppedShort is the Java twin.
 */
static __always_inline int xdpml_parse_stopped_short(const struct xdpml_parse_summary *s)
{
	return s->error == XDPML_E_IPV6_EXT_TOO_DEEP || s->error == XDPML_E_HEADER_TOO_DEEP ||
	       s->error == XDPML_E_VLAN_TOO_DEEP;
}

/* What the parse of a packet hands back: per-CPU map memory (see struct xdpml_parse_state). */
struct xdpml_parse_result {
	struct xdpml_parse_summary s;
	__u32 limit; /* end of the innermost IP packet */
	__u32 inner; /* offset of the VXLAN inner frame, 0 when none */
};

/*
 * Parses the whole packet into r, which must be map memory (this CPU's entry of
 * xdpml_parse_counters: see stats.h), not the stack.
 *
 * Both frames are parsed inline: a bpf-to-bpf call would keep the verifier's work small, but
 * cost more time than the parse here. Inline, the verifier would explore the inner frame once
 * per outer path (VLAN depth x L3 x IPv6 chain...); so the outer state is stored in the map and
 * read back, and the packet pointers taken afresh from ctx: every outer path then reaches the
 * inner parse in the same verifier state and it is explored once. Only VXLAN packets pay.
 */
/*
 * The common case, untagged Ethernet / IPv4 without options, not a fragment / TCP or UDP (not to
 * the VXLAN port), where every header sits at a constant offset: decided with a few compares and
 * written with one store per summary word. Returns 0 when the packet is not that case, or when
 * any check of the full parse below would fail; the full parse then runs and decides alone. So
 * the result is the full parse's result by construction: what this function writes is exactly
 * what xdpml_parse_packet's full path would write for the frames it accepts.
 */
static __always_inline int xdpml_parse_fast(struct xdp_md *ctx, struct xdpml_parse_summary *s,
					    __u16 vxlan_port)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *h = data;
	/* Ethernet (14) + IPv4 (20) + UDP (8): the shortest frame this path takes */
	if ((void *)(h + 42) > data_end)
		return 0;
	if (*(__u16 *)(h + 12) != bpf_htons(0x0800) || h[14] != 0x45)
		return 0;
	__u32 total = XDPML_BE16(h + 16);
	/* not a fragment: MF and the fragment offset clear (DF may be set) */
	if (*(__u16 *)(h + 20) & bpf_htons(0x3fff))
		return 0;
	__u8 proto = h[23];
	__u32 flags;
	if (proto == 17) {
		/* the UDP header ends inside the IP packet: 14 + 20 + 8 <= 14 + total */
		if (total < 28)
			return 0;
		flags = XDPML_F_ETHERNET | XDPML_F_IPV4 | XDPML_F_UDP;
	} else if (proto == 6) {
		if ((void *)(h + 54) > data_end || total < 40)
			return 0;
		__u32 len = (h[46] >> 4) * 4;
		if (len < 20 || len + 20 > total || (void *)(h + 34 + len) > data_end)
			return 0;
		flags = XDPML_F_ETHERNET | XDPML_F_IPV4 | XDPML_F_TCP;
	} else {
		return 0;
	}
	__u16 sport = XDPML_BE16(h + 34);
	__u16 dport = XDPML_BE16(h + 36);
	if (proto == 17 && vxlan_port && dport == vxlan_port)
		return 0;
	s->flags = flags;
	s->error = 0;
	s->vlan_depth = 0;
	s->inner_vlan_depth = 0;
	s->l3_off = 14;
	s->l4_off = 34;
	s->l4_proto = proto;
	s->ipv6_ext = 0;
	s->sport = sport;
	s->dport = dport;
	s->pad = 0;
	s->vni = 0;
	return 1;
}

static __always_inline void xdpml_parse_packet(struct xdp_md *ctx, struct xdpml_parse_result *r,
					       __u16 vxlan_port)
{
	if (xdpml_parse_fast(ctx, &r->s, vxlan_port))
		return;
	__builtin_memset(&r->s, 0, sizeof(r->s));
	struct xdpml_parse_state st = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.limit = 0xffff,
		.vxlan_port = vxlan_port,
		.s = &r->s,
	};
	__u64 inner = 0;
	int ret = xdpml_parse_eth(&st, 0, 1, &inner);
	r->s.flags = st.flags;
	if (ret != 1)
		return;

	r->limit = st.limit;
	r->inner = inner;
	/* keep clang from forwarding the stored values: they must come back as map loads */
	asm volatile("" : "+r"(r) : : "memory");
	struct xdpml_parse_state in = {
		.data = (void *)(long)ctx->data,
		.data_end = (void *)(long)ctx->data_end,
		.limit = r->limit,
		.vxlan_port = vxlan_port,
		.flags = r->s.flags,
		.s = &r->s,
	};
	xdpml_parse_eth(&in, r->inner, 0, &inner);
	r->s.flags = in.flags;
}

#endif
