/* SPDX-License-Identifier: Apache-2.0 */
/* Pipeline "drop": the floor every other pipeline is measured against. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdpml_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
