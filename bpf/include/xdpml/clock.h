/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Packet time, shared by every stage that needs it (blocks' expiry, firewall buckets and
 * conntrack, flow timing). Test mode: the time is test_clock_ns, which the caller of
 * BPF_PROG_TEST_RUN sets, so kernel and Java judge a capture with its own timestamps.
 */
#ifndef XDPML_CLOCK_H
#define XDPML_CLOCK_H

#include <linux/types.h>
#include <bpf/bpf_helpers.h>

volatile const __u8 cfg_test_clock = 0;
/*
 * The coarse clock (bpf_ktime_get_coarse_ns: CLOCK_MONOTONIC at the last tick, 1-4 ms behind; 0-8
 * ns where bpf_ktime_get_ns costs 20-40 ns): for an agent whose model reads no time feature (docs/
 * flows.md, "Clock"). Timeouts, expiries and token buckets keep working to a tick.
 */
volatile const __u8 cfg_coarse_clock = 0;
__u64 test_clock_ns;

static __always_inline __u64 xdpml_now(void)
{
	if (cfg_test_clock)
		return test_clock_ns;
	return cfg_coarse_clock ? bpf_ktime_get_coarse_ns() : bpf_ktime_get_ns();
}

/* The packet's time, read once (the clock costs 20-40 ns here): *now is 0 until the first call. */
static __always_inline __u64 xdpml_now_once(__u64 *now)
{
	if (!*now)
		*now = xdpml_now();
	return *now;
}

/*
 * A time that may be a tick behind (bpf_ktime_get_coarse_ns, the same clock), for what needs no
 * precision: the packet's time if a stage already read it (*now), else the coarse clock, not kept
 * in *now (a later stage that needs precision reads its own).
 */
static __always_inline __u64 xdpml_now_coarse(const __u64 *now)
{
	if (*now)
		return *now;
	if (cfg_test_clock)
		return test_clock_ns;
	return bpf_ktime_get_coarse_ns();
}

/*
 * The coarse clock as last read on this CPU, with the jiffies it was read at (in this CPU's struct
 * xdpml_packet, pipeline.h): 0 before the first read.
 */
struct xdpml_tick {
	__u64 jiffies;
	__u64 ns;
};

/*
 * xdpml_now_coarse, with the coarse clock read once per tick on each CPU: bpf_ktime_get_coarse_ns
 * changes at a tick, when the timekeeping is advanced right after jiffies is; bpf_jiffies64 is an
 * inlined load (1-2 ns here, where the helper call costs 4-7: BENCHMARKS.md, "The cached verdict,
 * piece by piece"). While jiffies has not moved, the time read at this CPU's first packet of the
 * tick is the time; so a time may be a tick behind, as the coarse clock's own, and rarely two (a
 * first packet read between another CPU's jiffies update and its timekeeping update, a few us of a
 * 4 ms tick; or a clock adjustment between ticks, seen at the next; docs/flows.md, "Cached flows").
 */
static __always_inline __u64 xdpml_now_coarse_tick(const __u64 *now, struct xdpml_tick *tick)
{
	if (*now)
		return *now;
	if (cfg_test_clock)
		return test_clock_ns;
	__u64 j = bpf_jiffies64();
	__u64 t = tick->ns;
	if (j == tick->jiffies && t)
		return t;
	t = bpf_ktime_get_coarse_ns();
	tick->jiffies = j;
	tick->ns = t;
	return t;
}

#endif
