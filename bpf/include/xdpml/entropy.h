/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Payload entropy: the Shannon entropy, in 1/2^16 bits per byte, of the first bytes (at most
 * XDPML_ENTROPY_MAX_PREFIX) of a parsed packet's innermost transport payload. Integer arithmetic
 * only; io.xdpml.packet.PayloadEntropy computes the same integer for every packet (held equal by
 * PayloadEntropyParityTest through BPF_PROG_TEST_RUN on the shared captures).
 *
 *  - Payload: after the TCP header (data offset), after the 8-byte UDP header, after the first 8
 *    bytes of ICMP/ICMPv6; it ends at the innermost IP packet's end by its length field (IPv6
 *    payload length 0: the frame) or at the frame's end, whichever is first. None after a parse
 *    error, without a transport header, or for another protocol. VXLAN with a non-IP inner frame
 *    (ARP): none, as for the same frame outside the tunnel (the summary's L3/L4 are then the outer
 *    ones, which the check below recognises: the outer IP header right after the outer Ethernet
 *    header and its tags; since 2026-12-06, before which the outer UDP's payload was taken).
 *  - n = min(prefix, payload length) bytes, their histogram c[b]:
 *      H = log2(n) - (1/n) sum c[b] log2 c[b]   as   Hq = (T[n] - sum T[c[b]]) / n
 *    with T[c] = round(c log2(c) 2^16) (xdpml_entropy_clog2c below) and integer division:
 *    within two steps (2^-15 bits per byte) of the exact value.
 *    The sum is built while counting: raising a count from c to c + 1 adds D[c] = T[c + 1] - T[c]
 *    (xdpml_entropy_dclog2c), so one pass over the bytes and no pass over the 256 bins.
 *
 * Cost (BENCHMARKS.md, "Payload entropy"): one pass over n bytes plus zeroing a 256-byte histogram
 * on the stack. Nothing else in the data plane calls this yet; parse-entropy (xdp_entropy.bpf.c)
 * measures it.
 */
#ifndef XDPML_ENTROPY_H
#define XDPML_ENTROPY_H

#include <linux/types.h>
#include <linux/bpf.h>
#include "parse.h"

#define XDPML_ENTROPY_MAX_PREFIX 64
#define XDPML_ENTROPY_SHIFT 16

/* T[c] = round(c * log2(c) * 2^16), c = 0..64 (PayloadEntropy.table(); a test compares the two) */
static const __u32 xdpml_entropy_clog2c[XDPML_ENTROPY_MAX_PREFIX + 1] = {
	0, 0, 131072, 311616, 524288, 760849, 1016449, 1287880,
	1572864, 1869698, 2177059, 2493890, 2819329, 3152656, 3493263, 3840630,
	4194304, 4553891, 4919044, 5289451, 5664838, 6044953, 6429573, 6818492,
	7211522, 7608494, 8009248, 8413640, 8821535, 9232807, 9647339, 10065024,
	10485760, 10909451, 11336007, 11765344, 12197383, 12632049, 13069271, 13508981,
	13951115, 14395614, 14842418, 15291475, 15742730, 16196134, 16651639, 17109200,
	17568773, 18030316, 18493788, 18959151, 19426369, 19895405, 20366225, 20838795,
	21313085, 21789064, 22266701, 22745969, 23226839, 23709285, 24193281, 24678802,
	25165824,
};

/* D[c] = T[c + 1] - T[c], c = 0..63: what raising a count from c to c + 1 adds (one load per byte) */
static const __u32 xdpml_entropy_dclog2c[XDPML_ENTROPY_MAX_PREFIX] = {
	0, 131072, 180544, 212672, 236561, 255600, 271431, 284984,
	296834, 307361, 316831, 325439, 333327, 340607, 347367, 353674,
	359587, 365153, 370407, 375387, 380115, 384620, 388919, 393030,
	396972, 400754, 404392, 407895, 411272, 414532, 417685, 420736,
	423691, 426556, 429337, 432039, 434666, 437222, 439710, 442134,
	444499, 446804, 449057, 451255, 453404, 455505, 457561, 459573,
	461543, 463472, 465363, 467218, 469036, 470820, 472570, 474290,
	475979, 477637, 479268, 480870, 482446, 483996, 485521, 487022,
};

/* One packet's payload entropy: Hq (1/2^16 bits per byte) and the bytes it was taken over. */
struct xdpml_entropy {
	__u32 bits_q16;
	__u32 bytes;
};

/*
 * The payload of the parsed frame as [*start, *end) (offsets from the frame's start); 0 when it
 * has none. The definition at the top of this file; PayloadEntropy.payloadBounds is its twin.
 */
static __always_inline int xdpml_payload_bounds(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
						__u64 *start, __u64 *end)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u64 len = data_end - data;
	__u64 l3 = s->l3_off;
	__u64 l4 = s->l4_off;
	if (s->error || !l3 || !l4 || l3 > XDPML_MAX_HDR_OFF || l4 > XDPML_MAX_HDR_OFF)
		return 0;
	if ((s->flags & XDPML_F_VXLAN) && l3 == 14 + 4 * (__u64)s->vlan_depth)
		return 0; /* the inner frame is not IP: no payload, as outside the tunnel */
	__u8 *ip = data + l3;
	if ((void *)(ip + 6) > data_end)
		return 0;
	__u64 ip_end;
	if ((ip[0] >> 4) == 4) {
		ip_end = l3 + XDPML_BE16(ip + 2);
	} else {
		__u64 payload = XDPML_BE16(ip + 4);
		ip_end = payload ? l3 + 40 + payload : len;
	}
	if (ip_end > len)
		ip_end = len;
	__u64 from;
	switch (s->l4_proto) {
	case 6: {
		__u8 *t = data + l4;
		if ((void *)(t + 13) > data_end)
			return 0;
		from = l4 + (t[12] >> 4) * 4;
		break;
	}
	case 17:
	case 1:
	case 58:
		from = l4 + 8;
		break;
	default:
		return 0;
	}
	if (from >= ip_end)
		return 0;
	*start = from;
	*end = ip_end;
	return 1;
}

/*
 * One byte into the histogram and the sum (c < 64 always: the mask only tells the verifier).
 * Each step may load the bin the step before just stored (a payload of one repeated byte does
 * every time), so byte by byte the steps wait on each other's stores: see XDPML_ENTROPY_PAIR.
 */
#define XDPML_ENTROPY_STEP(byte)                                            \
	do {                                                                \
		__u8 b_ = (byte);                                           \
		__u32 c_ = hist[b_] & (XDPML_ENTROPY_MAX_PREFIX - 1);       \
		sum += xdpml_entropy_dclog2c[c_];                           \
		hist[b_] = c_ + 1;                                          \
	} while (0)

/*
 * Two bytes at once: both bins are loaded before either is stored, so the chain through memory
 * is one store per pair (64 zeros: 105 ns instead of 158 byte by byte; 64 distinct bytes: 54
 * against 51; BENCHMARKS.md). Counting runs of equal bytes in a register was tried too: the
 * verifier's states multiplied past its limit of 1M instructions.
 * When the two bytes are equal the second bin is the first (c1 = c0): the pair adds
 * D[c0] + D[c0 + 1] and the second store leaves c0 + 2. eq is 0 or 1 and c0 + 1 <= 63 (at most 62
 * bytes were counted before a pair): the masks only tell the verifier.
 */
#define XDPML_ENTROPY_PAIR(byte0, byte1)                                    \
	do {                                                                \
		__u8 x0_ = (byte0);                                         \
		__u8 x1_ = (byte1);                                         \
		__u32 c0_ = hist[x0_] & (XDPML_ENTROPY_MAX_PREFIX - 1);     \
		__u32 c1_ = hist[x1_];                                      \
		__u32 eq_ = x0_ == x1_;                                     \
		c1_ = (c1_ + eq_) & (XDPML_ENTROPY_MAX_PREFIX - 1);         \
		sum += xdpml_entropy_dclog2c[c0_] + xdpml_entropy_dclog2c[c1_]; \
		hist[x0_] = c0_ + 1;                                        \
		hist[x1_] = c1_ + 1;                                        \
	} while (0)

/*
 * The first min(n, cap) bytes at p, two a step, with constant offsets: the caller checked that
 * the frame holds cap bytes from p. Leaves i = min(n, cap).
 */
#define XDPML_ENTROPY_UNROLLED(cap)                                         \
	do {                                                                \
		_Pragma("unroll")                                           \
		for (int k = 0; k < (cap); k += 2) {                        \
			if (k + 1 >= n) {                                   \
				if (k < n)                                  \
					XDPML_ENTROPY_STEP(p[k]);           \
				break;                                      \
			}                                                   \
			XDPML_ENTROPY_PAIR(p[k], p[k + 1]);                 \
		}                                                           \
		i = n < (cap) ? n : (cap);                                  \
	} while (0)

/*
 * The entropy of the first min(prefix, payload) bytes of the parsed frame's payload into *out
 * (prefix at most XDPML_ENTROPY_MAX_PREFIX; 0 and 0 bytes when there is no payload).
 *
 * When the frame holds 64 (else 32, else 16) bytes from the payload's start, one bounds check
 * covers that many bytes and they are counted unrolled with constant offsets, two a step; a loop
 * checks each byte left against the frame's end (at most 31 after the 32 tier, 15 after the 16
 * tier, and a payload ending within 16 bytes of its start without one).
 */
static __always_inline void xdpml_payload_entropy(struct xdp_md *ctx, const struct xdpml_parse_summary *s,
						  __u32 prefix, struct xdpml_entropy *out)
{
	__u64 start, end;
	out->bits_q16 = 0;
	out->bytes = 0;
	if (!xdpml_payload_bounds(ctx, s, &start, &end))
		return;
	__u64 n = end - start;
	if (n > prefix)
		n = prefix;
	if (n > XDPML_ENTROPY_MAX_PREFIX)
		n = XDPML_ENTROPY_MAX_PREFIX;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 hist[256];
	__builtin_memset(hist, 0, sizeof(hist));
	__u32 sum = 0;
	__u32 i = 0;
	/* start < 2048 + 60 already; the mask tells the verifier (packet offsets are bounded) */
	asm volatile("%[start] &= 0xfff" : [start] "+r"(start));
	__u8 *p = data + start;
	if ((void *)(p + 64) <= data_end)
		XDPML_ENTROPY_UNROLLED(64);
	else if ((void *)(p + 32) <= data_end)
		XDPML_ENTROPY_UNROLLED(32);
	else if ((void *)(p + 16) <= data_end)
		XDPML_ENTROPY_UNROLLED(16);
	/* what the unrolled steps did not reach: a frame ending less than 32 (16) bytes after a tier of 32 (16) */
	for (; i < XDPML_ENTROPY_MAX_PREFIX; i++) {
		if (i >= n)
			break;
		__u64 off = start + i;
		asm volatile("%[off] &= 0xfff" : [off] "+r"(off));
		__u8 *q = data + off;
		if ((void *)(q + 1) > data_end)
			break;
		XDPML_ENTROPY_STEP(*q);
	}
	if (!i || i > XDPML_ENTROPY_MAX_PREFIX) /* the second never: it bounds the index */
		return;
	out->bytes = i;
	out->bits_q16 = (xdpml_entropy_clog2c[i] - sum) / i;
}

#endif
