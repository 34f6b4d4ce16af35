/* SPDX-License-Identifier: Apache-2.0 */
/* Per-CPU counters: one map entry holding every counter, so a packet costs one lookup. */
#ifndef XDPML_STATS_H
#define XDPML_STATS_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "counters.h"
#include "parse.h"

/*
 * The parse counters of one CPU, kept as a histogram: packets per combination of the ten
 * counted protocol flags (one increment per packet, instead of one per protocol), and packets
 * per error reason. Java derives every counter from it: packets = the sum, "ipv4" = the sum over
 * combinations with the IPv4 bit, and so on (io.xdpml.packet.ParseCounters#fromHistogram).
 *
 *   by_flags[0 .. 1023]   index = flags & XDPML_F_COUNTED_MASK
 *   by_error[0 .. 63]     index = error reason (enum xdpml_counter); slot 0 unused
 *   scratch               the packet being parsed (struct xdpml_parse_result): sharing the
 *                         entry saves a second map lookup per packet
 */
struct xdpml_counters {
	__u64 by_flags[XDPML_FLAG_COMBOS];
	__u64 by_error[XDPML_COUNTER_MAX];
	struct xdpml_parse_result scratch;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_counters);
} xdpml_parse_counters SEC(".maps");

/* This CPU's counters (and parse scratch); NULL cannot happen for an array of one. */
static __always_inline struct xdpml_counters *xdpml_counters_this_cpu(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xdpml_parse_counters, &zero);
}

static __always_inline void xdpml_count_parse(struct xdpml_counters *c)
{
	const struct xdpml_parse_summary *s = &c->scratch.s;
	c->by_flags[s->flags & XDPML_F_COUNTED_MASK]++;
	__u32 e = s->error;
	if (e) /* masked, not compared: clang folds "e && e < max" into a form the verifier can't bound */
		c->by_error[e & (XDPML_COUNTER_MAX - 1)]++;
}

/*
 * The parse stage every pipeline starts with: parse into this CPU's scratch, count. Returns the
 * counters (the summary is c->scratch.s), or NULL (cannot happen: an array of one).
 */
static __always_inline struct xdpml_counters *xdpml_parse_stage(struct xdp_md *ctx, __u16 vxlan_port)
{
	struct xdpml_counters *c = xdpml_counters_this_cpu();
	if (!c)
		return NULL;
	xdpml_parse_packet(ctx, &c->scratch, vxlan_port);
	xdpml_count_parse(c);
	return c;
}

#endif
