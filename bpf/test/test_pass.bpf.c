/* SPDX-License-Identifier: Apache-2.0 */
/* Test program: passes every packet. Placeholder for the binding's own test programs. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int test_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
