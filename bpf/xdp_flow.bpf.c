/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Pipeline "flow": parse (with its counters), then keep per-flow state in an LRU hash
 * (flow.h, docs/flows.md). Configuration in .rodata, set by Java before load.
 */
#include "xdpml/parse.h"
#include "xdpml/stats.h"
#include "xdpml/flow.h"

volatile const __u16 cfg_vxlan_port = XDPML_VXLAN_PORT_DEFAULT;
volatile const __u8 cfg_record_summary = 0;
volatile const __u32 cfg_action = XDP_PASS;
/* A flow silent for longer than this ends; its next packet starts a new flow in its place. */
volatile const __u64 cfg_idle_timeout_ns = 120ULL * 1000000000ULL;
/* Test mode: packet time is test_clock_ns, which the caller of BPF_PROG_TEST_RUN sets. */
volatile const __u8 cfg_test_clock = 0;

__u64 test_clock_ns;
struct xdpml_parse_summary last_summary;
const struct xdpml_flow xdpml_zero_flow = {};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* set by Java before load */
	__type(key, struct xdpml_flow_key);
	__type(value, struct xdpml_flow);
} xdpml_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPML_FC_MAX);
	__type(key, __u32);
	__type(value, __u64);
} xdpml_flow_counters SEC(".maps");

static __always_inline void xdpml_flow_count(__u32 which)
{
	__u64 *v = bpf_map_lookup_elem(&xdpml_flow_counters, &which);
	if (v)
		(*v)++;
}

SEC("xdp")
int xdpml_flow(struct xdp_md *ctx)
{
	struct xdpml_counters *c = xdpml_counters_this_cpu();
	if (!c)
		return XDP_ABORTED;
	xdpml_parse_packet(ctx, &c->scratch, cfg_vxlan_port);
	xdpml_count_parse(c);
	if (cfg_record_summary)
		last_summary = c->scratch.s;

	struct xdpml_flow_key key;
	struct xdpml_flow_packet pkt;
	__builtin_memset(&key, 0, sizeof(key));
	if (xdpml_flow_key_of(ctx, &c->scratch.s, &key, &pkt) < 0) {
		xdpml_flow_count(XDPML_FC_NOT_IP);
		return cfg_action;
	}
	__u64 now = cfg_test_clock ? test_clock_ns : bpf_ktime_get_ns();
	struct xdpml_flow *f = bpf_map_lookup_elem(&xdpml_flows, &key);
	if (!f) {
		if (bpf_map_update_elem(&xdpml_flows, &key, &xdpml_zero_flow, BPF_NOEXIST) == 0)
			xdpml_flow_count(XDPML_FC_NEW);
		f = bpf_map_lookup_elem(&xdpml_flows, &key);
		if (!f) {
			xdpml_flow_count(XDPML_FC_INSERT_FAILED);
			return cfg_action;
		}
	} else if (now > f->last_ns && now - f->last_ns > cfg_idle_timeout_ns) {
		__builtin_memset(f, 0, sizeof(*f));
		xdpml_flow_count(XDPML_FC_IDLE_RESTART);
	}
	xdpml_flow_update(f, &pkt, now);
	xdpml_flow_count(XDPML_FC_PACKETS);
	return cfg_action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
