/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The firewall stage: deny/allow lists, rules, connection tracking, per-source rate limits and a
 * SYN-flood guard, judged on the innermost IP packet the parser found (parse.h).
 *
 * One definition: io.xdpml.firewall.FirewallLayout reads and writes these structs byte for byte,
 * io.xdpml.firewall.JavaFirewall makes the same decisions on the same packets (the parity test
 * demands identical verdicts and counters), docs/firewall.md describes the semantics.
 *
 * Order per packet:
 *   parse error -> drop (or pass: cfg.malformed_pass) | no IP header -> pass
 *   deny list (source, then destination)               -> drop deny_list
 *   per-source token bucket                            -> drop rate_limit
 *   conntrack (TCP, UDP): a live entry decides a packet
 *     towards the connection's initiator (a reply)      -> pass conntrack | drop ct_invalid
 *   measures (while Java has any: xdpml_fw_mstate)      -> drop measure_port | drop measure_bare | drop measure_syn
 *                                                         | drop measure_udp
 *   conntrack: a live entry decides the other packets   -> pass conntrack | drop ct_invalid
 *   TCP without a live entry and not a SYN, strict mode -> drop ct_stray
 *   SYN without ACK: per-source SYN bucket              -> drop syn_flood
 *   SYN without ACK: the global SYN bucket              -> drop syn_global
 *   SYN without ACK nor TCP options: the global bucket of such SYNs -> drop bare_global
 *   allow list (source, then destination)              -> pass allow_list
 *   rules (first in file order that matches)           -> pass_rule | drop_rule
 *   default policy                                     -> pass_default | drop_default
 *   a SYN over a limit (syn-cookies on), a packet that would open a connection or one that is
 *     not TCP or UDP (ICMP, ...), from one of this host's own addresses (or multicast,
 *     loopback)                                           -> drop own_source
 *   ICMP, ICMPv6 errors and echoes that would pass: the global ICMP bucket -> drop icmp_global
 *   a SYN over a limit (syn-cookies on)                 -> answered (syn_cookie) | the limit's drop
 *   a new TCP/UDP connection that passed gets a conntrack entry (in TCP only a SYN without ACK
 *     or an ACK without SYN, FIN or RST: xdpml_fw_tcp_opens): a SYN's or a datagram's in
 *     xdpml_fw_ct_new until it is assured (early drop: a flood evicts only its own kind)
 *
 * Atomic reload: every list, rule and setting exists twice (generation 0 and 1: a byte in the
 * keys, an index in the config array). Each packet reads the active generation once
 * (xdpml_fw_gen) and uses only that generation; Java fills the other one, flips the index with a
 * single map update, then removes the old entries. No packet sees a half-loaded list.
 */
#ifndef XDPML_FIREWALL_H
#define XDPML_FIREWALL_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "parse.h"

#define XDPML_FW_PASS 0
#define XDPML_FW_DROP 1

/* Which list a prefix entry belongs to (the second byte of its key). */
enum xdpml_fw_kind {
	XDPML_FW_DENY_SRC = 0,
	XDPML_FW_DENY_DST = 1,
	XDPML_FW_ALLOW_SRC = 2,
	XDPML_FW_ALLOW_DST = 3,
	XDPML_FW_RULE_SRC = 4, /* value: the source set id of the rules (>= 1) */
	XDPML_FW_RULE_DST = 5, /* value: the destination set id */
};

/*
 * Key of xdpml_fw_lists (LPM trie). 24 bytes. prefixlen = 32 + address bits: generation, kind
 * and family always match whole; IPv4 addresses sit in addr[0..3].
 *   0 prefixlen  4 gen  5 kind  6 family (4|6)  7 pad  8 addr[16]
 */
struct xdpml_fw_prefix_key {
	__u32 prefixlen;
	__u8 gen;
	__u8 kind;
	__u8 family;
	__u8 pad;
	__u8 addr[16];
};

/*
 * Key of xdpml_fw_rules (LPM trie). 20 bytes. prefixlen = 96 + port bits: a rule's port range
 * is split into aligned power-of-two blocks, each block a prefix of the 16-bit port (big-endian,
 * so the trie matches its leading bits). Java compiles the rules so that blocks never overlap
 * within one (src_set, dst_set, proto): the longest match is the only match, and it names the
 * first rule in file order that covers the port.
 *   0 prefixlen  4 gen  5 proto  6 pad  8 src_set  12 dst_set  16 port (BE)  18 pad
 */
struct xdpml_fw_rule_key {
	__u32 prefixlen;
	__u8 gen;
	__u8 proto; /* 6, 17, 1, 58, or 0 for any other (and non-first fragments) */
	__u16 pad;
	__u32 src_set;
	__u32 dst_set;
	__u8 port[2];
	__u8 pad2[2];
};

/* Value of xdpml_fw_rules: the rule's counter slot and its action. 8 bytes. */
struct xdpml_fw_rule {
	__u32 slot;   /* index into xdpml_fw_hits: generation base + rule number */
	__u32 action; /* XDPML_FW_PASS or XDPML_FW_DROP */
};

/* One generation's settings (xdpml_fw_config[gen]). 112 bytes. */
struct xdpml_fw_config {
	__u8 default_action;  /* XDPML_FW_PASS | XDPML_FW_DROP */
	__u8 malformed_pass;  /* packets with a parse error: 1 pass, 0 drop */
	__u8 conntrack;       /* 1: track TCP and UDP */
	__u8 ct_strict;       /* 1: TCP without a connection and not a SYN is dropped (ct_stray) */
	__u8 has_deny_src;    /* lookups are skipped for empty lists */
	__u8 has_deny_dst;
	__u8 has_allow_src;
	__u8 has_allow_dst;
	__u8 has_rules;
	__u8 syn_cookies;     /* 1: a SYN over a syn-limit measure or syn-flood is answered with a cookie (syncookie.h) */
	__u8 tunnel_check;    /* 1: the policy can drop UDP (default drop, or a rule that drops UDP): a VXLAN
				 packet's outer packet is judged by it (xdpml_fw_tunnel); 0: it would pass */
	__u8 pad[5];
	__u64 timeout_syn_ns; /* SYN_SENT, SYN_RECV */
	__u64 timeout_est_ns; /* ESTABLISHED */
	__u64 timeout_fin_ns; /* FIN_WAIT, CLOSED */
	__u64 timeout_udp_ns;
	/* token buckets in integers: the level is in nano-tokens (1 token = 10^9), it gains
	 * rate_pps per nanosecond up to cap (burst * 10^9), a packet costs 10^9. 0 pps: off. */
	__u64 rate_pps;
	__u64 rate_cap;
	__u64 syn_pps;
	__u64 syn_cap;
	__u64 rule_count; /* rules of this generation: not used by the program, for xdpml fw stats */
	__u64 flood_pps;  /* one bucket for the SYNs of all sources (xdpml_fw_flood); 0: off */
	__u64 flood_cap;
	__u64 stamp;      /* this install's own number (never 0): the tunnel memo's entries of another are stale */
	__u64 bare_pps;   /* one bucket for the SYNs without TCP options of all sources (xdpml_fw_flood[1]); 0: off */
	__u64 bare_cap;
	__u64 icmp_pps;   /* one bucket for the ICMP of all sources (xdpml_fw_flood[2]); 0: off */
	__u64 icmp_cap;
};

/*
 * Connection tracking key: direction-normalised (endpoint a is the lower address, then port), and
 * the VXLAN VNI of a tunnelled packet | XDPML_FW_TUNNELLED (0 outside a tunnel): tenants of a
 * gateway whose address spaces overlap never share a connection, nor does VNI 0 with native
 * traffic. 44 bytes.
 */
struct xdpml_fw_ct_key {
	__u8 addr_a[16]; /* IPv4 as ::ffff:a.b.c.d */
	__u8 addr_b[16];
	__u16 port_a;    /* host order */
	__u16 port_b;
	__u8 proto;      /* 6 or 17 */
	__u8 family;     /* 4 or 6 */
	__u16 pad;
	__u32 vni;       /* inside VXLAN: the VNI | XDPML_FW_TUNNELLED; else 0 */
};

/* Set in a conntrack or rate key's vni for a packet inside VXLAN, VNI 0 included: whoever may send
 * to the VXLAN port writes the inner packet, which never reaches the native packet's connection or
 * bucket (before 2026-12-06, VNI 0's did). The flow stage's XDPML_FLOW_TUNNELLED, the same bit. */
#define XDPML_FW_TUNNELLED (1U << 24)

enum xdpml_fw_ct_state {
	XDPML_CT_SYN_SENT = 1,
	XDPML_CT_SYN_RECV = 2,
	XDPML_CT_ESTABLISHED = 3,
	XDPML_CT_FIN_WAIT = 4, /* a FIN seen in one direction */
	XDPML_CT_CLOSED = 5,   /* FIN both ways, or RST: lingers for timeout_fin_ns */
	XDPML_CT_UDP = 6,
};

/*
 * A tracked connection. 24 bytes (16 before 2026-12-06, without the sequence numbers). The four
 * bytes state..seq_known (with pad, a 64-bit word: clang's BPF target of this build swaps 64 bits
 * only) are changed by compare-and-swap (xdpml_fw_ct_step): two CPUs deciding packets of one
 * connection at once lose no transition.
 */
struct xdpml_fw_ct {
	__u64 last_ns;
	__u8 state;          /* enum xdpml_fw_ct_state */
	__u8 initiator_is_a; /* the first packet came from endpoint a */
	__u8 fin_seen;       /* 1: from the initiator, 2: from the responder */
	__u8 seq_known;      /* TCP: 1: next_seq[0] is known, 2: next_seq[1] */
	__u32 pad;
	__u32 next_seq[2];   /* TCP, per sender (0: the initiator, 1: the responder): the end (seq +
				payload + SYN + FIN) of the furthest segment seen from it, or the
				other's ACK (xdpml_fw_peer_learn) */
};

/* The word of state, initiator_is_a, fin_seen, seq_known and pad, as compared-and-swapped. */
union xdpml_fw_ct_word {
	__u64 w;
	struct {
		__u8 state;
		__u8 initiator_is_a;
		__u8 fin_seen;
		__u8 seq_known;
		__u32 pad;
	} f;
};

/* Per-source token buckets (rate limit, SYN guard), per VNI as conntrack. Key 24 bytes, value 32. */
struct xdpml_fw_rate_key {
	__u8 addr[16]; /* IPv4 as ::ffff:a.b.c.d */
	__u8 family;
	__u8 pad[3];
	__u32 vni;     /* as in xdpml_fw_ct_key; 0 for a tunnel's outer packet judged alone (a native source) */
};

struct xdpml_fw_bucket {
	__u64 level;   /* nano-tokens */
	__u64 last_ns;
};

struct xdpml_fw_rate {
	struct xdpml_fw_bucket all;
	struct xdpml_fw_bucket syn;
};

/* Counters, per CPU: one per verdict reason and a few events. io.xdpml.firewall.FirewallCounter. */
enum xdpml_fw_counter {
	XDPML_FWC_PACKETS = 0,
	XDPML_FWC_PASS_NOT_IP,
	XDPML_FWC_PASS_MALFORMED,
	XDPML_FWC_PASS_CONNTRACK,
	XDPML_FWC_PASS_ALLOW_LIST,
	XDPML_FWC_PASS_RULE,
	XDPML_FWC_PASS_DEFAULT,
	XDPML_FWC_DROP_MALFORMED,
	XDPML_FWC_DROP_DENY_LIST,
	XDPML_FWC_DROP_RATE_LIMIT,
	XDPML_FWC_DROP_SYN_FLOOD,
	XDPML_FWC_DROP_CT_INVALID,
	XDPML_FWC_DROP_CT_STRAY,
	XDPML_FWC_DROP_RULE,
	XDPML_FWC_DROP_DEFAULT,
	XDPML_FWC_DROP_SYN_GLOBAL,   /* the SYN bucket shared by all sources was empty */
	XDPML_FWC_CT_NEW = 16,       /* connections created */
	XDPML_FWC_CT_INSERT_FAILED,  /* map updates that failed */
	XDPML_FWC_DROP_MEASURE_PORT = 18, /* a port-drop measure (xdpml_fw_measures) */
	XDPML_FWC_DROP_MEASURE_SYN,       /* a syn-limit measure's bucket was empty */
	XDPML_FWC_SYN_COOKIE = 20,        /* a SYN over a limit answered with a SYN cookie (XDP_TX) */
	XDPML_FWC_PASS_SYN_COOKIE,        /* an ACK without a connection carrying a valid cookie (strict) */
	XDPML_FWC_SYN_COOKIE_UNANSWERED,  /* event: a SYN over a limit that could not be answered, dropped */
	XDPML_FWC_DROP_OWN_SOURCE,        /* conntrack on, a SYN to answer, or not TCP/UDP: from an address of this host (xdpml_fw_own): forged */
	XDPML_FWC_DROP_MAPPED_SOURCE,     /* IPv6 from an IPv4-mapped source (::ffff:0:0/96): never on the wire */
	XDPML_FWC_DROP_TUNNEL,            /* VXLAN whose outer packet (UDP to the VXLAN port) the policy drops */
	XDPML_FWC_DROP_CT_RST_WINDOW,     /* a RST whose sequence is not near what its sender sent (xdpml_fw_rst_believed) */
	XDPML_FWC_FRAG_FOLLOWED,          /* event: a later fragment dropped with its first (xdpml_fw_frags), counted under that one's reason too */
	XDPML_FWC_DROP_MEASURE_UDP,       /* a udp-limit measure's bucket was empty */
	XDPML_FWC_DROP_MEASURE_BARE,      /* a SYN without TCP options under a bare-syn-drop measure */
	XDPML_FWC_DROP_BARE_GLOBAL,       /* the bucket of the SYNs without TCP options of all sources was empty */
	XDPML_FWC_DROP_ICMP_GLOBAL,       /* the bucket of the ICMP of all sources was empty */
	XDPML_FWC_MAX = 32,
};

struct xdpml_fw_counters {
	__u64 c[XDPML_FWC_MAX];
};

/* What a test run records about the last packet (cfg_record_verdict). */
struct xdpml_fw_verdict {
	__u32 reason; /* enum xdpml_fw_counter */
	__u32 slot;   /* rule counter slot when a rule decided, else 0xffffffff */
};

#define XDPML_FW_NO_RULE 0xffffffffu

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_fw_gen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, struct xdpml_fw_config);
} xdpml_fw_config SEC(".maps");

/*
 * Never read by the program. An update of a map-of-maps returns only after an RCU grace period
 * (the kernel's maybe_wait_bpf_programs): every program run that began before it has ended. Java
 * updates it after flipping the generation, so no packet still uses the old generation when its
 * entries are removed.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct {
		__uint(type, BPF_MAP_TYPE_ARRAY);
		__uint(max_entries, 1);
		__type(key, __u32);
		__type(value, __u32);
	});
} xdpml_fw_sync SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1 << 21); /* set by Java before load */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdpml_fw_prefix_key);
	__type(value, __u32);
} xdpml_fw_lists SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1 << 21); /* set by Java before load */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct xdpml_fw_rule_key);
	__type(value, struct xdpml_fw_rule);
} xdpml_fw_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * 65536); /* two generations of rule counters; set by Java before load */
	__type(key, __u32);
	__type(value, __u64);
} xdpml_fw_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* set by Java before load */
	__type(key, struct xdpml_fw_ct_key);
	__type(value, struct xdpml_fw_ct);
} xdpml_fw_ct SEC(".maps");

/*
 * The connections not yet assured (Linux's conntrack: not ASSURED), apart from the assured ones of
 * xdpml_fw_ct, so that a flood of new ones evicts only its own kind (since 2026-12-06; before, one
 * table held both and a flood of spoofed SYNs evicted established connections). A TCP connection
 * opened by a SYN is unassured until it is established (its handshake's ACK, or the responder's
 * answer then), a UDP one until a reply passes: then it moves to xdpml_fw_ct (xdpml_fw_ct_assure).
 * A connection picked up mid-stream (loose) or by a SYN cookie's ACK starts assured. A key is in
 * one of the two; TCP reads xdpml_fw_ct first, UDP this one. Same capacity
 * (firewall.max-connections), same entries. docs/firewall.md, "Early drop".
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* set by Java before load, as xdpml_fw_ct */
	__type(key, struct xdpml_fw_ct_key);
	__type(value, struct xdpml_fw_ct);
} xdpml_fw_ct_new SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* set by Java before load */
	__type(key, struct xdpml_fw_rate_key);
	__type(value, struct xdpml_fw_rate);
} xdpml_fw_rate SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_fw_counters);
} xdpml_fw_stats SEC(".maps");

/*
 * The buckets shared by all sources: a spoofed flood brings a new source with every packet.
 * [0] every SYN without ACK (syn-flood), [1] those without TCP options (bare-syn-flood),
 * [2] ICMP and ICMPv6 but neighbour discovery and multicast listeners (icmp-flood).
 */
struct xdpml_fw_flood {
	struct bpf_spin_lock lock;
	__u32 pad;
	struct xdpml_fw_bucket b;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 3);
	__type(key, __u32);
	__type(value, struct xdpml_fw_flood);
} xdpml_fw_flood SEC(".maps");

/*
 * Measures: entries Java installs against an attack that source blocks cannot stop (thousands of
 * reflectors, spoofed sources), keyed by the victim (the packet's destination). Not part of a
 * generation: a config reload keeps them. Each has an expiry in packet time (0: never) and counts
 * the packets it dropped. io.xdpml.firewall.FirewallMeasures installs them, JavaFirewall holds
 * the same ones.
 */
enum xdpml_fw_measure_kind {
	XDPML_FW_M_PORT_DROP = 1, /* proto packets FROM source port `port` TO the victim: dropped */
	XDPML_FW_M_SYN_LIMIT = 2, /* TCP SYNs without ACK TO victim:port (0: any port) over pps/burst: dropped */
	XDPML_FW_M_UDP_LIMIT = 3, /* UDP datagrams (whole, or first fragments) TO victim:port (0: any port) over pps/burst: dropped */
	XDPML_FW_M_BARE_SYN = 4,  /* TCP SYNs without ACK and without options TO victim:port (0: any port): dropped */
};

/* Key of xdpml_fw_measures. 20 bytes. */
struct xdpml_fw_measure_key {
	__u8 victim[16]; /* the destination; IPv4 as ::ffff:a.b.c.d */
	__u8 proto;      /* 6 or 17 (syn-limit: 6) */
	__u8 kind;       /* enum xdpml_fw_measure_kind */
	__u16 port;      /* host order; port-drop: the source port; syn-limit: the destination port, 0 any */
};

/* Value of xdpml_fw_measures. 56 bytes. */
struct xdpml_fw_measure {
	struct bpf_spin_lock lock; /* guards b */
	__u32 pad;
	__u64 expires_ns; /* packet clock (bpf_ktime_get_ns; the test clock in tests); 0: never */
	__u64 hits;       /* packets this measure dropped (a syn-limit under syn-cookies on: or answered) */
	__u64 pps;        /* syn-limit: SYNs per second (0: none pass) */
	__u64 cap;        /* syn-limit: burst * 10^9 */
	struct xdpml_fw_bucket b;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 16384);
	__type(key, struct xdpml_fw_measure_key);
	__type(value, struct xdpml_fw_measure);
} xdpml_fw_measures SEC(".maps");

/*
 * The datagrams whose first fragment the stage dropped (xdpml_fw_frag_note): a later fragment
 * carries no ports, so the rules, measures and conntrack that judged the first by them cannot judge
 * it; it follows its first fragment's drop, for the same reason, for XDPML_FW_FRAG_NS (IPv6:
 * XDPML_FW_FRAG6_NS). A first fragment the stage passes removes its key (another datagram with an
 * identification drawn again, or forged). Keyed as Linux keys a reassembly (RFC 791: source,
 * destination, protocol, identification; IPv6 the fragment header's 32-bit identification, no next
 * header: RFC 8200 4.5, frag_v6_compare_key), with the key VNI of conntrack (tenants' addresses may
 * overlap). An LRU: the fragments of a datagram arrive together, so under a flood of them the
 * newest datagrams are the ones whose fragments are still to come. 48 + 16 bytes.
 */
struct xdpml_fw_frag_key {
	__u32 src[4]; /* as xdpml_fw_packet: IPv4 in [0] */
	__u32 dst[4];
	__u32 id;     /* IPv4: 16 bits; IPv6: 32 */
	__u32 vni;    /* xdpml_fw_key_vni */
	__u8 family;
	__u8 proto;   /* IPv4 protocol; IPv6: 0 */
	__u16 pad;
	__u32 pad2;
};

struct xdpml_fw_frag {
	__u64 first_ns; /* the packet clock when the first fragment was dropped */
	__u32 reason;   /* its drop reason (enum xdpml_fw_counter) */
	__u32 pad;
};

/* How long the stack waits for a datagram's fragments: Linux's net.ipv4.ipfrag_time (30 s) and net.ipv6.ip6frag_time (60 s). */
#define XDPML_FW_FRAG_NS (30ULL * 1000000000ULL)
#define XDPML_FW_FRAG6_NS (60ULL * 1000000000ULL)

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, struct xdpml_fw_frag_key);
	__type(value, struct xdpml_fw_frag);
} xdpml_fw_frags SEC(".maps");

/*
 * [0]: non-zero while xdpml_fw_measures may hold entries: a bit (1 << kind) per kind there may be
 *      (Java sets an entry's bit before it adds the entry; UDP looks for udp-limits only under theirs,
 *      a SYN without options for bare-syn-drops only under theirs).
 * [1]: non-zero while xdpml_fw_own may hold entries (the agent sets it before it adds one).
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_fw_mstate SEC(".maps");

/*
 * This host's own addresses and broadcast addresses (IPv4 as ::ffff:a.b.c.d), kept by the agent
 * (io.xdpml.firewall.OwnAddresses): a packet that arrives from one of them is forged (the host's own packets leave,
 * they never arrive), and under conntrack it would open an entry with this host as initiator, whose
 * "replies" from the forger then pass before the measures and the rules. Value unused.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32[4]);
	__type(value, __u32);
} xdpml_fw_own SEC(".maps");

/*
 * The policy's verdicts on the last tunnels' outer packets, per CPU, 16 slots by the outer source
 * (xdpml_fw_tunnel): a gateway's tunnels come from a few underlay peers, and the policy's three
 * lookups cost ~60 ns a packet. The policy is a function of the configuration and the two addresses
 * alone, so a slot holding both addresses and the stamp of the configuration in force gives its
 * verdict again (the rule's hit counted as if judged). 56 bytes.
 *   0 src[4]  16 dst[4]  32 stamp (0: empty)  40 verdict (xdpml_fw_tunnel's u64)  48 family
 */
struct xdpml_fw_tunnel_memo {
	__u32 src[4];
	__u32 dst[4];
	__u64 stamp;
	__u64 verdict;
	__u32 family;
	__u32 pad;
};

#define XDPML_FW_TUNNEL_MEMOS 16

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDPML_FW_TUNNEL_MEMOS);
	__type(key, __u32);
	__type(value, struct xdpml_fw_tunnel_memo);
} xdpml_fw_tmemo SEC(".maps");

#define XDPML_NS_PER_TOKEN 1000000000ULL

/*
 * Takes one token from b at time now; 1 when there was one. A new bucket starts full (the caller
 * zeroes it with last_ns 0 and level = cap). Time going backwards adds nothing.
 */
static __always_inline int xdpml_fw_take(struct xdpml_fw_bucket *b, __u64 now, __u64 pps, __u64 cap)
{
	__u64 level = b->level;
	if (now > b->last_ns) {
		__u64 elapsed = now - b->last_ns;
		/* elapsed * pps can overflow: compare first (cap / pps is the time to fill) */
		if (elapsed >= cap / pps)
			level = cap;
		else
			level += elapsed * pps;
		if (level > cap)
			level = cap;
		b->last_ns = now;
	}
	if (level < XDPML_NS_PER_TOKEN) {
		b->level = level;
		return 0;
	}
	b->level = level - XDPML_NS_PER_TOKEN;
	return 1;
}

/* Result of a conntrack step on a live entry. */
#define XDPML_CT_R_PASS 0
#define XDPML_CT_R_INVALID 1
#define XDPML_CT_R_NEW 2 /* a SYN on a closed connection: judged as a new one */
#define XDPML_CT_R_RST_WINDOW 3 /* a RST not believed: its sequence is far from its sender's */

#define XDPML_TCP_FIN 0x01
#define XDPML_TCP_SYN 0x02
#define XDPML_TCP_RST 0x04
#define XDPML_TCP_ACK 0x10

/*
 * Whether a TCP packet of these flags, without a live connection and passed by the policy, opens
 * one in loose mode (its first state is not INVALID): Linux's tcp_new(), which takes
 * tcp_conntracks[ORIGINAL][get_conntrack_index(th)][TCP_CONNTRACK_NONE] (nf_conntrack_proto_tcp.c):
 * the index is RST if rst, else SYN or SYNACK if syn, else FIN if fin, else ACK if ack, else NONE,
 * and the sNO column of the ORIGINAL rows reads syn sSS, synack sIV, fin sIV, ack sES, rst sIV,
 * none sIV. So a SYN without ACK opens (syn_sent) and an ACK without SYN, FIN or RST opens
 * (established, a connection picked up mid-stream); a RST, a SYN-ACK, a FIN (with or without ACK)
 * and a segment with none of the four open nothing (since 2026-12-06; before, loose mode picked
 * them up as established). Linux's tcp_error refuses a SYN with FIN before the
 * table; not copied: it opens syn_sent here. A cookie's ACK is opened by its own path, whatever
 * its FIN. io.xdpml.firewall.JavaFirewall.tcpOpens.
 */
static __always_inline int xdpml_fw_tcp_opens(__u8 flags)
{
	if (flags & XDPML_TCP_RST)
		return 0;
	if (flags & XDPML_TCP_SYN)
		return !(flags & XDPML_TCP_ACK);
	if (flags & XDPML_TCP_FIN)
		return 0;
	return (flags & XDPML_TCP_ACK) != 0;
}

/*
 * How far (either way, modulo 2^32) a RST's sequence may lie from the end of what XDP saw its
 * sender send, and how far one segment may move that end forward. 1 MiB: a real RST carries its
 * sender's next sequence (an abort), or the ACK of the segment it answers (a peer that lost the
 * connection), behind by what was in flight; a blind attacker hits the 2^21 accepted numbers with
 * one guess in 2,048. Linux's conntrack accepts within the receiver's window, up to 2^30 with
 * window scaling; XDP sees no window scale (SYN options) and often one direction only.
 * io.xdpml.firewall.JavaFirewall.SEQ_WINDOW.
 */
#define XDPML_FW_SEQ_WINDOW (1U << 20)

/* Whether sequence number x lies within XDPML_FW_SEQ_WINDOW of ref, either way (modulo 2^32). */
static __always_inline int xdpml_fw_seq_near(__u32 x, __u32 ref)
{
	__u32 d = x - ref;
	return d <= XDPML_FW_SEQ_WINDOW || -d <= XDPML_FW_SEQ_WINDOW;
}

/* What a TCP segment says of the sequence space. */
struct xdpml_fw_seg {
	__u32 seq;
	__u32 ack;
	__u32 end; /* seq + payload length + SYN + FIN */
	__u8 flags;
};

/*
 * Whether a RST from sender d (0: the initiator, 1: the responder) is believed: its sequence near
 * the end of what d sent, or, when nothing of d's is known (the first thing seen of the responder:
 * a refused SYN's RST+ACK, sequence 0), its ACK near the end of what the other side sent. A RST of
 * a side not known (never seen, nor acknowledged: xdpml_fw_peer_learn), without an ACK, is not believed.
 */
static __always_inline int xdpml_fw_rst_believed(const struct xdpml_fw_ct *e, __u8 known, int d,
						 const struct xdpml_fw_seg *g)
{
	if (known & (d ? 2 : 1))
		return xdpml_fw_seq_near(g->seq, d ? e->next_seq[1] : e->next_seq[0]);
	return (g->flags & XDPML_TCP_ACK) && (known & (d ? 1 : 2)) &&
	       xdpml_fw_seq_near(g->ack, d ? e->next_seq[0] : e->next_seq[1]);
}

/*
 * The TCP state machine on the copy w of a live entry's word (fwd: from the initiator;
 * rst_believed: the RST's sequence checked); changes w only when it returns PASS.
 */
static __always_inline int xdpml_fw_ct_tcp(union xdpml_fw_ct_word *w, int fwd, __u8 flags, int rst_believed)
{
	int syn = flags & XDPML_TCP_SYN, ack = flags & XDPML_TCP_ACK;
	if (flags & XDPML_TCP_RST) {
		if (!rst_believed)
			return XDPML_CT_R_RST_WINDOW;
		w->f.state = XDPML_CT_CLOSED;
		return XDPML_CT_R_PASS;
	}
	switch (w->f.state) {
	case XDPML_CT_SYN_SENT:
		if (!fwd && syn && ack) {
			w->f.state = XDPML_CT_SYN_RECV;
			return XDPML_CT_R_PASS;
		}
		if (fwd && syn && !ack)
			return XDPML_CT_R_PASS; /* retransmitted SYN */
		if (!fwd && ack && !syn && !(flags & XDPML_TCP_FIN))
			return XDPML_CT_R_PASS; /* the responder's challenge ACK (RFC 5961: it holds an older
						   connection of these ports); the initiator answers with a RST.
						   Linux's conntrack lets it by too */
		if (fwd && ack && !syn) {
			/* the handshake's ACK without a SYN-ACK seen: the reply left by a path XDP does not
			 * see (a server's one NIC sees only inbound packets) */
			w->f.state = XDPML_CT_ESTABLISHED;
			break;
		}
		return XDPML_CT_R_INVALID;
	case XDPML_CT_SYN_RECV:
		if (!fwd && syn && ack)
			return XDPML_CT_R_PASS; /* retransmitted SYN-ACK */
		if (fwd && syn && !ack)
			return XDPML_CT_R_PASS; /* retransmitted SYN: its SYN-ACK was lost (Linux's conntrack lets it by too) */
		if (!(fwd && ack && !syn))
			return XDPML_CT_R_INVALID;
		w->f.state = XDPML_CT_ESTABLISHED;
		break; /* the handshake's ACK may carry a FIN: go on as established */
	case XDPML_CT_ESTABLISHED:
	case XDPML_CT_FIN_WAIT:
		if (!fwd && syn && ack)
			return XDPML_CT_R_PASS; /* retransmitted SYN-ACK: the handshake's ACK was lost (Linux: lets it by) */
		if (fwd && syn && !ack && (w->f.fin_seen & 1))
			return XDPML_CT_R_NEW; /* the initiator sent its FIN: its SYN opens a new connection of these ports
						  (its port used again, the peer maybe in TIME_WAIT; a host's one NIC never
						  sees the peer's FIN, so the entry would stay fin_wait for tcp-fin).
						  Linux's conntrack lets a SYN in FIN_WAIT by too (sIG) */
		if (fwd && syn && !ack && !(flags & XDPML_TCP_FIN))
			return XDPML_CT_R_PASS; /* the initiator's SYN on a connection it never closed here: passed,
						   the entry unchanged (Linux's conntrack ignores it too, sIG). Its
						   port used again after the old connection died unseen (a NAT's
						   mapping expired, the client rebooted): a new handshake the server
						   answers, whose packets then pass as this entry's; a live
						   connection's server answers a forged one with a challenge ACK.
						   Before 2026-12-07, drop_ct_invalid until tcp-established (2 h) */
		if (syn)
			return XDPML_CT_R_INVALID;
		break;
	case XDPML_CT_CLOSED:
		return syn ? XDPML_CT_R_NEW : XDPML_CT_R_PASS;
	default:
		return XDPML_CT_R_INVALID;
	}
	if (flags & XDPML_TCP_FIN) {
		w->f.fin_seen |= fwd ? 1 : 2;
		w->f.state = w->f.fin_seen == 3 ? XDPML_CT_CLOSED : XDPML_CT_FIN_WAIT;
	}
	return XDPML_CT_R_PASS;
}

/*
 * The end of what sender d sent, moved by a segment g that passed: forward by at most
 * XDPML_FW_SEQ_WINDOW when known (a forged segment far ahead moves nothing, else it could set up
 * its own RST); first learnt from a segment whose ACK is near the end of what the other side sent
 * (a blind sender must guess it). Returns 0 (nothing), or XDPML_FW_SEQ_STORE (store *next as d's
 * end) with the bit of seq_known to set, if any.
 */
#define XDPML_FW_SEQ_STORE 4
static __always_inline __u8 xdpml_fw_seq_learn(const struct xdpml_fw_ct *e, __u8 known, int d,
					       const struct xdpml_fw_seg *g, __u32 *next)
{
	__u32 cur = d ? e->next_seq[1] : e->next_seq[0];
	*next = g->end;
	if (known & (d ? 2 : 1)) {
		__u32 ahead = g->end - cur;
		return ahead != 0 && ahead <= XDPML_FW_SEQ_WINDOW ? XDPML_FW_SEQ_STORE : 0;
	}
	if ((g->flags & XDPML_TCP_ACK) && (known & (d ? 1 : 2)) &&
	    xdpml_fw_seq_near(g->ack, d ? e->next_seq[0] : e->next_seq[1]))
		return XDPML_FW_SEQ_STORE | (d ? 2 : 1);
	return 0;
}

/*
 * Whether segment g from known sender d teaches the end of the other side: its ACK, the next
 * sequence of that side, when that side is not known yet or the ACK is ahead of its end by at most
 * XDPML_FW_SEQ_WINDOW (since 2026-12-06; before, a side never seen stayed unknown until a segment
 * of its own, and its RST without an ACK, sequence = the ACK it answers, as RFC 793 has a host that
 * no longer has the connection send it, was drop_ct_rst_window; Linux's conntrack accepts a RST
 * whose sequence is the other side's highest ACK, td_maxack). Only from a segment whose own
 * sequence is near d's end: a blind sender must guess that first, as for a RST.
 */
static __always_inline int xdpml_fw_peer_learn(const struct xdpml_fw_ct *e, __u8 known, int d,
					       const struct xdpml_fw_seg *g)
{
	if (!(g->flags & XDPML_TCP_ACK) || !(known & (d ? 2 : 1)) ||
	    !xdpml_fw_seq_near(g->seq, d ? e->next_seq[1] : e->next_seq[0]))
		return 0;
	__u32 ahead = g->ack - (d ? e->next_seq[0] : e->next_seq[1]);
	return !(known & (d ? 1 : 2)) || (ahead != 0 && ahead <= XDPML_FW_SEQ_WINDOW);
}

static __always_inline __u64 xdpml_fw_ct_timeout(const struct xdpml_fw_config *cfg, __u8 state)
{
	switch (state) {
	case XDPML_CT_SYN_SENT:
	case XDPML_CT_SYN_RECV:
		return cfg->timeout_syn_ns;
	case XDPML_CT_ESTABLISHED:
		return cfg->timeout_est_ns;
	case XDPML_CT_UDP:
		return cfg->timeout_udp_ns;
	default:
		return cfg->timeout_fin_ns;
	}
}

#endif
