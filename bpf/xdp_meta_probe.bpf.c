/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The probe of io.xdpml.kernel.XdpFeatures: whether this kernel lets an XDP program call
 * bpf_xdp_adjust_meta. Some kernels' verifiers refuse it ("program of this type cannot use helper
 * bpf_xdp_adjust_meta#54"); the composed program then puts its AF_XDP metadata in front of the
 * frame instead (cfg_meta_in_head, deliver.h). Loaded once per process, never attached.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdpml_meta_probe(struct xdp_md *ctx)
{
	if (bpf_xdp_adjust_meta(ctx, -16) != 0)
		return XDP_ABORTED;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
