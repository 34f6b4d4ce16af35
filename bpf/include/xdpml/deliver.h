/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sample and deliver stages of the composed pipeline: which packets go to Java, and how.
 *
 * sample:  1-in-N by packet (a per-CPU count: exact shares, no random numbers) or by flow (whole
 *          flows chosen by key hash in the flow stage, cfg_sample_flow_n); N is a setting of the
 *          active delivery slot, so a reload changes it at once. With mirror delivery and the slot's
 *          XDPML_DELIVER_SAMPLE_DROPPED, the packets the model drops are counted and sampled with
 *          the rest: a chosen one is copied to Java, then dropped, so that Java's sample stands for
 *          all the traffic, the dropped part too.
 * first:   with mirror delivery and first_pps, a packet the sample did not choose that is the first
 *          of its direction of its flow (flow_stage.h: a probe, and the SYN-ACK or RST that answers
 *          it) is copied to Java too, at most first_pps per second on each CPU (a
 *          bucket per CPU, no lock: a spoofed flood makes every packet a first), marked in its
 *          metadata (XDPML_META_FIRST_PICK) and not counted as sampled or under the rate cap: Java's
 *          scan detectors see every probe of a scan and its answer, which 1-in-N thins, and the volume detectors
 *          count these copies for nothing (they stand for no other packet).
 * deliver: at most rate_pps packets per second to Java (a token bucket shared by all CPUs;
 *          0 = no cap; over it: counted as capped, the packet goes on), then either
 *          - mirror: the packet's head and metadata are copied into the ring buffer xdpml_mirror
 *            (struct xdpml_mirror_rec) and the packet passes on, so a server keeps its traffic;
 *          - AF_XDP: the packet is redirected to the socket of its receive queue (xdpml_xsks) with
 *            struct xdpml_xsk_meta before it; with no socket there, it goes on.
 * Counters: enum xdpml_xsk_counter (xsk.h). Java twin: io.xdpml.dataplane.JavaDataPlane.
 */
#ifndef XDPML_DELIVER_H
#define XDPML_DELIVER_H

#include "parse.h"
#include "flow.h"
#include "xsk.h"
#include "clock.h"
#include "firewall.h"

/* 1: mirror copies to the ring buffer; 0: redirect to AF_XDP sockets */
volatile const __u8 cfg_mirror = 0;
/* 0: no metadata before AF_XDP frames (the cheapest hand-off, for benchmarks of the rings alone) */
volatile const __u8 cfg_metadata = 1;
/*
 * 1: the metadata travels in front of the frame, inside it (bpf_xdp_adjust_head), for kernels whose
 * verifier refuses bpf_xdp_adjust_meta in XDP programs ("program of this type cannot use helper
 * bpf_xdp_adjust_meta#54"): set at load from Java's probe (io.xdpml.kernel.XdpFeatures). With it on
 * the adjust_meta branch is dead code the verifier never walks, so the program loads there.
 */
volatile const __u8 cfg_meta_in_head = 0;
/*
 * With cfg_meta_in_head: the longest packet the registered copy-mode sockets take with the metadata
 * in front (the least of their chunks less XDP_PACKET_HEADROOM less 16), written by Java when it
 * registers a socket (io.xdpml.dataplane.PipelineObject.fitSocket); 0: not known, no check. The
 * kernel drops (rx_dropped) a copy-mode frame longer than its socket's chunk less the headroom, and
 * a redirected frame is gone from the stack: a longer packet is not handed over but goes on.
 */
__u32 xsk_meta_room;
/* Test mode: keep each delivered packet's metadata in last_meta; with AF_XDP, count no socket. */
volatile const __u8 cfg_record_meta = 0;

struct xdpml_xsk_meta last_meta;

/* flags: the model's drops are sampled too (mirror only: the copy goes to Java, the packet is dropped) */
#define XDPML_DELIVER_SAMPLE_DROPPED 1

/* Settings that a reload changes (two slots: the delivery bit of the configuration word). */
struct xdpml_deliver_config {
	__u32 sample_n;   /* 1-in-N by packet (1: every packet); by flow: unused (cfg_sample_flow_n) */
	__u32 flags;      /* XDPML_DELIVER_* */
	__u64 rate_pps;   /* packets per second to Java at most; 0: no cap */
	__u64 rate_burst; /* the bucket's depth in packets */
	__u64 first_pps;  /* flows' first packets per second per CPU copied to Java besides the sample; 0: none */
	__u64 sample_below; /* by packet, N > 1: the packet counted `seen` is chosen when seen * XDPML_SAMPLE_STRIDE < this
			     * (2^64 / N, rounded up; written by Java: io.xdpml.dataplane.DeliverySettings) */
};

/*
 * The sample stage's stride: 2^64 / the golden ratio, odd. seen * stride (mod 2^64) visits the counter's
 * values in a low-discrepancy order (Weyl's sequence), so the packets below 2^64 / N are 1 in N of any
 * run (within a few), the first included, with no period: a plain `seen % N == 0` picked always the same
 * packet of traffic whose packets repeat with a period dividing N (a connection flood's SYN, never its ACK).
 */
#define XDPML_SAMPLE_STRIDE 0x9E3779B97F4A7C15ULL

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct xdpml_deliver_config);
} xdpml_deliver_config SEC(".maps");

/* The rate cap's bucket, shared by every CPU (a cap on the path to Java, not per CPU). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_fw_flood);
} xdpml_deliver_bucket SEC(".maps");

/* The bucket of the flows' first packets, one per CPU (first_pps is per CPU: no lock). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_fw_bucket);
} xdpml_first_bucket SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[XDPML_XC_MAX]);
} xdpml_xsk_counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20);
} xdpml_mirror SEC(".maps");

/* The record is built here (per CPU), then copied into the ring at its real size. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_mirror_rec);
} xdpml_mirror_scratch SEC(".maps");

static __always_inline __u64 *xdpml_deliver_counters(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xdpml_xsk_counters, &zero);
}

/* The sample stage: whether this packet goes to Java. flow_sampled: its flow was chosen. */
static __always_inline int xdpml_sample_stage(__u64 *c, const struct xdpml_deliver_config *dc, int by_flow,
					      int flow_sampled)
{
	__u64 seen = c[XDPML_XC_SEEN]++;
	int chosen;
	if (by_flow)
		chosen = flow_sampled;
	else
		chosen = dc->sample_n <= 1 || seen * XDPML_SAMPLE_STRIDE < dc->sample_below;
	if (chosen)
		c[XDPML_XC_SAMPLED]++;
	return chosen;
}

/* Whether the rate cap lets one more packet through to Java now. */
static __always_inline int xdpml_deliver_allowed(const struct xdpml_deliver_config *dc, __u64 *clock)
{
	if (!dc->rate_pps)
		return 1;
	__u32 zero = 0;
	struct xdpml_fw_flood *b = bpf_map_lookup_elem(&xdpml_deliver_bucket, &zero);
	if (!b)
		return 1;
	__u64 now = xdpml_now_once(clock);
	bpf_spin_lock(&b->lock);
	int ok = xdpml_fw_take(&b->b, now, dc->rate_pps, dc->rate_burst * XDPML_NS_PER_TOKEN);
	bpf_spin_unlock(&b->lock);
	return ok;
}

static __always_inline void xdpml_meta_fill(struct xdpml_xsk_meta *m, __u32 hash, const struct xdpml_parse_summary *s,
					    __u16 verdict, __u32 queue)
{
	m->magic = XDPML_XSK_META_MAGIC;
	m->flow_hash = hash;
	m->parse_flags = s->flags;
	m->parse_error = s->error;
	m->verdict = verdict;
	m->rx_queue = queue;
}

/* Copies the packet and its metadata into the mirror ring; counts a full ring as lost. */
static __always_inline int xdpml_mirror_packet(struct xdp_md *ctx, __u64 *c, __u32 hash,
					       const struct xdpml_parse_summary *s, __u16 verdict, __u32 queue,
					       __u16 meta_flags, __u32 copied_ix, __u32 lost_ix)
{
	__u32 zero = 0;
	struct xdpml_mirror_rec *r = bpf_map_lookup_elem(&xdpml_mirror_scratch, &zero);
	if (!r)
		return 0;
	__u32 len = ctx->data_end - ctx->data;
	__u64 cap = len;
	if (cap > XDPML_MIRROR_SNAP)
		cap = XDPML_MIRROR_SNAP;
	/* keep the clamped register: else clang may pass a fresh copy of len the verifier can't bound */
	asm volatile("" : "+r"(cap));
	if (cap < 1 || cap > XDPML_MIRROR_SNAP || bpf_xdp_load_bytes(ctx, 0, r->data, cap) != 0) {
		c[lost_ix]++;
		return 0;
	}
	r->wire_len = len;
	r->cap_len = cap;
	r->ktime_ns = bpf_ktime_get_ns();
	xdpml_meta_fill(&r->meta, hash, s, verdict, queue);
	r->meta.parse_flags |= meta_flags;
	if (bpf_ringbuf_output(&xdpml_mirror, r, XDPML_MIRROR_HEADER + cap, 0) == 0) {
		c[copied_ix]++;
		return 1;
	}
	c[lost_ix]++;
	return 0;
}

/*
 * AF_XDP with cfg_meta_in_head: struct xdpml_xsk_meta put in front of the frame by moving its start
 * back 16 bytes (bpf_xdp_adjust_head), so the socket's frame begins with the metadata and the packet
 * follows it (io.xdpml.xsk.XskFrame reads it so). A frame that is not redirected (no socket) gets
 * its start back (+16) before it goes on: the stack, the mirror, XDP_TX see it as it came. Without
 * room (no headroom, a frame shorter than an Ethernet header, or one that with the metadata would
 * not fit the sockets' frames: xsk_meta_room) it is not handed over at all, counted as
 * META_FAILED: Java must find the metadata at every frame's start, none can come without it.
 */
static __always_inline int xdpml_deliver_in_head(struct xdp_md *ctx, __u64 *c, __u32 hash,
						 const struct xdpml_parse_summary *s, __u16 verdict, __u32 queue,
						 int *delivered)
{
	const int size = (int)sizeof(struct xdpml_xsk_meta);
	__u32 room = xsk_meta_room;
	if ((void *)(long)ctx->data + 14 > (void *)(long)ctx->data_end ||
	    (room && (__u32)(ctx->data_end - ctx->data) > room) ||
	    bpf_xdp_adjust_head(ctx, -size) != 0) {
		c[XDPML_XC_META_FAILED]++;
		return -1;
	}
	struct xdpml_xsk_meta *m = (void *)(long)ctx->data;
	if ((void *)(m + 1) > (void *)(long)ctx->data_end) { /* not reached: the frame grew by 16 */
		bpf_xdp_adjust_head(ctx, size);
		c[XDPML_XC_META_FAILED]++;
		return -1;
	}
	xdpml_meta_fill(m, hash, s, verdict, queue);
	int r = bpf_redirect_map(&xdpml_xsks, queue, XDP_ABORTED);
	if (r == XDP_REDIRECT) {
		c[XDPML_XC_REDIRECTED]++;
		*delivered = 1;
		return XDP_REDIRECT;
	}
	if (bpf_xdp_adjust_head(ctx, size) != 0) /* not reached: it had 14 bytes and more before */
		c[XDPML_XC_META_FAILED]++;
	c[XDPML_XC_NO_SOCKET]++;
	return -1;
}

/*
 * The deliver stage for a chosen packet: XDP_REDIRECT when an AF_XDP socket took it, else -1
 * (the packet goes on: mirrored, capped, or no socket). *delivered: it or its copy reached Java's
 * ring. key: per-CPU memory holding the packet's flow key when keyed (the flow stage made one),
 * else where one is made here for the hash (map memory, not the stack: the verifier then follows
 * one state on from the key's IPv4 and IPv6 forms, not two).
 */
static __always_inline int xdpml_deliver_stage(struct xdp_md *ctx, __u64 *c, const struct xdpml_deliver_config *dc,
					       const struct xdpml_parse_summary *s, struct xdpml_flow_key *key, int keyed,
					       __u16 verdict, __u64 *clock, int *delivered)
{
	*delivered = 0;
	if (!xdpml_deliver_allowed(dc, clock)) {
		c[XDPML_XC_CAPPED]++;
		return -1;
	}
	__u32 queue = ctx->rx_queue_index;
	if (!cfg_mirror && !cfg_record_meta && !bpf_map_lookup_elem(&xdpml_xsks, &queue)) {
		c[XDPML_XC_NO_SOCKET]++;
		return -1;
	}
	__u32 hash = 0;
	if (cfg_metadata || cfg_mirror) {
		struct xdpml_flow_packet pkt;
		if (keyed || xdpml_flow_key_of(ctx, s, key, &pkt) == 0)
			hash = xdpml_flow_meta_hash(key);
	}
	if (cfg_mirror) {
		*delivered = xdpml_mirror_packet(ctx, c, hash, s, verdict, queue, 0, XDPML_XC_MIRRORED,
						 XDPML_XC_MIRROR_LOST);
		return -1;
	}
	if (cfg_record_meta)
		xdpml_meta_fill(&last_meta, hash, s, verdict, queue);
	if (cfg_metadata && cfg_meta_in_head)
		return xdpml_deliver_in_head(ctx, c, hash, s, verdict, queue, delivered);
	if (cfg_metadata) {
		if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct xdpml_xsk_meta)) == 0) {
			void *data = (void *)(long)ctx->data;
			struct xdpml_xsk_meta *m = (void *)(long)ctx->data_meta;
			if ((void *)(m + 1) <= data)
				xdpml_meta_fill(m, hash, s, verdict, queue);
			else
				c[XDPML_XC_META_FAILED]++;
		} else {
			c[XDPML_XC_META_FAILED]++;
		}
	}
	int r = bpf_redirect_map(&xdpml_xsks, queue, XDP_ABORTED);
	if (r == XDP_REDIRECT) {
		c[XDPML_XC_REDIRECTED]++;
		*delivered = 1;
		return XDP_REDIRECT;
	}
	c[XDPML_XC_NO_SOCKET]++;
	return -1;
}

/*
 * The first-packet pick (mirror only), for a packet the sample did not choose that is the first of
 * its direction of its flow: copied to Java, marked XDPML_META_FIRST_PICK, while this CPU's bucket of first_pps allows.
 * key: the packet's flow key (the flow stage made it). Returns 1 when copied.
 */
static __always_inline int xdpml_first_pick(struct xdp_md *ctx, __u64 *c, const struct xdpml_deliver_config *dc,
					    const struct xdpml_parse_summary *s, const struct xdpml_flow_key *key,
					    __u16 verdict, __u64 *clock)
{
	__u32 zero = 0;
	struct xdpml_fw_bucket *b = bpf_map_lookup_elem(&xdpml_first_bucket, &zero);
	if (!b)
		return 0;
	if (!xdpml_fw_take(b, xdpml_now_once(clock), dc->first_pps, dc->first_pps * XDPML_NS_PER_TOKEN)) {
		c[XDPML_XC_FIRST_CAPPED]++;
		return 0;
	}
	return xdpml_mirror_packet(ctx, c, xdpml_flow_meta_hash(key), s, verdict, ctx->rx_queue_index,
				   XDPML_META_FIRST_PICK, XDPML_XC_FIRST_PICKED, XDPML_XC_FIRST_LOST);
}

#endif
