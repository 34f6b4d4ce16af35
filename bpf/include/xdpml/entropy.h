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
 *    error, without a transport header, or for another protocol.
 *  - n = min(prefix, payload length) bytes, their histogram c[b]:
 *      H = log2(n) - (1/n) sum c[b] log2 c[b]   as   Hq = (T[n] - sum T[c[b]]) / n
 *    with T[c] = round(c log2(c) 2^16) (xdpml_entropy_clog2c below) and integer division.
 *    The sum is built while counting: raising a count from c to c + 1 adds T[c + 1] - T[c], so
 *    one pass over the bytes and no pass over the 256 bins.
 *
 * Cost (BENCHMARKS.md, "Payload entropy"): one pass over n bytes plus zeroing a 256-byte histogram
 * on the stack. Nothing else in the data plane calls this yet; parse-entropy (xdp_parse.bpf.c with
 * cfg_entropy) measures it.
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
 * The entropy of the first min(prefix, payload) bytes of the parsed frame's payload into *out
 * (prefix at most XDPML_ENTROPY_MAX_PREFIX; 0 and 0 bytes when there is no payload).
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
	__u32 i;
	for (i = 0; i < XDPML_ENTROPY_MAX_PREFIX; i++) {
		if (i >= n)
			break;
		__u64 off = start + i;
		/* off < 2048 + 64 already; the mask tells the verifier (packet offsets are bounded) */
		asm volatile("%[off] &= 0xfff" : [off] "+r"(off));
		__u8 *p = data + off;
		if ((void *)(p + 1) > data_end)
			break;
		__u8 b = *p;
		__u32 c = hist[b] & (XDPML_ENTROPY_MAX_PREFIX - 1); /* c <= i < 64: the mask only bounds it */
		sum += xdpml_entropy_clog2c[c + 1] - xdpml_entropy_clog2c[c];
		hist[b] = c + 1;
	}
	if (!i || i > XDPML_ENTROPY_MAX_PREFIX) /* the second never: it bounds the index */
		return;
	out->bytes = i;
	out->bits_q16 = (xdpml_entropy_clog2c[i] - sum) / i;
}

#endif
