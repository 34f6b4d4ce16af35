/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parse counters: one per protocol and one per parse-error reason, kept per CPU.
 *
 * The Java twin (io.xdpml.packet.ParseCounter) holds the same list in the same order;
 * ParseCounterHeaderTest reads this file and fails when the two drift apart.
 *
 * The kernel keeps them as a histogram (stats.h); each protocol counter is derived from it.
 * A packet increments each protocol counter at most once, whether the protocol is seen in
 * the outer frame, in a VXLAN inner frame, or both. A packet has at most one error: parsing
 * stops at the first failed check, and the layers before it stay counted.
 */
#ifndef XDPML_COUNTERS_H
#define XDPML_COUNTERS_H

enum xdpml_counter {
	XDPML_C_PACKETS = 0,
	XDPML_C_ETHERNET,
	XDPML_C_VLAN,
	XDPML_C_IPV4,
	XDPML_C_IPV6,
	XDPML_C_TCP,
	XDPML_C_UDP,
	XDPML_C_ICMP,
	XDPML_C_ICMPV6,
	XDPML_C_VXLAN,
	XDPML_C_FRAGMENTS,

	/* parse-error reasons */
	XDPML_E_FIRST = 16,
	XDPML_E_ETH_TRUNCATED = XDPML_E_FIRST,
	XDPML_E_VLAN_TRUNCATED,
	XDPML_E_VLAN_TOO_DEEP,
	XDPML_E_IPV4_TRUNCATED,
	XDPML_E_IPV4_BAD_VERSION,
	XDPML_E_IPV4_BAD_IHL,
	XDPML_E_IPV4_BAD_TOTAL_LENGTH,
	XDPML_E_IPV6_TRUNCATED,
	XDPML_E_IPV6_BAD_VERSION,
	XDPML_E_IPV6_EXT_TRUNCATED,
	XDPML_E_IPV6_EXT_TOO_DEEP,
	XDPML_E_TCP_TRUNCATED,
	XDPML_E_TCP_BAD_DATA_OFFSET,
	XDPML_E_UDP_TRUNCATED,
	XDPML_E_ICMP_TRUNCATED,
	XDPML_E_ICMPV6_TRUNCATED,
	XDPML_E_VXLAN_TRUNCATED,
	XDPML_E_VXLAN_BAD_FLAGS,
	XDPML_E_HEADER_TOO_DEEP,

	XDPML_COUNTER_MAX = 64, /* error slots in the per-CPU counters (a power of two: see stats.h) */
};

/* Combinations of the ten counted protocol flags: slots of the per-CPU histogram (stats.h). */
#define XDPML_FLAG_COMBOS 1024

#endif
