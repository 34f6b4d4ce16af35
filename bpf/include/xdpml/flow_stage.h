/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The flow stage of the pipeline: configuration, maps and the per-packet steps (xdpml_flow_lookup,
 * then xdpml_flow_track). Include it from exactly one .bpf.c per object: it defines that object's
 * flow maps and globals. Semantics: docs/flows.md.
 */
#ifndef XDPML_FLOW_STAGE_H
#define XDPML_FLOW_STAGE_H

#include "parse.h"
#include "stats.h"
#include "flow.h"
#include "clock.h"

/* A flow silent for longer than this ends; its next packet starts a new flow in its place. */
volatile const __u64 cfg_idle_timeout_ns = 120ULL * 1000000000ULL;
/* A flow still going after this long since its start or last active record is reported; 0: off. */
volatile const __u64 cfg_active_timeout_ns = 0;
/* 1-in-N sampling; 0: off. Per packet at random, and per flow by key hash (whole flows). */
volatile const __u32 cfg_sample_packet_n = 0;
volatile const __u32 cfg_sample_flow_n = 0;
/* The secret of xdpml_flow_hash (flow.h): set by Java before load from a seed drawn at random
 * (io.xdpml.flow.FlowHash.install); all zero, the hash would be a public one. */
volatile const __u64 cfg_flow_hash_key[XDPML_FLOW_HASH_WORDS] = {};
/* Benchmark mode: a random VNI in every key, so that each repetition of one packet is a new flow;
 * 2 (the benchmark build only, XDPML_BENCH_MODELS): every key twice (xdpml_bench_key_twice). */
volatile const __u8 cfg_bench_new_flows = 0;

#ifdef XDPML_BENCH_MODELS
/*
 * For measuring only (xdp_pipeline_bench.bpf.c): where the flow stage stops, to take its time apart
 * (issue 14, item 1). 0 the whole stage; 1 at its entry (the program's frame, the parse and the
 * tail call into the second unit before it); 2 after the key is built; 3 after the flow is found
 * (not updated); 4 after the clock is read; 5 after the update (no counters, no records).
 * The cached verdict's path (issue 14, item 3), cut only for a flow whose class is cached and
 * current (its first packet goes through in full and caches the class): 6 after the cache check
 * (xdpml_model_cached); 7 after the time and the idle check; 8 after xdpml_flow_update_cached;
 * 9 after the flow counters and record checks (xdpml_flow_after); 10 after the model stage's
 * outcome (xdpml_model_cached_outcome), before the action, sample and deliver checks.
 */
volatile const __u8 cfg_bench_flow_cut = 0;
/*
 * cfg_bench_new_flows 2 (the bench pipelines flow-new-promote*): every key twice, so that with
 * probation every other packet is a new flow's second and promotes (the promotion budget's cost).
 * The key's VNI is this CPU's packet count / 2, the VLAN the CPU: new keys on every CPU.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xdpml_bench_seq SEC(".maps");

static __always_inline void xdpml_bench_key_twice(struct xdpml_flow_key *key)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&xdpml_bench_seq, &zero);
	if (n) {
		key->vni = (__u32)(*n >> 1);
		key->vlan = (__u16)bpf_get_smp_processor_id();
		(*n)++;
	}
}
#define XDPML_FLOW_CUT(n, r) \
	do { \
		if (cfg_bench_flow_cut == (n)) \
			return (r); \
	} while (0)
#else
#define XDPML_FLOW_CUT(n, r) do { } while (0)
#endif
/*
 * Admission. 0: every flow enters the table at its first packet. A power of two N: a flow's first
 * packet is parked in one of N probation slots (by key hash) and the flow enters the table at its
 * second packet, first packet replayed first: the state is what tracking from the first packet
 * gives. One-packet flows (a spoofed flood) cost a slot write instead of an LRU insert, and never
 * evict the established flows. The parked packet goes on untracked (no flow, no model class). A
 * TCP SYN after a parked SYN is not a second packet: it is parked in its place (xdpml_syn_repeated).
 */
volatile const __u32 cfg_probation_slots = 0;
/*
 * The promotion budget (since 2026-12-06; docs/flows.md, "The promotion budget"): at most one
 * promotion per cfg_promote_interval_ns on average, cfg_promote_depth_ns / cfg_promote_interval_ns
 * at once; 0: no budget. A token bucket kept as a time (GCRA): xdpml_promote_tat, the time by which
 * the promotions taken so far are paid for; a promotion is taken while that time, plus its own
 * interval, is at most the depth ahead of now. Over the budget a second packet parks in its first's
 * place (counted deferred), so a flood sending each spoofed key twice (an ACK, UDP or ICMP: packets
 * that look like any flow's second) cannot turn the table over faster than the budget. Global, one
 * cache line shared by the CPUs, touched only by second packets (not by parked or tracked ones).
 */
volatile const __u64 cfg_promote_interval_ns = 0;
volatile const __u64 cfg_promote_depth_ns = 0;
__u64 xdpml_promote_tat = 0;
/* Test mode (cfg_record_features): the features of the last packet's flow after its update. */
volatile const __u8 cfg_record_features = 0;

__u64 last_features[XDPML_FLOW_FEATURES];
const struct xdpml_flow xdpml_zero_flow = {};
/* Puts struct xdpml_flow_record into the object's BTF, for bpftool and FlowLayoutTest. */
const volatile struct xdpml_flow_record *xdpml_flow_record_type = 0;

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* set by Java before load */
	__type(key, struct xdpml_flow_key);
	__type(value, struct xdpml_flow);
} xdpml_flows SEC(".maps");

/*
 * A flow's first packet, waiting for its second. 64 bytes: one cache line per slot.
 *   0 key (44)  44 pkt (12)  56 time_ns (0: the slot is empty)
 */
struct xdpml_probation {
	struct xdpml_flow_key key;
	struct xdpml_flow_packet pkt;
	__u64 time_ns;
};
/*
 * Whether a TCP packet with flags `now` after its flow's parked packet with flags `parked` repeats a
 * connection request: both SYN without ACK. It does not promote the flow; it parks in the parked
 * SYN's place. A handshake goes on with a SYN-ACK or an ACK; a spoofed SYN flood that sends each key
 * twice (or more), the same SYN or a new one, never does, so its keys stay on probation (since
 * 2026-12-06; before, any second packet promoted: docs/flows.md, "Admission").
 */
static __always_inline int xdpml_syn_repeated(__u8 parked, __u8 now)
{
	return (parked & 0x12) == 0x02 && (now & 0x12) == 0x02; /* SYN 0x02, ACK 0x10 */
}

/* One cache line a slot: under a spoofed flood every packet writes one (docs/flows.md, "Admission") */
_Static_assert(sizeof(struct xdpml_probation) == 64, "a probation slot is one cache line");

/* Shared by the CPUs (a flow's two directions may arrive on two): a slot two CPUs write at once
 * may mix two first packets, a rare inexact start of one flow, never a crash. A parked packet is
 * replayed once: the CPU that empties its slot by compare-and-swap replays it (xdpml_flow_track). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* cfg_probation_slots, set by Java before load */
	__type(key, __u32);
	__type(value, struct xdpml_probation);
} xdpml_probation SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPML_FC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} xdpml_flow_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20); /* bytes; set by Java before load */
} xdpml_flow_records SEC(".maps");

static __always_inline void xdpml_flow_count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&xdpml_flow_counters, &which);
	if (v)
		(*v)++;
}

/*
 * Compare-and-swaps a second packet tries on the budget before it is refused for contention alone.
 * Each one lost means another CPU took a promotion in between, so 4 in a row take at least 4
 * promotions of other CPUs within the few ns of this CPU's loop; refused then, the packet is
 * counted deferred like one over the budget (docs/flows.md, "The promotion budget").
 */
#define XDPML_PROMOTE_TRIES 4

/*
 * Whether a flow may be promoted at `now` within the budget, taking it if so. Two CPUs taking one at
 * the same instant: the one whose compare-and-swap loses tries again from the time the winner wrote
 * (what the compare-and-swap returns), up to XDPML_PROMOTE_TRIES times, so it is refused when the
 * budget is spent, not because another CPU took a token at the same moment (before 2026-12-06 it
 * was refused at its first loss: the kernel deferred flows the Java twin, one thread, promotes).
 * The budget is never exceeded: every promotion is one successful compare-and-swap of the time it
 * checked. Times are unsigned: a packet older than the budget's last promotion finds the bucket as
 * that promotion left it.
 */
static __always_inline int xdpml_promotion_allowed(__u64 now)
{
	if (!cfg_promote_interval_ns)
		return 1;
	__u64 tat = xdpml_promote_tat;
#pragma unroll
	for (int i = 0; i < XDPML_PROMOTE_TRIES; i++) {
		__u64 next = (tat > now ? tat : now) + cfg_promote_interval_ns;
		if (next - now > cfg_promote_depth_ns)
			break;
		__u64 seen = __sync_val_compare_and_swap(&xdpml_promote_tat, tat, next);
		if (seen == tat)
			return 1;
		tat = seen;
	}
	xdpml_flow_count(XDPML_FC_DEFERRED);
	return 0;
}

/* One record to Java; counted as written or lost, never dropped silently. */
static __always_inline void xdpml_flow_emit(const struct xdpml_flow_key *key, const struct xdpml_flow *f,
					    __u32 reason, __u64 now)
{
	struct xdpml_flow_record *r = bpf_ringbuf_reserve(&xdpml_flow_records, sizeof(*r), 0);
	if (!r) {
		xdpml_flow_count(XDPML_FC_RECORDS_LOST);
		return;
	}
	r->time_ns = now;
	r->reason = reason;
	r->pad = 0;
	r->key = *key;
	r->pad2 = 0;
	__builtin_memcpy(&r->flow, f, sizeof(*f));
	bpf_ringbuf_submit(r, 0);
	xdpml_flow_count(XDPML_FC_RECORDS);
}

/*
 * Keys the parsed packet (summary s) and looks its flow up: fills key and pkt, and *found with the
 * flow's state (map memory; NULL when the table has none yet). Returns -1 when the packet is not
 * tracked (no IP header).
 */
static __always_inline int xdpml_flow_lookup(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
					     struct xdpml_flow_key *key, struct xdpml_flow_packet *pkt,
					     struct xdpml_flow **found)
{
	*found = NULL;
	XDPML_FLOW_CUT(1, -1);
	if (xdpml_flow_key_of(ctx, s, key, pkt) < 0) {
		xdpml_flow_count(XDPML_FC_NOT_IP);
		return -1;
	}
#ifdef XDPML_BENCH_MODELS
	if (cfg_bench_new_flows == 2)
		xdpml_bench_key_twice(key);
	else
#endif
	if (cfg_bench_new_flows)
		key->vni = bpf_get_prandom_u32();
	XDPML_FLOW_CUT(2, -1);
	*found = bpf_map_lookup_elem(&xdpml_flows, key);
	XDPML_FLOW_CUT(3, -1);
	return 0;
}

/* Whether flow f, last seen at f->last_ns, has been idle at now for longer than the idle timeout. */
static __always_inline int xdpml_flow_idle(const struct xdpml_flow *f, __u64 now)
{
	return now > f->last_ns && now - f->last_ns > cfg_idle_timeout_ns;
}

/* The records a packet may cause (TCP close, active timeout) and the sampling counters. */
static __always_inline void xdpml_flow_after(const struct xdpml_flow_key *key, struct xdpml_flow *f, __u64 now)
{
	xdpml_flow_count(XDPML_FC_PACKETS);
	__u8 cl = f->closing;
	if (!(cl & XDPML_CLOSE_ENDED) &&
	    ((cl & XDPML_CLOSE_RST) || (cl & (XDPML_CLOSE_FIN_FWD | XDPML_CLOSE_FIN_BWD)) ==
					       (XDPML_CLOSE_FIN_FWD | XDPML_CLOSE_FIN_BWD))) {
		f->closing = cl | XDPML_CLOSE_ENDED;
		xdpml_flow_emit(key, f, XDPML_FR_TCP_CLOSE, now);
	} else if (cfg_active_timeout_ns && !(cl & XDPML_CLOSE_ENDED)) {
		__u64 since = f->exported_ns ? f->exported_ns : f->first_ns;
		if (now > since && now - since >= cfg_active_timeout_ns) {
			f->exported_ns = now;
			xdpml_flow_emit(key, f, XDPML_FR_ACTIVE, now);
		}
	}

	if (cfg_sample_packet_n && bpf_get_prandom_u32() % cfg_sample_packet_n == 0)
		xdpml_flow_count(XDPML_FC_SAMPLED_RANDOM);
	if (f->sampled)
		xdpml_flow_count(XDPML_FC_SAMPLED_FLOW);
	if (cfg_record_features)
		xdpml_flow_features(f, last_features);
}

/*
 * The packet (key, pkt) of flow `found` (xdpml_flow_lookup; NULL: not in the table) tracked: its
 * flow created or admitted, restarted when idle, updated, records emitted. *cached in: the flow's
 * class is cached and current (model_stage.h, xdpml_model_cached); then, unless the flow has gone
 * idle, it is updated without its timing statistics at a time that may be a tick behind
 * (xdpml_now_coarse_tick: the coarse clock, read once per tick on this CPU and kept in *tick; the
 * precise clock costs 20-40 ns here, the coarse one 4-7), and *cached stays 1; else 0. Returns
 * the flow's state (map memory) or NULL when the packet is not tracked; *dir, the packet's
 * direction. *clock: the packet's time, read once per packet. *first_pkt: set to 1 for the first
 * packet of each direction of its flow (since 2026-12-06; before, of the flow alone): a flow
 * created or restarted after idle, or a packet parked on probation, and the first packet that goes
 * the other way (the SYN-ACK or RST answering a SYN; the second packet that promotes a parked one
 * when it goes the other way; on the cached path too: a flow classified at its first packet,
 * model.mode flow:1, takes its answer there). One compare per tracked packet: the packet's
 * direction has counted one packet, this one (docs/flows.md, "First packets").
 */
static __always_inline struct xdpml_flow *xdpml_flow_track(const struct xdpml_flow_key *key,
							   const struct xdpml_flow_packet *pkt, struct xdpml_flow *found,
							   int *cached, int *dir, __u64 *clock, struct xdpml_tick *tick,
							   __u8 *first_pkt)
{
	struct xdpml_flow *f = found;
	if (f && *cached) {
		__u64 now = xdpml_now_coarse_tick(clock, tick);
		if (!xdpml_flow_idle(f, now)) {
			XDPML_FLOW_CUT(7, f);
			*dir = xdpml_flow_update_cached(f, pkt, now);
			if (f->dir[*dir & 1].packets == 1) /* the other way's first (the flow's first is never cached) */
				*first_pkt = 1;
			XDPML_FLOW_CUT(8, f);
			xdpml_flow_count(XDPML_FC_CACHED);
			xdpml_flow_after(key, f, now);
			return f;
		}
	}
	*cached = 0;
	__u64 now = xdpml_now_once(clock);
	XDPML_FLOW_CUT(4, NULL);
	struct xdpml_probation *first = 0;
	struct xdpml_flow_packet parked;
	__u64 parked_ns = 0; /* not 0: this CPU emptied the slot, and replays `parked` at that time */
	if (!f) {
		if (cfg_probation_slots) {
			__u32 slot = xdpml_flow_hash(key, cfg_flow_hash_key) & (cfg_probation_slots - 1);
			first = bpf_map_lookup_elem(&xdpml_probation, &slot);
			if (!first)
				return NULL;
			__u64 t = first->time_ns;
			if (t == 0 || !xdpml_flow_key_eq(&first->key, key) || (now > t && now - t > cfg_idle_timeout_ns) ||
			    xdpml_syn_repeated(first->pkt.tcp_flags, pkt->tcp_flags) || !xdpml_promotion_allowed(now)) {
				/* a first packet (or one whose slot another flow took, or gone idle, or a SYN
				 * after its parked SYN, or a second packet over the promotion budget: these
				 * park in its place): parked */
				first->key = *key;
				first->pkt = *pkt;
				first->time_ns = now ? now : 1;
				xdpml_flow_count(XDPML_FC_PARKED);
				*first_pkt = 1;
				return NULL;
			}
			/* The flow's second packet. Its two directions may come on two CPUs at once (two RSS
			 * queues), both here: the one whose compare-and-swap empties the slot replays the
			 * parked packet, the other only adds its own (before 2026-12-06 both replayed it). The
			 * packet is copied first: once the slot is empty, another flow may park in it. */
			parked = first->pkt;
			if (__sync_val_compare_and_swap(&first->time_ns, t, 0) == t)
				parked_ns = t;
		}
		if (bpf_map_update_elem(&xdpml_flows, key, &xdpml_zero_flow, BPF_NOEXIST) == 0)
			xdpml_flow_count(XDPML_FC_NEW);
		f = bpf_map_lookup_elem(&xdpml_flows, key);
		if (!f) {
			xdpml_flow_count(XDPML_FC_INSERT_FAILED);
			return NULL;
		}
	} else if (xdpml_flow_idle(f, now)) {
		/* an ended flow was reported at close: report its final state, tail included */
		xdpml_flow_emit(key, f, (f->closing & XDPML_CLOSE_ENDED) ? XDPML_FR_TAIL : XDPML_FR_IDLE, now);
		__builtin_memset(f, 0, sizeof(*f));
		xdpml_flow_count(XDPML_FC_IDLE_RESTART);
	}
	if (f->dir[0].packets + f->dir[1].packets == 0)
		f->sampled = cfg_sample_flow_n && xdpml_flow_hash(key, cfg_flow_hash_key) % cfg_sample_flow_n == 0;
	if (parked_ns) {
		/* admitted at its second packet: the parked first packet first, at its own time */
		xdpml_flow_update(f, &parked, parked_ns);
		xdpml_flow_count(XDPML_FC_PROMOTED);
	}
	*dir = xdpml_flow_update(f, pkt, now);
	/* its direction's first: a new or restarted flow's first, or the first the other way (also the
	 * second packet that promotes a parked first when it goes the other way; not when it goes the
	 * same way: the parked packet was replayed before it) */
	if (f->dir[*dir & 1].packets == 1)
		*first_pkt = 1;
	XDPML_FLOW_CUT(5, f);
	xdpml_flow_after(key, f, now);
	return f;
}

#endif
