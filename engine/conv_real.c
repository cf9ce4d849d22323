/* conv_real.c: the real-valued layers around the per-ISA GEMM: the stem (k x k strided conv +
 * bias + BN + ReLU via im2col rows), 1x1 convs, and the heads (BN, ReLU, 1x1 conv, planar out). */
#include <math.h>
#include <string.h>

#include "net.h"

bnn_gemm_fn bnn_gemm_for_isa(bnn_isa isa) {
#if defined(__x86_64__)
  if (isa == BNN_ISA_AVX512) return bnn_gemm_avx512;
  if (isa == BNN_ISA_AVX2) return bnn_gemm_avx2;
#endif
  (void)isa;
  return bnn_gemm_generic;
}

bnn_gemm_head_fn bnn_gemm_head_for_isa(bnn_isa isa) {
#if defined(__x86_64__)
  if (isa == BNN_ISA_AVX512) return bnn_gemm_avx512_head;
  if (isa == BNN_ISA_AVX2) return bnn_gemm_avx2_head;
#endif
  (void)isa;
  return bnn_gemm_generic_head;
}

void bnn_bn_fold(const bnn_model *m, const bnn_tensor *gamma, const bnn_tensor *beta,
                 const bnn_tensor *mean, const bnn_tensor *var, float *scale, float *shift, int c) {
  const float *g = gamma->data, *b = beta->data, *mu = mean->data, *v = var->data;
  for (int i = 0; i < c; i++) {
    double sc = (double)g[i] / sqrt((double)v[i] + (double)m->bn_eps);
    scale[i] = (float)sc;
    shift[i] = (float)((double)b[i] - (double)mu[i] * sc);
  }
}

int bnn_gemm_prepare(struct bnn_net *n, bnn_gemm_w *g, int N, int K, const float *W,
                     const int *kidx, const float *bias, const float *bn_scale,
                     const float *bn_shift, int relu, int accumulate) {
  const int np = (N + BNN_GEMM_NR - 1) / BNN_GEMM_NR, Np = np * BNN_GEMM_NR;
  float *B = bnn_net_alloc(n, sizeof(float) * (size_t)np * K * BNN_GEMM_NR);
  float *bi = bnn_net_alloc(n, sizeof(float) * (size_t)Np);
  if (B == NULL || bi == NULL) return -1;
  for (int o = 0; o < N; o++) {
    int j = o / BNN_GEMM_NR, col = o % BNN_GEMM_NR;
    float *panel = B + (size_t)j * K * BNN_GEMM_NR;
    for (int q = 0; q < K; q++) {
      int k = kidx ? kidx[q] : q;
      panel[(size_t)k * BNN_GEMM_NR + col] = W[(size_t)o * K + q];
    }
    bi[o] = bias[o];
  }
  g->N = N;
  g->K = K;
  g->B = B;
  g->bias = bi;
  g->scale = g->shift = NULL;
  if (bn_scale) {
    float *sc = bnn_net_alloc(n, sizeof(float) * (size_t)Np), *sh = bnn_net_alloc(n, sizeof(float) * (size_t)Np);
    if (sc == NULL || sh == NULL) return -1;
    memcpy(sc, bn_scale, sizeof(float) * (size_t)N);
    memcpy(sh, bn_shift, sizeof(float) * (size_t)N);
    g->scale = sc;
    g->shift = sh;
  }
  g->relu = relu;
  g->accumulate = accumulate;
  return 0;
}

/* ------------------------------------------------------------------ CONV */

int bnn_conv_prepare(struct bnn_net *n, bnn_layer *L) {
  const bnn_node *nd = L->node;
  const int k = nd->p[0], cin = nd->p[3], cout = nd->p[4], bn_relu = nd->p[5];
  L->k = k;
  L->stride = nd->p[1];
  L->pad = nd->p[2];
  L->direct = k == 1 && L->stride == 1 && L->pad == 0;
  const int K = k * k * cin;
  /* W is [cout][cin][ky][kx]; im2col rows are ordered (ky, kx, ci) */
  int *kidx = bnn_net_alloc(n, sizeof(int) * (size_t)K);
  if (kidx == NULL) return -1;
  for (int c = 0; c < cin; c++)
    for (int t = 0; t < k * k; t++) kidx[c * k * k + t] = t * cin + c;
  float *sc = NULL, *sh = NULL;
  if (bn_relu) {
    sc = bnn_net_alloc(n, sizeof(float) * (size_t)cout);
    sh = bnn_net_alloc(n, sizeof(float) * (size_t)cout);
    if (!sc || !sh) return -1;
    bnn_bn_fold(n->m, &nd->t[2], &nd->t[3], &nd->t[4], &nd->t[5], sc, sh, cout);
  }
  if (bnn_gemm_prepare(n, &L->gw, cout, K, nd->t[0].data, kidx, nd->t[1].data, sc, sh, bn_relu, 0) != 0)
    return -1;
  L->has_gemm = 1;
  L->work[0] = (double)nd->real_macs / bnn_real_macs_per_ns(n->isa) + (double)L->h * L->w * K / 8;
  return 0;
}

/* one output row's im2col: col[ox][(ky * k + kx) * cin + ci], zero outside the input */
static void im2col_row(const bnn_layer *L, int oy, float *restrict col) {
  const int k = L->k, st = L->stride, pad = L->pad, cin = L->ic, H = L->ih, W = L->iw;
  const size_t K = (size_t)k * k * cin, run = (size_t)k * cin;
  for (int ox = 0; ox < L->w; ox++) {
    float *d = col + (size_t)ox * K;
    const int ix0 = ox * st - pad;
    for (int ky = 0; ky < k; ky++, d += run) {
      const int iy = oy * st - pad + ky;
      if (iy < 0 || iy >= H) {
        memset(d, 0, sizeof(float) * run);
        continue;
      }
      const float *src = L->in0 + ((size_t)iy * W) * cin;
      if (ix0 >= 0 && ix0 + k <= W) {
        memcpy(d, src + (size_t)ix0 * cin, sizeof(float) * run);
      } else {
        for (int kx = 0; kx < k; kx++) {
          const int ix = ix0 + kx;
          if (ix < 0 || ix >= W) memset(d + (size_t)kx * cin, 0, sizeof(float) * cin);
          else memcpy(d + (size_t)kx * cin, src + (size_t)ix * cin, sizeof(float) * cin);
        }
      }
    }
  }
}

static void conv_rows(void *ctx, int y0, int y1, int tid) {
  bnn_layer *L = ctx;
  const bnn_net *n = L->net;
  const size_t W = (size_t)L->w;
  if (L->direct) {
    n->gemm(&L->gw, (int)((size_t)(y1 - y0) * W), L->in0 + (size_t)y0 * W * L->ic, (size_t)L->ic,
            L->out + (size_t)y0 * W * L->c, (size_t)L->c);
    if (L->pack_next) bnn_hpm_pack_input_rows(L->pack_next, y0, y1);
    return;
  }
  float *col = n->scratch[tid];
  const size_t K = (size_t)L->k * L->k * L->ic;
  for (int y = y0; y < y1; y++) {
    im2col_row(L, y, col);
    n->gemm(&L->gw, L->w, col, K, L->out + (size_t)y * W * L->c, (size_t)L->c);
  }
  if (L->pack_next) bnn_hpm_pack_input_rows(L->pack_next, y0, y1);
}

void bnn_conv_run(bnn_layer *L) { bnn_pool_run(L->net->pool, L->h, L->work[0], conv_rows, L); }

/* ------------------------------------------------------------------ HEAD */

int bnn_head_prepare(struct bnn_net *n, bnn_layer *L) {
  const bnn_node *nd = L->node;
  const int cin = nd->p[0], cout = nd->p[1];
  L->kind = nd->p[2];
  L->bn_scale = bnn_net_alloc(n, sizeof(float) * (size_t)cin);
  L->bn_shift = bnn_net_alloc(n, sizeof(float) * (size_t)cin);
  L->planar = bnn_net_alloc(n, sizeof(float) * (size_t)cout * L->h * L->w);
  if (!L->bn_scale || !L->bn_shift || !L->planar) return -1;
  bnn_bn_fold(n->m, &nd->t[0], &nd->t[1], &nd->t[2], &nd->t[3], L->bn_scale, L->bn_shift, cin);
  if (bnn_gemm_prepare(n, &L->gw, cout, cin, nd->t[4].data, NULL, nd->t[5].data, NULL, NULL, 0, 0) != 0)
    return -1;
  L->has_gemm = 1;
  L->work[0] = (double)nd->real_macs / bnn_real_macs_per_ns(n->isa) + (double)L->h * L->w * cin / 4;
  return 0;
}

static void head_rows(void *ctx, int y0, int y1, int tid) {
  bnn_layer *L = ctx;
  const bnn_net *n = L->net;
  const int W = L->w, cin = L->ic, cout = L->c;
  float *restrict a = n->scratch[tid];
  float *restrict r = a + (size_t)W * cin;
  const float *restrict sc = L->bn_scale, *restrict sh = L->bn_shift;
  const size_t plane = (size_t)L->h * W;
  if (cout <= BNN_GEMM_HEAD_MAX_N) {
    for (int y = y0; y < y1; y++)
      n->gemm_head(&L->gw, W, L->in0 + (size_t)y * W * cin, (size_t)cin, sc, sh, L->planar + (size_t)y * W, plane,
                   a);
    return;
  }
  for (int y = y0; y < y1; y++) {
    const float *restrict x = L->in0 + (size_t)y * W * cin;
    for (int p = 0; p < W; p++)
      for (int c = 0; c < cin; c++) {
        float v = x[(size_t)p * cin + c] * sc[c] + sh[c];
        a[(size_t)p * cin + c] = v > 0 ? v : 0.0f;
      }
    n->gemm(&L->gw, W, a, (size_t)cin, r, (size_t)cout);
    for (int o = 0; o < cout; o++) {
      float *restrict d = L->planar + o * plane + (size_t)y * W;
      for (int p = 0; p < W; p++) d[p] = r[(size_t)p * cout + o];
    }
  }
}

void bnn_head_run(bnn_layer *L) { bnn_pool_run(L->net->pool, L->h, L->work[0], head_rows, L); }
