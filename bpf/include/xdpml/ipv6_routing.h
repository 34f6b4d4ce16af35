/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whether an IPv6 packet is still source-routed: a Routing header (next header 43, any routing
 * type) in its extension chain with Segments Left not 0. Such a packet's IPv6 destination is only
 * the next waypoint; its final destination is in the Routing header, and that is the address of
 * the TCP/UDP pseudo header (RFC 8200 8.1: "If the IPv6 packet contains a Routing header, the
 * Destination Address used in the pseudo-header is that of the final destination"; at the
 * recipient, once no segments are left, the IPv6 destination is that address).
 *
 * For the VXLAN gateway's NAT (docs/vxlan.md): io.xdpml.vxlan.JavaVxlanGateway#sourceRouted is the
 * Java twin.
 */
#ifndef XDPML_IPV6_ROUTING_H
#define XDPML_IPV6_ROUTING_H

#include <linux/types.h>
#include "parse.h"

/*
 * 1: the extension chain of the IPv6 header at l3 holds a Routing header with Segments Left not 0.
 * For a chain the parse walked cleanly (at most XDPML_MAX_IPV6_EXT headers, each within the
 * frame, then the transport header); a read past data_end ends the walk with 0 (cannot happen then).
 */
static __always_inline int xdpml_ipv6_source_routed(void *data, void *data_end, __u32 l3)
{
	__u8 *h = data + (l3 & 0xfff);
	if ((void *)(h + 40) > data_end)
		return 0;
	__u8 nh = h[6];
	__u32 o = l3 + 40;
#pragma unroll
	for (int i = 0; i < XDPML_MAX_IPV6_EXT; i++) {
		if (nh != 0 && nh != 43 && nh != 60 && nh != 51 && nh != 44)
			return 0;
		h = data + (o & 0xfff);
		if ((void *)(h + 4) > data_end)
			return 0;
		if (nh == 43 && h[3]) /* type, then Segments Left */
			return 1;
		o += nh == 44 ? 8 : nh == 51 ? (h[1] + 2) * 4 : (h[1] + 1) * 8;
		nh = h[0];
	}
	return 0;
}

#endif
