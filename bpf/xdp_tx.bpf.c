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

/*
 * Two flows from one frame (bench veth --spread): the UDP/IPv4 frame's source port (offset 34,
 * no VLAN, IPv4 without options) becomes tx_sport[0] and tx_sport[1] in turn, or with tx_by_cpu
 * tx_sport[this CPU & 1]. The frame's UDP checksum must be 0 (none). Every repetition writes the
 * port, so a recycled page's old contents do not matter.
 */
__u16 tx_sport[2];      /* network order */
__u8 tx_by_cpu;
__u32 tx_count;

SEC("xdp")
int xdpml_tx_two_flows(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	if (data + 42 > end)
		return XDP_TX;
	__u32 i = tx_by_cpu ? bpf_get_smp_processor_id() : tx_count++;
	*(__u16 *)(data + 34) = tx_sport[i & 1];
	return XDP_TX;
}
