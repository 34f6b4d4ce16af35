/* SPDX-License-Identifier: Apache-2.0 */
/*
 * In-kernel classifiers in integer arithmetic: decision trees / forests walked from map memory,
 * and a quantized MLP evaluated one layer per program (tail calls). The Java twins are
 * io.xdpml.model.quantized.TreeEnsemble and QuantizedMlp (semantics in their javadoc), held
 * bit-exact against this file by ModelKernelParityTest; ModelSlotLayout mirrors the structs.
 *
 * A deployment is a model slot. Two slots are kept (double buffering) in one BPF_F_MMAPABLE
 * array; Java writes the inactive slot in place under a sequence lock and then flips the model bit
 * of the configuration word (XDPML_CW_MODEL), which the packet reads once. A classification reads
 * its slot's seq before and after; an odd or changed seq means a writer touched the slot meanwhile,
 * and the classification is redone, on the same slot (up to 3 attempts, then unclassified). The
 * flip returns only after an RCU grace period (ConfigWord), so no packet still reads a slot when
 * Java next rewrites it: no packet is classified by a half-written model, and no packet waits.
 *
 *   struct xdpml_model (one slot), offsets in bytes:
 *     0 hdr (128)  128 nodes[XDPML_MODEL_MAX_NODES] (16 each)  128 + 16 * MAX_NODES  mlp
 *
 * Every class comes with a confidence in thousandths (0..1000), computed in integers here and
 * in the Java twin alike: a tree's leaf carries its own (in the leaf's unused threshold: the
 * leaf's class share in the training data, Laplace-smoothed); a forest's is the sum of the leaf
 * confidences of the trees that voted for the winning class over the number of trees; an MLP's
 * comes from the margin between its two highest outputs through the model's calibration table.
 * The stage hands on a scored class: class in bits 0-7, confidence in bits 16-25.
 */
#ifndef XDPML_MODEL_H
#define XDPML_MODEL_H

#include <linux/types.h>
#include "flow.h"

#define XDPML_MODEL_INPUTS 48      /* io.xdpml.model.ModelInputs.COUNT */
#define XDPML_MODEL_INPUT_SLOTS 64 /* the input vector's size: indexes are masked with 63 */
#define XDPML_MODEL_MAX_CLASSES 16
#define XDPML_MODEL_MAX_NODES 8192
#define XDPML_MODEL_MAX_TREES 16
#define XDPML_MODEL_MAX_PATH 16
#define XDPML_MLP_MAX_IN 32
#define XDPML_MLP_MAX_WIDTH 32
#define XDPML_MLP_MAX_LAYERS 3
#define XDPML_MLP_LEVELS 127
#define XDPML_MLP_SHIFT 16

#define XDPML_TREE_LEAF 0xffff
#define XDPML_CONF_MAX 1000 /* confidence is in thousandths */
#define XDPML_CONF_LEVELS 16 /* entries of an MLP's margin -> confidence table */

enum xdpml_model_kind {
	XDPML_MODEL_NONE = 0,
	XDPML_MODEL_TREES = 1, /* a tree or a forest (majority vote, ties to the lowest class) */
	XDPML_MODEL_MLP = 2,
};

enum xdpml_model_mode {
	XDPML_MODE_PACKET = 0, /* classify every packet from its flow's features after the update */
	XDPML_MODE_FLOW = 1,   /* classify a flow once, at its flow_n-th packet; cache the class */
};

/* What happens to a packet of a class. */
enum xdpml_class_action {
	XDPML_ACT_COUNT = 0, /* count it; the packet takes the pipeline's default action */
	XDPML_ACT_PASS = 1,  /* XDP_PASS */
	XDPML_ACT_DROP = 2,  /* XDP_DROP */
	XDPML_ACT_XSK = 3,   /* to the AF_XDP socket of the receive queue (XDP_PASS without one) */
};

struct xdpml_model_hdr {
	__u32 seq;        /* sequence lock: odd while Java writes this slot */
	__u32 generation; /* per deployment; a cached class of another generation is stale */
	__u8 kind;        /* enum xdpml_model_kind */
	__u8 mode;        /* enum xdpml_model_mode */
	__u8 n_classes;
	__u8 n_trees;
	__u32 flow_n;     /* XDPML_MODE_FLOW: the packet of the flow that is classified (1 = first) */
	__u8 action[XDPML_MODEL_MAX_CLASSES]; /* enum xdpml_class_action per class */
	__u16 root[XDPML_MODEL_MAX_TREES];    /* first node of each tree */
	__u64 inputs_used;                    /* bit i: the model reads input i (only those are computed) */
	/* per class: below this confidence (thousandths) the class's action is not taken and the
	 * packet goes to Java instead (XDPML_ACT_XSK); 0: always taken */
	__u16 min_conf[XDPML_MODEL_MAX_CLASSES];
	__u8 pad[24];
};

struct xdpml_tree_node {
	__u64 threshold; /* go to the next node if x[feature] <= threshold, else to right; a leaf: its confidence */
	__u16 feature;   /* input index, or XDPML_TREE_LEAF */
	__u16 leaf_class;
	__u32 right;
};

/*
 * Weights are int8 values packed three output neurons to a 64-bit word, in 21-bit lanes:
 * wp[l][g][j] = w[l][3g][j] + w[l][3g+1][j] * 2^21 + w[l][3g+2][j] * 2^42. One 64-bit multiply-add
 * by a_j then sums three neurons at once: acc = S0 + S1 * 2^21 + S2 * 2^42, exactly (no wrap), and
 * since |Sk| <= 32 * 127 * 127 < 2^20 each comes back exactly: S0 = sext21(acc), acc' = (acc - S0)
 * >> 21, and so on. Unused words are zero, so loops may run past a layer's width in steps of four.
 */
#define XDPML_MLP_LANES 3
#define XDPML_MLP_LANE_BITS 21
#define XDPML_MLP_GROUPS ((XDPML_MLP_MAX_WIDTH + XDPML_MLP_LANES - 1) / XDPML_MLP_LANES) /* 11 */
#define XDPML_MLP_ACT_SLOTS 36 /* >= XDPML_MLP_GROUPS * XDPML_MLP_LANES, a multiple of 4 */
struct xdpml_mlp {
	__u8 n_in;
	__u8 n_layers;
	__u8 width[XDPML_MLP_MAX_LAYERS + 1]; /* width[0] = n_in; width[l + 1] = outputs of layer l */
	__u8 pad[2];
	__u8 in_index[XDPML_MLP_MAX_IN];
	__u64 in_min[XDPML_MLP_MAX_IN];
	__u64 in_range[XDPML_MLP_MAX_IN]; /* max - min, > 0 */
	__s64 wp[XDPML_MLP_MAX_LAYERS][16][XDPML_MLP_MAX_WIDTH]; /* [layer][out group][in]; groups 11..15 unused */
	__s32 bias[XDPML_MLP_MAX_LAYERS][XDPML_MLP_MAX_WIDTH];
	__s32 mult[XDPML_MLP_MAX_LAYERS][XDPML_MLP_MAX_WIDTH]; /* Q16, hidden layers */
	/* calibration: confidence conf_level[i] for the highest i < conf_n with margin >= conf_margin[i]
	 * (conf_margin ascending, conf_margin[0] = 0); margin = top output - second output */
	__s64 conf_margin[XDPML_CONF_LEVELS];
	__u16 conf_level[XDPML_CONF_LEVELS];
	__u8 conf_n;
	__u8 pad2[7];
};

struct xdpml_model {
	struct xdpml_model_hdr hdr;
	struct xdpml_tree_node nodes[XDPML_MODEL_MAX_NODES];
	struct xdpml_mlp mlp;
};

/* Per-CPU scratch of a classification; survives tail calls within one packet. */
struct xdpml_model_scratch {
	__u64 x[XDPML_MODEL_INPUT_SLOTS];                 /* the input vector */
	__s64 act[2][XDPML_MLP_ACT_SLOTS];                /* MLP activations, ping-pong by layer */
	__u32 slot;                                       /* the slot being used */
	__u32 seq;                                        /* its seq when the classification began */
	__u32 attempts;
	__u32 length;                                     /* frame length */
	__u8 cache;                                       /* store the class in the flow when done */
	__u8 pad;
	__u16 conf;                                       /* the confidence of the class the stage gave */
	__u8 pad2[4];
	__u8 votes[XDPML_MODEL_MAX_CLASSES];              /* a forest's votes */
	__u16 conf_sum[XDPML_MODEL_MAX_CLASSES];          /* ... and their leaves' confidences */
};

/* Model counters (per CPU): index = enum xdpml_model_counter. */
enum xdpml_model_counter {
	XDPML_MC_NO_MODEL = 0,    /* tracked packets while no model was deployed */
	XDPML_MC_CLASSIFIED,      /* packets that ran the model */
	XDPML_MC_CACHED,          /* packets given their flow's cached class */
	XDPML_MC_UNCLASSIFIED,    /* XDPML_MODE_FLOW: packets before the flow's flow_n-th */
	XDPML_MC_RETRIES,         /* classifications redone because the slot was rewritten meanwhile */
	XDPML_MC_GAVE_UP,         /* ... and still unstable after the retries: left unclassified */
	XDPML_MC_XSK,             /* packets redirected to an AF_XDP socket */
	XDPML_MC_TAIL_CALL_FAILED,/* an MLP layer program was missing */
	XDPML_MC_LOW_CONFIDENCE,  /* classified below the class's min_conf: to Java instead of its action */
	XDPML_MC_MAX = 16,
};

/* Per-CPU model statistics: counters, then packets and bytes per class. */
struct xdpml_model_stats {
	__u64 counter[XDPML_MC_MAX];
	__u64 class_packets[XDPML_MODEL_MAX_CLASSES];
	__u64 class_bytes[XDPML_MODEL_MAX_CLASSES];
};

#define XDPML_READ_ONCE32(p) (*(volatile __u32 *)&(p))
#define xdpml_barrier() asm volatile("" ::: "memory")

/*
 * The model input vector (io.xdpml.model.ModelInputs): flow features, then counts, key fields
 * and this packet's normalised length (flow.h) and direction; only the inputs in mask (bit i: input i).
 */
static __always_inline void xdpml_model_inputs(const struct xdpml_flow *f, const struct xdpml_flow_key *key,
					       __u32 length, int dir, __u64 *out, __u64 mask)
{
	xdpml_flow_features_masked(f, out, mask);
	int i = XDPML_FLOW_FEATURES;
	XDPML_FEAT_LOAD(f->dir[XDPML_FLOW_FWD].packets);
	XDPML_FEAT_LOAD(f->dir[XDPML_FLOW_BWD].packets);
	XDPML_FEAT_LOAD(f->dir[XDPML_FLOW_FWD].bytes);
	XDPML_FEAT_LOAD(f->dir[XDPML_FLOW_BWD].bytes);
	XDPML_FEAT_LOAD(key->protocol);
	XDPML_FEAT(f->initiator_is_a ? key->port_a : key->port_b);
	XDPML_FEAT(f->initiator_is_a ? key->port_b : key->port_a);
	XDPML_FEAT_LOAD(length);
	XDPML_FEAT(dir == XDPML_FLOW_FWD);
}

/* A class with its confidence: class in bits 0-7, confidence (thousandths) in bits 16-25. */
static __always_inline __u32 xdpml_scored(__u32 cls, __u32 conf)
{
	return (cls & 0xff) | ((conf & 0x3ff) << 16);
}

static __always_inline __u32 xdpml_scored_class(__u32 scored)
{
	return scored & 0xff;
}

static __always_inline __u32 xdpml_scored_conf(__u32 scored)
{
	return (scored >> 16) & 0x3ff;
}

/* The index of the leaf tree root reaches for inputs x. */
static __always_inline __u32 xdpml_tree_leaf(const struct xdpml_model *m, __u32 root, const __u64 *x)
{
	__u32 i = root;
	for (int d = 0; d < XDPML_MODEL_MAX_PATH; d++) {
		const struct xdpml_tree_node *n = &m->nodes[i & (XDPML_MODEL_MAX_NODES - 1)];
		if (n->feature == XDPML_TREE_LEAF)
			return i & (XDPML_MODEL_MAX_NODES - 1);
		i = x[n->feature & (XDPML_MODEL_INPUT_SLOTS - 1)] <= n->threshold ? i + 1 : n->right;
	}
	return 0; /* not reached: Java checks that no path is longer than XDPML_MODEL_MAX_PATH */
}

/*
 * A tree's scored class, or a forest's: the vote (ties to the lowest class), with the summed leaf
 * confidences of the trees that voted for it over the number of trees. The votes live in map
 * memory: on the stack the verifier would track every combination of counts and never finish.
 */
static __always_inline __u32 xdpml_trees_scored(const struct xdpml_model *m, const __u64 *x, __u8 *votes, __u16 *conf_sum)
{
	__u32 n = m->hdr.n_trees;
	if (n <= 1) {
		const struct xdpml_tree_node *leaf = &m->nodes[xdpml_tree_leaf(m, 0, x)];
		return xdpml_scored(leaf->leaf_class, (__u32)leaf->threshold);
	}
	__builtin_memset(votes, 0, XDPML_MODEL_MAX_CLASSES);
	__builtin_memset(conf_sum, 0, XDPML_MODEL_MAX_CLASSES * sizeof(__u16));
	for (int t = 0; t < XDPML_MODEL_MAX_TREES; t++) {
		if (t >= n)
			break;
		const struct xdpml_tree_node *leaf = &m->nodes[xdpml_tree_leaf(m, m->hdr.root[t], x)];
		__u32 c = leaf->leaf_class & (XDPML_MODEL_MAX_CLASSES - 1);
		votes[c]++;
		conf_sum[c] += (__u16)leaf->threshold;
	}
	/* the winner's sum is carried along, not indexed by it: the verifier would track every
	 * winner apart */
	__u32 best = 0, best_votes = votes[0], best_conf = conf_sum[0];
	for (int c = 1; c < XDPML_MODEL_MAX_CLASSES; c++) {
		if (votes[c] > best_votes) {
			best = c;
			best_votes = votes[c];
			best_conf = conf_sum[c];
		}
	}
	return xdpml_scored(best, best_conf / n);
}

/* MLP input j scaled to 0..127. */
static __always_inline __s32 xdpml_mlp_input(const struct xdpml_mlp *p, int j, const __u64 *x)
{
	__u64 v = x[p->in_index[j] & (XDPML_MODEL_INPUT_SLOTS - 1)];
	__u64 min = p->in_min[j], range = p->in_range[j];
	if (v <= min)
		return 0;
	if (v - min >= range)
		return XDPML_MLP_LEVELS;
	return (__s32)((v - min) * XDPML_MLP_LEVELS / range);
}

/* clamp((acc * mult + 2^15) >> 16, 0, 127): a hidden neuron's ReLU and requantisation. */
static __always_inline __s32 xdpml_mlp_requant(__s32 acc, __s32 mult)
{
	__s64 r = ((__s64)acc * mult + (1 << (XDPML_MLP_SHIFT - 1))) >> XDPML_MLP_SHIFT;
	return r < 0 ? 0 : r > XDPML_MLP_LEVELS ? XDPML_MLP_LEVELS : (__s32)r;
}

/* A neuron's output: the raw sum in the output layer (argmax needs no requantisation). */
static __always_inline __s64 xdpml_mlp_out(const struct xdpml_mlp *p, int l, int k, __s64 acc, int last)
{
	acc += p->bias[l][k & (XDPML_MLP_MAX_WIDTH - 1)];
	return last ? acc : xdpml_mlp_requant((__s32)acc, p->mult[l][k & (XDPML_MLP_MAX_WIDTH - 1)]);
}

/* The low 21-bit lane of x, sign-extended. */
static __always_inline __s64 xdpml_lane(__s64 x)
{
	return (__s64)((__u64)x << (64 - XDPML_MLP_LANE_BITS)) >> (64 - XDPML_MLP_LANE_BITS);
}

/* Layer l of the MLP: from act[l & 1] into act[(l + 1) & 1], three neurons per pass. */
static __always_inline void xdpml_mlp_layer(const struct xdpml_mlp *p, struct xdpml_model_scratch *s, int l,
					    int last)
{
	const __s64 *in = s->act[l & 1];
	__s64 *out = s->act[(l + 1) & 1];
	__u32 n_in = p->width[l], n_out = p->width[l + 1];
	for (int g = 0; g < XDPML_MLP_GROUPS; g++) {
		if (XDPML_MLP_LANES * g >= n_out)
			break;
		const __s64 *w = p->wp[l][g];
		__s64 acc = 0;
		for (int j = 0; j < XDPML_MLP_MAX_WIDTH; j += 4) {
			if (j >= n_in)
				break;
			acc += w[j] * in[j] + w[j + 1] * in[j + 1] + w[j + 2] * in[j + 2] + w[j + 3] * in[j + 3];
		}
		__s64 s0 = xdpml_lane(acc);
		acc = (acc - s0) >> XDPML_MLP_LANE_BITS;
		__s64 s1 = xdpml_lane(acc);
		__s64 s2 = (acc - s1) >> XDPML_MLP_LANE_BITS;
		int k = XDPML_MLP_LANES * g;
		out[k] = xdpml_mlp_out(p, l, k, s0, last);
		out[k + 1] = xdpml_mlp_out(p, l, k + 1, s1, last);
		out[k + 2] = xdpml_mlp_out(p, l, k + 2, s2, last);
	}
}

/*
 * Every layer of the MLP, one after the other (the outputs end in act[n_layers & 1]); "last" a
 * constant in every call, so the verifier follows one kind of output per layer.
 */
static __always_inline void xdpml_mlp_all(const struct xdpml_mlp *p, struct xdpml_model_scratch *s)
{
	__u32 n = p->n_layers;
	if (n <= 1) {
		xdpml_mlp_layer(p, s, 0, 1);
	} else if (n == 2) {
		xdpml_mlp_layer(p, s, 0, 0);
		xdpml_mlp_layer(p, s, 1, 1);
	} else {
		xdpml_mlp_layer(p, s, 0, 0);
		xdpml_mlp_layer(p, s, 1, 0);
		xdpml_mlp_layer(p, s, 2, 1);
	}
}

/*
 * The output layer's (in act[n_layers & 1]) argmax, ties to the lowest class, scored through the
 * calibration table by the margin over the second highest output (0 on a tie).
 */
static __always_inline __u32 xdpml_mlp_scored(const struct xdpml_mlp *p, const struct xdpml_model_scratch *s)
{
	const __s64 *o = s->act[p->n_layers & 1];
	__u32 n = p->width[p->n_layers & 3];
	__u32 best = 0;
	__s64 best_v = o[0], second_v = o[1];
	if (second_v > best_v) {
		best = 1;
		best_v = o[1];
		second_v = o[0];
	}
	for (int k = 2; k < XDPML_MODEL_MAX_CLASSES; k++) {
		if (k >= n)
			break;
		if (o[k] > best_v) {
			second_v = best_v;
			best = k;
			best_v = o[k];
		} else if (o[k] > second_v) {
			second_v = o[k];
		}
	}
	__s64 margin = best_v - second_v;
	__u32 conf = p->conf_level[0];
	for (int i = 1; i < XDPML_CONF_LEVELS; i++) {
		if (i >= p->conf_n)
			break;
		if (margin >= p->conf_margin[i])
			conf = p->conf_level[i];
	}
	return xdpml_scored(best, conf);
}

#endif
