/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SYN cookies from XDP (docs/firewall.md, "SYN cookies"). With `syn-cookies on`, a SYN that the
 * firewall would drop for a SYN limit (a syn-limit measure's bucket or the syn-flood bucket of all
 * sources was empty) is answered instead: the frame is turned into a SYN-ACK whose sequence number
 * is the host's own SYN cookie for it and sent back out of the interface (XDP_TX).
 *
 *   SYN  client -> host:port   over the limit
 *        xdpml_cookie_if         sent to the interface's MAC (or its master's), and
 *        xdpml_fw_own            to one of the host's own unicast addresses (while the agent keeps them)
 *        bpf_skc_lookup_tcp      the listening socket the SYN is for (none: dropped as before)
 *        bpf_fib_lookup          own addresses not known: the destination is not one routed on
 *        bpf_tcp_gen_syncookie   its cookie and MSS; the helper also marks the listener as having
 *                                overflowed just now, which is what makes the host's TCP accept a
 *                                cookie in the ACK that follows (net.ipv4.tcp_syncookies = 2)
 *   SYN-ACK host -> client     seq = cookie, ack = the SYN's seq + 1, one option: the MSS, at most
 *                              the interface's MTU less the headers (bpf_check_mtu)
 *   ACK  client -> host        the host's TCP checks the cookie and makes the connection; under
 *                              `conntrack on strict` the firewall checks it first
 *                              (bpf_tcp_check_syncookie) rather than dropping it as a stray
 *
 * The host never queues the SYN, so a spoofed flood cannot fill its SYN queue, while every real
 * client over the limit still connects. The SYN-ACK carries the MSS alone: a connection made
 * through a cookie has no window scaling, SACK or timestamps (as Linux's own cookies without
 * timestamps). Answered only for plain IPv4 (no IP options) and IPv6 (no extension headers), not
 * inside VXLAN. The two entry points are subprograms (not inlined): the firewall stage keeps its size
 * and the compiler its layout of the rest of the program. The Java twin (io.xdpml.firewall.SynCookies) cannot compute a cookie; it is told
 * which ports listen.
 */
#ifndef XDPML_SYNCOOKIE_H
#define XDPML_SYNCOOKIE_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "parse.h"

#define XDPML_COOKIE_TCP_LEN 24 /* the header and the MSS option */
#define XDPML_COOKIE_WINDOW 64240 /* unscaled; 44 segments of 1460 (a larger MSS: fewer, below 64 KiB) */
#define XDPML_COOKIE_TTL 64
#define XDPML_COOKIE_PROTO_TCP 6

/* The SYN-ACK's TCP header, 24 bytes, built on the stack and copied into the frame. */
struct xdpml_cookie_tcp {
	__be16 source;
	__be16 dest;
	__be32 seq;
	__be32 ack_seq;
	__u8 doff;   /* data offset << 4 */
	__u8 flags;  /* SYN | ACK */
	__be16 window;
	__u16 check;
	__be16 urg_ptr;
	__u8 opt_kind; /* 2: MSS */
	__u8 opt_len;  /* 4 */
	__be16 mss;
};

static __always_inline __u16 xdpml_csum_fold(__u64 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum & 0xffff;
}

/* The one's complement sum of n 16-bit words, as they lie in memory. */
static __always_inline __u64 xdpml_csum_add(__u64 sum, const __u16 *w, int n)
{
#pragma unroll
	for (int i = 0; i < n; i++)
		sum += w[i];
	return sum;
}

/*
 * The SYN's (or ACK's) IP and TCP headers, copied into per-CPU scratch memory for the helpers: they
 * take the TCP header with its options at its length, which a copy bounds for the verifier.
 */
struct xdpml_cookie_scratch {
	__u8 ip[40];
	__u8 tcp[60];
	__u32 ip_len;
	__u32 th_len;
	__u32 v4;
	/* the answer's own checks, here rather than on the stack (the entry's call chain is at 512) */
	__u32 ifindex;   /* key of xdpml_cookie_if */
	__u32 mtu;       /* the interface's, from bpf_check_mtu */
	__u32 dst[4];    /* the destination as a key of xdpml_fw_own (IPv4 as ::ffff:a.b.c.d) */
	__u8 dmac[8];    /* the frame's destination MAC */
};

/*
 * The MACs a frame for this host arrives with on an interface (map xdpml_cookie_if, by ifindex),
 * kept by the agent (io.xdpml.firewall.CookieInterfaces, read again every second) and by
 * `xdpml fw load --iface` at its load: a SYN to another MAC (a promiscuous interface: a bridge
 * port, a capture, a switch flooding unknown unicast) is another host's and not answered. An
 * interface without an entry answers nothing.
 */
struct xdpml_cookie_iface {
	__u8 mac[6];    /* the interface's own */
	__u8 master[6]; /* its master's (the bridge or bond it is a port of), else the interface's again */
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, struct xdpml_cookie_iface);
} xdpml_cookie_if SEC(".maps");

/* The value bit of an xdpml_fw_own entry that is an address a SYN may be answered for. */
#define XDPML_FW_OWN_DESTINATION 1

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_cookie_scratch);
} xdpml_cookie_scratch SEC(".maps");

/*
 * The headers of a plain TCP packet (IPv4 without options, IPv6 without extension headers, not
 * tunnelled) sent to this host's MAC (not to a group: the host's TCP ignores those) copied into this
 * CPU's scratch; 0 when the packet is not one.
 */
static __always_inline struct xdpml_cookie_scratch *xdpml_cookie_headers(struct xdp_md *ctx,
									  const struct xdpml_parse_summary *s)
{
	__u32 zero = 0;
	struct xdpml_cookie_scratch *sc = bpf_map_lookup_elem(&xdpml_cookie_scratch, &zero);
	if (!sc || s->l4_proto != 6 || (s->flags & (XDPML_F_VXLAN | XDPML_F_FRAGMENT)) || s->ipv6_ext)
		return 0;
	__u8 dst_mac0;
	if (bpf_xdp_load_bytes(ctx, 0, &dst_mac0, 1) || (dst_mac0 & 1))
		return 0;
	__u32 l3 = s->l3_off & 0xfff;
	__u32 l4 = s->l4_off & 0xfff;
	sc->v4 = (s->flags & XDPML_F_IPV4) != 0;
	if (sc->v4) {
		if (l4 != l3 + 20 || bpf_xdp_load_bytes(ctx, l3, sc->ip, 20) || sc->ip[0] != 0x45)
			return 0;
		sc->ip_len = 20;
	} else {
		if (l4 != l3 + 40 || bpf_xdp_load_bytes(ctx, l3, sc->ip, 40))
			return 0;
		sc->ip_len = 40;
	}
	if (bpf_xdp_load_bytes(ctx, l4, sc->tcp, 20))
		return 0;
	__u32 th_len = (sc->tcp[12] >> 4) * 4;
	if (th_len < 20)
		return 0;
	__u32 rest = th_len - 20;
	if (rest > 40 || (rest && bpf_xdp_load_bytes(ctx, l4 + 20, sc->tcp + 20, rest)))
		return 0;
	sc->th_len = th_len;
	return sc;
}

/*
 * Whether the copied header's source is one no SYN comes from: IPv4 0.0.0.0/8, 127.0.0.0/8,
 * 224.0.0.0/3 (multicast, reserved, 255.255.255.255); IPv6 ::, ::1, ff00::/8. io.xdpml.firewall.JavaFirewall.martianSource.
 */
static __always_inline int xdpml_cookie_martian_source(const struct xdpml_cookie_scratch *sc)
{
	if (sc->v4) {
		__u8 a = sc->ip[12];
		return a == 0 || a == 127 || a >= 224;
	}
	if (sc->ip[8] == 0xff)
		return 1;
	__u8 any = 0;
#pragma unroll
	for (int i = 8; i < 23; i++)
		any |= sc->ip[i];
	return !any && sc->ip[23] <= 1;
}

/* The host's socket that the packet is for (a listener for a SYN); release it after. */
static __always_inline struct bpf_sock *xdpml_cookie_socket(struct xdp_md *ctx, const struct xdpml_cookie_scratch *sc)
{
	struct bpf_sock_tuple t = {};
	__u32 size;
	if (sc->v4) {
		__builtin_memcpy(&t.ipv4.saddr, sc->ip + 12, 4);
		__builtin_memcpy(&t.ipv4.daddr, sc->ip + 16, 4);
		__builtin_memcpy(&t.ipv4.sport, sc->tcp, 4); /* source and destination port */
		size = sizeof(t.ipv4);
	} else {
		__builtin_memcpy(t.ipv6.saddr, sc->ip + 8, 16);
		__builtin_memcpy(t.ipv6.daddr, sc->ip + 24, 16);
		__builtin_memcpy(&t.ipv6.sport, sc->tcp, 4);
		size = sizeof(t.ipv6);
	}
	return bpf_skc_lookup_tcp(ctx, &t, size, BPF_F_CURRENT_NETNS, 0);
}

static __always_inline int xdpml_cookie_mac_is(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] && a[5] == b[5];
}

/* Whether the frame is sent to the MAC of the interface it arrived on (or of its master). */
static __always_inline int xdpml_cookie_to_this_interface(struct xdp_md *ctx, struct xdpml_cookie_scratch *sc)
{
	sc->ifindex = ctx->ingress_ifindex;
	const struct xdpml_cookie_iface *i = bpf_map_lookup_elem(&xdpml_cookie_if, &sc->ifindex);
	if (!i || bpf_xdp_load_bytes(ctx, 0, sc->dmac, 6))
		return 0;
	return xdpml_cookie_mac_is(sc->dmac, i->mac) || xdpml_cookie_mac_is(sc->dmac, i->master);
}

/*
 * Whether the destination is one of this host's own unicast addresses (xdpml_fw_own with
 * XDPML_FW_OWN_DESTINATION: not a broadcast or loopback address): 1 or 0 while the agent keeps
 * them (xdpml_fw_mstate[1]), -1 when the program does not know them (then the routing table asks).
 */
static __always_inline int xdpml_cookie_own_destination(struct xdpml_cookie_scratch *sc)
{
	__u32 one = 1;
	__u32 *on = bpf_map_lookup_elem(&xdpml_fw_mstate, &one);
	if (!on || !*on)
		return -1;
	if (sc->v4) {
		sc->dst[0] = 0;
		sc->dst[1] = 0;
		sc->dst[2] = bpf_htonl(0xffff);
		__builtin_memcpy(&sc->dst[3], sc->ip + 16, 4);
	} else {
		__builtin_memcpy(sc->dst, sc->ip + 24, 16);
	}
	__u32 *kind = bpf_map_lookup_elem(&xdpml_fw_own, sc->dst);
	return kind && (*kind & XDPML_FW_OWN_DESTINATION);
}

/*
 * The MSS the SYN-ACK advertises: the cookie's (the kernel's table value nearest the client's),
 * but no more than the interface can receive (its MTU less the IP and TCP headers: 40, IPv6 60),
 * as Linux's own SYN-ACK advertises its advmss. The cookie's check of the ACK decodes the MSS from
 * the cookie alone (__cookie_v4_check), so the advertised value need not be one of its table.
 */
static __always_inline __u32 xdpml_cookie_mss(struct xdp_md *ctx, struct xdpml_cookie_scratch *sc, __u32 mss)
{
	__u32 headers = sc->v4 ? 40 : 60;
	sc->mtu = 0;
	if (bpf_check_mtu(ctx, 0, &sc->mtu, 0, 0) < 0 || sc->mtu <= headers)
		return mss;
	__u32 own = sc->mtu - headers;
	return own < mss ? own : mss;
}

/*
 * Whether the packet is for this host rather than one to route on: a listener bound to every address
 * (0.0.0.0, ::) matches any destination, so on an interface that forwards, a SYN for a server behind
 * this host would otherwise get this host's cookie. A route of this host's own (or of no unicast
 * kind) is not forwarded; a host that forwards nothing on this interface is asked no more.
 */
static __always_inline int xdpml_cookie_for_this_host(struct xdp_md *ctx, const struct xdpml_cookie_scratch *sc)
{
	struct bpf_fib_lookup f = {};
	f.ifindex = ctx->ingress_ifindex;
	f.l4_protocol = XDPML_COOKIE_PROTO_TCP;
	if (sc->v4) {
		f.family = 2; /* AF_INET */
		__builtin_memcpy(&f.ipv4_src, sc->ip + 12, 4);
		__builtin_memcpy(&f.ipv4_dst, sc->ip + 16, 4);
	} else {
		f.family = 10; /* AF_INET6 */
		__builtin_memcpy(f.ipv6_src, sc->ip + 8, 16);
		__builtin_memcpy(f.ipv6_dst, sc->ip + 24, 16);
	}
	long r = bpf_fib_lookup(ctx, &f, sizeof(f), 0);
	return r == BPF_FIB_LKUP_RET_NOT_FWDED || r == BPF_FIB_LKUP_RET_FWD_DISABLED;
}

/* The verifier's view of the copied lengths: bounded by the scratch's arrays. */
#define XDPML_COOKIE_IP_LEN(sc) ((sc)->v4 ? 20 : 40)
#define XDPML_COOKIE_TH_LEN(sc) (((sc)->th_len & 63) < 20 ? 20 : ((sc)->th_len & 63) > 60 ? 60 : ((sc)->th_len & 63))

/*
 * Turns the SYN in ctx into the SYN-ACK that answers it with a cookie; 0 when the frame is ready
 * for XDP_TX, -1 when it cannot be answered (not plain TCP, no listener, cookies off in the host,
 * the frame cannot be resized), the frame then unchanged.
 */
static __noinline int xdpml_syn_cookie_answer(struct xdp_md *ctx, const struct xdpml_parse_summary *s)
{
	struct xdpml_cookie_scratch *sc = xdpml_cookie_headers(ctx, s);
	if (!sc || (sc->tcp[13] & 0x05)) /* with FIN or RST: the helper gives no cookie (-EINVAL) */
		return -1;
	/* never to a source no SYN can come from, whether the agent keeps the host's addresses or not:
	 * the SYN-ACK would go to a group, a loopback or nobody (Linux's routing drops such a "martian"
	 * source before its TCP sees it) */
	if (xdpml_cookie_martian_source(sc))
		return -1;
	/* another host's SYN (a promiscuous interface, a listener bound to every address) */
	if (!xdpml_cookie_to_this_interface(ctx, sc))
		return -1;
	int own = xdpml_cookie_own_destination(sc);
	if (!own)
		return -1;
	struct bpf_sock *sk = xdpml_cookie_socket(ctx, sc);
	if (!sk)
		return -1;
	if (own < 0 && !xdpml_cookie_for_this_host(ctx, sc)) {
		bpf_sk_release(sk);
		return -1;
	}
	__s64 r = bpf_tcp_gen_syncookie(sk, sc->ip, XDPML_COOKIE_IP_LEN(sc), (struct tcphdr *)sc->tcp,
					XDPML_COOKIE_TH_LEN(sc));
	bpf_sk_release(sk);
	if (r < 0)
		return -1;

	/* the answer, from the SYN's copy; a window no larger than whole segments of the MSS under 64 KiB
	 * (what the host's socket will grant: 64240 is 44 x 1460; IPv6's jumbo 8940 gets 7 x 8940) */
	__u32 mss = xdpml_cookie_mss(ctx, sc, (__u16)(r >> 32));
	__u32 window = mss > 1460 ? 65535 / mss * mss : XDPML_COOKIE_WINDOW;
	struct tcphdr *syn = (struct tcphdr *)sc->tcp;
	struct xdpml_cookie_tcp t = {
		.source = syn->dest,
		.dest = syn->source,
		.seq = bpf_htonl((__u32)r),
		.ack_seq = bpf_htonl(bpf_ntohl(syn->seq) + 1),
		.doff = (XDPML_COOKIE_TCP_LEN / 4) << 4,
		.flags = 0x12, /* SYN | ACK */
		.window = bpf_htons((__u16)window),
		.opt_kind = 2,
		.opt_len = 4,
		.mss = bpf_htons((__u16)mss),
	};

	__u32 l3 = s->l3_off & 0xfff;
	__u32 l4 = s->l4_off & 0xfff;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	int delta = (int)(l4 + XDPML_COOKIE_TCP_LEN) - (int)(data_end - data);
	if (delta && bpf_xdp_adjust_tail(ctx, delta))
		return -1;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;

	struct ethhdr *eth = data;
	if ((void *)(eth + 1) > data_end)
		return -1;
	unsigned char mac[ETH_ALEN];
	__builtin_memcpy(mac, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, mac, ETH_ALEN);

	/* the headers are built on the stack, summed there and copied into the frame whole */
	__u64 pseudo = bpf_htons(XDPML_COOKIE_PROTO_TCP) + bpf_htons(XDPML_COOKIE_TCP_LEN);
	if (sc->v4) {
		struct iphdr ip4;
		__builtin_memcpy(&ip4, sc->ip, sizeof(ip4));
		ip4.tos = 0;
		ip4.tot_len = bpf_htons(sizeof(struct iphdr) + XDPML_COOKIE_TCP_LEN);
		ip4.id = 0;
		ip4.frag_off = bpf_htons(0x4000); /* DF */
		ip4.ttl = XDPML_COOKIE_TTL;
		__builtin_memcpy(&ip4.saddr, sc->ip + 16, 4);
		__builtin_memcpy(&ip4.daddr, sc->ip + 12, 4);
		ip4.check = 0;
		ip4.check = xdpml_csum_fold(xdpml_csum_add(0, (__u16 *)&ip4, 10));
		pseudo = xdpml_csum_add(pseudo, (__u16 *)(sc->ip + 12), 4);
		struct iphdr *iph = data + l3;
		if ((void *)(iph + 1) > data_end)
			return -1;
		*iph = ip4;
	} else {
		struct ipv6hdr ip6;
		__builtin_memcpy(&ip6, sc->ip, sizeof(ip6));
		*(__be32 *)&ip6 = bpf_htonl(0x60000000); /* version 6, no class or flow label */
		ip6.payload_len = bpf_htons(XDPML_COOKIE_TCP_LEN);
		ip6.nexthdr = XDPML_COOKIE_PROTO_TCP;
		ip6.hop_limit = XDPML_COOKIE_TTL;
		__builtin_memcpy(&ip6.saddr, sc->ip + 24, 16);
		__builtin_memcpy(&ip6.daddr, sc->ip + 8, 16);
		pseudo = xdpml_csum_add(pseudo, (__u16 *)(sc->ip + 8), 16);
		struct ipv6hdr *out6 = data + l3;
		if ((void *)(out6 + 1) > data_end)
			return -1;
		*out6 = ip6;
	}
	t.check = xdpml_csum_fold(xdpml_csum_add(pseudo, (__u16 *)&t, XDPML_COOKIE_TCP_LEN / 2));
	struct xdpml_cookie_tcp *out = data + l4;
	if ((void *)(out + 1) > data_end)
		return -1;
	*out = t;
	return 0;
}

/* 1 when the packet is an ACK carrying a valid SYN cookie of a listening socket of the host. */
static __noinline int xdpml_syn_cookie_ack_valid(struct xdp_md *ctx, const struct xdpml_parse_summary *s)
{
	struct xdpml_cookie_scratch *sc = xdpml_cookie_headers(ctx, s);
	if (!sc || (sc->tcp[13] & 0x16) != 0x10) /* ACK without SYN or RST */
		return 0;
	struct bpf_sock *sk = xdpml_cookie_socket(ctx, sc);
	if (!sk)
		return 0;
	long r = bpf_tcp_check_syncookie(sk, sc->ip, XDPML_COOKIE_IP_LEN(sc), (struct tcphdr *)sc->tcp,
					 XDPML_COOKIE_TH_LEN(sc));
	bpf_sk_release(sk);
	return r == 0;
}

#endif
