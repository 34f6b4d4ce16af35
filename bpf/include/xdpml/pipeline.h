/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The composed pipeline's own state: its stages, the configuration word every stage's
 * double-buffered settings hang on, what it counts per stage, and what a test run records.
 * Java twin: io.xdpml.dataplane (DataPlaneLayout reads these layouts, JavaDataPlane makes the
 * same decisions).
 *
 * Stages, in the order a packet meets them (the same order in the config file, Java and docs):
 *
 *   parse -> blocks -> firewall -> flow -> model -> sample -> deliver -> (end: the default action)
 *
 * A packet leaves at the first stage that drops it (blocks, firewall, model) or takes it
 * (deliver with AF_XDP redirects it); the rest reach the end.
 */
#ifndef XDPML_PIPELINE_H
#define XDPML_PIPELINE_H

#include <linux/types.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "flow.h"
#include "clock.h"

enum xdpml_stage {
	XDPML_ST_PARSE = 0,
	XDPML_ST_BLOCKS,
	XDPML_ST_FIREWALL,
	XDPML_ST_FLOW,
	XDPML_ST_MODEL,
	XDPML_ST_SAMPLE,
	XDPML_ST_DELIVER,
	XDPML_ST_END,
	XDPML_ST_MAX = 8,
};

/* Reasons of the blocks stage (the firewall's are enum xdpml_fw_counter, the model's the class). */
#define XDPML_BLOCK_SOURCE 1
#define XDPML_BLOCK_FLOW 2
#define XDPML_BLOCK_UNREADABLE 3 /* the parse stopped short while blocks exist (mitigation.h) */

/*
 * The configuration word: the value of xdpml_fw_gen (firewall.h; the firewall's generation index
 * grew into it). Every packet reads it once, at entry, and every double-buffered stage uses the
 * half it names:
 *
 *   bit 0        firewall generation (lists, rules, settings of firewall.h)
 *   bit 1        model slot (xdpml_models)
 *   bit 2        delivery settings slot (xdpml_deliver_config: 1-in-N, rate cap)
 *   bits 16..31  the configuration's generation (counts reloads; for status only)
 *
 * Java (io.xdpml.dataplane.ConfigWord) fills the inactive halves, then changes the word with one
 * 4-byte map update and waits an RCU grace period: a packet sees the old configuration or the
 * new one, never a mix of both.
 */
#define XDPML_CW_FIREWALL 0x1
#define XDPML_CW_MODEL 0x2
#define XDPML_CW_DELIVER 0x4

/*
 * Who runs this pipeline: written by the agent, never read by the program; pinned with the other
 * maps so that another shell (xdpml status, reload) finds the agent, its file and how its reloads
 * went. 296 bytes.
 */
struct xdpml_agent_info {
	__u32 pid;          /* the agent's process, 0: none */
	__u32 stages;       /* bit k: stage k (enum xdpml_stage) is on */
	__u64 started_ns;   /* CLOCK_MONOTONIC */
	__u32 reloads;      /* reloads tried (SIGHUP or xdpml reload: xdpml_agent_req) */
	__u32 rejected;     /* ... of which were rejected (the running state stayed as it was) */
	__u32 fw_rules;     /* rules of the firewall configuration in force */
	__u32 model_classes;/* classes of the model in force, 0: none */
	__u32 flags;        /* bit 0: the program reads the coarse clock (flows.clock: coarse): xdpml
			       deploy refuses a model that reads a time. Bits 1-2: where the deliver
			       stage puts the AF_XDP metadata (1: before the frame, 2: in front of it,
			       cfg_meta_in_head; 0: no frames to AF_XDP sockets), for xdpml status.
			       Never read by the program */
	__u32 pad;
	char config[256];   /* the configuration file (absolute path, NUL-terminated) */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_agent_info);
} xdpml_agent SEC(".maps");

/*
 * Reload requests from other shells: xdpml reload counts [0] up, the agent polls it (every 0.1 s)
 * and re-reads its file when it grew. Never read by the program. No signal is involved, so an
 * agent whose SIGHUP is ignored (nohup) is reloaded all the same.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} xdpml_agent_req SEC(".maps");

/*
 * Per CPU: packets that entered, packets each stage dropped, and the action each packet left
 * with (index = XDP action). Packets in at stage k = packets - drops of the stages before it
 * (no stage lets a packet skip the next one except the model's "java" class, which goes straight
 * to delivery, counted in to_java_forced).
 */
struct xdpml_pipeline_stats {
	__u64 packets;
	__u64 to_java_forced;
	__u64 tail_call_failed; /* the rest of the pipeline was missing: the packet left with the default action */
	__u64 dropped[XDPML_ST_MAX];
	__u64 action[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_pipeline_stats);
} xdpml_pipeline_stats SEC(".maps");

/* What a test run records of the last packet (cfg_record_result). 24 bytes. */
struct xdpml_result {
	__u32 action; /* the XDP action */
	__u16 stage;  /* enum xdpml_stage that decided: the dropping one, deliver for a redirect, else end */
	__u16 reason; /* blocks: XDPML_BLOCK_*; firewall: enum xdpml_fw_counter; model: the class */
	__u16 fw_reason;  /* the firewall's verdict reason, 0xffff when it did not judge */
	__s16 cls;        /* the model's class, -1 for none */
	__u8 sampled;     /* the sample stage chose it */
	__u8 delivered;   /* the deliver stage handed it (or its copy) to Java */
	__u16 conf;       /* the class's confidence, thousandths (0 with no class) */
	__u8 first_pick;  /* not sampled: chosen as its flow's first packet (deliver.h) */
	__u8 pad[3];
};

/*
 * What one packet's stages hand on across tail calls (per CPU: a packet runs on one CPU from entry
 * to exit, and the next packet starts by overwriting it).
 */
struct xdpml_packet {
	struct xdpml_flow_key key; /* the flow key, when keyed */
	__u64 clock;               /* the packet's time once read (clock.h), 0 before */
	__u32 word;                /* the configuration word as read at entry */
	__u32 length;              /* the frame's length */
	__u8 keyed;                /* key is the packet's: the flow stage tracked it */
	__u8 flow_sampled;         /* its flow is sampled (sample by flow) */
	__u8 first;                /* the first packet of its flow (a new flow, or parked on probation) */
	__u8 pad[5];
	struct xdpml_tick tick;    /* this CPU's coarse clock, read once per tick (clock.h); kept across packets */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xdpml_packet);
} xdpml_packet SEC(".maps");

static __always_inline struct xdpml_packet *xdpml_packet_this_cpu(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xdpml_packet, &zero);
}

/*
 * The program is two verifier units joined by one tail call with a constant key (~1-2 ns): the
 * entry (parse, blocks, firewall) and the rest (flow, model, sample, deliver). Each is verified on
 * its own budget; together they exceed it (the parser alone has thousands of paths, and every
 * stage after it would be checked once per path). Filled by Java after load (PipelineObject).
 */
#define XDPML_TC_REST 0

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xdpml_stages SEC(".maps");

volatile const __u8 cfg_record_result = 0;
struct xdpml_result last_result;

static __always_inline struct xdpml_pipeline_stats *xdpml_pipeline_stats_this_cpu(void)
{
	__u32 zero = 0;
	return bpf_map_lookup_elem(&xdpml_pipeline_stats, &zero);
}

#endif
