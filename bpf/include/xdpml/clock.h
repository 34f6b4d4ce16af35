/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The packet clock of every stage that needs time (flow table, firewall, blocks): CLOCK_MONOTONIC,
 * or in test mode test_clock_ns, which the caller of BPF_PROG_TEST_RUN sets before each run (so
 * kernel and Java twins see the same time). Defines the two globals: guarded, so an object that
 * reaches it through several stage headers has them once.
 */
#ifndef XDPML_CLOCK_H
#define XDPML_CLOCK_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

/* Test mode: packet time is test_clock_ns, which the caller of BPF_PROG_TEST_RUN sets. */
volatile const __u8 cfg_test_clock = 0;
__u64 test_clock_ns;

static __always_inline __u64 xdpml_now(void)
{
	return cfg_test_clock ? test_clock_ns : bpf_ktime_get_ns();
}

#endif
