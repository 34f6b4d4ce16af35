/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For measuring and parity only (pipelines "parse-entropy", "parse-entropy32";
 * PayloadEntropyParityTest): the parser of xdp_parse.bpf.c, then the payload entropy of every
 * packet over its first cfg_entropy_prefix bytes (entropy.h), kept in .bss for the caller of
 * BPF_PROG_TEST_RUN. A file of its own so that the parser's program stays as it was compiled
 * without it (with the entropy in the same function behind a switch that was off, clang laid the
 * parse out differently: 84 more xlated instructions and 1.9 KB more JIT code).
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/entropy.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
volatile const __u32 cfg_action = XDP_PASS;
/* Bytes of payload looked at, 1 to XDPML_ENTROPY_MAX_PREFIX. */
volatile const __u32 cfg_entropy_prefix = XDPML_ENTROPY_MAX_PREFIX;

/* The last packet's entropy (1/2^16 bits per byte) and the bytes it was taken over. */
struct xdpml_entropy last_entropy;

SEC("xdp")
int xdpml_parse_entropy(struct xdp_md *ctx)
{
	struct xdpml_counters *c = xdpml_parse_stage(ctx, cfg_vxlan_port);
	if (!c)
		return XDP_ABORTED;
	xdpml_payload_entropy(ctx, &c->scratch.s, cfg_entropy_prefix, &last_entropy);
	return cfg_action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
