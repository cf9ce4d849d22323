/* hpm_block.c: the HPM block B(cin, cout) of network.md: BN + sign folded into thresholds,
 * bit packing, three binary 3x3 convs into the concat slots, then the skip (identity or 1x1). */
#include <math.h>
#include <string.h>

#include "net.h"

/* sign(BN(x)) = +1  <=>  s * x >= t:
 * gamma > 0: x >= mean - beta * sd / gamma;  gamma < 0: -x >= -(mean - beta * sd / gamma);
 * gamma == 0: the constant sign(beta): s = 0 and t = 0 (always +1) or t = 1 (always -1).
 * t is computed in double and rounded once to float (it may round to +-inf: a constant). */
static void fold_sign(const bnn_model *m, const bnn_tensor *const *bn, int c, float *s, float *t) {
  const float *g = bn[0]->data, *b = bn[1]->data, *mu = bn[2]->data, *var = bn[3]->data;
  for (int i = 0; i < c; i++) {
    double sd = sqrt((double)var[i] + (double)m->bn_eps);
    if (g[i] == 0.0f) {
      s[i] = 0.0f;
      t[i] = b[i] >= 0.0f ? 0.0f : 1.0f;
    } else {
      double th = (double)mu[i] - (double)b[i] * sd / (double)g[i];
      s[i] = g[i] > 0.0f ? 1.0f : -1.0f;
      t[i] = (float)(g[i] > 0.0f ? th : -th);
    }
  }
}

/* file rows (bit j = (ky * 3 + kx) * ci + c, LSB first, ceil(9 ci / 8) bytes per row)
 * -> kernel rows (9 taps x cw words, channel c = bit c % 64 of word c / 64) */
static void repack_weights(const unsigned char *bits, int co, int ci, int cw, uint64_t *w) {
  size_t rowb = ((size_t)9 * ci + 7) / 8;
  for (int o = 0; o < co; o++) {
    const unsigned char *r = bits + rowb * o;
    uint64_t *d = w + (size_t)o * 9 * cw;
    for (int tap = 0; tap < 9; tap++)
      for (int c = 0; c < ci; c++) {
        size_t j = (size_t)tap * ci + c;
        if (r[j / 8] >> (j % 8) & 1) d[tap * cw + c / 64] |= (uint64_t)1 << (c % 64);
      }
  }
}

int bnn_hpm_prepare(struct bnn_net *n, bnn_layer *L) {
  const bnn_node *nd = L->node;
  const int cin = nd->p[0], c = nd->p[1];
  const int ci[3] = {cin, c / 2, c / 4}, co[3] = {c / 2, c / 4, c / 4};
  const double hw = (double)L->h * L->w;
  /* per binary conv: version 1 gamma, beta, mean, var, W, alpha; version 2 sign, threshold, W, alpha */
  const int v2 = n->m->version >= 2, per = v2 ? 4 : 6;
  for (int j = 0; j < 3; j++) {
    bnn_bconv *b = &L->bc[j];
    const bnn_tensor *t = &nd->t[per * j];
    b->ci = ci[j];
    b->co = co[j];
    b->cw = (ci[j] + 63) / 64;
    b->s = bnn_net_alloc(n, sizeof(float) * (size_t)ci[j]);
    b->t = bnn_net_alloc(n, sizeof(float) * (size_t)ci[j]);
    b->w = bnn_net_alloc(n, sizeof(uint64_t) * (size_t)co[j] * 9 * b->cw);
    if (!b->s || !b->t || !b->w) return -1;
    if (v2) {
      const signed char *sg = t[0].data;
      const float *th = t[1].data;
      for (int i = 0; i < ci[j]; i++) {
        b->s[i] = (float)sg[i];
        b->t[i] = th[i];
      }
    } else {
      const bnn_tensor *bn[4] = {t, t + 1, t + 2, t + 3};
      fold_sign(n->m, bn, ci[j], b->s, b->t);
    }
    repack_weights(t[per - 2].data, co[j], ci[j], b->cw, b->w);
    b->alpha = t[per - 1].data;
  }
  if (cin != c) {
    const bnn_tensor *t = &nd->t[3 * per];
    if (bnn_gemm_prepare(n, &L->gw, c, cin, t[0].data, NULL, t[1].data, NULL, NULL, 0, 1) != 0)
      return -1;
    L->has_gemm = 1;
  }
  /* rough ns per phase: packing ~4 values/ns, binary and real MACs at the ISA's rate */
  const double rb = bnn_binary_macs_per_ns(n->isa), rr = bnn_real_macs_per_ns(n->isa);
  L->work[0] = hw * cin / 4;
  for (int j = 0; j < 3; j++) L->work[j + 1] = hw * 9.0 * ci[j] * co[j] / rb + hw * co[j] / 4;
  L->work[3] += cin != c ? hw * cin * c / rr : hw * c / 4;
  return 0;
}

/* Zero the one-pixel border of rows [y0, y1) of a packed (H + 2) x (W + 2) image, plus the
 * top / bottom border rows when the range touches them. */
static void zero_border(uint64_t *p, int H, int W, int cw, int y0, int y1) {
  size_t row = (size_t)(W + 2) * cw;
  for (int y = y0; y < y1; y++) {
    memset(p + (size_t)(y + 1) * row, 0, sizeof(uint64_t) * cw);
    memset(p + (size_t)(y + 1) * row + (size_t)(W + 1) * cw, 0, sizeof(uint64_t) * cw);
  }
  if (y0 == 0) memset(p, 0, sizeof(uint64_t) * row);
  if (y1 == H) memset(p + (size_t)(H + 1) * row, 0, sizeof(uint64_t) * row);
}

static void pack_rows(const bnn_net *n, const bnn_bconv *b, const float *src, size_t stride, int W,
                      uint64_t *dst, int y0, int y1) {
  for (int y = y0; y < y1; y++)
    n->k->pack(src + (size_t)y * W * stride, stride, b->ci, b->s, b->t,
               dst + ((size_t)(y + 1) * (W + 2) + 1) * b->cw, b->cw, W);
}

void bnn_hpm_pack_input_rows(bnn_layer *L, int y0, int y1) {
  const bnn_net *n = L->net;
  zero_border(n->pk[0], L->h, L->w, L->bc[0].cw, y0, y1);
  pack_rows(n, &L->bc[0], L->in0, (size_t)L->ic, L->w, n->pk[0], y0, y1);
}

/* phase 0: sign bits of x into P1 (skipped when the previous layer did it) */
static void phase_pack(void *ctx, int y0, int y1, int tid) {
  (void)tid;
  bnn_hpm_pack_input_rows(ctx, y0, y1);
}

/* phase j = 1, 2: binary conv j - 1 into its concat slot, then the sign bits of those rows
 * for conv j */
static void conv_rows(bnn_layer *L, int j, int y0, int y1) {
  const bnn_net *n = L->net;
  const bnn_bconv *b = &L->bc[j];
  static const int slot_num[3] = {0, 2, 3}; /* slot offsets in quarters of c */
  n->k->bconv3x3(n->pk[j], L->w, b->cw, b->w, b->co, 9 * b->ci, b->alpha,
                 L->out + (size_t)slot_num[j] * L->c / 4, (size_t)L->c, y0, y1);
}

/* phase 1 also zeroes the borders of P2 and P3: nobody reads them during this pass */
static void phase_conv1(void *ctx, int y0, int y1, int tid) {
  (void)tid;
  bnn_layer *L = ctx;
  const bnn_net *n = L->net;
  zero_border(n->pk[1], L->h, L->w, L->bc[1].cw, y0, y1);
  zero_border(n->pk[2], L->h, L->w, L->bc[2].cw, y0, y1);
  conv_rows(L, 0, y0, y1);
  pack_rows(n, &L->bc[1], L->out, (size_t)L->c, L->w, n->pk[1], y0, y1);
}

static void phase_conv2(void *ctx, int y0, int y1, int tid) {
  (void)tid;
  bnn_layer *L = ctx;
  conv_rows(L, 1, y0, y1);
  pack_rows(L->net, &L->bc[2], L->out + L->c / 2, (size_t)L->c, L->w, L->net->pk[2], y0, y1);
}

/* phase 3: binary conv 3, then out += skip(x) */
static void phase_conv3_skip(void *ctx, int y0, int y1, int tid) {
  (void)tid;
  bnn_layer *L = ctx;
  conv_rows(L, 2, y0, y1);
  size_t W = (size_t)L->w;
  if (L->has_gemm) {
    L->net->gemm(&L->gw, (int)((size_t)(y1 - y0) * W), L->in0 + (size_t)y0 * W * L->ic,
                 (size_t)L->ic, L->out + (size_t)y0 * W * L->c, (size_t)L->c);
  } else {
    float *restrict o = L->out + (size_t)y0 * W * L->c;
    const float *restrict x = L->in0 + (size_t)y0 * W * L->c;
    size_t cnt = (size_t)(y1 - y0) * W * L->c;
    for (size_t i = 0; i < cnt; i++) o[i] = o[i] + x[i];
  }
  if (L->pack_next) bnn_hpm_pack_input_rows(L->pack_next, y0, y1);
}

void bnn_hpm_run(bnn_layer *L) {
  bnn_pool *p = L->net->pool;
  if (!L->packed_by_prev) bnn_pool_run(p, L->h, L->work[0], phase_pack, L);
  bnn_pool_run(p, L->h, L->work[1], phase_conv1, L);
  bnn_pool_run(p, L->h, L->work[2], phase_conv2, L);
  bnn_pool_run(p, L->h, L->work[3], phase_conv3_skip, L);
}
