/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firewall stage of the composed pipeline (firewall.h holds its maps and layouts, semantics
 * in docs/firewall.md): judges a parsed packet with the lists, rules, conntrack and buckets of
 * generation gen, counts the verdict and returns its reason (enum xdpml_fw_counter). The Java
 * twin is io.xdpml.firewall.JavaFirewall.
 */
#ifndef XDPML_FIREWALL_STAGE_H
#define XDPML_FIREWALL_STAGE_H

#include "parse.h"
#include "clock.h"
#include "firewall.h"
#include "flow.h"
#include "syncookie.h"

/* Test mode: keep each packet's reason and rule slot in last_verdict. */
volatile const __u8 cfg_record_verdict = 0;
struct xdpml_fw_verdict last_verdict;

/*
 * What the firewall needs of a packet, read at the offsets the parse found. Addresses are held as
 * 32-bit words (loaded as words: a memcpy from the packet compiles to byte loads and shifts).
 */
struct xdpml_fw_packet {
	__u32 src[4]; /* IPv4 in src[0] for the tries; see xdpml_fw_mapped for conntrack and rate keys */
	__u32 dst[4];
	__u8 family;
	__u8 proto;     /* rule bucket: 6, 17, 1, 58, else 0 */
	__u8 tcp_flags;
	__u8 tcp_doff;  /* the TCP header's length in 32-bit words (5: no options); 0 for other protocols */
	__u16 sport;
	__u16 dport;
	__u8 icmp_type; /* ICMP's or ICMPv6's type; 0 for other protocols */
};

/*
 * The addresses of the IP header at offset l3 (0: the parse did not reach one) into p: 0, or -1 when
 * there is none in the frame. Also for a packet the parse refused: its addresses lie at fixed
 * offsets whatever else is wrong with it.
 */
static __always_inline int xdpml_fw_read_addresses(struct xdp_md *ctx, __u32 l3, struct xdpml_fw_packet *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	l3 &= 0xfff;
	__u8 *ip = data + l3;
	if (!l3 || (void *)(ip + 20) > data_end)
		return -1;
	if ((ip[0] >> 4) == 4) {
		p->family = 4;
		p->src[0] = *(__u32 *)(ip + 12);
		p->dst[0] = *(__u32 *)(ip + 16);
		p->src[1] = p->src[2] = p->src[3] = 0;
		p->dst[1] = p->dst[2] = p->dst[3] = 0;
	} else {
		if ((ip[0] >> 4) != 6 || (void *)(ip + 40) > data_end)
			return -1;
		p->family = 6;
		p->src[0] = *(__u32 *)(ip + 8);
		p->src[1] = *(__u32 *)(ip + 12);
		p->src[2] = *(__u32 *)(ip + 16);
		p->src[3] = *(__u32 *)(ip + 20);
		p->dst[0] = *(__u32 *)(ip + 24);
		p->dst[1] = *(__u32 *)(ip + 28);
		p->dst[2] = *(__u32 *)(ip + 32);
		p->dst[3] = *(__u32 *)(ip + 36);
	}
	return 0;
}

static __always_inline int xdpml_fw_read(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
					 struct xdpml_fw_packet *p)
{
	if (xdpml_fw_read_addresses(ctx, s->l3_off, p) < 0)
		return -1;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 l4p = s->l4_proto;
	p->proto = (l4p == 6 || l4p == 17 || l4p == 1 || l4p == 58) ? l4p : 0;
	p->sport = s->sport;
	p->dport = s->dport;
	p->tcp_flags = 0;
	p->tcp_doff = 0;
	p->icmp_type = 0;
	if (l4p == 1 || l4p == 58) { /* the parse checked 4 bytes or more there */
		__u8 *t = data + (s->l4_off & 0xfff);
		if ((void *)(t + 1) > data_end)
			return -1;
		p->icmp_type = t[0];
	}
	if (l4p == 6) {
		__u8 *t = data + (s->l4_off & 0xfff);
		if ((void *)(t + 20) > data_end)
			return -1;
		p->tcp_flags = t[13];
		p->tcp_doff = t[12] >> 4;
	}
	return 0;
}

/*
 * Whether p is IPv6 from an IPv4-mapped source (::ffff:a.b.c.d). Such an address names an IPv4 node
 * inside a dual-stack host's sockets and never belongs on the wire (RFC 4291 2.5.5.2), but Linux
 * hands a UDP datagram from one to an AF_INET6 socket, whose application sees a.b.c.d: past every
 * IPv4 entry of the lists, which are keyed by family.
 */
static __always_inline int xdpml_fw_mapped_source(const struct xdpml_fw_packet *p)
{
	return p->family == 6 && p->src[0] == 0 && p->src[1] == 0 && p->src[2] == bpf_htonl(0xffff);
}

/* 1 when addr is in the list (gen, kind); *value gets the entry's value. */
static __always_inline int xdpml_fw_in_list(__u8 gen, __u8 kind, const struct xdpml_fw_packet *p,
					    const __u32 *addr, __u32 *value)
{
	struct xdpml_fw_prefix_key k = {
		.prefixlen = 32 + (p->family == 4 ? 32 : 128),
		.gen = gen,
		.kind = kind,
		.family = p->family,
	};
	__builtin_memcpy(k.addr, addr, 16);
	__u32 *v = bpf_map_lookup_elem(&xdpml_fw_lists, &k);
	if (!v)
		return 0;
	*value = *v;
	return 1;
}

/* The 16-byte form for conntrack and rate keys: IPv4 as ::ffff:a.b.c.d. */
static __always_inline void xdpml_fw_mapped(const struct xdpml_fw_packet *p, const __u32 *a, __u32 *out)
{
	if (p->family == 4) {
		out[0] = 0;
		out[1] = 0;
		out[2] = bpf_htonl(0xffff);
		out[3] = a[0];
	} else {
		out[0] = a[0];
		out[1] = a[1];
		out[2] = a[2];
		out[3] = a[3];
	}
}

/* Counts the verdict (and records it in test mode); returns the reason. */
static __always_inline __u32 xdpml_fw_verdict(struct xdpml_fw_counters *fc, __u32 reason, __u32 slot)
{
	fc->c[reason & (XDPML_FWC_MAX - 1)]++;
	if (cfg_record_verdict) {
		last_verdict.reason = reason;
		last_verdict.slot = slot;
	}
	return reason;
}

/* Whether a verdict reason drops the packet. */
/*
 * Whether a drop is a limit's (a token bucket's: per source, or of all sources): the packets over it
 * are a flood's, and with mirror delivery and sampling.dropped they are sampled to Java as the
 * model's drops are (xdp_pipeline.bpf.c), so that the detectors see the flood whole and can name
 * its senders; not the drops of lists, rules, conntrack or measures.
 */
static __always_inline int xdpml_fw_limit_drop(__u32 reason)
{
	return reason == XDPML_FWC_DROP_RATE_LIMIT || reason == XDPML_FWC_DROP_SYN_FLOOD || reason == XDPML_FWC_DROP_SYN_GLOBAL ||
	       reason == XDPML_FWC_DROP_BARE_GLOBAL || reason == XDPML_FWC_DROP_ICMP_GLOBAL;
}

/*
 * A token from the bucket of all sources xdpml_fw_flood[idx], under its lock (every CPU shares it):
 * 1 when taken (or the array has no such entry), 0 when empty.
 */
static __always_inline int xdpml_fw_take_shared(__u32 idx, __u64 now, __u64 pps, __u64 cap)
{
	struct xdpml_fw_flood *b = bpf_map_lookup_elem(&xdpml_fw_flood, &idx);
	if (!b)
		return 1;
	bpf_spin_lock(&b->lock);
	int ok = xdpml_fw_take(&b->b, now, pps, cap);
	bpf_spin_unlock(&b->lock);
	return ok;
}

static __always_inline int xdpml_fw_drops(__u32 reason)
{
	switch (reason) {
	case XDPML_FWC_PASS_NOT_IP:
	case XDPML_FWC_PASS_MALFORMED:
	case XDPML_FWC_PASS_CONNTRACK:
	case XDPML_FWC_PASS_ALLOW_LIST:
	case XDPML_FWC_PASS_RULE:
	case XDPML_FWC_PASS_DEFAULT:
	case XDPML_FWC_PASS_SYN_COOKIE:
	case XDPML_FWC_SYN_COOKIE: /* answered: the caller sends it back (XDP_TX) */
		return 0;
	default:
		return 1;
	}
}

/* Allow list, rules, default: the policy for a packet that no connection decided. */
static __always_inline __u32 xdpml_fw_policy(__u8 gen, const struct xdpml_fw_config *cfg,
					     const struct xdpml_fw_packet *p, __u32 *slot)
{
	__u32 v;
	if (cfg->has_allow_src && xdpml_fw_in_list(gen, XDPML_FW_ALLOW_SRC, p, p->src, &v))
		return XDPML_FWC_PASS_ALLOW_LIST;
	if (cfg->has_allow_dst && xdpml_fw_in_list(gen, XDPML_FW_ALLOW_DST, p, p->dst, &v))
		return XDPML_FWC_PASS_ALLOW_LIST;
	if (cfg->has_rules) {
		__u32 src_set, dst_set;
		if (xdpml_fw_in_list(gen, XDPML_FW_RULE_SRC, p, p->src, &src_set) &&
		    xdpml_fw_in_list(gen, XDPML_FW_RULE_DST, p, p->dst, &dst_set)) {
			struct xdpml_fw_rule_key k = {
				.prefixlen = 96 + 16,
				.gen = gen,
				.proto = p->proto,
				.src_set = src_set,
				.dst_set = dst_set,
			};
			__u16 port = (p->proto == 6 || p->proto == 17) ? p->dport : 0;
			k.port[0] = port >> 8;
			k.port[1] = port & 0xff;
			struct xdpml_fw_rule *r = bpf_map_lookup_elem(&xdpml_fw_rules, &k);
			if (r) {
				*slot = r->slot;
				return r->action == XDPML_FW_DROP ? XDPML_FWC_DROP_RULE : XDPML_FWC_PASS_RULE;
			}
		}
	}
	return cfg->default_action == XDPML_FW_DROP ? XDPML_FWC_DROP_DEFAULT : XDPML_FWC_PASS_DEFAULT;
}

/* Counts a hit on the rule in counter slot `slot` (XDPML_FW_NO_RULE: none decided). */
static __always_inline void xdpml_fw_hit(__u32 slot)
{
	if (slot == XDPML_FW_NO_RULE)
		return;
	__u64 *hits = bpf_map_lookup_elem(&xdpml_fw_hits, &slot);
	if (hits)
		(*hits)++;
}

/*
 * The TCP header of a parsed packet: its flags, or -1 without the headers (cannot happen after a
 * clean parse); *end the end of its segment (seq + the payload's length from the IP header's length
 * field + SYN + FIN), *t the header.
 */
static __always_inline int xdpml_fw_seg_end(struct xdp_md *ctx, const struct xdpml_parse_summary *s, __u8 **t,
					    __u32 *end)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l3 = s->l3_off & 0xfff, l4 = s->l4_off & 0xfff;
	__u8 *ip = data + l3;
	__u8 *th = data + l4;
	if ((void *)(ip + 8) > data_end || (void *)(th + 20) > data_end)
		return -1;
	__u32 ip_end = l3 + ((ip[0] >> 4) == 4 ? ((__u32)ip[2] << 8 | ip[3]) : 40 + ((__u32)ip[4] << 8 | ip[5]));
	__u32 hdr_end = l4 + (th[12] >> 4) * 4;
	__u8 flags = th[13];
	*end = bpf_ntohl(*(__u32 *)(th + 4)) + (ip_end > hdr_end ? ip_end - hdr_end : 0) +
	       !!(flags & XDPML_TCP_SYN) + !!(flags & XDPML_TCP_FIN);
	*t = th;
	return flags;
}

/* The TCP segment of a parsed packet (xdpml_fw_seg_end): 0, or -1 without the headers. */
static __always_inline int xdpml_fw_seg_read(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
					     struct xdpml_fw_seg *g)
{
	__u8 *t;
	int r = xdpml_fw_seg_end(ctx, s, &t, &g->end);
	if (r < 0)
		return -1;
	g->flags = r;
	g->seq = bpf_ntohl(*(__u32 *)(t + 4));
	g->ack = bpf_ntohl(*(__u32 *)(t + 8));
	return 0;
}

/*
 * Tries of the compare-and-swap below. The word changes at most 8 times in an entry's life (state
 * syn_sent -> syn_recv -> established -> fin_wait -> closed, two FIN bits, a RST, the responder's
 * sequence learnt), and a swap fails only when another CPU changed it: 9 tries never run out.
 */
#define XDPML_CT_TRIES 9

#ifndef EEXIST
#define EEXIST 17
#endif

/*
 * The TCP state machine and sequence check on a live entry e for the packet of s (fwd: from the
 * initiator): XDPML_CT_R_*. The entry's word is changed by compare-and-swap, retried on a fresh
 * read when another CPU changed it in between; the sequence ends are plain 32-bit stores (two
 * CPUs of one sender: the later store may keep the smaller end, which stays within the window).
 * A global function of its own: its locals take no room in the entry program's 512-byte stack, and
 * the verifier checks it once, not again on every path that reaches a call (a static one, with its
 * retry loop, took the pipeline past the verifier's million instructions).
 */
__noinline int xdpml_fw_ct_step(struct xdp_md *ctx, const struct xdpml_parse_summary *s, struct xdpml_fw_ct *e,
				int fwd)
{
	struct xdpml_fw_seg g;
	if (!s || !e || xdpml_fw_seg_read(ctx, s, &g) < 0) /* never null: the verifier asks */
		return XDPML_CT_R_INVALID;
	int d = fwd ? 0 : 1;
	__u64 *word = (__u64 *)&e->state;
	union xdpml_fw_ct_word old;
	old.w = *(volatile __u64 *)word;
	/* the sequence judged once, on the first read (the ends are not part of the swapped word) */
	int rst = g.flags & XDPML_TCP_RST;
	int believed = rst && xdpml_fw_rst_believed(e, old.f.seq_known, d, &g);
	__u32 next = 0;
	__u8 learnt = rst ? 0 : xdpml_fw_seq_learn(e, old.f.seq_known, d, &g, &next) |
					(xdpml_fw_peer_learn(e, old.f.seq_known, d, &g) ? (d ? 8 : 16) : 0);
#pragma clang loop unroll(disable)
	for (int i = 0; i < XDPML_CT_TRIES; i++) {
		union xdpml_fw_ct_word w = old;
		int r = xdpml_fw_ct_tcp(&w, fwd, g.flags, believed);
		if (r != XDPML_CT_R_PASS)
			return r;
		if (learnt & XDPML_FW_SEQ_STORE) { /* before the word: whoever reads the known bit finds the end */
			if (d)
				e->next_seq[1] = next;
			else
				e->next_seq[0] = next;
		}
		if (learnt & 8) /* the other side's end: the ACK of d's segment (xdpml_fw_peer_learn) */
			e->next_seq[0] = g.ack;
		if (learnt & 16)
			e->next_seq[1] = g.ack;
		w.f.seq_known |= (learnt & 3) | (learnt >> 3 & 3);
		if (w.w == old.w)
			return XDPML_CT_R_PASS;
		__u64 seen = __sync_val_compare_and_swap(word, old.w, w.w);
		if (seen == old.w)
			return XDPML_CT_R_PASS;
		old.w = seen; /* another CPU changed it: decide again on what it wrote */
	}
	return XDPML_CT_R_PASS;
}

/*
 * An unassured connection's entry e (in xdpml_fw_ct_new) after a packet passed on it (fwd: from the
 * initiator): moved into xdpml_fw_ct when it is now assured, a TCP one established (or closing
 * after that: FIN_WAIT), a UDP one answered (!fwd). Created there only where no entry is
 * (BPF_NOEXIST: another CPU's promotion or cookie's entry is kept), then deleted here. Two CPUs on
 * one connection meanwhile (docs/firewall.md, "Two CPUs, one connection"): a step another CPU
 * makes on the unassured entry between the copy and the delete is lost (a FIN, or a RST's close,
 * seen again only with its next packet), and a packet whose lookups fall between them (xdpml_fw_ct
 * before the copy, xdpml_fw_ct_new after the delete) is judged without a connection. A function of
 * its own: off the entry program's stack. io.xdpml.firewall.JavaFirewall.assure.
 */
static __noinline void xdpml_fw_ct_assure(const struct xdpml_fw_ct_key *ck, struct xdpml_fw_ct *e, int fwd)
{
	__u8 st = e->state;
	if (ck->proto == 6 ? st != XDPML_CT_ESTABLISHED && st != XDPML_CT_FIN_WAIT : fwd)
		return;
	long err = bpf_map_update_elem(&xdpml_fw_ct, ck, e, BPF_NOEXIST);
	if (err == 0 || err == -EEXIST)
		bpf_map_delete_elem(&xdpml_fw_ct_new, ck);
}

/*
 * Whether entry e is stale at now: closed, or closing with the initiator's FIN seen (a SYN of the
 * initiator over either opens anew: xdpml_fw_ct_tcp's XDPML_CT_R_NEW), or expired.
 */
static __always_inline int xdpml_fw_ct_stale(const struct xdpml_fw_config *cfg, const struct xdpml_fw_ct *e, __u64 now)
{
	return e->state == XDPML_CT_CLOSED || (e->state == XDPML_CT_FIN_WAIT && (e->fin_seen & 1)) ||
	       (now > e->last_ns && now - e->last_ns > xdpml_fw_ct_timeout(cfg, e->state));
}

/*
 * A live conntrack entry decides the packet (fwd: it comes from the connection's initiator; ck its
 * key, in_new: e is in xdpml_fw_ct_new, moved when it becomes assured): the verdict reason, or 0
 * when it is judged as a new connection (a SYN on a closed one).
 */
static __always_inline __u32 xdpml_fw_ct_decide(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
						struct xdpml_fw_ct *e, const struct xdpml_fw_packet *p, int fwd, __u64 now,
						const struct xdpml_fw_ct_key *ck, int in_new)
{
	int r = XDPML_CT_R_PASS;
	if (p->proto == 6)
		r = xdpml_fw_ct_step(ctx, s, e, fwd);
	if (r == XDPML_CT_R_INVALID)
		return XDPML_FWC_DROP_CT_INVALID;
	if (r == XDPML_CT_R_RST_WINDOW)
		return XDPML_FWC_DROP_CT_RST_WINDOW;
	if (r == XDPML_CT_R_PASS) {
		if (now > e->last_ns)
			e->last_ns = now;
		if (in_new)
			xdpml_fw_ct_assure(ck, e, fwd);
		return XDPML_FWC_PASS_CONNTRACK;
	}
	return 0;
}

/* Whether a measure is in force now (not expired); reads the clock only for one that expires. */
static __always_inline int xdpml_fw_measure_live(const struct xdpml_fw_measure *m, __u64 *clock)
{
	__u64 expires = m->expires_ns;
	return !expires || xdpml_now_once(clock) <= expires;
}

/*
 * A SYN over a SYN limit (why: the drop reason of that limit), which happens only under
 * syn-cookies on (without, the limit drops it at once): answered with a SYN cookie when the host
 * has a listener for it (syncookie.h), else dropped for why.
 */
static __always_inline __u32 xdpml_fw_over_syn_limit(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
						     struct xdpml_fw_counters *fc, __u32 why)
{
	if (xdpml_syn_cookie_answer(ctx, s) == 0)
		return XDPML_FWC_SYN_COOKIE;
	fc->c[XDPML_FWC_SYN_COOKIE_UNANSWERED]++;
	return why;
}

/*
 * The live measure of key k on its port, else (k->port not 0) on every port of its victim (port 0);
 * null when neither is there. An expired entry is as absent.
 */
static __always_inline struct xdpml_fw_measure *xdpml_fw_measure_on_port(struct xdpml_fw_measure_key *k, __u64 *clock)
{
	struct xdpml_fw_measure *m = bpf_map_lookup_elem(&xdpml_fw_measures, k);
	if (m && !xdpml_fw_measure_live(m, clock))
		m = 0;
	if (!m && k->port) {
		k->port = 0;
		m = bpf_map_lookup_elem(&xdpml_fw_measures, k);
		if (m && !xdpml_fw_measure_live(m, clock))
			m = 0;
	}
	return m;
}

/*
 * The measures against a TCP/UDP packet (only called while Java has any): a port-drop of its
 * protocol from its source port to its destination, then for a SYN without ACK and without options
 * (bare: the caller's, while a bare-syn-drop may be there) a bare-syn-drop, then for a SYN without
 * ACK a syn-limit, for a UDP datagram with its ports (not a later fragment: those follow their first
 * fragment) a udp-limit, each on its destination and port, else on every port of the destination.
 * An expired entry is as absent. Returns the drop reason, or 0. Reads the clock only for an entry
 * that expires or a bucket.
 */
static __always_inline __u32 xdpml_fw_measures_check(const struct xdpml_fw_packet *p, int syn_only, int bare, int udp_ports,
						     __u64 *clock)
{
	struct xdpml_fw_measure_key k = {
		.proto = p->proto,
		.kind = XDPML_FW_M_PORT_DROP,
		.port = p->sport,
	};
	xdpml_fw_mapped(p, p->dst, (__u32 *)k.victim);
	struct xdpml_fw_measure *m = bpf_map_lookup_elem(&xdpml_fw_measures, &k);
	if (m && xdpml_fw_measure_live(m, clock)) {
		__sync_fetch_and_add(&m->hits, 1);
		return XDPML_FWC_DROP_MEASURE_PORT;
	}
	if (!syn_only && !udp_ports)
		return 0;
	if (bare) {
		/* no TCP stack in use sends a SYN without options: dropped whatever the rate, never answered */
		k.kind = XDPML_FW_M_BARE_SYN;
		k.port = p->dport;
		m = xdpml_fw_measure_on_port(&k, clock);
		if (m) {
			__sync_fetch_and_add(&m->hits, 1);
			return XDPML_FWC_DROP_MEASURE_BARE;
		}
	}
	k.kind = syn_only ? XDPML_FW_M_SYN_LIMIT : XDPML_FW_M_UDP_LIMIT;
	k.port = p->dport;
	m = xdpml_fw_measure_on_port(&k, clock);
	if (!m)
		return 0;
	__u64 now = xdpml_now_once(clock);
	bpf_spin_lock(&m->lock);
	int ok = m->pps && xdpml_fw_take(&m->b, now, m->pps, m->cap);
	if (!ok)
		m->hits++;
	bpf_spin_unlock(&m->lock);
	return ok ? 0 : syn_only ? XDPML_FWC_DROP_MEASURE_SYN : XDPML_FWC_DROP_MEASURE_UDP;
}

/*
 * Whether p comes from a source no connection here can start from, while the agent keeps them
 * (xdpml_fw_mstate[1]): one of this host's own addresses or broadcast addresses (xdpml_fw_own), or
 * a multicast address (224.0.0.0/4, ff00::/8), or a loopback one (127.0.0.0/8, ::1; since 2026-12-06).
 * A function of its own (since 2026-12-06): its key takes no room in the entry program's stack.
 */
static __noinline int xdpml_fw_from_own(const struct xdpml_fw_packet *p)
{
	__u32 one = 1;
	__u32 *on = bpf_map_lookup_elem(&xdpml_fw_mstate, &one);
	if (!on || !*on)
		return 0;
	__u8 first = *(const __u8 *)p->src;
	if (p->family == 4 ? (first & 0xf0) == 0xe0 || first == 127 : first == 0xff)
		return 1;
	if (p->family == 6 && !p->src[0] && !p->src[1] && !p->src[2] && p->src[3] == bpf_htonl(1))
		return 1; /* ::1 */
	__u32 k[4];
	xdpml_fw_mapped(p, p->src, k);
	return bpf_map_lookup_elem(&xdpml_fw_own, k) != 0;
}

/*
 * A new connection of key ck for the packet of s, whose sender is the initiator, on side a when
 * from_gen & 1, under the configuration of generation from_gen >> 1; TCP remembers the end of its
 * segment (xdpml_fw_seq_learn), and of an ACK segment its ACK as the responder's end
 * (xdpml_fw_peer_learn; since 2026-12-06). Created only where no entry is (BPF_NOEXIST: two CPUs opening one
 * connection at once do not overwrite each other; before 2026-12-06, BPF_ANY); the one that loses
 * the race has its packet decided by the other's entry. An expired or closed entry (a SYN over a
 * closed connection) is replaced. A function of its own: off the entry program's stack.
 */
static __noinline void xdpml_fw_ct_open(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
					const struct xdpml_fw_ct_key *ck, __u32 from_gen, __u64 now)
{
	__u32 zero = 0, g = (from_gen >> 1) & 1;
	struct xdpml_fw_counters *fc = bpf_map_lookup_elem(&xdpml_fw_stats, &zero);
	struct xdpml_fw_config *cfg = bpf_map_lookup_elem(&xdpml_fw_config, &g);
	if (!fc || !cfg) /* cannot happen: arrays */
		return;
	struct xdpml_fw_ct fresh = {
		.last_ns = now,
		.state = XDPML_CT_UDP,
		.initiator_is_a = from_gen & 1,
	};
	if (ck->proto == 6) {
		__u8 *t;
		int flags = xdpml_fw_seg_end(ctx, s, &t, &fresh.next_seq[0]);
		/* which packets get here: xdpml_fw_tcp_opens, or a cookie's ACK */
		if (flags < 0)
			return;
		fresh.state = (flags & (XDPML_TCP_SYN | XDPML_TCP_ACK)) == XDPML_TCP_SYN ? XDPML_CT_SYN_SENT
											 : XDPML_CT_ESTABLISHED;
		fresh.seq_known = 1;
		if (flags & XDPML_TCP_ACK) { /* its ACK: the responder's next sequence (xdpml_fw_peer_learn) */
			fresh.next_seq[1] = bpf_ntohl(*(__u32 *)(t + 8));
			fresh.seq_known = 3;
		}
	}
	/* a SYN's or a UDP datagram's connection starts unassured (xdpml_fw_ct_new); one picked up
	 * mid-stream or by a cookie's ACK, assured. A stale entry of the key in the other table is deleted */
	int assured = fresh.state == XDPML_CT_ESTABLISHED;
	struct xdpml_fw_ct *e = bpf_map_lookup_elem(&xdpml_fw_ct, ck);
	if (e && !xdpml_fw_ct_stale(cfg, e, now))
		goto join;
	if (assured) {
		bpf_map_delete_elem(&xdpml_fw_ct_new, ck);
	} else {
		if (e)
			bpf_map_delete_elem(&xdpml_fw_ct, ck);
		e = bpf_map_lookup_elem(&xdpml_fw_ct_new, ck);
		if (e && !xdpml_fw_ct_stale(cfg, e, now))
			goto join;
	}
	__u64 upd = e ? BPF_ANY : BPF_NOEXIST; /* stale: replaced */
	long err = assured ? bpf_map_update_elem(&xdpml_fw_ct, ck, &fresh, upd)
			   : bpf_map_update_elem(&xdpml_fw_ct_new, ck, &fresh, upd);
	if (err == 0) {
		fc->c[XDPML_FWC_CT_NEW]++;
		return;
	}
	if (err == -EEXIST)
		e = assured ? bpf_map_lookup_elem(&xdpml_fw_ct, ck) : bpf_map_lookup_elem(&xdpml_fw_ct_new, ck);
	if (err != -EEXIST || !e) {
		fc->c[XDPML_FWC_CT_INSERT_FAILED]++;
		return;
	}
join:	/* another CPU opened it since this packet's lookup: this packet is its next */
	if (ck->proto != 6 || xdpml_fw_ct_step(ctx, s, e, (from_gen & 1) == e->initiator_is_a) == XDPML_CT_R_PASS) {
		if (now > e->last_ns)
			e->last_ns = now;
	}
}

static __always_inline int xdpml_fw_is_pass(__u32 reason)
{
	return reason == XDPML_FWC_PASS_ALLOW_LIST || reason == XDPML_FWC_PASS_RULE ||
	       reason == XDPML_FWC_PASS_DEFAULT;
}

/*
 * A VXLAN packet's outer packet (after the outer VLAN tags, s->vlan_depth): anyone who can send UDP to the VXLAN
 * port writes the inner packet as they like, so the outer one is judged as the UDP to that port it
 * is: its source by the mapped-source check, its addresses by the deny lists, then, statelessly, by
 * the allow list, the rules and the default; only the underlay peers the policy lets send to the
 * port can tunnel. Returns 0 when it passes, else the drop reason in the low 32 bits and the slot
 * of the rule that decided (its hit counted; XDPML_FW_NO_RULE: none) in the high 32. A function of
 * its own (a BPF-to-BPF call, paid by VXLAN packets only): its copy of the outer addresses takes no
 * room in the entry program's 512-byte stack, shared with the SYN cookie helpers.
 */
static __noinline __u64 xdpml_fw_tunnel(struct xdp_md *ctx, const struct xdpml_parse_summary *s, __u8 gen,
					const struct xdpml_fw_config *cfg, __u16 vxlan_port)
{
	__u64 none = (__u64)XDPML_FW_NO_RULE << 32;
	struct xdpml_fw_packet o = {};
	__u32 v;
	if (!vxlan_port) /* XDPML_F_CHAIN_CUT: no VXLAN here, the chain cannot hide one */
		return 0;
	if (xdpml_fw_read_addresses(ctx, ETH_HLEN + 4 * s->vlan_depth, &o) != 0)
		return 0;
	if (xdpml_fw_mapped_source(&o))
		return none | XDPML_FWC_DROP_MAPPED_SOURCE;
	if ((cfg->has_deny_src && xdpml_fw_in_list(gen, XDPML_FW_DENY_SRC, &o, o.src, &v)) ||
	    (cfg->has_deny_dst && xdpml_fw_in_list(gen, XDPML_FW_DENY_DST, &o, o.dst, &v)))
		return none | XDPML_FWC_DROP_DENY_LIST;
	if (!cfg->tunnel_check) /* the policy drops no UDP: it would pass it (the lookups cost ~60 ns) */
		return 0;
	__u32 i = (o.src[0] ^ o.src[3]) & (XDPML_FW_TUNNEL_MEMOS - 1);
	struct xdpml_fw_tunnel_memo *memo = bpf_map_lookup_elem(&xdpml_fw_tmemo, &i);
	if (memo && memo->stamp == cfg->stamp && memo->family == o.family && memo->src[0] == o.src[0] &&
	    memo->src[1] == o.src[1] && memo->src[2] == o.src[2] && memo->src[3] == o.src[3] &&
	    memo->dst[0] == o.dst[0] && memo->dst[1] == o.dst[1] && memo->dst[2] == o.dst[2] &&
	    memo->dst[3] == o.dst[3]) {
		__u64 t = memo->verdict;
		xdpml_fw_hit(t >> 32);
		return (__u32)t ? t : 0;
	}
	o.proto = 17;
	o.dport = vxlan_port;
	__u32 slot = XDPML_FW_NO_RULE;
	__u32 r = xdpml_fw_policy(gen, cfg, &o, &slot);
	xdpml_fw_hit(slot);
	/* the verdict with its rule's slot, also when it passes (the hit is counted again on a memo hit) */
	__u64 t = (__u64)slot << 32 | (xdpml_fw_drops(r) ? XDPML_FWC_DROP_TUNNEL : 0);
	if (memo) {
		__builtin_memcpy(memo->src, o.src, sizeof(o.src));
		__builtin_memcpy(memo->dst, o.dst, sizeof(o.dst));
		memo->family = o.family;
		memo->verdict = t;
		memo->stamp = cfg->stamp;
	}
	return (__u32)t ? t : 0;
}

/*
 * A tunnel whose inner frame has no IP header: the packet the stage judges is its outer one, and
 * like every outer packet (xdpml_fw_tunnel) statelessly: no connection (one opened inside a tunnel,
 * whose inner 5-tuple anyone can write, would let it by as a reply), and its source's bucket is that
 * of no tunnel. Recomputed where used: a variable of its own took the entry program past 512 bytes
 * of stack.
 */
static __always_inline int xdpml_fw_outer_only(const struct xdpml_parse_summary *s)
{
	return (s->flags & XDPML_F_VXLAN) && (s->l3_off & 0xfff) == ETH_HLEN + 4 * s->vlan_depth;
}

/* The vni of a conntrack or rate key for the packet of s: its VNI | XDPML_FW_TUNNELLED through VXLAN, else 0. */
static __always_inline __u32 xdpml_fw_key_vni(const struct xdpml_parse_summary *s)
{
	_Static_assert(XDPML_F_VXLAN << 16 == XDPML_FW_TUNNELLED, "the VXLAN flag shifted is the key's mark");
	return s->vni | (s->flags & XDPML_F_VXLAN) << 16;
}

/*
 * The key of the datagram a fragment of s belongs to (xdpml_fw_frags), from its IP header (the
 * innermost, as p's addresses): -1 when there is none to read, or when an IPv6 fragment header is
 * not the first header after the fixed one (a chain before it is not walked: such a datagram's
 * later fragments are judged as before, by the policy alone).
 */
static __always_inline int xdpml_fw_frag_key_of(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
						const struct xdpml_fw_packet *p, struct xdpml_fw_frag_key *k)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *ip = data + (s->l3_off & 0xfff);
	__builtin_memset(k, 0, sizeof(*k));
	if (p->family == 4) {
		if ((void *)(ip + 20) > data_end)
			return -1;
		k->id = ((__u32)ip[4] << 8) | ip[5];
		k->proto = ip[9];
	} else {
		if ((void *)(ip + 48) > data_end || ip[6] != 44)
			return -1;
		k->id = ((__u32)ip[44] << 24) | ((__u32)ip[45] << 16) | ((__u32)ip[46] << 8) | ip[47];
	}
	__builtin_memcpy(k->src, p->src, sizeof(k->src));
	__builtin_memcpy(k->dst, p->dst, sizeof(k->dst));
	k->family = p->family;
	k->vni = xdpml_fw_key_vni(s);
	return 0;
}

/*
 * A later fragment (p read from s): the drop reason of its datagram's first fragment when the stage
 * dropped that within XDPML_FW_FRAG_NS, else 0. A function of its own: its key takes no room in the
 * entry program's stack, and only later fragments pay the call.
 */
static __noinline __u32 xdpml_fw_frag_follow(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
					     const struct xdpml_fw_packet *p, __u64 *clock)
{
	struct xdpml_fw_frag_key k;
	if (xdpml_fw_frag_key_of(ctx, s, p, &k) != 0)
		return 0;
	struct xdpml_fw_frag *f = bpf_map_lookup_elem(&xdpml_fw_frags, &k);
	if (!f)
		return 0;
	__u64 now = xdpml_now_once(clock);
	if (now > f->first_ns && now - f->first_ns > (p->family == 4 ? XDPML_FW_FRAG_NS : XDPML_FW_FRAG6_NS))
		return 0;
	return f->reason;
}

/*
 * A first fragment the stage judged: reason non-zero, it dropped it, and its datagram is remembered;
 * 0, it passed it, and its key is forgotten (an earlier entry belongs to another datagram: an
 * identification drawn again, or a forged first fragment). Also a first fragment the parse refused
 * (a first fragment too short for its transport header, RFC 1858's tiny fragment, is drop_malformed):
 * its IP header was read before the error (s->l3_off). Only when the innermost IP header is itself the
 * fragment: a VXLAN packet whose outer packet is fragmented is not followed (its later fragments are
 * outer ones, which Linux reassembles before it decapsulates).
 */
static __noinline void xdpml_fw_frag_note(struct xdp_md *ctx, const struct xdpml_parse_summary *s, __u32 reason,
					  __u64 *clock)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *ip = data + (s->l3_off & 0xfff);
	if ((void *)(ip + 8) > data_end)
		return;
	if ((ip[0] >> 4) == 4 ? !((ip[6] & 0x3f) || ip[7]) : ip[6] != 44)
		return;
	struct xdpml_fw_packet p = {};
	struct xdpml_fw_frag_key k;
	if (xdpml_fw_read_addresses(ctx, s->l3_off, &p) != 0 || xdpml_fw_frag_key_of(ctx, s, &p, &k) != 0)
		return;
	if (!reason) {
		bpf_map_delete_elem(&xdpml_fw_frags, &k);
		return;
	}
	struct xdpml_fw_frag f = {.first_ns = xdpml_now_once(clock), .reason = reason};
	bpf_map_update_elem(&xdpml_fw_frags, &k, &f, BPF_ANY);
}

/*
 * The stage: the verdict reason of a parsed packet (summary s) under generation g (0 or 1, read
 * once per packet by the caller: every lookup below uses the same one). *clock: the packet's
 * time, read once per packet and only when a bucket or conntrack needs it. vxlan_port: the UDP port
 * the parse decodes as VXLAN (a tunnel's outer packet is judged as UDP to it).
 */
static __always_inline __u32 xdpml_fw_judge(struct xdp_md *ctx, const struct xdpml_parse_summary *s, __u32 g,
					    __u64 *clock, __u16 vxlan_port)
{
	__u32 zero = 0;
	struct xdpml_fw_counters *fc = bpf_map_lookup_elem(&xdpml_fw_stats, &zero);
	g &= 1;
	__u8 gen = g;
	struct xdpml_fw_config *cfg = bpf_map_lookup_elem(&xdpml_fw_config, &g);
	if (!fc || !cfg) /* cannot happen: arrays */
		return XDPML_FWC_PASS_NOT_IP;
	fc->c[XDPML_FWC_PACKETS]++;

	struct xdpml_fw_packet p = {};
	__u32 v;
	if (s->error) {
		/* headers past the parser's reach, even under malformed pass: what lies there (a tunnel's
		 * inner addresses) cannot be held against the deny lists */
		if (!cfg->malformed_pass || s->error == XDPML_E_HEADER_TOO_DEEP)
			return xdpml_fw_verdict(fc, XDPML_FWC_DROP_MALFORMED, XDPML_FW_NO_RULE);
		/* passed as malformed, but not through a tunnel the policy refuses (the parse keeps the VXLAN
		 * flag when the inner frame is what it refused; a transport header past the extension chain
		 * the parser walks may be UDP to the VXLAN port, which Linux walks on to and decapsulates:
		 * judged as a tunnel too), and never from or to a denied address, when its IP header is there */
		if (s->flags & (XDPML_F_VXLAN | XDPML_F_CHAIN_CUT)) {
			__u64 t = xdpml_fw_tunnel(ctx, s, gen, cfg, vxlan_port);
			if (t)
				return xdpml_fw_verdict(fc, (__u32)t, t >> 32);
		}
		if (xdpml_fw_read_addresses(ctx, s->l3_off, &p) == 0) {
			if (xdpml_fw_mapped_source(&p))
				return xdpml_fw_verdict(fc, XDPML_FWC_DROP_MAPPED_SOURCE, XDPML_FW_NO_RULE);
			if ((cfg->has_deny_src && xdpml_fw_in_list(gen, XDPML_FW_DENY_SRC, &p, p.src, &v)) ||
			    (cfg->has_deny_dst && xdpml_fw_in_list(gen, XDPML_FW_DENY_DST, &p, p.dst, &v)))
				return xdpml_fw_verdict(fc, XDPML_FWC_DROP_DENY_LIST, XDPML_FW_NO_RULE);
		}
		return xdpml_fw_verdict(fc, XDPML_FWC_PASS_MALFORMED, XDPML_FW_NO_RULE);
	}
	if (!(s->flags & (XDPML_F_IPV4 | XDPML_F_IPV6)))
		return xdpml_fw_verdict(fc, XDPML_FWC_PASS_NOT_IP, XDPML_FW_NO_RULE);
	if (xdpml_fw_read(ctx, s, &p) < 0) /* cannot happen after a clean parse */
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_MALFORMED, XDPML_FW_NO_RULE);
	if (xdpml_fw_mapped_source(&p))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_MAPPED_SOURCE, XDPML_FW_NO_RULE);

	if (cfg->has_deny_src && xdpml_fw_in_list(gen, XDPML_FW_DENY_SRC, &p, p.src, &v))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_DENY_LIST, XDPML_FW_NO_RULE);
	if (cfg->has_deny_dst && xdpml_fw_in_list(gen, XDPML_FW_DENY_DST, &p, p.dst, &v))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_DENY_LIST, XDPML_FW_NO_RULE);
	/* a tunnel whose inner packet has an IP header: its outer packet first (the inner is judged below);
	 * without one, the packet judged below is the outer one itself (xdpml_fw_outer_only) */
	if ((s->flags & XDPML_F_VXLAN) && !xdpml_fw_outer_only(s)) {
		__u64 t = xdpml_fw_tunnel(ctx, s, gen, cfg, vxlan_port);
		if (t)
			return xdpml_fw_verdict(fc, (__u32)t, t >> 32);
	}

	/* a later fragment of a datagram whose first fragment was dropped here: dropped with it */
	if (s->flags & XDPML_F_LATER_FRAGMENT) {
		__u32 r = xdpml_fw_frag_follow(ctx, s, &p, clock);
		if (r) {
			fc->c[XDPML_FWC_FRAG_FOLLOWED]++;
			return xdpml_fw_verdict(fc, r, XDPML_FW_NO_RULE);
		}
	}

	/* the clock costs ~20 ns: read it only for the stages that need time */
	__u64 now = 0;
	if (cfg->rate_pps || cfg->syn_pps || cfg->flood_pps || cfg->bare_pps || cfg->icmp_pps || cfg->conntrack)
		now = xdpml_now_once(clock);
	int syn_only = p.proto == 6 && (p.tcp_flags & (XDPML_TCP_SYN | XDPML_TCP_ACK)) == XDPML_TCP_SYN;

	struct xdpml_fw_rate *rate = 0;
	if (cfg->rate_pps || cfg->syn_pps) {
		struct xdpml_fw_rate_key rk = {.family = p.family, .vni = xdpml_fw_outer_only(s) ? 0 : xdpml_fw_key_vni(s)};
		xdpml_fw_mapped(&p, p.src, (__u32 *)rk.addr);
		rate = bpf_map_lookup_elem(&xdpml_fw_rate, &rk);
		if (!rate) {
			struct xdpml_fw_rate fresh = {
				.all = {.level = cfg->rate_cap},
				.syn = {.level = cfg->syn_cap},
			};
			bpf_map_update_elem(&xdpml_fw_rate, &rk, &fresh, BPF_NOEXIST);
			rate = bpf_map_lookup_elem(&xdpml_fw_rate, &rk);
		}
		if (rate && cfg->rate_pps && !xdpml_fw_take(&rate->all, now, cfg->rate_pps, cfg->rate_cap))
			return xdpml_fw_verdict(fc, XDPML_FWC_DROP_RATE_LIMIT, XDPML_FW_NO_RULE);
	}

	int track = cfg->conntrack && (p.proto == 6 || p.proto == 17) && !xdpml_fw_outer_only(s);
	struct xdpml_fw_ct_key ck = {};
	struct xdpml_fw_ct *e = 0;
	int in_new = 0;
	int from_a = 1;
	int fwd = 1;
	__u32 r;
	if (track) {
		/* written in place, then swapped word by word: no copies on the stack (its 512 bytes are
		 * shared with the SYN cookie helpers' calls) */
		__u32 *wa = (__u32 *)ck.addr_a, *wb = (__u32 *)ck.addr_b;
		xdpml_fw_mapped(&p, p.src, wa);
		xdpml_fw_mapped(&p, p.dst, wb);
		int cmp = xdpml_addr_cmp(ck.addr_a, ck.addr_b);
		from_a = cmp < 0 || (cmp == 0 && p.sport <= p.dport);
		if (from_a) {
			ck.port_a = p.sport;
			ck.port_b = p.dport;
		} else {
			for (int i = 0; i < 4; i++) {
				__u32 t = wa[i];
				wa[i] = wb[i];
				wb[i] = t;
			}
			ck.port_a = p.dport;
			ck.port_b = p.sport;
		}
		ck.proto = p.proto;
		ck.family = p.family;
		ck.vni = xdpml_fw_key_vni(s);
		/* a key is in one of the two tables (xdpml_fw_ct_new: early drop); UDP looks in the
		 * unassured one first: XDP sees one host's UDP one way only (its replies leave by egress),
		 * so its UDP connections are never answered there, and stay unassured (one lookup, not two) */
		if (p.proto == 17) {
			e = bpf_map_lookup_elem(&xdpml_fw_ct_new, &ck);
			in_new = e != 0;
			if (!e)
				e = bpf_map_lookup_elem(&xdpml_fw_ct, &ck);
		} else {
			e = bpf_map_lookup_elem(&xdpml_fw_ct, &ck);
			if (!e) {
				e = bpf_map_lookup_elem(&xdpml_fw_ct_new, &ck);
				in_new = e != 0;
			}
		}
		if (e && now > e->last_ns && now - e->last_ns > xdpml_fw_ct_timeout(cfg, e->state))
			e = 0; /* expired: as absent */
		if (e) {
			fwd = from_a == e->initiator_is_a;
			/* towards the initiator (a reply to what it asked): conntrack decides before any measure */
			if (!fwd) {
				r = xdpml_fw_ct_decide(ctx, s, e, &p, 0, now, &ck, in_new);
				if (r)
					return xdpml_fw_verdict(fc, r, XDPML_FW_NO_RULE);
				e = 0; /* judged below like a packet without a connection */
			}
		}
	}

	/*
	 * A SYN over a SYN limit under syn-cookies on (why: the limit's drop reason) is answered only
	 * after the per-source limit and the policy, and only if they let it by: a cookie opens no port
	 * the rules close and no source over its own limit is answered.
	 */
	__u32 over = 0;

	/* measures: only while Java has any (one array read otherwise) */
	if (p.proto == 6 || p.proto == 17) {
		__u32 *mon = bpf_map_lookup_elem(&xdpml_fw_mstate, &zero);
		if (mon && *mon) {
			int udp_ports = p.proto == 17 && !(s->flags & XDPML_F_LATER_FRAGMENT) && (*mon & (1u << XDPML_FW_M_UDP_LIMIT));
			int bare = syn_only && p.tcp_doff == 5 && (*mon & (1u << XDPML_FW_M_BARE_SYN));
			r = xdpml_fw_measures_check(&p, syn_only, bare, udp_ports, clock);
			if (r == XDPML_FWC_DROP_MEASURE_SYN && cfg->syn_cookies)
				over = r;
			else if (r)
				return xdpml_fw_verdict(fc, r, XDPML_FW_NO_RULE);
		}
	}

	int cookie_ack = 0;
	if (track) {
		/* from the initiator: an attack that opened its own entries is not let through by them */
		if (e) {
			r = xdpml_fw_ct_decide(ctx, s, e, &p, 1, now, &ck, in_new);
			if (r)
				return xdpml_fw_verdict(fc, r, XDPML_FW_NO_RULE);
		}
		if (p.proto == 6 && !syn_only && cfg->ct_strict) {
			/* the ACK of a handshake answered with a cookie: its connection begins below, if the
			 * policy lets it by */
			if (e || !cfg->syn_cookies || !xdpml_syn_cookie_ack_valid(ctx, s))
				return xdpml_fw_verdict(fc, XDPML_FWC_DROP_CT_STRAY, XDPML_FW_NO_RULE);
			cookie_ack = 1;
		}
	}

	/* a SYN without options: no TCP stack in use sends one, flooders do (hping3, masscan, zmap);
	 * over the bucket it is dropped, never answered with a cookie (as a bare-syn-drop measure) */
	if (syn_only && p.tcp_doff == 5 && cfg->bare_pps && !xdpml_fw_take_shared(1, now, cfg->bare_pps, cfg->bare_cap))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_BARE_GLOBAL, XDPML_FW_NO_RULE);
	if (syn_only && cfg->syn_pps && rate && !xdpml_fw_take(&rate->syn, now, cfg->syn_pps, cfg->syn_cap))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_SYN_FLOOD, XDPML_FW_NO_RULE);
	if (syn_only && cfg->flood_pps && !over) {
		if (!xdpml_fw_take_shared(0, now, cfg->flood_pps, cfg->flood_cap)) {
			if (!cfg->syn_cookies)
				return xdpml_fw_verdict(fc, XDPML_FWC_DROP_SYN_GLOBAL, XDPML_FW_NO_RULE);
			over = XDPML_FWC_DROP_SYN_GLOBAL;
		}
	}

	__u32 slot = XDPML_FW_NO_RULE;
	__u32 reason = xdpml_fw_policy(gen, cfg, &p, &slot);
	xdpml_fw_hit(slot);
	/* conntrack believes a connection's first packet, and a cookie answers a SYN's source: neither
	 * for one of this host's own addresses (only a packet that would open a connection or be
	 * answered pays the lookup). Before the answer since 2026-12-06; before, a SYN over a limit
	 * from such a source was answered with a SYN-ACK first. Nor a packet that no connection decides
	 * (not TCP or UDP: ICMP, ICMPv6, any other protocol; since 2026-12-06): from such a source it is a
	 * martian Linux drops after XDP, and one never blocked (the host's own addresses), so an ICMP
	 * flood "from" the victim itself (LAND-like) went to the stack whole */
	if ((over || cookie_ack || track || (p.proto != 6 && p.proto != 17)) && xdpml_fw_is_pass(reason) && xdpml_fw_from_own(&p))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_OWN_SOURCE, slot);
	/* ICMP of all sources that would pass: a flood of it (BlackNurse's errors, a ping or smurf flood,
	 * spoofed or not) is over in a burst before a detector can name anyone. Taken last, so that what
	 * the lists, rules or the own-source check drop takes no token from the ICMP that passes. ICMPv6's
	 * neighbour discovery and multicast listener messages (types above 129) are never counted */
	if (cfg->icmp_pps && xdpml_fw_is_pass(reason) && (p.proto == 1 || (p.proto == 58 && p.icmp_type <= 129)) &&
	    !xdpml_fw_take_shared(2, now, cfg->icmp_pps, cfg->icmp_cap))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_ICMP_GLOBAL, slot);
	if (over && xdpml_fw_is_pass(reason))
		return xdpml_fw_verdict(fc, xdpml_fw_over_syn_limit(ctx, s, fc, over), slot);
	if (cookie_ack && xdpml_fw_is_pass(reason)) {
		xdpml_fw_ct_open(ctx, s, &ck, from_a | g << 1, now);
		return xdpml_fw_verdict(fc, XDPML_FWC_PASS_SYN_COOKIE, slot);
	}
	/* a TCP packet whose first state in Linux's table is INVALID (a RST, a SYN-ACK, a FIN, no flag)
	 * opens nothing: its "replies" are judged by the policy, not let by as a connection's */
	if (track && xdpml_fw_is_pass(reason) && (p.proto != 6 || xdpml_fw_tcp_opens(p.tcp_flags)))
		xdpml_fw_ct_open(ctx, s, &ck, from_a | g << 1, now);
	return xdpml_fw_verdict(fc, reason, slot);
}

/*
 * The stage (xdpml_fw_judge), and for a first fragment, its datagram noted: remembered where it is
 * dropped, so that the later fragments follow it (xdpml_fw_frags), forgotten where it passes. Not for
 * the drops by address (deny lists, an IPv4-mapped or own source), which take the later fragments
 * too: a flood of them pays no map update.
 */
static __always_inline __u32 xdpml_firewall_stage(struct xdp_md *ctx, const struct xdpml_parse_summary *s, __u32 g,
						  __u64 *clock, __u16 vxlan_port)
{
	__u32 r = xdpml_fw_judge(ctx, s, g, clock, vxlan_port);
	if ((s->flags & (XDPML_F_FRAGMENT | XDPML_F_LATER_FRAGMENT)) == XDPML_F_FRAGMENT && r != XDPML_FWC_DROP_DENY_LIST &&
	    r != XDPML_FWC_DROP_MAPPED_SOURCE && r != XDPML_FWC_DROP_OWN_SOURCE)
		xdpml_fw_frag_note(ctx, s, xdpml_fw_drops(r) ? r : 0, clock);
	return r;
}

#endif
