/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AF_XDP hand-off: the metadata that travels with each frame redirected to an AF_XDP socket, and
 * the counters of the redirect stage. io.xdpml.xsk.XskMetadata reads the same layout;
 * XskLayoutTest checks the offsets against this object's BTF.
 */
#ifndef XDPML_XSK_H
#define XDPML_XSK_H

#include <linux/types.h>

/* 'X' 'M' in the high half, the layout version in the low half. */
#define XDPML_XSK_META_MAGIC 0x584d0001

/*
 * Written by bpf_xdp_adjust_meta() into the headroom immediately before the frame: the socket's
 * RX descriptor points at the frame, the metadata ends where the frame begins. 16 bytes.
 *
 *  0          4           8            10           12        14         16
 *  +----------+-----------+------------+------------+---------+----------+
 *  |  magic   | flow_hash | parse_flags| parse_error| verdict | rx_queue |
 *  +----------+-----------+------------+------------+---------+----------+
 */
struct xdpml_xsk_meta {
	__u32 magic;       /* XDPML_XSK_META_MAGIC */
	__u32 flow_hash;   /* xdpml_flow_hash() of the packet's flow key; 0 without an IP header */
	__u16 parse_flags; /* enum xdpml_flag bits of the packet */
	__u16 parse_error; /* 0, or the parse's XDPML_E_* reason */
	__u16 verdict;     /* 0: none yet (a classifier stage sets it) */
	__u16 rx_queue;    /* the receive queue the frame came in on */
};

/* Counters of the redirect stage (per CPU, summed by Java): index = enum xdpml_xsk_counter. */
enum xdpml_xsk_counter {
	XDPML_XC_SEEN = 0,      /* packets the program saw */
	XDPML_XC_SAMPLED,       /* packets chosen by the 1-in-N sampling (all when N <= 1) */
	XDPML_XC_REDIRECTED,    /* sampled packets redirected to a socket of the XSKMAP */
	XDPML_XC_NO_SOCKET,     /* sampled packets whose queue had no socket: given cfg_other_action */
	XDPML_XC_META_FAILED,   /* sampled packets without room for metadata: redirected without it */
	XDPML_XC_BLOCKED,       /* packets dropped because their source is blocked (mitigation.h) */
	XDPML_XC_MAX = 8,
};

#endif
