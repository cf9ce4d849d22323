/* net.h: internal: the runnable network (struct bnn_net) and its layers, shared by graph.c
 * (building, memory plan, running), hpm_block.c, conv_real.c and pool_upsample.c. */
#ifndef BNN_NET_H
#define BNN_NET_H

#include <stddef.h>
#include <stdint.h>

#include "bnnlm/bnnlm.h"
#include "conv_real.h"
#include "kernels.h"
#include "model.h"
#include "threadpool.h"

/* One binary 3x3 conv of an HPM block, prepared from the model. */
typedef struct {
  int ci, co, cw;     /* input channels, output channels, words per packed input pixel */
  float *s, *t;       /* ci: BN + sign folded: bit = (s * x >= t) */
  uint64_t *w;        /* co rows of 9 * cw words (kernels.h layout) */
  const float *alpha; /* co, in the model's blob */
} bnn_bconv;

typedef struct bnn_layer {
  struct bnn_net *net;
  const bnn_node *node;
  int id, op;
  int h, w, c;    /* output shape */
  int ih, iw, ic; /* in0's shape */
  const float *in0, *in1;
  float *out; /* HWC result (HEAD: NULL, see planar) */
  /* CONV, HEAD and the 1x1 skip of an HPM block */
  bnn_gemm_w gw;
  int has_gemm;
  int k, stride, pad, direct; /* CONV; direct: 1x1 stride 1 pad 0 (no im2col) */
  /* HEAD: BN + ReLU of the input, then the 1x1 conv into the planar output */
  float *bn_scale, *bn_shift;
  int kind;
  float *planar;
  /* HPM */
  bnn_bconv bc[3];
  double work[4]; /* estimated ns of each phase (for the pool's serial cut-off) */
  /* Pack fusion: when the next layer is an HPM block reading this layer's result, this layer
   * packs its finished rows into that block's first packed image (pack_next != NULL) and the
   * block skips its own packing pass (packed_by_prev). */
  struct bnn_layer *pack_next;
  int packed_by_prev;
  char label[64];
} bnn_layer;

struct bnn_net {
  const bnn_model *m;
  bnn_isa isa;
  const bnn_kernels *k;
  bnn_gemm_fn gemm;
  bnn_gemm_head_fn gemm_head; /* heads with at most BNN_GEMM_HEAD_MAX_N outputs */
  int threads;
  bnn_pool *pool;
  int n_layers; /* layers[i] is node i + 1 */
  bnn_layer *layers;
  float *input;
  uint64_t *pk[3]; /* packed padded images of the three binary convs of the running HPM block */
  size_t pk_words[3];
  float **scratch; /* per thread: im2col rows, head rows */
  size_t scratch_floats;
  int n_outputs;
  bnn_output *outputs;
  float **head_planar; /* n_outputs: each head's writable output (outputs[i].data) */
  int flip_test;       /* run twice, on the input and its mirror, and average */
  float **flip_keep;   /* n_outputs: the first pass's outputs while the mirror runs */
  int bf16;            /* the stem and skips run bnn_gemm_avx512_bf16 (bnn_net_set_bf16) */
  int timing;
  bnn_layer_stat *stats;
  void **allocs;
  int n_allocs, cap_allocs;
  size_t bytes_allocated;
};

/* Zeroed, 64-byte aligned, owned by the net (freed with it). NULL on out of memory. */
void *bnn_net_alloc(struct bnn_net *n, size_t bytes);

/* Prepare (at create) and run the layers of each kind. prepare returns 0 or -1 (no memory). */
int bnn_hpm_prepare(struct bnn_net *n, bnn_layer *L);
void bnn_hpm_run(bnn_layer *L);
/* Rows [y0, y1) of L's input are final: zero P1's border there and pack them (see pack_next). */
void bnn_hpm_pack_input_rows(bnn_layer *L, int y0, int y1);
int bnn_conv_prepare(struct bnn_net *n, bnn_layer *L);
void bnn_conv_run(bnn_layer *L);
int bnn_head_prepare(struct bnn_net *n, bnn_layer *L);
void bnn_head_run(bnn_layer *L);
void bnn_maxpool_run(bnn_layer *L);
void bnn_upadd_run(bnn_layer *L);

/* Pack a real conv's weights W[cout][K] (K = cin * kh * kw, in the caller's reduction order
 * given by kidx: reduction index q of W's element (o, j) is kidx(j)), bias and optional BN. */
int bnn_gemm_prepare(struct bnn_net *n, bnn_gemm_w *g, int N, int K, const float *W,
                     const int *kidx, const float *bias, const float *bn_scale,
                     const float *bn_shift, int relu, int accumulate);

/* BN folded to y = x * scale + shift (per channel; eps from the model). */
/* Rough throughputs of an ISA's kernels on one core, for the work estimates (ns) with which
 * bnn_pool_run decides whether splitting a job over the threads pays for the hand-over (about a
 * microsecond to a spinning worker): binary MACs per ns of the XOR-popcount convs, real MACs
 * per ns of the GEMM.
 * Measured with `bnnlm bench` on a Zen 4 class core (docs/performance.md), rounded down. */
static inline double bnn_binary_macs_per_ns(bnn_isa isa) {
  return isa == BNN_ISA_AVX512 ? 1500.0 : isa == BNN_ISA_AVX2 ? 400.0 : isa == BNN_ISA_NEON ? 150.0 : 10.0;
}
static inline double bnn_real_macs_per_ns(bnn_isa isa) {
  return isa == BNN_ISA_AVX512 ? 80.0 : isa == BNN_ISA_AVX2 ? 40.0 : isa == BNN_ISA_NEON ? 15.0 : 2.0;
}

void bnn_bn_fold(const bnn_model *m, const bnn_tensor *gamma, const bnn_tensor *beta,
                 const bnn_tensor *mean, const bnn_tensor *var, float *scale, float *shift, int c);

#endif
