/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For measuring only (issue 14, item 4): the composed data plane of xdp_pipeline.bpf.c with the
 * model stage's other forms of inference beside its own (model_bench.h: trees compiled to
 * straight-line code, a packed tree layout, an MLP with a tail call per layer or none), each chosen
 * before load. The bench pipelines dt-compiled, rf-compiled, dt-packed(-branch), rf-packed(-branch),
 * mlp-layers and mlp-inline load this object; the data plane never does.
 */
#define XDPML_BENCH_MODELS 1
#include "xdp_pipeline.bpf.c"
