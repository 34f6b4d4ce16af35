/* SPDX-License-Identifier: Apache-2.0 */
/* Per-CPU counters: one map entry holding every counter, so a packet costs one lookup. */
#ifndef XDPML_STATS_H
#define XDPML_STATS_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "counters.h"
#include "parse.h"

struct xdpml_counters {
	__u64 c[XDPML_COUNTER_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_counters);
} xdpml_parse_counters SEC(".maps");

/* packets, each protocol flag the packet carries, and its error reason */
static __always_inline void xdpml_count_parse(const struct xdpml_parse_summary *s)
{
	__u32 zero = 0;
	struct xdpml_counters *c = bpf_map_lookup_elem(&xdpml_parse_counters, &zero);
	if (!c)
		return;
	c->c[XDPML_C_PACKETS]++;
	__u32 f = s->flags;
	/* branch-free: branching on the flags would make the verifier track each combination */
#pragma unroll
	for (int i = 0; i < XDPML_C_FRAGMENTS; i++)
		c->c[XDPML_C_ETHERNET + i] += (f >> i) & 1;
	__u32 e = s->error;
	if (e) /* masked, not compared: clang folds "e && e < max" into a form the verifier can't bound */
		c->c[e & (XDPML_COUNTER_MAX - 1)]++;
}

#endif
