/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The composed data plane: one XDP program per interface, every stage in this order, each
 * switched on or off before load (read-only globals: the verifier removes what is off, so a
 * stage that is off costs nothing):
 *
 *   parse     parse.h, stats.h        every header; protocol and parse-error counters
 *   blocks    mitigation.h            sources and flows that Java blocked (closed-loop mitigation);
 *                                     while flows are blocked, packets with no readable flow key
 *   firewall  firewall_stage.h        deny/allow lists, rules, conntrack, token buckets, SYN guard;
 *             syncookie.h             a SYN over a limit answered with a SYN cookie (XDP_TX);
 *                                     a limit's drops sampled to Java as the model's (below)
 *   ---- tail call (XDPML_TC_REST): a second verifier unit, pipeline.h ----
 *   flow      flow_stage.h            the LRU flow table, per-flow features, flow records
 *   model     model_stage.h           tree, forest or MLP (layers by tail calls), per packet or
 *                                     per flow; per-class action: pass, drop, count, to Java
 *   sample    deliver.h               1-in-N by packet or by flow (the model's drops too, when
 *                                     mirroring: copied to Java, then dropped); when mirroring,
 *                                     each flow's first packet in each direction
 *                                     too, capped per CPU
 *   deliver   deliver.h               rate cap, then the mirror ring or an AF_XDP socket
 *   end                               the default action (cfg_action)
 *
 * With the CPU spread on (cpumap.h, off by default) the interface runs xdpml_cpu_pick instead,
 * which hashes the flow and redirects the frame into xdpml_cpumap, and all of the above runs as
 * that map's program on the flow's CPU (Java loads these programs with attach type
 * BPF_XDP_CPUMAP then).
 *
 * A stage that drops ends the packet there; one exit counts how every packet left and who
 * decided (pipeline.h). Every setting a reload changes lives in a double-buffered map chosen by
 * the configuration word, read once per packet at entry. What the stages hand on across tail
 * calls lives in this CPU's struct xdpml_packet. The Java twin of this file is
 * io.xdpml.dataplane.JavaDataPlane, stage for stage.
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/clock.h"
#include "xdpml/pipeline.h"
#include "xdpml/mitigation.h"
#include "xdpml/firewall_stage.h"
#include "xdpml/flow_stage.h"
#include "xdpml/model_stage.h"
#include "xdpml/deliver.h"
#include "xdpml/cpumap.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
volatile const __u8 cfg_blocks = 0;
volatile const __u8 cfg_firewall = 0;
volatile const __u8 cfg_flow = 0;
volatile const __u8 cfg_model = 0;      /* needs cfg_flow */
volatile const __u8 cfg_sample = 0;     /* 0: nothing goes to Java; 1: by packet; 2: by flow (needs cfg_flow) */
/* What a packet that no stage ended gets (benchmarks set XDP_DROP so that programs end alike). */
volatile const __u32 cfg_action = XDP_PASS;
/* Test mode: keep each packet's parse summary in last_summary. */
volatile const __u8 cfg_record_summary = 0;

#define XDPML_SAMPLE_BY_PACKET 1
#define XDPML_SAMPLE_BY_FLOW 2
/* Whether the stages after the tail call have anything to do. */
#define XDPML_REST_ON (cfg_flow || cfg_model || cfg_sample)

#ifdef XDPML_BENCH_MODELS
/* For measuring only: the cached verdict's path cut short (flow_stage.h, cfg_bench_flow_cut 6-10). */
#define XDPML_CACHED_CUT(n, cached, ps) \
	do { \
		if (cfg_bench_flow_cut == (n) && (cached)) \
			return xdpml_leave(ps, cfg_action, XDPML_ST_END, 0); \
	} while (0)
#else
#define XDPML_CACHED_CUT(n, cached, ps) do { } while (0)
#endif

struct xdpml_parse_summary last_summary;

/* The one exit: counts and records how the packet leaves; returns its action. */
static __always_inline int xdpml_leave(struct xdpml_pipeline_stats *ps, __u32 action, __u32 stage, __u32 reason)
{
	if (ps) {
		if (action == XDP_DROP)
			ps->dropped[stage & (XDPML_ST_MAX - 1)]++;
		ps->action[action & 7]++;
	}
	if (cfg_record_result) {
		last_result.action = action;
		last_result.stage = stage;
		last_result.reason = reason;
	}
	return action;
}

/*
 * A firewall limit's drop (xdpml_fw_limit_drop) under mirror delivery, sampling by packet and the
 * slot's XDPML_DELIVER_SAMPLE_DROPPED: counted and sampled with the rest, a chosen one copied to
 * Java (no flow key yet: the copy's hash is made from the packet, verdict 0), then dropped. Before
 * 2026-12-07 what a limit dropped reached no detector, so a flood held by bare-syn-flood or
 * icmp-flood was seen at the limit's rate only and its sender never named.
 */
static __always_inline void xdpml_sample_firewall_drop(struct xdp_md *ctx, struct xdpml_packet *pk,
						       const struct xdpml_parse_summary *s)
{
	__u64 *c = xdpml_deliver_counters();
	__u32 dslot = (pk->word & XDPML_CW_DELIVER) ? 1 : 0;
	struct xdpml_deliver_config *dc = bpf_map_lookup_elem(&xdpml_deliver_config, &dslot);
	if (!c || !dc || !(dc->flags & XDPML_DELIVER_SAMPLE_DROPPED))
		return;
	int chosen = xdpml_sample_stage(c, dc, 0, 0);
	if (cfg_record_result)
		last_result.sampled = chosen;
	if (chosen) {
		int delivered = 0;
		xdpml_deliver_stage(ctx, c, dc, s, &pk->key, 0, 0, &pk->clock, &delivered);
		if (cfg_record_result)
			last_result.delivered = delivered;
	}
}

SEC("xdp")
int xdpml_pipeline(struct xdp_md *ctx)
{
	struct xdpml_pipeline_stats *ps = xdpml_pipeline_stats_this_cpu();
	struct xdpml_packet *pk = xdpml_packet_this_cpu();
	__u32 zero = 0;
	const __u32 *cw = bpf_map_lookup_elem(&xdpml_fw_gen, &zero);
	if (!ps || !pk || !cw)
		return XDP_ABORTED;
	/* one read of the configuration word: every double-buffered stage uses this one */
	pk->word = XDPML_READ_ONCE32(*cw);
	pk->clock = 0;
	pk->keyed = 0;
	pk->flow_sampled = 0;
	pk->first = 0;
	ps->packets++;
	if (cfg_record_result) {
		last_result.fw_reason = 0xffff;
		last_result.cls = -1;
		last_result.conf = 0;
		last_result.sampled = 0;
		last_result.delivered = 0;
		last_result.first_pick = 0;
	}

	/* parse */
	struct xdpml_counters *c = xdpml_parse_stage(ctx, cfg_vxlan_port);
	if (!c)
		return XDP_ABORTED;
	if (cfg_record_summary)
		last_summary = c->scratch.s;

	/* blocks */
	if (cfg_blocks) {
		__u32 why = xdpml_source_blocked(ctx, &c->scratch.s) ? XDPML_BLOCK_SOURCE
			    : xdpml_flow_blocked(ctx, &c->scratch.s);
		if (why) {
			__u64 *xc = xdpml_deliver_counters();
			if (xc) {
				xc[XDPML_XC_BLOCKED]++;
				if (why == XDPML_BLOCK_UNREADABLE)
					xc[XDPML_XC_BLOCKED_UNREADABLE]++;
			}
			return xdpml_leave(ps, XDP_DROP, XDPML_ST_BLOCKS, why);
		}
	}

	/* firewall */
	if (cfg_firewall) {
		__u32 reason = xdpml_firewall_stage(ctx, &c->scratch.s, pk->word & XDPML_CW_FIREWALL, &pk->clock,
						       cfg_vxlan_port);
		if (cfg_record_result)
			last_result.fw_reason = reason;
		if (reason == XDPML_FWC_SYN_COOKIE) /* the SYN is now its SYN-ACK (syncookie.h) */
			return xdpml_leave(ps, XDP_TX, XDPML_ST_FIREWALL, reason);
		if (xdpml_fw_drops(reason)) {
			if (cfg_sample == XDPML_SAMPLE_BY_PACKET && cfg_mirror && xdpml_fw_limit_drop(reason))
				xdpml_sample_firewall_drop(ctx, pk, &c->scratch.s);
			return xdpml_leave(ps, XDP_DROP, XDPML_ST_FIREWALL, reason);
		}
	}

	/* flow, model, sample, deliver: the second unit */
	if (XDPML_REST_ON) {
		bpf_tail_call(ctx, &xdpml_stages, XDPML_TC_REST);
		ps->tail_call_failed++;
	}
	return xdpml_leave(ps, cfg_action, XDPML_ST_END, 0);
}

/*
 * The CPU spread's entry (cpumap.h): attached to the interface instead of xdpml_pipeline when
 * cfg_cpumap_n > 0; picks the flow's CPU and redirects the frame there, where xdpml_pipeline runs.
 */
SEC("xdp")
int xdpml_cpu_pick(struct xdp_md *ctx)
{
	return xdpml_cpumap_redirect(ctx);
}

/*
 * After the model (inline, or at the end of the MLP's tail calls): its outcome acted on, then
 * sample, deliver, end. A class whose action is pass, or xsk (to Java, also below its confidence
 * threshold) and not redirected (no socket, the rate cap), ends in XDP_PASS whatever the default
 * action (model.h); count takes the default.
 */
static __always_inline int xdpml_after_model(struct xdp_md *ctx, struct xdpml_pipeline_stats *ps, struct xdpml_packet *pk,
					     const struct xdpml_parse_summary *s, int outcome,
					     const struct xdpml_model_scratch *ms)
{
	int to_java = 0;
	int pass = 0;    /* the class's action says XDP_PASS */
	int dropped = 0; /* the model's drop, sampled first when mirroring (deliver.h) */
	__u32 dropped_cls = 0;
	__u16 verdict = 0;
	if (cfg_model) {
		if (cfg_record_result) {
			last_result.cls = outcome == XDPML_NO_CLASS ? -1 : (__s16)xdpml_model_class_of(outcome);
			last_result.conf = outcome == XDPML_NO_CLASS || !ms ? 0 : ms->conf;
		}
		if (outcome != XDPML_NO_CLASS) {
			__u32 cls = xdpml_model_class_of(outcome);
			/* to Java: the class + 1 in bits 0-4, its confidence in bits 5-14, bit 15 below (xsk.h) */
			verdict = (cls + 1) | (ms ? (ms->conf & 0x3ff) << 5 : 0);
			__u32 action = xdpml_model_action(outcome);
			if (action == XDPML_ACT_DROP) {
				if (!(cfg_sample && cfg_mirror))
					return xdpml_leave(ps, XDP_DROP, XDPML_ST_MODEL, cls);
				dropped = 1;
				dropped_cls = cls;
			}
			pass = action == XDPML_ACT_PASS || action == XDPML_ACT_XSK;
			if (action == XDPML_ACT_XSK) {
				to_java = 1;
				ps->to_java_forced++;
				verdict |= XDPML_VERDICT_TO_JAVA; /* not sampled: Java counts it once */
			}
		}
	}
	if (cfg_sample || to_java) {
		__u64 *c = xdpml_deliver_counters();
		__u32 dslot = (pk->word & XDPML_CW_DELIVER) ? 1 : 0;
		struct xdpml_deliver_config *dc = bpf_map_lookup_elem(&xdpml_deliver_config, &dslot);
		if (c && dc) {
			int chosen = to_java;
			int eligible = !dropped || (dc->flags & XDPML_DELIVER_SAMPLE_DROPPED);
			if (cfg_sample && !chosen && eligible)
				chosen = xdpml_sample_stage(c, dc, cfg_sample == XDPML_SAMPLE_BY_FLOW, pk->flow_sampled);
			if (cfg_record_result)
				last_result.sampled = chosen;
			if (chosen) {
				int delivered = 0;
				int r = xdpml_deliver_stage(ctx, c, dc, s, &pk->key, pk->keyed, verdict, &pk->clock, &delivered);
				if (cfg_record_result)
					last_result.delivered = delivered;
				if (r == XDP_REDIRECT) /* never for a drop: it is only sampled when mirroring */
					return xdpml_leave(ps, XDP_REDIRECT, XDPML_ST_DELIVER, 0);
			} else if (cfg_sample && cfg_mirror && eligible && pk->first && dc->first_pps) {
				/* its flow's first packet in its direction, for the scan detectors (deliver.h) */
				int picked = xdpml_first_pick(ctx, c, dc, s, &pk->key, verdict, &pk->clock);
				if (cfg_record_result) {
					last_result.first_pick = 1;
					last_result.delivered = picked;
				}
			}
		}
	}
	if (dropped)
		return xdpml_leave(ps, XDP_DROP, XDPML_ST_MODEL, dropped_cls);
	return xdpml_leave(ps, pass ? XDP_PASS : cfg_action, XDPML_ST_END, 0);
}

/* The second unit: flow, model, then the rest. Entered only from xdpml_pipeline's tail call. */
SEC("xdp")
int xdpml_stages_rest(struct xdp_md *ctx)
{
	struct xdpml_pipeline_stats *ps = xdpml_pipeline_stats_this_cpu();
	struct xdpml_packet *pk = xdpml_packet_this_cpu();
	struct xdpml_counters *c = xdpml_counters_this_cpu();
	if (!ps || !pk || !c)
		return XDP_ABORTED;
	const struct xdpml_parse_summary *s = &c->scratch.s;

	/* flow: a flow whose class is cached and current (model_stage.h) skips its timing statistics */
	struct xdpml_flow *f = 0;
	struct xdpml_flow_packet pkt;
	int dir = 0;
	const struct xdpml_model *cached_by = 0;
	__u32 cached_scored = 0;
	int cached = 0;
	if (cfg_flow) {
		struct xdpml_flow *found; /* xdpml_flow_lookup writes every byte of pk->key */
		if (xdpml_flow_lookup(ctx, s, &pk->key, &pkt, &found) == 0) {
			if (cfg_model && found) {
				cached_by = xdpml_model_cached(found, pk->word, &cached_scored);
				cached = cached_by != 0;
			}
			XDPML_CACHED_CUT(6, cached, ps);
			f = xdpml_flow_track(&pk->key, &pkt, found, &cached, &dir, &pk->clock, &pk->tick, &pk->first);
			if (!cached) /* gone idle: updated in full, so the model runs */
				cached_by = 0;
			XDPML_CACHED_CUT(7, cached, ps);
			XDPML_CACHED_CUT(8, cached, ps);
			XDPML_CACHED_CUT(9, cached, ps);
		}
		if (f) {
			pk->keyed = 1;
			pk->flow_sampled = f->sampled;
		}
	}

	/* model: the cached class, or the model run */
	int outcome = XDPML_NO_CLASS;
	struct xdpml_model_scratch *ms = 0;
	if (cfg_model) {
		ms = xdpml_scratch();
		if (f && ms && cached_by) /* set only while the flow was counted as cached */
			outcome = xdpml_model_cached_outcome(cached_by, cached_scored, f, &pk->key, ms, pkt.length,
							     pkt.norm_length, dir);
		else if (f && ms)
			outcome = xdpml_model_stage(ctx, f, &pk->key, ms, pkt.length, pkt.norm_length, dir, pk->word);
		else
			outcome = xdpml_unclassified(xdpml_stats(), XDPML_MC_NO_MODEL); /* not tracked: never classified */
		XDPML_CACHED_CUT(10, f && ms && cached_by, ps);
	}

	/* model's action, sample, deliver, end */
	return xdpml_after_model(ctx, ps, pk, s, outcome, ms);
}

/*
 * The MLP: the model stage goes on here after its tail call (every layer in this one program), and
 * the pipeline does too, from this CPU's per-packet state.
 */
static __always_inline int xdpml_mlp_layer_then_rest(struct xdp_md *ctx, int l)
{
	struct xdpml_pipeline_stats *ps = xdpml_pipeline_stats_this_cpu();
	struct xdpml_packet *pk = xdpml_packet_this_cpu();
	struct xdpml_counters *c = xdpml_counters_this_cpu();
	struct xdpml_model_scratch *ms = xdpml_scratch();
	if (!ps || !pk || !c || !ms)
		return XDP_ABORTED;
	int outcome = xdpml_mlp_stage(ctx, ms, &pk->key, l);
	return xdpml_after_model(ctx, ps, pk, &c->scratch.s, outcome, ms);
}

SEC("xdp")
int xdpml_mlp_layer0(struct xdp_md *ctx)
{
	return xdpml_mlp_layer_then_rest(ctx, 0);
}

#ifdef XDPML_BENCH_MODELS
/* For measuring the former program per layer only (model_bench.h, cfg_bench_mlp 1). */
SEC("xdp")
int xdpml_mlp_layer1(struct xdp_md *ctx)
{
	return xdpml_mlp_layer_then_rest(ctx, 1);
}

SEC("xdp")
int xdpml_mlp_layer2(struct xdp_md *ctx)
{
	return xdpml_mlp_layer_then_rest(ctx, 2);
}
#endif

/*
 * The deployed model on a given input vector (eval_inputs) rather than a packet's flow: for
 * judging the kernel's inference on data that are not packets (flow CSVs) through
 * BPF_PROG_TEST_RUN. Same inference as the model stage; no flow, no cache; the class is in
 * last_class (test mode: cfg_record_class), also when an MLP finishes in the layer programs.
 */
SEC("xdp")
int xdpml_model_eval(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct xdpml_model_stats *st = xdpml_stats();
	struct xdpml_model_scratch *s = xdpml_scratch();
	struct xdpml_packet *pk = xdpml_packet_this_cpu();
	const __u32 *cw = bpf_map_lookup_elem(&xdpml_fw_gen, &zero);
	if (!s || !cw || !pk)
		return XDP_ABORTED;
	pk->word = XDPML_READ_ONCE32(*cw);
	pk->keyed = 0;
	__u32 slot = xdpml_model_slot(pk->word);
	struct xdpml_model *m = xdpml_slot(slot);
	if (!m)
		return XDP_ABORTED;
	if (m->hdr.kind == XDPML_MODEL_NONE) {
		xdpml_unclassified(st, XDPML_MC_NO_MODEL);
		return XDP_PASS;
	}
	for (int i = 0; i < XDPML_MODEL_INPUTS; i++)
		s->x[i] = eval_inputs[i];
	if (m->hdr.kind == XDPML_MODEL_MLP) {
		xdpml_mlp_begin(s, m, slot, XDPML_READ_ONCE32(m->hdr.seq), 0, 0);
		bpf_tail_call(ctx, &xdpml_mlp_layers, 0);
		xdpml_unclassified(st, XDPML_MC_TAIL_CALL_FAILED);
		return XDP_PASS;
	}
	if (st)
		st->counter[XDPML_MC_CLASSIFIED]++;
	xdpml_classified(m, XDPML_TREES_SCORED(m, s), 0, st, s);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
