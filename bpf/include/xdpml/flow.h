/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Per-flow state in an LRU hash, updated per packet in integer arithmetic.
 *
 * One definition: io.xdpml.flow.FlowKeyLayout and FlowStateLayout read and write these
 * structs byte for byte (FlowLayoutTest checks the offsets against this object's BTF), and the
 * Java reference tracker (io.xdpml.flow.FlowUpdater) runs the same update on the same bytes; the
 * parity test compares kernel and Java flow tables byte for byte. Semantics: docs/flows.md.
 */
#ifndef XDPML_FLOW_H
#define XDPML_FLOW_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "parse.h"

#define XDPML_FLOW_FWD 0 /* from the flow's initiator */
#define XDPML_FLOW_BWD 1

/* Direction-normalised key: endpoint a is the lower (address, then port). 44 bytes. */
struct xdpml_flow_key {
	__u8 addr_a[16];  /* IPv4 as ::ffff:a.b.c.d */
	__u8 addr_b[16];
	__u16 port_a;     /* host order; 0 without a TCP/UDP header */
	__u16 port_b;
	__u8 protocol;    /* transport protocol (see docs/flows.md) */
	__u8 ip_version;  /* 4 or 6 */
	__u16 vlan;       /* VID of the outermost VLAN tag, 0 when untagged */
	__u32 vni;        /* inside VXLAN: the VNI | XDPML_FLOW_TUNNELLED; else 0 */
};

/* Set in a key's vni for a flow inside VXLAN, VNI 0 included: a tunnelled flow never shares the key
 * (nor the state) of the native flow of the same 5-tuple (before 2026-12-06, VNI 0's did). */
#define XDPML_FLOW_TUNNELLED (1U << 24)

/* Statistics of one direction. 80 bytes. */
struct xdpml_flow_dir {
	__u64 packets;
	__u64 bytes;        /* frame lengths */
	__u64 len_sum_sq;   /* sum of squared frame lengths, saturating */
	__u64 header_bytes; /* IP + transport headers (innermost IP on) */
	__u64 iat_sum_us;   /* inter-arrival times between this direction's packets, us */
	__u64 iat_sum_sq;   /* their squares, us^2, saturating */
	__u64 last_ns;
	__u32 len_min;
	__u32 len_max;
	__u32 iat_min_us;
	__u32 iat_max_us;
	__u16 init_window;  /* TCP window of this direction's first packet */
	__u16 data_packets; /* packets with bytes past the transport header (saturating at 65,535) */
	__u32 untimed;      /* packets (a direction's first excepted) not in its intervals: counted while
			       the flow's class was cached (xdpml_flow_update_cached); saturating */
};

/* Running mean and mean absolute deviation, Q16.16 (Hara & Sasabe's per-flow statistics). */
struct xdpml_running {
	__s64 mean;
	__s64 mad;
};

/* The per-flow state. 304 bytes. */
struct xdpml_flow {
	__u64 first_ns;
	__u64 last_ns;
	struct xdpml_flow_dir dir[2]; /* XDPML_FLOW_FWD, XDPML_FLOW_BWD */
	__u64 iat_sum_us;             /* flow inter-arrival times, us */
	__u64 iat_sum_sq;
	__u32 iat_min_us;
	__u32 iat_max_us;
	__u32 tcp_flags[8];           /* packets with FIN, SYN, RST, PSH, ACK, URG, ECE, CWR */
	struct xdpml_running len;     /* normalised length (xdpml_flow_packet) */
	struct xdpml_running iat;     /* flow inter-arrival time, us */
	struct xdpml_running dir_run; /* direction: 1 forward, 0 backward */
	__u8 initiator_is_a;          /* the first packet came from endpoint a */
	__u8 closing;                 /* XDPML_CLOSE_* bits */
	__u8 sampled;                 /* the flow is sampled (1-in-N by key hash) */
	__u8 verdict;                 /* cached class + 1 (xdp_classify, flow mode); 0: none */
	__u32 verdict_gen;            /* bits 0-21: the generation of the model that gave it; 22-31: its confidence (model_stage.h) */
	__u64 exported_ns;            /* time of the last active-timeout record, 0: none yet */
	__u64 untimed;                /* packets (the first excepted) not in the flow's intervals nor its
					 running statistics: counted while its class was cached */
};

#define XDPML_CLOSE_FIN_FWD 1
#define XDPML_CLOSE_FIN_BWD 2
#define XDPML_CLOSE_RST 4
#define XDPML_CLOSE_ENDED 8 /* the tcp_close record was emitted; later packets are absorbed (tail record) */

/* Why a flow record was emitted. */
enum xdpml_flow_reason {
	XDPML_FR_TCP_CLOSE = 1,  /* RST, or FIN seen in both directions */
	XDPML_FR_IDLE = 2,       /* the flow's next packet came after the idle timeout */
	XDPML_FR_ACTIVE = 3,     /* periodic record of a long flow (active timeout) */
	XDPML_FR_SWEPT_IDLE = 4, /* removed by the Java sweeper after the idle timeout */
	/* 5 is FlowReason.END (Java only: still in the table when a listing ends) */
	XDPML_FR_TAIL = 6,       /* a flow reported at tcp_close leaves the table: its final state, with
				    the packets it absorbed after the close (restart in place, or the
				    Java sweeper after the linger) */
};

/*
 * A flow record in the ring buffer. 368 bytes.
 *   0 time_ns  8 reason u32  12 pad  16 key (44)  60 pad  64 flow (304)
 */
struct xdpml_flow_record {
	__u64 time_ns; /* packet time when emitted */
	__u32 reason;  /* enum xdpml_flow_reason */
	__u32 pad;
	struct xdpml_flow_key key;
	__u32 pad2;
	struct xdpml_flow flow;
};

/* Flow counters (per CPU): index = enum xdpml_flow_counter. */
enum xdpml_flow_counter {
	XDPML_FC_PACKETS = 0,    /* packets tracked */
	XDPML_FC_NOT_IP,         /* packets without an IP header: not tracked */
	XDPML_FC_NEW,            /* flows created */
	XDPML_FC_IDLE_RESTART,   /* flows ended by the idle timeout and restarted in place */
	XDPML_FC_INSERT_FAILED,  /* map updates that failed */
	XDPML_FC_RECORDS,        /* flow records written to the ring buffer */
	XDPML_FC_RECORDS_LOST,   /* flow records that found no room in the ring buffer */
	XDPML_FC_SAMPLED_RANDOM, /* packets sampled 1-in-N at random */
	XDPML_FC_SAMPLED_FLOW,   /* packets of flows sampled 1-in-N by key hash */
	XDPML_FC_PARKED,         /* first packets (and SYNs after a parked SYN) parked in a probation slot (cfg_probation_slots) */
	XDPML_FC_PROMOTED,       /* flows admitted at their second packet, the parked one replayed */
	XDPML_FC_CACHED,         /* packets of flows with a cached class: counted without timing statistics */
	XDPML_FC_DEFERRED,       /* second packets over the promotion budget: parked again (also counted parked) */
	XDPML_FC_MAX = 16,
};

/*
 * 32-bit hash of a flow key (probation slots, sampling by flow), keyed by a secret drawn at every
 * load: the 13 words a of cfg_flow_hash_key (flow_stage.h; Java draws them, io.xdpml.flow.FlowHash).
 * Thorup's pair-multiply-shift over the key's 11 32-bit words x (x11 = 0):
 *   h = a12 + sum over i < 6 of (a[2i] + x[2i+1]) * (a[2i+1] + x[2i])   (mod 2^64), the top 32 bits.
 * With a uniform, two distinct keys' hashes are independent and uniform (strongly universal, Thorup,
 * "High Speed Hashing for Integers and Strings": 64 >= 32 + 32 - 1 for 32-bit words and hash), so
 * whoever does not know a finds no key that shares another's probation slot, nor ports that are
 * never sampled, better than by chance. Six independent products, no chain. Before 2026-12-06 the
 * hash had fixed constants: a review found offline, in 20,024 tries, a key that took a known flow's
 * slot and kept it out of the table (docs/flows.md, "Admission").
 */
#define XDPML_FLOW_HASH_WORDS 13
static __always_inline __u32 xdpml_flow_hash(const struct xdpml_flow_key *k, const volatile __u64 *a)
{
	const __u64 *w = (const __u64 *)k;
	__u64 h = a[12];
#pragma unroll
	for (int i = 0; i < 5; i++)
		h += (a[2 * i] + (w[i] >> 32)) * (a[2 * i + 1] + (__u32)w[i]);
	h += a[10] * (a[11] + k->vni);
	return h >> 32;
}

/*
 * The flow key's hash in the metadata of a packet handed to Java (struct xdpml_xsk_meta, the mirror
 * record): FNV-style over the key's 11 words, then murmur3's finaliser (Java:
 * io.xdpml.flow.FlowHash.metadata). Not xdpml_flow_hash: it stays what Java's consumers have had, and
 * the deliver stage, which the MLP's layer programs of the bench object reach on very many paths,
 * keeps the verifier's count it had (xdpml_flow_hash there took them past 1M instructions).
 */
static __always_inline __u32 xdpml_flow_meta_hash(const struct xdpml_flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 h = 0x811c9dc5;
#pragma unroll
	for (int i = 0; i < sizeof(*k) / 4; i++) {
		h ^= w[i];
		h *= 0x01000193;
	}
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

static __always_inline __u64 xdpml_sat_add(__u64 a, __u64 b)
{
	__u64 s = a + b;
	return s < a ? ~0ULL : s;
}

/* Signed division truncating toward zero, from unsigned division (BPF ISA v3 has no sdiv). */
static __always_inline __s64 xdpml_sdiv(__s64 a, __u64 n)
{
	return a < 0 ? -(__s64)((__u64)(-a) / n) : (__s64)((__u64)a / n);
}

/* mean += (x - mean) / n ; mad += (|x - mean| - mad) / n ; x in Q16.16, n = samples so far */
static __always_inline void xdpml_running_add(struct xdpml_running *r, __s64 x, __u64 n)
{
	r->mean += xdpml_sdiv(x - r->mean, n);
	__s64 d = x - r->mean;
	if (d < 0)
		d = -d;
	r->mad += xdpml_sdiv(d - r->mad, n);
}

/* min/max/sum/sum of squares of one more interval (us, clamped to u32); first: none before it */
static __always_inline void xdpml_iat_add(__u64 *sum, __u64 *sum_sq, __u32 *min, __u32 *max,
					  int first, __u64 iat_us)
{
	__u32 v = iat_us > 0xffffffffULL ? 0xffffffffU : (__u32)iat_us;
	*sum = xdpml_sat_add(*sum, v);
	*sum_sq = xdpml_sat_add(*sum_sq, (__u64)v * v);
	if (first || v < *min)
		*min = v;
	if (v > *max)
		*max = v;
}

/* microseconds between two times; 0 when the clock went backwards */
static __always_inline __u64 xdpml_us_between(__u64 earlier, __u64 now)
{
	return now > earlier ? (now - earlier) / 1000 : 0;
}

/*
 * What a packet contributes, from the parse: filled by xdpml_flow_key_of.
 */
struct xdpml_flow_packet {
	__u32 length;       /* frame length */
	__u16 norm_length;  /* 14 + the innermost IP packet's length (below); at most 65535 */
	__u16 header_bytes; /* innermost IP header to the end of the transport header (< 4,200) */
	__u8 tcp_flags;     /* 0 unless TCP */
	__u8 from_a;        /* the packet's source is endpoint a */
	__u16 tcp_window;
};

/* Whether two flow keys are equal: 11 words. */
static __always_inline int xdpml_flow_key_eq(const struct xdpml_flow_key *x, const struct xdpml_flow_key *y)
{
	const __u32 *a = (const __u32 *)x, *b = (const __u32 *)y;
	__u32 d = 0;
#pragma unroll
	for (int i = 0; i < sizeof(*x) / 4; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/*
 * An address as two 64-bit words loaded from its 16 bytes (hi: bytes 0-7, lo: 8-15; little-endian
 * loads, as everywhere here). Lexicographic compare of two, as big-endian numbers: -1, 0, 1.
 */
static __always_inline int xdpml_addr_words_cmp(__u64 xh, __u64 xl, __u64 yh, __u64 yl)
{
	__u64 x0 = __builtin_bswap64(xh), y0 = __builtin_bswap64(yh);
	if (x0 != y0)
		return x0 < y0 ? -1 : 1;
	__u64 x1 = __builtin_bswap64(xl), y1 = __builtin_bswap64(yl);
	if (x1 != y1)
		return x1 < y1 ? -1 : 1;
	return 0;
}

/* Lexicographic compare of 16 address bytes: -1, 0, 1. */
static __always_inline int xdpml_addr_cmp(const __u8 *x, const __u8 *y)
{
	return xdpml_addr_words_cmp(*(__u64 *)x, *(__u64 *)(x + 8), *(__u64 *)y, *(__u64 *)(y + 8));
}

/*
 * Puts the endpoints, addresses as words (xdpml_addr_words_cmp), into the key in canonical order:
 * endpoint a is the lower address, then the lower port. Returns whether the packet's source is
 * endpoint a. Word stores, not byte copies: the map's hash reads the key in words right after, and
 * a word load from bytes stored one by one waits for them (store forwarding fails).
 */
static __always_inline int xdpml_flow_key_endpoint_words(struct xdpml_flow_key *key, __u64 sh, __u64 sl, __u64 dh,
							 __u64 dl, __u16 sport, __u16 dport)
{
	int c = xdpml_addr_words_cmp(sh, sl, dh, dl);
	int from_a = c < 0 || (c == 0 && sport <= dport);
	__u64 *a = (__u64 *)key->addr_a, *b = (__u64 *)key->addr_b;
	__u32 *ports = (__u32 *)&key->port_a; /* port_a, port_b: one word */
	if (from_a) {
		a[0] = sh;
		a[1] = sl;
		b[0] = dh;
		b[1] = dl;
		*ports = (__u32)sport | (__u32)dport << 16;
	} else {
		a[0] = dh;
		a[1] = dl;
		b[0] = sh;
		b[1] = sl;
		*ports = (__u32)dport | (__u32)sport << 16;
	}
	return from_a;
}

/* xdpml_flow_key_endpoint_words with the addresses as 16 bytes each. */
static __always_inline int xdpml_flow_key_endpoints(struct xdpml_flow_key *key, const __u8 *src, const __u8 *dst,
						    __u16 sport, __u16 dport)
{
	return xdpml_flow_key_endpoint_words(key, *(__u64 *)src, *(__u64 *)(src + 8), *(__u64 *)dst, *(__u64 *)(dst + 8),
					     sport, dport);
}

/* An IPv4 address (4 bytes at p) as the low word of its ::ffff:a.b.c.d form (the high word is 0). */
static __always_inline __u64 xdpml_v4_mapped_lo(const __u8 *p)
{
	return 0xffff0000ULL | (__u64)*(__u32 *)p << 32;
}

/*
 * The flow key and per-packet contribution of a parsed packet. Returns -1 when the packet has
 * no IP header to key it by (not tracked). Reads the packet again at the offsets the parse
 * found; every read is bounds-checked for the verifier, though the parse already checked them.
 */
static __always_inline int xdpml_flow_key_of(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
					     struct xdpml_flow_key *key, struct xdpml_flow_packet *p)
{
	if (!(s->flags & (XDPML_F_IPV4 | XDPML_F_IPV6)))
		return -1;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l3 = s->l3_off & 0xfff;
	__u8 *ip = data + l3;
	if ((void *)(ip + 20) > data_end)
		return -1;
	__u64 sh = 0, sl, dh = 0, dl; /* the addresses as words (xdpml_addr_words_cmp) */
	__u32 l3len, version;
	__u8 ipproto;
	if ((ip[0] >> 4) == 4) {
		version = 4;
		sl = xdpml_v4_mapped_lo(ip + 12);
		dl = xdpml_v4_mapped_lo(ip + 16);
		l3len = (ip[0] & 0x0f) * 4;
		ipproto = ip[9];
	} else {
		if ((void *)(ip + 40) > data_end)
			return -1;
		version = 6;
		sh = *(__u64 *)(ip + 8);
		sl = *(__u64 *)(ip + 16);
		dh = *(__u64 *)(ip + 24);
		dl = *(__u64 *)(ip + 32);
		l3len = 40;
		ipproto = ip[6];
	}
	__u32 protocol = s->l4_proto ? s->l4_proto : ipproto;
	__u16 sport = s->sport, dport = s->dport;
	p->length = data_end - data;
	/* The normalised length: 14 + the innermost IP packet's length by its own header (IPv4 total
	 * length; IPv6 40 + payload length, the frame's rest for a jumbogram's 0), never past the
	 * frame. The frame's length on an untagged Ethernet link without padding, whatever the link
	 * it came over: VLAN tags, padding to 60 bytes and a VXLAN outer header do not change it, so
	 * a model's length inputs mean the same at every vantage point (docs/flows.md). */
	__u32 rest = p->length - l3;
	__u32 stated = version == 4 ? ((__u32)ip[2] << 8 | ip[3]) : ((__u32)ip[4] << 8 | ip[5]) + 40;
	if (version == 6 && stated == 40)
		stated = rest;
	__u32 norm = 14 + (stated < rest ? stated : rest);
	p->norm_length = norm > 0xffff ? 0xffff : norm; /* 16 bits: a probation slot stays one cache line */
	p->tcp_flags = 0;
	p->tcp_window = 0;
	if (s->l4_off) {
		__u32 l4 = s->l4_off & 0xfff;
		__u8 *t = data + l4;
		__u32 l4len = s->l4_proto == 1 || s->l4_proto == 17 ? 8 : 4;
		if (s->l4_proto == 6) {
			if ((void *)(t + 20) > data_end)
				return -1;
			l4len = (t[12] >> 4) * 4;
			p->tcp_flags = t[13];
			p->tcp_window = ((__u16)t[14] << 8) | t[15];
		}
		p->header_bytes = l4 - l3 + l4len;
	} else {
		p->header_bytes = l3len;
	}
	__u32 vlan = 0;
	if (s->vlan_depth) {
		__u8 *tag = data + 14;
		if ((void *)(tag + 2) > data_end)
			return -1;
		vlan = (((__u32)tag[0] << 8) | tag[1]) & 0x0fff;
	}
	/* every byte of the key written, in words (xdpml_flow_key_endpoint_words says why) */
	p->from_a = xdpml_flow_key_endpoint_words(key, sh, sl, dh, dl, sport, dport);
	*(__u32 *)&key->protocol = protocol | version << 8 | vlan << 16; /* protocol, ip_version, vlan */
	_Static_assert(XDPML_F_VXLAN << 16 == XDPML_FLOW_TUNNELLED, "the VXLAN flag shifted is the key's mark");
	key->vni = s->vni | (s->flags & XDPML_F_VXLAN) << 16; /* | XDPML_FLOW_TUNNELLED when through VXLAN */
	return 0;
}

/* A direction's counts, lengths, header bytes and last time, with one packet. */
static __always_inline void xdpml_flow_dir_add(struct xdpml_flow_dir *s, const struct xdpml_flow_packet *p, __u64 now)
{
	s->packets++;
	s->bytes += p->length;
	s->len_sum_sq = xdpml_sat_add(s->len_sum_sq, (__u64)p->length * p->length);
	s->header_bytes += p->header_bytes;
	if (p->length < s->len_min)
		s->len_min = p->length;
	if (p->length > s->len_max)
		s->len_max = p->length;
	/* payload: the IP packet's stated length past its headers, not the frame's (no padding) */
	if (p->norm_length > 14 + p->header_bytes && s->data_packets != 0xffff)
		s->data_packets++;
	if (now > s->last_ns) /* times only move forward: a clock that jumps back is not idleness */
		s->last_ns = now;
}

/* A direction's first packet: its smallest length so far and its TCP window. */
static __always_inline void xdpml_flow_dir_first(struct xdpml_flow_dir *s, const struct xdpml_flow_packet *p)
{
	s->len_min = p->length;
	s->init_window = p->tcp_window;
}

/* The TCP flag counts and the close state, with one packet in direction d. */
static __always_inline void xdpml_flow_flags_add(struct xdpml_flow *f, __u8 fl, int d)
{
#pragma unroll
	for (int i = 0; i < 8; i++)
		f->tcp_flags[i] += (fl >> i) & 1;
	if (fl & 0x01)
		f->closing |= d == XDPML_FLOW_FWD ? 1 : 2;
	if (fl & 0x04)
		f->closing |= 4;
}

static __always_inline int xdpml_flow_dir_of(const struct xdpml_flow *f, const struct xdpml_flow_packet *p)
{
	return p->from_a == f->initiator_is_a ? XDPML_FLOW_FWD : XDPML_FLOW_BWD;
}

/*
 * Updates f with one packet at time now. f is zero for a new flow. Returns the direction.
 * Intervals and running statistics count the packets that are not untimed (xdpml_flow_update_cached).
 */
static __always_inline int xdpml_flow_update(struct xdpml_flow *f, const struct xdpml_flow_packet *p,
					     __u64 now)
{
	__u64 total = f->dir[0].packets + f->dir[1].packets;
	__u64 timed = total - f->untimed; /* packets in the timing statistics so far */
	__u64 iat = 0; /* flow inter-arrival time, us */
	if (total == 0) {
		f->first_ns = now;
		f->initiator_is_a = p->from_a;
	} else {
		iat = xdpml_us_between(f->last_ns, now);
		xdpml_iat_add(&f->iat_sum_us, &f->iat_sum_sq, &f->iat_min_us, &f->iat_max_us, timed == 1, iat);
	}
	int d = xdpml_flow_dir_of(f, p);
	struct xdpml_flow_dir *s = &f->dir[d & 1];
	if (s->packets == 0)
		xdpml_flow_dir_first(s, p);
	else
		xdpml_iat_add(&s->iat_sum_us, &s->iat_sum_sq, &s->iat_min_us, &s->iat_max_us,
			      s->packets - s->untimed == 1, xdpml_us_between(s->last_ns, now));
	xdpml_flow_dir_add(s, p, now);
	xdpml_flow_flags_add(f, p->tcp_flags, d);

	__u64 n = timed + 1;
	if (iat > 0xffffffffULL)
		iat = 0xffffffffULL;
	xdpml_running_add(&f->len, (__s64)p->norm_length << 16, n);
	xdpml_running_add(&f->iat, (__s64)iat << 16, n);
	xdpml_running_add(&f->dir_run, d == XDPML_FLOW_FWD ? (1 << 16) : 0, n);
	if (now > f->last_ns)
		f->last_ns = now;
	return d;
}

/*
 * Updates f, a flow with a cached class (model_stage.h), with one packet at time now: counts,
 * bytes, lengths, header bytes, TCP flags, close state and last times as xdpml_flow_update does,
 * but no interval and no running statistic (what the cache makes useless, and most of the
 * update's cost): those stay as they were, and the packet counts as untimed. Returns the
 * direction. docs/flows.md, "Cached flows".
 */
static __always_inline int xdpml_flow_update_cached(struct xdpml_flow *f, const struct xdpml_flow_packet *p,
						    __u64 now)
{
	int d = xdpml_flow_dir_of(f, p);
	struct xdpml_flow_dir *s = &f->dir[d & 1];
	if (s->packets == 0)
		xdpml_flow_dir_first(s, p);
	else if (s->untimed != 0xffffffffU)
		s->untimed++;
	xdpml_flow_dir_add(s, p, now);
	if (p->tcp_flags) /* UDP, ICMP: 8 counters unchanged (1-2 ns of this path) */
		xdpml_flow_flags_add(f, p->tcp_flags, d);
	f->untimed++;
	if (now > f->last_ns)
		f->last_ns = now;
	return d;
}

/*
 * The flow features, in the order and with the names of io.xdpml.flow.FlowFeature (the CSV
 * columns, the model's feature vector). FlowFeatureKernelTest holds this list and every value
 * against the Java definitions, packet by packet. Units and scales: docs/flows.md.
 */
#define XDPML_FLOW_FEATURE_NAMES(X)                                                              \
	X(duration_us) X(fwd_pkt_len_min) X(fwd_pkt_len_max) X(fwd_pkt_len_mean) X(fwd_pkt_len_var)  \
	X(bwd_pkt_len_min) X(bwd_pkt_len_max) X(bwd_pkt_len_mean) X(bwd_pkt_len_var)                \
	X(flow_iat_min_us) X(flow_iat_max_us) X(flow_iat_mean_us) X(flow_iat_var_us2)               \
	X(fwd_iat_min_us) X(fwd_iat_max_us) X(fwd_iat_mean_us) X(fwd_iat_var_us2)                   \
	X(bwd_iat_min_us) X(bwd_iat_max_us) X(bwd_iat_mean_us) X(bwd_iat_var_us2)                   \
	X(fin_flag_count) X(syn_flag_count) X(rst_flag_count) X(psh_flag_count) X(ack_flag_count)   \
	X(urg_flag_count) X(ece_flag_count) X(cwr_flag_count) X(fwd_init_win_bytes)                 \
	X(bwd_init_win_bytes) X(fwd_header_bytes) X(bwd_header_bytes) X(hs_len_mean) X(hs_len_mad)  \
	X(hs_iat_mean) X(hs_iat_mad) X(hs_dir_mean) X(hs_dir_mad)

#define XDPML_COUNT_ONE(name) +1
#define XDPML_FLOW_FEATURES (0 XDPML_FLOW_FEATURE_NAMES(XDPML_COUNT_ONE))

/* floor(sum / count); 0 without samples */
static __always_inline __u64 xdpml_feat_mean(__u64 sum, __u64 count)
{
	return count ? sum / count : 0;
}

/* max(0, floor(sum_sq / count) - mean^2), mean^2 saturating: the integer variance of FlowFeature */
static __always_inline __u64 xdpml_feat_var(__u64 sum, __u64 sum_sq, __u64 count)
{
	if (!count)
		return 0;
	__u64 m = sum / count;
	__u64 e2 = sum_sq / count;
	__u64 m2 = m > 0xffffffffULL ? ~0ULL : m * m;
	return e2 > m2 ? e2 - m2 : 0;
}

/* intervals of a direction (or the flow) with n packets, u of them untimed: n - 1 - u, none below two packets */
static __always_inline __u64 xdpml_feat_intervals(__u64 packets, __u64 untimed)
{
	return packets > 1 + untimed ? packets - 1 - untimed : 0;
}

/*
 * The features of flow f into out[XDPML_FLOW_FEATURES] (map or global memory, not the stack):
 * those that need a division only where mask has their bit (bit i: feature i), the plain loads
 * always. A classifier asks only for the features its model reads: the divisions are most of
 * the cost, and a mask test costs more than a load.
 */
#define XDPML_FEAT(expr)                          \
	do {                                      \
		if (mask & (1ULL << i))           \
			out[i] = (expr);          \
		i++;                              \
	} while (0)
/* A feature that is a plain load: storing it always is cheaper than testing the mask. */
#define XDPML_FEAT_LOAD(expr) out[i++] = (expr)

static __always_inline void xdpml_flow_features_masked(const struct xdpml_flow *f, __u64 *out, __u64 mask)
{
	const struct xdpml_flow_dir *fw = &f->dir[XDPML_FLOW_FWD], *bw = &f->dir[XDPML_FLOW_BWD];
	__u64 total = fw->packets + bw->packets;
	int i = 0;
	XDPML_FEAT((f->last_ns - f->first_ns) / 1000);
	XDPML_FEAT_LOAD(fw->len_min);
	XDPML_FEAT_LOAD(fw->len_max);
	XDPML_FEAT(xdpml_feat_mean(fw->bytes, fw->packets));
	XDPML_FEAT(xdpml_feat_var(fw->bytes, fw->len_sum_sq, fw->packets));
	XDPML_FEAT_LOAD(bw->len_min);
	XDPML_FEAT_LOAD(bw->len_max);
	XDPML_FEAT(xdpml_feat_mean(bw->bytes, bw->packets));
	XDPML_FEAT(xdpml_feat_var(bw->bytes, bw->len_sum_sq, bw->packets));
	XDPML_FEAT_LOAD(f->iat_min_us);
	XDPML_FEAT_LOAD(f->iat_max_us);
	XDPML_FEAT(xdpml_feat_mean(f->iat_sum_us, xdpml_feat_intervals(total, f->untimed)));
	XDPML_FEAT(xdpml_feat_var(f->iat_sum_us, f->iat_sum_sq, xdpml_feat_intervals(total, f->untimed)));
	XDPML_FEAT_LOAD(fw->iat_min_us);
	XDPML_FEAT_LOAD(fw->iat_max_us);
	XDPML_FEAT(xdpml_feat_mean(fw->iat_sum_us, xdpml_feat_intervals(fw->packets, fw->untimed)));
	XDPML_FEAT(xdpml_feat_var(fw->iat_sum_us, fw->iat_sum_sq, xdpml_feat_intervals(fw->packets, fw->untimed)));
	XDPML_FEAT_LOAD(bw->iat_min_us);
	XDPML_FEAT_LOAD(bw->iat_max_us);
	XDPML_FEAT(xdpml_feat_mean(bw->iat_sum_us, xdpml_feat_intervals(bw->packets, bw->untimed)));
	XDPML_FEAT(xdpml_feat_var(bw->iat_sum_us, bw->iat_sum_sq, xdpml_feat_intervals(bw->packets, bw->untimed)));
#pragma unroll
	for (int k = 0; k < 8; k++)
		XDPML_FEAT_LOAD(f->tcp_flags[k]);
	XDPML_FEAT_LOAD(fw->init_window);
	XDPML_FEAT_LOAD(bw->init_window);
	XDPML_FEAT_LOAD(fw->header_bytes);
	XDPML_FEAT_LOAD(bw->header_bytes);
	XDPML_FEAT_LOAD(f->len.mean);
	XDPML_FEAT_LOAD(f->len.mad);
	XDPML_FEAT_LOAD(f->iat.mean);
	XDPML_FEAT_LOAD(f->iat.mad);
	XDPML_FEAT_LOAD(f->dir_run.mean);
	XDPML_FEAT_LOAD(f->dir_run.mad);
}

/* Every feature of flow f into out[XDPML_FLOW_FEATURES] (map or global memory, not the stack). */
static __always_inline void xdpml_flow_features(const struct xdpml_flow *f, __u64 *out)
{
	xdpml_flow_features_masked(f, out, ~0ULL);
}

#endif
