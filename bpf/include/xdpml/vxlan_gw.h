/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The VXLAN gateway stage: on a VXLAN packet (parse.h found the inner frame), the inner source
 * (or destination) is checked against the allowlist, the inner destination NAT-rewritten, DF
 * cleared if asked, the outer headers removed (decap) or kept (forward), and the packet sent out
 * of the egress interface through a DEVMAP, or to Java through an XSKMAP ("guaranteed egress").
 *
 * The allowlist is the firewall's (firewall.h): its LPM trie xdpml_fw_lists with its two
 * generations, filled by io.xdpml.firewall.FirewallMaps. The gateway reads kind ALLOW_SRC (match
 * src) or ALLOW_DST (match dst) of the active generation; an address not on it is denied when the
 * generation's default_action is DROP (an allowlist was given), else passes.
 *
 * One definition: io.xdpml.vxlan.VxlanLayout reads these structs, io.xdpml.vxlan.JavaVxlanGateway
 * makes the same decisions and the same bytes (VxlanParityTest), docs/vxlan.md describes it.
 */
#ifndef XDPML_VXLAN_GW_H
#define XDPML_VXLAN_GW_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "parse.h"

/* Counters, per CPU (io.xdpml.vxlan.VxlanCounter: same order). */
enum xdpml_vx_counter {
	XDPML_VXC_TOTAL = 0,      /* every packet seen */
	XDPML_VXC_VXLAN,          /* VXLAN packets (outer UDP to the port, I flag set) */
	XDPML_VXC_INNER,          /* of those, with an inner IPv4/IPv6 packet */
	XDPML_VXC_NAT_APPLIED,
	XDPML_VXC_DF_CLEARED,
	/*
	 * Handed to the kernel's redirect: bpf_redirect_map returned XDP_REDIRECT (the map had an entry)
	 * and the program returned it. Not "sent": the kernel enqueues and transmits after the program
	 * has returned (xdp_do_redirect, the DEVMAP's bulk flush, xsk_rcv), and a failure there (egress
	 * down or unable to take XDP frames, its ring full, the socket's RX ring full) is invisible here:
	 * tracepoints xdp:xdp_redirect_err and xdp:xdp_devmap_xmit (drops), the drivers' statistics
	 * (veth: the ingress's rx_dropped), the AF_XDP socket's XDP_STATISTICS (docs/vxlan.md).
	 */
	XDPML_VXC_HANDED,         /* handed to the redirect, either map */
	XDPML_VXC_TO_DEVMAP,      /* of those, to the DEVMAP (the egress interface) */
	XDPML_VXC_TO_XSK,         /* of those, to the XSKMAP (guaranteed egress; in redirect mode: the
				   * DEVMAP had no egress and the fallback took them) */
	XDPML_VXC_BYTES,          /* bytes of the handed packets, as handed */
	XDPML_VXC_NOT_VXLAN,      /* passed to the ingress stack untouched (ARP, other traffic) */
	XDPML_VXC_DENIED,         /* inner address not on the allowlist: dropped */
	XDPML_VXC_INNER_VLAN,     /* inner frame VLAN-tagged: dropped (RFC 7348 6.1) */
	XDPML_VXC_OUTER_FRAG,     /* outer IP header a fragment: dropped (RFC 7348 4.3) */
	XDPML_VXC_OTHER_VNI,      /* a VNI this gateway does not serve (cfg_vni_filter): dropped */
	XDPML_VXC_TOO_DEEP,       /* the parse stopped at its own limits before it could tell whether the
				   * packet is VXLAN (xdpml_parse_stopped_short): dropped, not passed to
				   * the host, which reads on and may decapsulate it past the checks */
	XDPML_VXC_NAT_SOURCE_ROUTED, /* a NAT entry matched an inner IPv6 packet whose Routing header has
				   * segments left: its destination is a waypoint, its transport peer the
				   * final destination (ipv6_routing.h): not rewritten, dropped */
	XDPML_VXC_ERR_PARSE = 16, /* errors, each dropped: a VXLAN packet the parser rejected */
	XDPML_VXC_ERR_INNER_NOT_IP,
	XDPML_VXC_ERR_ADJUST_HEAD,
	XDPML_VXC_ERR_REDIRECT,   /* no egress in the DEVMAP (bpf_redirect_map: XDP_ABORTED) and no fallback */
	XDPML_VXC_ERR_XSK,        /* no AF_XDP socket in the XSKMAP for the queue (XDP_ABORTED) */
	XDPML_VXC_ERR_BOUNDS,     /* cannot happen after a clean parse */
	XDPML_VXC_MAX = 24,
};

struct xdpml_vx_counters {
	__u64 c[XDPML_VXC_MAX];
};

/*
 * Key of xdpml_vx_nat (hash). 20 bytes. The inner destination (address, port); a key with an
 * all-zero address matches any address with that port (looked up when the exact key misses).
 *   0 family (4|6)  1 pad  2 port (host order)  4 addr[16] (IPv4 in addr[0..3])
 */
struct xdpml_vx_nat_key {
	__u8 family;
	__u8 pad;
	__u16 port;
	__u8 addr[16];
};

/* Value of xdpml_vx_nat: the new destination. 20 bytes. Address of the key's family. */
struct xdpml_vx_nat {
	__u8 addr[16];
	__u16 port; /* host order */
	__u16 pad;
};

/* What a test run records about the last packet (cfg_record_verdict). */
struct xdpml_vx_verdict {
	__u32 action; /* XDP_* returned */
	__u32 reason; /* the last counter the packet incremented that names its fate */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_vx_counters);
} xdpml_vx_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* set by Java before load */
	__type(key, struct xdpml_vx_nat_key);
	__type(value, struct xdpml_vx_nat);
} xdpml_vx_nat SEC(".maps");

/* The VNIs served (key: VNI, value unused), when cfg_vni_filter is set. Sized by Java before load. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8);
} xdpml_vx_vnis SEC(".maps");

/* Entry 0: the egress interface. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_vx_egress SEC(".maps");

/* AF_XDP sockets on the ingress, by receive queue. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_vx_xsk SEC(".maps");

/* Ones' complement folding of a 32-bit sum into 16 bits. */
static __always_inline __u16 xdpml_csum_fold(__u32 s)
{
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return s;
}

/*
 * RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), with delta the sum of (~m + m') over every changed
 * 16-bit word. Byte order does not matter to a ones' complement sum as long as it is the same
 * for all words: the words are loaded raw from the packet.
 */
static __always_inline __u16 xdpml_csum_apply(__u16 csum, __u32 delta)
{
	return ~xdpml_csum_fold((__u16)~csum + delta);
}

/* Replaces the 16-bit word at p by v, adding its change to the deltas. */
static __always_inline void xdpml_vx_set16(__u8 *p, __u16 v, __u32 *d1, __u32 *d2)
{
	__u16 old = *(__u16 *)p;
	__u32 change = (__u16)~old + (__u32)v;
	*d1 += change;
	*d2 += change;
	*(__u16 *)p = v;
}

#endif
