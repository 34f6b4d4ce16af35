/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The traffic generator's program: run with BPF_PROG_TEST_RUN in live-frames mode
 * (BPF_F_TEST_XDP_LIVE_FRAMES) with an interface as ingress, every repetition's XDP_TX sends a real
 * frame out of that interface (into a veth peer: the receiver's XDP program sees it).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdpml_tx(struct xdp_md *ctx)
{
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
