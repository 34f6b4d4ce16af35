/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For measuring only (issue 14, item 4): other forms of the model stage's inference, compiled into
 * xdp_pipeline_bench.bpf.c (never into the data plane's own object), each chosen before load:
 *
 *   cfg_bench_trees  0 the map walk of model.h (the data plane's)
 *                    1 the benchmark tree (BenchModels.tree(10)) compiled to straight-line code
 *                    2 the benchmark forest (BenchModels.forest(4, 10)) compiled likewise
 *                    3 a packed layout: complete trees in implicit order (children of i at 2i+1
 *                      and 2i+2, no right index, no leaf test), 8 bytes per node, in one map value
 *                    4 the map walk with the forest's votes in registers (a global function)
 *   cfg_bench_mlp    0 one tail call for all layers (the data plane's, since issue 14)
 *                    1 one tail call per layer (the data plane's before: layer programs 1 and 2
 *                      exist in this object only)
 *                    2 no tail call: every layer in the model stage
 *
 * The compiled trees (model_compiled_bench.h) are generated from the benchmark models by
 * io.xdpml.model.kernel.TreeCodegen (a test holds the file to the generator); each is a global
 * function, so the verifier checks it once, not once per path into it. The packed trees are
 * written by io.xdpml.model.kernel.PackedTrees. The Java twin of every form is TreeEnsemble /
 * QuantizedMlp: BenchModelFormsTest holds them to it.
 */
#ifndef XDPML_MODEL_BENCH_H
#define XDPML_MODEL_BENCH_H

#include "model.h"

volatile const __u8 cfg_bench_trees = 0;
volatile const __u8 cfg_bench_mlp = 0;
/* the packed walk: 0 branch-free (the comparison as a borrow), 1 a branch per node */
volatile const __u8 cfg_bench_packed_branch = 0;

#define XDPML_PACKED_MAX_NODES 8192
#define XDPML_PACKED_MAX_LEAVES 8192

/* Complete trees of one depth, in implicit order; tree t's nodes at t * nodes_per_tree, leaves at t << depth. */
struct xdpml_packed_trees {
	__u32 n_trees;
	__u32 depth;          /* every leaf at this depth (1..XDPML_MODEL_MAX_PATH - 1) */
	__u32 nodes_per_tree; /* 2^depth - 1 */
	__u32 zero;           /* 0, unknown to the verifier: i ^ zero is i to the CPU and any value to the verifier */
	__u64 node[XDPML_PACKED_MAX_NODES];  /* feature << 32 | threshold (threshold < 2^32) */
	__u32 leaf[XDPML_PACKED_MAX_LEAVES]; /* the leaf's scored class: class | confidence << 16 */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_packed_trees);
} xdpml_bench_packed SEC(".maps");

/*
 * 1 if x > t (unsigned), as the borrow out of t - x: no branch, so the verifier follows one path
 * through the walk rather than one per leaf.
 */
static __always_inline __u64 xdpml_gt(__u64 x, __u64 t)
{
	return ((~t & x) | (~(t ^ x) & (t - x))) >> 63;
}

/* The scored class (class | conf << 16) of packed tree t's leaf for inputs x. */
static __always_inline __u32 xdpml_packed_leaf(const struct xdpml_packed_trees *p, __u32 t, const __u64 *x)
{
	__u32 depth = p->depth, base = t * p->nodes_per_tree, i = 0, zero = p->zero;
	for (int d = 0; d < XDPML_MODEL_MAX_PATH; d++) {
		if (d >= depth)
			break;
		__u64 n = p->node[(base + i) & (XDPML_PACKED_MAX_NODES - 1)];
		if (cfg_bench_packed_branch) /* a branch; both sides then look alike to the verifier (one path) */
			i = (x[(n >> 32) & (XDPML_MODEL_INPUT_SLOTS - 1)] > (__u32)n ? 2 * i + 2 : 2 * i + 1) ^ zero;
		else
			i = 2 * i + 1 + (__u32)xdpml_gt(x[(n >> 32) & (XDPML_MODEL_INPUT_SLOTS - 1)], (__u32)n);
	}
	return p->leaf[((t << (depth & 15)) + i - p->nodes_per_tree) & (XDPML_PACKED_MAX_LEAVES - 1)];
}

/* A forest's vote over the trees' scored leaves already counted in votes / conf_sum (as model.h). */
static __always_inline __u32 xdpml_bench_vote(const __u8 *votes, const __u16 *conf_sum, __u32 n)
{
	__u32 best = 0, best_votes = votes[0], best_conf = conf_sum[0];
	for (int c = 1; c < XDPML_MODEL_MAX_CLASSES; c++) {
		if (votes[c] > best_votes) {
			best = c;
			best_votes = votes[c];
			best_conf = conf_sum[c];
		}
	}
	return xdpml_scored(best, n ? best_conf / n : 0);
}

static __always_inline __u32 xdpml_packed_scored(const __u64 *x, __u8 *votes, __u16 *conf_sum)
{
	__u32 zero = 0;
	const struct xdpml_packed_trees *p = bpf_map_lookup_elem(&xdpml_bench_packed, &zero);
	if (!p)
		return 0;
	__u32 n = p->n_trees;
	if (n <= 1)
		return xdpml_packed_leaf(p, 0, x);
	__builtin_memset(votes, 0, XDPML_MODEL_MAX_CLASSES);
	__builtin_memset(conf_sum, 0, XDPML_MODEL_MAX_CLASSES * sizeof(__u16));
	for (int t = 0; t < XDPML_MODEL_MAX_TREES; t++) {
		if (t >= n)
			break;
		__u32 leaf = xdpml_packed_leaf(p, t, x);
		__u32 c = xdpml_scored_class(leaf) & (XDPML_MODEL_MAX_CLASSES - 1);
		votes[c]++;
		conf_sum[c] += (__u16)xdpml_scored_conf(leaf);
	}
	return xdpml_bench_vote(votes, conf_sum, n);
}

/*
 * The packed forest as a global function: the verifier checks it once, on its own, rather than
 * once per path of the model stage into it (inline, the stage passes its limit).
 */
__attribute__((noinline)) __u32 xdpml_packed_scored_g(struct xdpml_model_scratch *s)
{
	if (!s)
		return 0;
	return xdpml_packed_scored(s->x, s->votes, s->conf_sum);
}

/* A compiled forest's leaf: counted into the scratch's votes (a global function cannot return to a vote in registers cheaply). */
#define XDPML_VOTE(s, c, conf)                          \
	do {                                             \
		(s)->votes[(c)]++;                       \
		(s)->conf_sum[(c)] += (conf);            \
	} while (0)

__u32 xdpml_compiled_dt(struct xdpml_model_scratch *s);
__u32 xdpml_compiled_rf(struct xdpml_model_scratch *s);

/*
 * The map walk with the forest's votes and confidence sums kept in registers (8 bits a class's
 * votes, 16 bits its sum; TreeEnsemble.scored's own packing) rather than in the per-CPU scratch.
 */
static __always_inline __u32 xdpml_trees_scored_reg(const struct xdpml_model *m, const __u64 *x)
{
	__u32 n = m->hdr.n_trees;
	if (n <= 1) {
		const struct xdpml_tree_node *leaf = &m->nodes[xdpml_tree_leaf(m, 0, x)];
		return xdpml_scored(leaf->leaf_class, (__u32)leaf->threshold);
	}
	__u64 lo = 0, hi = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	for (int t = 0; t < XDPML_MODEL_MAX_TREES; t++) {
		if (t >= n)
			break;
		const struct xdpml_tree_node *leaf = &m->nodes[xdpml_tree_leaf(m, m->hdr.root[t], x)];
		__u32 c = leaf->leaf_class & (XDPML_MODEL_MAX_CLASSES - 1);
		__u64 one = 1ULL << ((c & 7) * 8), conf = (__u64)(__u16)leaf->threshold << ((c & 3) * 16);
		__u64 lo_hi = c >> 3, q = c >> 2;
		lo += one & (lo_hi - 1);
		hi += one & -lo_hi;
		s0 += conf & -(__u64)(q == 0);
		s1 += conf & -(__u64)(q == 1);
		s2 += conf & -(__u64)(q == 2);
		s3 += conf & -(__u64)(q == 3);
	}
	__u32 best = 0, best_votes = lo & 0xff;
	for (int c = 1; c < XDPML_MODEL_MAX_CLASSES; c++) {
		__u32 v = ((c < 8 ? lo : hi) >> ((c & 7) * 8)) & 0xff;
		if (v > best_votes) {
			best = c;
			best_votes = v;
		}
	}
	__u64 sums = best < 4 ? s0 : best < 8 ? s1 : best < 12 ? s2 : s3;
	return xdpml_scored(best, ((sums >> ((best & 3) * 16)) & 0xffff) / n);
}

/* ... as a global function: inline, the model stage passes the verifier's limit. */
__attribute__((noinline)) __u32 xdpml_trees_scored_reg_g(struct xdpml_model *m, struct xdpml_model_scratch *s)
{
	if (!m || !s)
		return 0;
	return xdpml_trees_scored_reg(m, s->x);
}

/* The trees' scored class in the form cfg_bench_trees chose. */
static __always_inline __u32 xdpml_bench_trees_scored(const struct xdpml_model *m, struct xdpml_model_scratch *s)
{
	if (cfg_bench_trees == 1)
		return xdpml_compiled_dt(s);
	if (cfg_bench_trees == 2)
		return xdpml_compiled_rf(s);
	if (cfg_bench_trees == 3)
		return xdpml_packed_scored_g(s);
	if (cfg_bench_trees == 4)
		return xdpml_trees_scored_reg_g((struct xdpml_model *)m, s);
	return xdpml_trees_scored(m, s->x, s->votes, s->conf_sum);
}

#include "model_compiled_bench.h"

#endif
