/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pipeline "parse": parse every header, count protocols and parse errors per CPU, pass.
 * Configuration lives in .rodata and is set by Java before load (frozen: the verifier prunes
 * what a setting turns off).
 *
 * With cfg_entropy (pipeline "parse-entropy", and PayloadEntropyParityTest) it also computes the
 * payload entropy of every packet over the first cfg_entropy_prefix bytes (entropy.h): off, the
 * verifier removes that code and the parser costs what it did.
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/entropy.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
/* Test mode: keep each packet's summary in .bss for the caller of BPF_PROG_TEST_RUN. */
volatile const __u8 cfg_record_summary = 0;
volatile const __u32 cfg_action = XDP_PASS;
/* Payload entropy per packet (entropy.h), over at most cfg_entropy_prefix bytes (1 to 64). */
volatile const __u8 cfg_entropy = 0;
volatile const __u32 cfg_entropy_prefix = XDPML_ENTROPY_MAX_PREFIX;

struct xdpml_parse_summary last_summary;
/* The last packet's entropy when cfg_entropy is on (for the caller of BPF_PROG_TEST_RUN). */
struct xdpml_entropy last_entropy;

SEC("xdp")
int xdpml_parse(struct xdp_md *ctx)
{
	struct xdpml_counters *c = xdpml_parse_stage(ctx, cfg_vxlan_port);
	if (!c)
		return XDP_ABORTED;
	if (cfg_record_summary)
		last_summary = c->scratch.s;
	if (cfg_entropy)
		xdpml_payload_entropy(ctx, &c->scratch.s, cfg_entropy_prefix, &last_entropy);
	return cfg_action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
