/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pipeline "firewall": parse (with its counters), then the firewall stage (firewall.h,
 * docs/firewall.md): deny/allow lists, rules, conntrack, rate limits; XDP_DROP or XDP_PASS.
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/firewall.h"
#include "xdpml/clock.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
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
	__u16 sport;
	__u16 dport;
};

static __always_inline int xdpml_fw_read(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
					 struct xdpml_fw_packet *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l3 = s->l3_off & 0xfff;
	__u8 *ip = data + l3;
	if ((void *)(ip + 20) > data_end)
		return -1;
	if ((ip[0] >> 4) == 4) {
		p->family = 4;
		p->src[0] = *(__u32 *)(ip + 12);
		p->dst[0] = *(__u32 *)(ip + 16);
		p->src[1] = p->src[2] = p->src[3] = 0;
		p->dst[1] = p->dst[2] = p->dst[3] = 0;
	} else {
		if ((void *)(ip + 40) > data_end)
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
	__u8 l4p = s->l4_proto;
	p->proto = (l4p == 6 || l4p == 17 || l4p == 1 || l4p == 58) ? l4p : 0;
	p->sport = s->sport;
	p->dport = s->dport;
	p->tcp_flags = 0;
	if (l4p == 6) {
		__u8 *t = data + (s->l4_off & 0xfff);
		if ((void *)(t + 20) > data_end)
			return -1;
		p->tcp_flags = t[13];
	}
	return 0;
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

static __always_inline int xdpml_fw_addr_cmp(const __u8 *x, const __u8 *y)
{
	__u64 x0 = __builtin_bswap64(*(__u64 *)x), y0 = __builtin_bswap64(*(__u64 *)y);
	if (x0 != y0)
		return x0 < y0 ? -1 : 1;
	__u64 x1 = __builtin_bswap64(*(__u64 *)(x + 8)), y1 = __builtin_bswap64(*(__u64 *)(y + 8));
	if (x1 != y1)
		return x1 < y1 ? -1 : 1;
	return 0;
}

static __always_inline int xdpml_fw_verdict(struct xdpml_fw_counters *fc, __u32 reason, __u32 slot)
{
	fc->c[reason & (XDPML_FWC_MAX - 1)]++;
	if (cfg_record_verdict) {
		last_verdict.reason = reason;
		last_verdict.slot = slot;
	}
	switch (reason) {
	case XDPML_FWC_PASS_NOT_IP:
	case XDPML_FWC_PASS_MALFORMED:
	case XDPML_FWC_PASS_CONNTRACK:
	case XDPML_FWC_PASS_ALLOW_LIST:
	case XDPML_FWC_PASS_RULE:
	case XDPML_FWC_PASS_DEFAULT:
		return XDP_PASS;
	default:
		return XDP_DROP;
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

static __always_inline int xdpml_fw_is_pass(__u32 reason)
{
	return reason == XDPML_FWC_PASS_ALLOW_LIST || reason == XDPML_FWC_PASS_RULE ||
	       reason == XDPML_FWC_PASS_DEFAULT;
}

SEC("xdp")
int xdpml_firewall(struct xdp_md *ctx)
{
	struct xdpml_counters *c = xdpml_parse_stage(ctx, cfg_vxlan_port);
	if (!c)
		return XDP_ABORTED;
	__u32 zero = 0;
	struct xdpml_fw_counters *fc = bpf_map_lookup_elem(&xdpml_fw_stats, &zero);
	__u32 *genp = bpf_map_lookup_elem(&xdpml_fw_gen, &zero);
	if (!fc || !genp)
		return XDP_ABORTED;
	/* the generation is read once: every lookup below uses the same one */
	__u32 g = *genp & 1;
	__u8 gen = g;
	struct xdpml_fw_config *cfg = bpf_map_lookup_elem(&xdpml_fw_config, &g);
	if (!cfg)
		return XDP_ABORTED;
	fc->c[XDPML_FWC_PACKETS]++;

	const struct xdpml_parse_summary *s = &c->scratch.s;
	if (s->error)
		return xdpml_fw_verdict(fc, cfg->malformed_pass ? XDPML_FWC_PASS_MALFORMED : XDPML_FWC_DROP_MALFORMED,
					XDPML_FW_NO_RULE);
	if (!(s->flags & (XDPML_F_IPV4 | XDPML_F_IPV6)))
		return xdpml_fw_verdict(fc, XDPML_FWC_PASS_NOT_IP, XDPML_FW_NO_RULE);
	struct xdpml_fw_packet p = {};
	if (xdpml_fw_read(ctx, s, &p) < 0) /* cannot happen after a clean parse */
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_MALFORMED, XDPML_FW_NO_RULE);

	__u32 v;
	if (cfg->has_deny_src && xdpml_fw_in_list(gen, XDPML_FW_DENY_SRC, &p, p.src, &v))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_DENY_LIST, XDPML_FW_NO_RULE);
	if (cfg->has_deny_dst && xdpml_fw_in_list(gen, XDPML_FW_DENY_DST, &p, p.dst, &v))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_DENY_LIST, XDPML_FW_NO_RULE);

	/* the clock costs ~20 ns: read it only for the stages that need time */
	__u64 now = 0;
	if (cfg->rate_pps || cfg->syn_pps || cfg->flood_pps || cfg->conntrack)
		now = xdpml_now();
	int syn_only = p.proto == 6 && (p.tcp_flags & (XDPML_TCP_SYN | XDPML_TCP_ACK)) == XDPML_TCP_SYN;

	struct xdpml_fw_rate *rate = 0;
	if (cfg->rate_pps || cfg->syn_pps) {
		struct xdpml_fw_rate_key rk = {.family = p.family};
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

	int track = cfg->conntrack && (p.proto == 6 || p.proto == 17);
	struct xdpml_fw_ct_key ck = {};
	int from_a = 1;
	if (track) {
		__u32 ms[4], md[4];
		xdpml_fw_mapped(&p, p.src, ms);
		xdpml_fw_mapped(&p, p.dst, md);
		int cmp = xdpml_fw_addr_cmp((__u8 *)ms, (__u8 *)md);
		from_a = cmp < 0 || (cmp == 0 && p.sport <= p.dport);
		if (from_a) {
			__builtin_memcpy(ck.addr_a, ms, 16);
			__builtin_memcpy(ck.addr_b, md, 16);
			ck.port_a = p.sport;
			ck.port_b = p.dport;
		} else {
			__builtin_memcpy(ck.addr_a, md, 16);
			__builtin_memcpy(ck.addr_b, ms, 16);
			ck.port_a = p.dport;
			ck.port_b = p.sport;
		}
		ck.proto = p.proto;
		ck.family = p.family;
		struct xdpml_fw_ct *e = bpf_map_lookup_elem(&xdpml_fw_ct, &ck);
		if (e && !(now > e->last_ns && now - e->last_ns > xdpml_fw_ct_timeout(cfg, e->state))) {
			int r = XDPML_CT_R_PASS;
			if (p.proto == 6)
				r = xdpml_fw_ct_tcp(e, from_a == e->initiator_is_a, p.tcp_flags);
			if (r == XDPML_CT_R_INVALID)
				return xdpml_fw_verdict(fc, XDPML_FWC_DROP_CT_INVALID, XDPML_FW_NO_RULE);
			if (r == XDPML_CT_R_PASS) {
				if (now > e->last_ns)
					e->last_ns = now;
				return xdpml_fw_verdict(fc, XDPML_FWC_PASS_CONNTRACK, XDPML_FW_NO_RULE);
			}
			/* XDPML_CT_R_NEW: judged below like a packet without a connection */
		}
		if (p.proto == 6 && !syn_only && cfg->ct_strict)
			return xdpml_fw_verdict(fc, XDPML_FWC_DROP_CT_STRAY, XDPML_FW_NO_RULE);
	}

	if (syn_only && cfg->syn_pps && rate && !xdpml_fw_take(&rate->syn, now, cfg->syn_pps, cfg->syn_cap))
		return xdpml_fw_verdict(fc, XDPML_FWC_DROP_SYN_FLOOD, XDPML_FW_NO_RULE);
	if (syn_only && cfg->flood_pps) {
		struct xdpml_fw_flood *fl = bpf_map_lookup_elem(&xdpml_fw_flood, &zero);
		if (fl) {
			bpf_spin_lock(&fl->lock);
			int ok = xdpml_fw_take(&fl->b, now, cfg->flood_pps, cfg->flood_cap);
			bpf_spin_unlock(&fl->lock);
			if (!ok)
				return xdpml_fw_verdict(fc, XDPML_FWC_DROP_SYN_GLOBAL, XDPML_FW_NO_RULE);
		}
	}

	__u32 slot = XDPML_FW_NO_RULE;
	__u32 reason = xdpml_fw_policy(gen, cfg, &p, &slot);
	if (slot != XDPML_FW_NO_RULE) {
		__u64 *hits = bpf_map_lookup_elem(&xdpml_fw_hits, &slot);
		if (hits)
			(*hits)++;
	}
	if (track && xdpml_fw_is_pass(reason)) {
		struct xdpml_fw_ct fresh = {
			.last_ns = now,
			.state = p.proto == 17 ? XDPML_CT_UDP : syn_only ? XDPML_CT_SYN_SENT : XDPML_CT_ESTABLISHED,
			.initiator_is_a = from_a,
		};
		if (bpf_map_update_elem(&xdpml_fw_ct, &ck, &fresh, BPF_ANY) == 0)
			fc->c[XDPML_FWC_CT_NEW]++;
		else
			fc->c[XDPML_FWC_CT_INSERT_FAILED]++;
	}
	return xdpml_fw_verdict(fc, reason, slot);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
