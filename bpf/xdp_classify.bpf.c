/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pipeline "classify": parse, flow stage (flow_stage.h), then the deployed model (model.h):
 * a tree or forest inline, or an MLP one layer per tail call; then the class's action and
 * per-class counters. Models are deployed by Java into the inactive slot of xdpml_models
 * (double buffered, sequence-locked) and made active by flipping xdpml_model_active.
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/flow_stage.h"
#include "xdpml/model.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
/* The action for packets without a class (no model, not tracked, before the N-th) and COUNT. */
volatile const __u32 cfg_action = XDP_PASS;
/* Test mode: keep the last packet's class (last_class) and inputs (last_inputs) in .bss. */
volatile const __u8 cfg_record_class = 0;

/* Index of the active slot in xdpml_models (0 or 1); written by Java only. */
__u32 xdpml_model_active;
/* Test mode: the class of the last packet; -1: none (not tracked, no model, not yet). */
__s32 last_class;
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

/* AF_XDP sockets by receive queue, for XDPML_ACT_XSK. */
struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_xsks SEC(".maps");

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

static __always_inline int xdpml_unclassified(struct xdpml_model_stats *st, __u32 counter)
{
	if (st)
		st->counter[counter & (XDPML_MC_MAX - 1)]++;
	if (cfg_record_class)
		last_class = -1;
	return cfg_action;
}

/* Counts the class and applies its action (from the slot the class came from). */
static __always_inline int xdpml_act(struct xdp_md *ctx, const struct xdpml_model *m, __u32 cls, __u32 length,
				     struct xdpml_model_stats *st)
{
	cls &= XDPML_MODEL_MAX_CLASSES - 1;
	if (cfg_record_class)
		last_class = cls;
	if (st) {
		st->class_packets[cls]++;
		st->class_bytes[cls] += length;
	}
	switch (m->hdr.action[cls]) {
	case XDPML_ACT_PASS:
		return XDP_PASS;
	case XDPML_ACT_DROP:
		return XDP_DROP;
	case XDPML_ACT_XSK:
		if (st)
			st->counter[XDPML_MC_XSK]++;
		return bpf_redirect_map(&xdpml_xsks, ctx->rx_queue_index, XDP_PASS);
	default:
		return cfg_action;
	}
}

/* Stores a flow's class, found again by its key (after tail calls the pointer is gone). */
static __always_inline void xdpml_cache(struct xdpml_flow *f, __u32 cls, __u32 generation)
{
	f->verdict = cls + 1;
	f->verdict_gen = generation;
}

SEC("xdp")
int xdpml_classify(struct xdp_md *ctx)
{
	struct xdpml_counters *c = xdpml_parse_stage(ctx, cfg_vxlan_port);
	if (!c)
		return XDP_ABORTED;
	struct xdpml_model_stats *st = xdpml_stats();
	struct xdpml_model_scratch *s = xdpml_scratch();
	if (!s)
		return XDP_ABORTED;
	int dir;
	struct xdpml_flow_packet pkt;
	__builtin_memset(&s->key, 0, sizeof(s->key));
	struct xdpml_flow *f = xdpml_flow_stage(ctx, &c->scratch.s, &s->key, &pkt, &dir);
	if (!f)
		return xdpml_unclassified(st, XDPML_MC_NO_MODEL); /* not tracked: never classified */
	if (cfg_record_class)
		xdpml_model_inputs(f, &s->key, pkt.length, dir, last_inputs, ~0ULL);

	for (int attempt = 0; attempt < XDPML_MODEL_ATTEMPTS; attempt++) {
		__u32 slot = XDPML_READ_ONCE32(xdpml_model_active) & 1;
		struct xdpml_model *m = xdpml_slot(slot);
		if (!m)
			return XDP_ABORTED;
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
			if (f->verdict && f->verdict_gen == gen) {
				__u32 cls = f->verdict - 1;
				xdpml_barrier();
				if (XDPML_READ_ONCE32(m->hdr.seq) != seq)
					goto retry;
				if (st)
					st->counter[XDPML_MC_CACHED]++;
				return xdpml_act(ctx, m, cls, pkt.length, st);
			}
			if (n < m->hdr.flow_n)
				return xdpml_unclassified(st, XDPML_MC_UNCLASSIFIED);
			cache = 1;
		}
		xdpml_model_inputs(f, &s->key, pkt.length, dir, s->x, m->hdr.inputs_used);
		if (m->hdr.kind == XDPML_MODEL_MLP) {
			const struct xdpml_mlp *p = &m->mlp;
			for (int j = 0; j < XDPML_MLP_MAX_IN; j++) {
				if (j >= p->n_in)
					break;
				s->act[0][j] = xdpml_mlp_input(p, j, s->x);
			}
			s->slot = slot;
			s->seq = seq;
			s->attempts = attempt;
			s->length = pkt.length;
			s->cache = cache;
			bpf_tail_call(ctx, &xdpml_mlp_layers, 0);
			return xdpml_unclassified(st, XDPML_MC_TAIL_CALL_FAILED);
		}
		__u32 cls = xdpml_trees_class(m, s->x, s->votes);
		xdpml_barrier();
		if (XDPML_READ_ONCE32(m->hdr.seq) != seq)
			goto retry;
		if (st)
			st->counter[XDPML_MC_CLASSIFIED]++;
		if (cache)
			xdpml_cache(f, cls, gen);
		return xdpml_act(ctx, m, cls, pkt.length, st);
retry:
		if (st)
			st->counter[XDPML_MC_RETRIES]++;
	}
	return xdpml_unclassified(st, XDPML_MC_GAVE_UP);
}

/*
 * The deployed model on a given input vector (eval_inputs) rather than a packet's flow: for
 * judging the kernel's inference on data that are not packets (flow CSVs) through
 * BPF_PROG_TEST_RUN. Same code as xdpml_classify from the input vector on; no flow, no cache.
 */
SEC("xdp")
int xdpml_model_eval(struct xdp_md *ctx)
{
	struct xdpml_model_stats *st = xdpml_stats();
	struct xdpml_model_scratch *s = xdpml_scratch();
	if (!s)
		return XDP_ABORTED;
	__u32 slot = XDPML_READ_ONCE32(xdpml_model_active) & 1;
	struct xdpml_model *m = xdpml_slot(slot);
	if (!m)
		return XDP_ABORTED;
	if (m->hdr.kind == XDPML_MODEL_NONE)
		return xdpml_unclassified(st, XDPML_MC_NO_MODEL);
	for (int i = 0; i < XDPML_MODEL_INPUTS; i++)
		s->x[i] = eval_inputs[i];
	if (m->hdr.kind == XDPML_MODEL_MLP) {
		const struct xdpml_mlp *p = &m->mlp;
		for (int j = 0; j < XDPML_MLP_MAX_IN; j++) {
			if (j >= p->n_in)
				break;
			s->act[0][j] = xdpml_mlp_input(p, j, s->x);
		}
		s->slot = slot;
		s->seq = XDPML_READ_ONCE32(m->hdr.seq);
		s->attempts = 0;
		s->length = 0;
		s->cache = 0;
		bpf_tail_call(ctx, &xdpml_mlp_layers, 0);
		return xdpml_unclassified(st, XDPML_MC_TAIL_CALL_FAILED);
	}
	if (st)
		st->counter[XDPML_MC_CLASSIFIED]++;
	return xdpml_act(ctx, m, xdpml_trees_class(m, s->x, s->votes), 0, st);
}

/*
 * MLP layer L: one program per layer so every tail call has a constant key. The last layer
 * checks the slot's seq (restarting the classification from the entry program's inputs if the
 * slot was rewritten), takes the argmax, caches it in the flow if asked, and acts.
 */
static __always_inline int xdpml_mlp_stage(struct xdp_md *ctx, int l)
{
	struct xdpml_model_stats *st = xdpml_stats();
	struct xdpml_model_scratch *s = xdpml_scratch();
	if (!s)
		return XDP_ABORTED;
	struct xdpml_model *m = xdpml_slot(s->slot & 1);
	if (!m)
		return XDP_ABORTED;
	const struct xdpml_mlp *p = &m->mlp;
	int last = l + 1 >= p->n_layers;
	xdpml_mlp_layer(p, s, l, last);
	if (!last) {
		bpf_tail_call(ctx, &xdpml_mlp_layers, l + 1);
		return xdpml_unclassified(st, XDPML_MC_TAIL_CALL_FAILED);
	}
	__u32 cls = xdpml_mlp_argmax(p, s);
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
		struct xdpml_flow *f = bpf_map_lookup_elem(&xdpml_flows, &s->key);
		if (f)
			xdpml_cache(f, cls, gen);
	}
	return xdpml_act(ctx, m, cls, s->length, st);
}

SEC("xdp")
int xdpml_mlp_layer0(struct xdp_md *ctx)
{
	return xdpml_mlp_stage(ctx, 0);
}

SEC("xdp")
int xdpml_mlp_layer1(struct xdp_md *ctx)
{
	return xdpml_mlp_stage(ctx, 1);
}

SEC("xdp")
int xdpml_mlp_layer2(struct xdp_md *ctx)
{
	return xdpml_mlp_stage(ctx, 2);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
