/* kernels_isa.h: internal to engine/kernels: prototypes of the per-ISA pack / bconv3x3
 * functions and the weight-block transpose that every vector bconv3x3 shares. */
#ifndef BNN_KERNELS_ISA_H
#define BNN_KERNELS_ISA_H

#include "kernels.h"

/* The vector bconv3x3 kernels put the output channels in vector lanes (one 64-bit lane per
 * channel), so they transpose a block of weight rows into [9 * cw][lanes] on the stack at the
 * start of each call (cost ~1/npix of the conv). BNN_WT_WORDS bounds that buffer (32 KiB);
 * a call whose block would not fit falls back to the scalar reference (cw > 16 for 32-channel
 * blocks, i.e. C > 1024 — not used by the network). */
#define BNN_WT_WORDS 4608

/* dst[k * lanes + l] = row (o0 + l) word k for l < n, 0 for n <= l < lanes; K = 9 * cw. */
static inline void bnn_transpose_weight_block(const uint64_t *w, int K, int o0, int n, int lanes,
                                              uint64_t *dst) {
  for (int k = 0; k < K; k++) {
    uint64_t *d = dst + (size_t)k * lanes;
    for (int l = 0; l < lanes; l++) d[l] = l < n ? w[(size_t)(o0 + l) * K + k] : 0;
  }
}

/* Tap pairing for C <= 32 (cw = 1, bits 32..63 always 0): taps 2j and 2j + 1 share one word,
 * tap 2j in the low half, so a window is 5 words instead of 9. dst[j * lanes + l], j < 5. */
static inline void bnn_transpose_weight_block_pairs(const uint64_t *w, int o0, int n, int lanes,
                                                    uint64_t *dst) {
  for (int j = 0; j < 5; j++)
    for (int l = 0; l < lanes; l++) {
      const uint64_t *row = w + (size_t)(o0 + l) * 9;
      dst[(size_t)j * lanes + l] = l >= n ? 0 : j < 4 ? row[2 * j] | row[2 * j + 1] << 32 : row[8];
    }
}

/* The paired window word j of the pixel whose top-left window word is px (cw = 1, rs words
 * per padded row): taps t = 2j and 2j + 1 at px[(t / 3) * rs + t % 3]. */
static inline uint64_t bnn_window_pair(const uint64_t *px, size_t rs, int j) {
  const int t = 2 * j;
  uint64_t v = px[(size_t)(t / 3) * rs + (size_t)(t % 3)];
  if (j < 4) v |= px[(size_t)((t + 1) / 3) * rs + (size_t)((t + 1) % 3)] << 32;
  return v;
}

void bnn_pack_avx2(const float *src, size_t src_stride, int C, const float *s, const float *t,
                   uint64_t *dst, int cw, int npix);
void bnn_bconv3x3_avx2(const uint64_t *in, int W, int cw, const uint64_t *w, int cout, int nbits,
                       const float *alpha, float *out, size_t out_stride, int y0, int y1);
void bnn_pack_avx512(const float *src, size_t src_stride, int C, const float *s, const float *t,
                     uint64_t *dst, int cw, int npix);
void bnn_bconv3x3_avx512(const uint64_t *in, int W, int cw, const uint64_t *w, int cout,
                         int nbits, const float *alpha, float *out, size_t out_stride, int y0,
                         int y1);
void bnn_pack_neon(const float *src, size_t src_stride, int C, const float *s, const float *t,
                   uint64_t *dst, int cw, int npix);
void bnn_bconv3x3_neon(const uint64_t *in, int W, int cw, const uint64_t *w, int cout, int nbits,
                       const float *alpha, float *out, size_t out_stride, int y0, int y1);

#endif
