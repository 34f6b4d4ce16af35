/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The model stage of the composed pipeline (model.h holds the model layouts and the inference):
 * the deployed model classifies a tracked packet from its flow's features, per packet or once
 * per flow (cached in the flow entry), a tree or forest inline or an MLP one layer per tail call.
 * Models are deployed by Java into the inactive slot of xdpml_models (sequence-locked) and made
 * active by the model bit of the configuration word (pipeline.h). Java twin:
 * io.xdpml.model.classify.ModelStage.
 *
 * The stage's outcome for the pipeline: XDPML_NO_CLASS, or the class with its action
 * (xdpml_model_class_of / _action); the class's confidence is in the scratch (conf). It is handed
 * on through memory rather than in the outcome: as a value the verifier would follow each range
 * it can take on every path after the stage, and give up. Below the class's min_conf the action
 * is "to Java" (XDPML_ACT_XSK) whatever the class's own, counted in LOW_CONFIDENCE.
 */
#ifndef XDPML_MODEL_STAGE_H
#define XDPML_MODEL_STAGE_H

#include "flow_stage.h"
#include "model.h"
#include "pipeline.h"
#include "firewall.h"

/* The data plane walks trees from map memory; xdp_pipeline_bench.bpf.c measures other forms. */
#ifdef XDPML_BENCH_MODELS
#include "model_bench.h"
#define XDPML_TREES_SCORED(m, s) xdpml_bench_trees_scored(m, s)
#else
#define XDPML_TREES_SCORED(m, s) xdpml_trees_scored(m, (s)->x, (s)->votes, (s)->conf_sum)
#endif

/* Test mode: keep the last packet's class (last_class, last_conf) and inputs (last_inputs) in .bss. */
volatile const __u8 cfg_record_class = 0;

/* Test mode: the class of the last packet; -1: none (not tracked, no model, not yet). */
__s32 last_class;
/* Test mode: its confidence in thousandths; -1 with no class. */
__s32 last_conf;
__u64 last_inputs[XDPML_MODEL_INPUTS];
/* xdpml_model_eval's input vector, written by Java before each test run. */
__u64 eval_inputs[XDPML_MODEL_INPUTS];
/* Puts struct xdpml_model into the object's BTF, for bpftool and ModelSlotLayoutTest. */
const volatile struct xdpml_model *xdpml_model_type = 0;

#define XDPML_MODEL_ATTEMPTS 3

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct xdpml_model);
} xdpml_models SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_model_scratch);
} xdpml_model_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_model_stats);
} xdpml_model_stats SEC(".maps");

/* MLP layer programs, index = layer; filled by Java after load. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, XDPML_MLP_MAX_LAYERS);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_mlp_layers SEC(".maps");


static __always_inline struct xdpml_model_stats *xdpml_stats(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xdpml_model_stats, &zero);
}

static __always_inline struct xdpml_model_scratch *xdpml_scratch(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xdpml_model_scratch, &zero);
}

static __always_inline struct xdpml_model *xdpml_slot(__u32 slot)
{
	return bpf_map_lookup_elem(&xdpml_models, &slot);
}

#define XDPML_NO_CLASS (-1)

static __always_inline __u32 xdpml_model_class_of(int outcome)
{
	return outcome & 0xff;
}

static __always_inline __u32 xdpml_model_action(int outcome)
{
	return (outcome >> 8) & 0xff;
}


/* The model bit of the configuration word. */
static __always_inline __u32 xdpml_model_slot(__u32 word)
{
	return (word & XDPML_CW_MODEL) ? 1 : 0;
}

static __always_inline int xdpml_unclassified(struct xdpml_model_stats *st, __u32 counter)
{
	if (st)
		st->counter[counter & (XDPML_MC_MAX - 1)]++;
	if (cfg_record_class) {
		last_class = -1;
		last_conf = -1;
	}
	return XDPML_NO_CLASS;
}

/*
 * Counts the scored class; returns it with its action (from the slot the class came from: to
 * Java when below the class's confidence threshold) and its confidence.
 */
static __always_inline int xdpml_classified(const struct xdpml_model *m, __u32 scored, __u32 length,
					    struct xdpml_model_stats *st, struct xdpml_model_scratch *s)
{
	__u32 cls = xdpml_scored_class(scored) & (XDPML_MODEL_MAX_CLASSES - 1);
	__u32 conf = xdpml_scored_conf(scored);
	s->conf = conf;
	if (cfg_record_class) {
		last_class = cls;
		last_conf = conf;
	}
	__u32 action = m->hdr.action[cls];
	int low = conf < m->hdr.min_conf[cls];
	if (low)
		action = XDPML_ACT_XSK;
	if (st) {
		st->class_packets[cls]++;
		st->class_bytes[cls] += length;
		if (low)
			st->counter[XDPML_MC_LOW_CONFIDENCE]++;
		if (action == XDPML_ACT_XSK)
			st->counter[XDPML_MC_XSK]++;
	}
	return (int)((action << 8) | cls);
}

/* An MLP's first layer inputs (scaled) and what the layer programs need, in the scratch. */
static __always_inline void xdpml_mlp_begin(struct xdpml_model_scratch *s, const struct xdpml_model *m, __u32 slot, __u32 seq,
					    __u32 length, int cache)
{
	const struct xdpml_mlp *p = &m->mlp;
	for (int j = 0; j < XDPML_MLP_MAX_IN; j++) {
		if (j >= p->n_in)
			break;
		s->act[0][j] = xdpml_mlp_input(p, j, s->x);
	}
	s->slot = slot;
	s->seq = seq;
	s->attempts = 0;
	s->length = length;
	s->cache = cache;
}

/*
 * Every layer of the MLP and its scored class, in a global function: the verifier checks it once,
 * on its own (inline in one program, the three layers' paths pass its limit). It runs in the one
 * layer program the model stage tail-calls: one tail call per packet, not one per layer (a layer
 * program's own entry cost ~20 ns; BENCHMARKS.md "Models: three forms of inference").
 */
__attribute__((noinline)) __u32 xdpml_mlp_run(struct xdpml_model_scratch *s, struct xdpml_mlp *p)
{
	if (!s || !p)
		return 0;
	xdpml_mlp_all(p, s);
	return xdpml_mlp_scored(p, s);
}

/*
 * A flow's cached class: verdict = class + 1; verdict_gen = the model's generation in bits 0-21
 * (modulo 2^22: a cached class looks current again only after 4,194,304 deployments) and the
 * confidence in bits 22-31.
 */
#define XDPML_VERDICT_GEN_MASK ((1u << 22) - 1)

static __always_inline void xdpml_cache(struct xdpml_flow *f, __u32 scored, __u32 generation)
{
	f->verdict = xdpml_scored_class(scored) + 1;
	f->verdict_gen = (generation & XDPML_VERDICT_GEN_MASK) | (xdpml_scored_conf(scored) << 22);
}

static __always_inline int xdpml_cached_current(const struct xdpml_flow *f, __u32 generation)
{
	return f->verdict && (f->verdict_gen & XDPML_VERDICT_GEN_MASK) == (generation & XDPML_VERDICT_GEN_MASK);
}

static __always_inline __u32 xdpml_cached_scored(const struct xdpml_flow *f)
{
	return xdpml_scored(f->verdict - 1, f->verdict_gen >> 22);
}

/*
 * Whether flow f's class is cached and current: the deployed model classifies per flow, is of the
 * generation that gave the class, and its slot was not being rewritten while read. Returns that
 * model, and *scored the class and confidence; else NULL. Called before the flow's update: a flow
 * with a current class is updated without its timing statistics (flow_stage.h) and its packet
 * gets the class from xdpml_model_cached_outcome, not from the model stage.
 */
static __always_inline struct xdpml_model *xdpml_model_cached(const struct xdpml_flow *f, __u32 word, __u32 *scored)
{
	if (!f->verdict)
		return 0;
	struct xdpml_model *m = xdpml_slot(xdpml_model_slot(word));
	if (!m)
		return 0;
	__u32 seq = XDPML_READ_ONCE32(m->hdr.seq);
	xdpml_barrier();
	if ((seq & 1) || m->hdr.kind == XDPML_MODEL_NONE || m->hdr.mode != XDPML_MODE_FLOW ||
	    !xdpml_cached_current(f, m->hdr.generation))
		return 0;
	*scored = xdpml_cached_scored(f);
	xdpml_barrier();
	if (XDPML_READ_ONCE32(m->hdr.seq) != seq)
		return 0;
	return m;
}

/* The model stage's outcome for a packet of a flow whose class is cached (xdpml_model_cached). */
static __always_inline int xdpml_model_cached_outcome(const struct xdpml_model *m, __u32 scored, struct xdpml_flow *f,
						      const struct xdpml_flow_key *key, struct xdpml_model_scratch *s,
						      __u32 length, __u32 norm_length, int dir)
{
	struct xdpml_model_stats *st = xdpml_stats();
	if (cfg_record_class)
		xdpml_model_inputs(f, key, norm_length, dir, last_inputs, ~0ULL);
	if (st)
		st->counter[XDPML_MC_CACHED]++;
	return xdpml_classified(m, scored, length, st, s);
}

/*
 * The stage for a packet that has just updated flow f (its key: key, in per-CPU memory that
 * survives tail calls), of frame length length (counted per class) and normalised length
 * norm_length (the model's packet_length input, flow.h). An MLP continues in the layer programs
 * (tail calls; s carries what they need) and does not come back here, except when the tail call
 * fails.
 */
static __always_inline int xdpml_model_stage(struct xdp_md *ctx, struct xdpml_flow *f, const struct xdpml_flow_key *key,
					     struct xdpml_model_scratch *s, __u32 length, __u32 norm_length, int dir,
					     __u32 word)
{
	struct xdpml_model_stats *st = xdpml_stats();
	if (cfg_record_class)
		xdpml_model_inputs(f, key, norm_length, dir, last_inputs, ~0ULL);

	for (int attempt = 0; attempt < XDPML_MODEL_ATTEMPTS; attempt++) {
		__u32 slot = xdpml_model_slot(word);
		struct xdpml_model *m = xdpml_slot(slot);
		if (!m)
			return xdpml_unclassified(st, XDPML_MC_NO_MODEL);
		__u32 seq = XDPML_READ_ONCE32(m->hdr.seq);
		xdpml_barrier();
		if (seq & 1) { /* being written: the writer flips to it soon, or it is stale */
			if (st)
				st->counter[XDPML_MC_RETRIES]++;
			continue;
		}
		if (m->hdr.kind == XDPML_MODEL_NONE)
			return xdpml_unclassified(st, XDPML_MC_NO_MODEL);
		__u32 gen = m->hdr.generation;
		int cache = 0;
		if (m->hdr.mode == XDPML_MODE_FLOW) {
			__u64 n = f->dir[0].packets + f->dir[1].packets;
			if (xdpml_cached_current(f, gen)) {
				__u32 scored = xdpml_cached_scored(f);
				xdpml_barrier();
				if (XDPML_READ_ONCE32(m->hdr.seq) != seq)
					goto retry;
				if (st)
					st->counter[XDPML_MC_CACHED]++;
				return xdpml_classified(m, scored, length, st, s);
			}
			if (n < m->hdr.flow_n)
				return xdpml_unclassified(st, XDPML_MC_UNCLASSIFIED);
			cache = 1;
		}
		xdpml_model_inputs(f, key, norm_length, dir, s->x, m->hdr.inputs_used);
		__u32 scored;
		if (m->hdr.kind == XDPML_MODEL_MLP) {
			xdpml_mlp_begin(s, m, slot, seq, length, cache);
			s->attempts = attempt;
#ifdef XDPML_BENCH_MODELS
			if (cfg_bench_mlp == 2) {
				scored = xdpml_mlp_run(s, &m->mlp);
				goto scored;
			}
#endif
			bpf_tail_call(ctx, &xdpml_mlp_layers, 0);
			return xdpml_unclassified(st, XDPML_MC_TAIL_CALL_FAILED);
		}
		scored = XDPML_TREES_SCORED(m, s);
#ifdef XDPML_BENCH_MODELS
scored:
#endif
		xdpml_barrier();
		if (XDPML_READ_ONCE32(m->hdr.seq) != seq)
			goto retry;
		if (st)
			st->counter[XDPML_MC_CLASSIFIED]++;
		if (cache)
			xdpml_cache(f, scored, gen);
		return xdpml_classified(m, scored, length, st, s);
retry:
		if (st)
			st->counter[XDPML_MC_RETRIES]++;
	}
	return xdpml_unclassified(st, XDPML_MC_GAVE_UP);
}

/*
 * The MLP, in the layer program the model stage tail-calls: every layer (xdpml_mlp_run), then the
 * slot's seq checked, the class cached in the flow if asked, and the stage's outcome returned.
 * (xdp_pipeline_bench.bpf.c keeps the former program per layer, l > 0, for measuring.)
 */
static __always_inline int xdpml_mlp_stage(struct xdp_md *ctx, struct xdpml_model_scratch *s, const struct xdpml_flow_key *key,
					   int l)
{
	struct xdpml_model_stats *st = xdpml_stats();
	struct xdpml_model *m = xdpml_slot(s->slot & 1);
	if (!m)
		return xdpml_unclassified(st, XDPML_MC_NO_MODEL);
	struct xdpml_mlp *p = &m->mlp;
	__u32 scored;
#ifdef XDPML_BENCH_MODELS
	if (cfg_bench_mlp == 1) {
		int last = l + 1 >= p->n_layers;
		xdpml_mlp_layer(p, s, l, last);
		if (!last) {
			bpf_tail_call(ctx, &xdpml_mlp_layers, l + 1);
			return xdpml_unclassified(st, XDPML_MC_TAIL_CALL_FAILED);
		}
		scored = xdpml_mlp_scored(p, s);
	} else
#endif
	scored = xdpml_mlp_run(s, p);
	__u32 gen = m->hdr.generation;
	xdpml_barrier();
	if (XDPML_READ_ONCE32(m->hdr.seq) != s->seq) {
		/* The slot was rewritten under us (Java waits a grace period after each flip before
		 * writing the old slot again, so a packet would have to take that long): leave the
		 * packet unclassified rather than classify it with a mixed model; counted. */
		return xdpml_unclassified(st, XDPML_MC_GAVE_UP);
	}
	if (st)
		st->counter[XDPML_MC_CLASSIFIED]++;
	if (s->cache) {
		struct xdpml_flow *f = bpf_map_lookup_elem(&xdpml_flows, key);
		if (f)
			xdpml_cache(f, scored, gen);
	}
	return xdpml_classified(m, scored, s->length, st, s);
}

#endif
