/* pool_upsample.c: the real-valued resampling layers on HWC floats: 2 x 2 max-pool (stride 2)
 * and in0 + nearest-2x-upsample(in1), parallel over output rows. */
#include "net.h"

static inline float max2(float a, float b) { return a > b ? a : b; }

static void maxpool_rows(void *ctx, int y0, int y1, int tid) {
  (void)tid;
  bnn_layer *L = ctx;
  const size_t C = (size_t)L->c, W = (size_t)L->w, iW = (size_t)L->iw;
  for (int y = y0; y < y1; y++) {
    const float *restrict r0 = L->in0 + (size_t)(2 * y) * iW * C;
    const float *restrict r1 = r0 + iW * C;
    float *restrict o = L->out + (size_t)y * W * C;
    for (size_t x = 0; x < W; x++) {
      const float *a = r0 + 2 * x * C, *b = r1 + 2 * x * C;
      float *d = o + x * C;
      for (size_t c = 0; c < C; c++) d[c] = max2(max2(a[c], a[C + c]), max2(b[c], b[C + c]));
    }
  }
  if (L->pack_next) bnn_hpm_pack_input_rows(L->pack_next, y0, y1);
}

void bnn_maxpool_run(bnn_layer *L) {
  bnn_pool_run(L->net->pool, L->h, (double)L->h * L->w * L->c / 8, maxpool_rows, L);
}

static void upadd_rows(void *ctx, int y0, int y1, int tid) {
  (void)tid;
  bnn_layer *L = ctx;
  const size_t C = (size_t)L->c, W = (size_t)L->w, sW = W / 2;
  for (int y = y0; y < y1; y++) {
    const float *restrict a = L->in0 + (size_t)y * W * C;
    const float *restrict b = L->in1 + (size_t)(y / 2) * sW * C;
    float *restrict o = L->out + (size_t)y * W * C;
    for (size_t x = 0; x < W; x++) {
      const float *ax = a + x * C, *bx = b + (x / 2) * C;
      float *d = o + x * C;
      for (size_t c = 0; c < C; c++) d[c] = ax[c] + bx[c];
    }
  }
  if (L->pack_next) bnn_hpm_pack_input_rows(L->pack_next, y0, y1);
}

void bnn_upadd_run(bnn_layer *L) {
  bnn_pool_run(L->net->pool, L->h, (double)L->h * L->w * L->c / 8, upadd_rows, L);
}
