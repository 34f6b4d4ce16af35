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
 * Two flows from one frame (bench veth --spread): in the UDP/IPv4 frame (no VLAN, IPv4 without
 * options) the source address's last two bytes (offset 28) and the header checksum (offset 24)
 * become tx_flows[0]'s or tx_flows[1]'s in turn, or with tx_by_cpu tx_flows[this CPU & 1]'s. The
 * flows differ in their source address, not their port, since the CPU spread hashes UDP on the
 * addresses alone (cpumap.h; until 2026-12-06 the source port was written). The frame's UDP
 * checksum must be 0 (none). Every repetition writes both fields, so a recycled page's old
 * contents do not matter.
 */
struct xdpml_tx_flow {
	__u16 check;    /* the IPv4 header checksum, network order */
	__u16 saddr_lo; /* the source address's last two bytes, network order */
};
struct xdpml_tx_flow tx_flows[2];
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
	struct xdpml_tx_flow *f = &tx_flows[i & 1];
	*(__u16 *)(data + 24) = f->check;
	*(__u16 *)(data + 28) = f->saddr_lo;
	return XDP_TX;
}
