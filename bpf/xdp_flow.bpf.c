/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pipeline "flow": parse (with its counters), then keep per-flow state in an LRU hash and send
 * flow records to Java through a ring buffer (flow_stage.h, flow.h, docs/flows.md).
 * Configuration in .rodata, set by Java before load.
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/flow_stage.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
volatile const __u8 cfg_record_summary = 0;
volatile const __u32 cfg_action = XDP_PASS;

struct xdpml_parse_summary last_summary;

SEC("xdp")
int xdpml_flow(struct xdp_md *ctx)
{
	struct xdpml_counters *c = xdpml_parse_stage(ctx, cfg_vxlan_port);
	if (!c)
		return XDP_ABORTED;
	if (cfg_record_summary)
		last_summary = c->scratch.s;

	struct xdpml_flow_key key;
	struct xdpml_flow_packet pkt;
	int dir;
	__builtin_memset(&key, 0, sizeof(key));
	xdpml_flow_stage(ctx, &c->scratch.s, &key, &pkt, &dir);
	return cfg_action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
