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
 * RX descriptor points at the frame, the metadata ends where the frame begins. 16 bytes. On kernels
 * that refuse bpf_xdp_adjust_meta (cfg_meta_in_head, deliver.h): written by bpf_xdp_adjust_head()
 * into the frame's own first 16 bytes, the packet after them (io.xdpml.xsk.MetadataLayout).
 *
 *  0          4           8            10           12        14         16
 *  +----------+-----------+------------+------------+---------+----------+
 *  |  magic   | flow_hash | parse_flags| parse_error| verdict | rx_queue |
 *  +----------+-----------+------------+------------+---------+----------+
 */
struct xdpml_xsk_meta {
	__u32 magic;       /* XDPML_XSK_META_MAGIC */
	__u32 flow_hash;   /* xdpml_flow_meta_hash() of the packet's flow key; 0 without an IP header */
	__u16 parse_flags; /* enum xdpml_flag bits of the packet (bits 0-10); bit 15 (XDPML_META_FIRST_PICK):
			    * not sampled, delivered as the first packet of its direction of its flow, so it stands for no other */
	__u16 parse_error; /* 0, or the parse's XDPML_E_* reason */
	__u16 verdict;     /* 0: none; else the class + 1 in bits 0-4 and its confidence (thousandths) in bits 5-14;
			    * bit 15 (XDPML_VERDICT_TO_JAVA): the model sent it to Java (its class's action, or below
			    * the class's confidence), so it was not sampled */
	__u16 rx_queue;    /* the receive queue the frame came in on */
};

#define XDPML_VERDICT_TO_JAVA 0x8000
#define XDPML_META_FIRST_PICK 0x8000

/* Counters of the redirect stage (per CPU, summed by Java): index = enum xdpml_xsk_counter. */
enum xdpml_xsk_counter {
	XDPML_XC_SEEN = 0,      /* packets that reached the sample stage */
	XDPML_XC_SAMPLED,       /* packets chosen by the 1-in-N sampling (all when N <= 1) */
	XDPML_XC_REDIRECTED,    /* sampled packets redirected to a socket of the XSKMAP */
	XDPML_XC_NO_SOCKET,     /* sampled packets whose queue had no socket: given cfg_other_action */
	XDPML_XC_META_FAILED,   /* sampled packets without room for metadata: redirected without it; with
				 * cfg_meta_in_head not redirected (also when too long for the sockets'
				 * frames with it: xsk_meta_room, deliver.h) */
	XDPML_XC_BLOCKED,       /* packets the blocks stage dropped: source or flow blocked (mitigation.h) */
	XDPML_XC_MIRRORED,      /* mirror hand-off: sampled packets copied into the ring buffer (and passed) */
	XDPML_XC_MIRROR_LOST,   /* mirror hand-off: ring buffer full (Java behind): not copied, still passed */
	XDPML_XC_CAPPED,        /* sampled packets over the rate cap of the path to Java: not handed, passed on */
	XDPML_XC_FIRST_PICKED,  /* flows' first packets not sampled, copied to Java (deliver.h, first_pps) */
	XDPML_XC_FIRST_CAPPED,  /* flows' first packets over first_pps: not copied */
	XDPML_XC_FIRST_LOST,    /* flows' first packets not copied because the ring was full */
	XDPML_XC_BLOCKED_UNREADABLE, /* of the blocked above: the parse stopped short while blocks exist (mitigation.h) */
	XDPML_XC_MAX = 16,
};

/*
 * Mirror hand-off (cfg_mirror): instead of redirecting a sampled packet to a socket, which takes
 * it from the kernel's stack, the program copies it (up to XDPML_MIRROR_SNAP bytes, an Ethernet
 * MTU with two VLAN tags) and its metadata into the BPF ring buffer xdpml_mirror and passes it on:
 * the server keeps every packet, Java sees a copy. A record takes 32 + cap_len bytes of the ring
 * (rounded up to 8 by the ring), so small packets take little room. io.xdpml.processor.MirrorRecord reads the same layout. The metadata ends where
 * the data begins, as in front of an AF_XDP frame, so one reader serves both.
 *
 *  0          4          8                16                         32
 *  +----------+----------+----------------+-------------------------+------------------------+
 *  | wire_len | cap_len  |   ktime_ns     | struct xdpml_xsk_meta   | data[cap_len] ...      |
 *  +----------+----------+----------------+-------------------------+------------------------+
 */
#define XDPML_MIRROR_SNAP 1536
#define XDPML_MIRROR_HEADER 32

struct xdpml_mirror_rec {
	__u32 wire_len;  /* the packet's length */
	__u32 cap_len;   /* bytes copied: min(wire_len, XDPML_MIRROR_SNAP) */
	__u64 ktime_ns;  /* bpf_ktime_get_ns() when copied (CLOCK_MONOTONIC) */
	struct xdpml_xsk_meta meta;
	__u8 data[XDPML_MIRROR_SNAP];
};

#endif
