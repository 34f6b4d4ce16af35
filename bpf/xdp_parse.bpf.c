/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pipeline "parse": parse every header, count protocols and parse errors per CPU, pass.
 * Configuration lives in .rodata and is set by Java before load (frozen: the verifier prunes
 * what a setting turns off).
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
/* Test mode: keep each packet's summary in .bss for the caller of BPF_PROG_TEST_RUN. */
volatile const __u8 cfg_record_summary = 0;
volatile const __u32 cfg_action = XDP_PASS;

struct xdpml_parse_summary last_summary;

SEC("xdp")
int xdpml_parse(struct xdp_md *ctx)
{
	struct xdpml_counters *c = xdpml_parse_stage(ctx, cfg_vxlan_port);
	if (!c)
		return XDP_ABORTED;
	if (cfg_record_summary)
		last_summary = c->scratch.s;
	return cfg_action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
