/* SPDX-License-Identifier: Apache-2.0 */
/* Ring buffer test: each run of rb_submit writes one record {packet length, sequence number};
 * rb_discard reserves a record and discards it (the consumer must skip it). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct rec { __u32 len; __u32 magic; __u64 seq; };

struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } rb SEC(".maps");

__u64 seq;
__u64 dropped;

SEC("xdp")
int rb_submit(struct xdp_md *ctx)
{
	struct rec *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) { dropped++; return XDP_ABORTED; }
	r->len = ctx->data_end - ctx->data;
	r->magic = 0xfeedf00d;
	r->seq = seq++;
	bpf_ringbuf_submit(r, 0);
	return XDP_PASS;
}

SEC("xdp")
int rb_discard(struct xdp_md *ctx)
{
	struct rec *r = bpf_ringbuf_reserve(&rb, sizeof(*r), 0);
	if (!r) { dropped++; return XDP_ABORTED; }
	r->len = 0xdead;
	bpf_ringbuf_discard(r, 0);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
