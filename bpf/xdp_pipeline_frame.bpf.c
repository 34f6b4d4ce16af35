/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For measuring only (xdpml bench stages, StageCostTest): the frame of the composed program
 * xdp_pipeline.bpf.c with no stage in its source at all. What xdpml_pipeline does for a packet
 * when every stage is off, written out: the per-stage counters, the configuration word read once,
 * the parse, the default action counted. Set against xdp_parse (the parser alone) it gives the
 * frame's own cost; set against xdp_pipeline with every stage off, what the switched-off stages
 * leave behind once the verifier has removed them. It is what xdp_pipeline.bpf.c compiles to with
 * cfg_blocks, cfg_firewall, cfg_flow, cfg_model and cfg_sample as compile-time zeros (checked with
 * bpftool prog dump xlated: the same instructions, only .rodata offsets differ). Keep it in step
 * with xdpml_pipeline's entry and xdpml_leave.
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/pipeline.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
volatile const __u32 cfg_action = XDP_PASS;
volatile const __u8 cfg_record_summary = 0;

struct xdpml_parse_summary last_summary;

/* The configuration word, as firewall.h declares it (that header's other maps are not needed here). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_fw_gen SEC(".maps");

SEC("xdp")
int xdpml_pipeline_frame(struct xdp_md *ctx)
{
	__u32 zero = 0;
	struct xdpml_pipeline_stats *ps = xdpml_pipeline_stats_this_cpu();
	struct xdpml_packet *pk = xdpml_packet_this_cpu();
	const __u32 *cw = bpf_map_lookup_elem(&xdpml_fw_gen, &zero);
	if (!ps || !pk || !cw)
		return XDP_ABORTED;
	pk->word = *(volatile const __u32 *)cw; /* read once per packet, as the stages' settings need */
	pk->clock = 0;
	pk->keyed = 0;
	pk->flow_sampled = 0;
	pk->first = 0;
	ps->packets++;
	if (cfg_record_result) {
		last_result.fw_reason = 0xffff;
		last_result.cls = -1;
		last_result.sampled = 0;
		last_result.delivered = 0;
		last_result.first_pick = 0;
	}

	struct xdpml_counters *c = xdpml_parse_stage(ctx, cfg_vxlan_port);
	if (!c)
		return XDP_ABORTED;
	if (cfg_record_summary)
		last_summary = c->scratch.s;

	/* xdpml_leave(ps, cfg_action, XDPML_ST_END, 0) */
	__u32 action = cfg_action;
	if (action == XDP_DROP)
		ps->dropped[XDPML_ST_END]++;
	ps->action[action & 7]++;
	if (cfg_record_result) {
		last_result.action = action;
		last_result.stage = XDPML_ST_END;
		last_result.reason = 0;
	}
	return action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
