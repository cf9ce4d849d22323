/* bconv3x3_neon.c: the AArch64 NEON binary 3x3 convolution, XOR + vcnt popcount with output
 * channels in 64-bit lanes, and the bnn_kernels_neon dispatch table. */
#include <arm_neon.h>

#include "kernels_isa.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Register tile: P output pixels x G groups of 2 output channels. For every window word k:
 * duplicate pixel p's word, XOR with the 2 channels' weight words (wt[k][2 * G]), vcnt bytes,
 * add into byte accumulators; at most 31 steps later the bytes of each 64-bit lane (= channel)
 * are folded into 64-bit counts with pairwise widening adds. */
ALWAYS_INLINE void tile(const uint64_t *const *px, float *const *po, const int P, const int G,
                        size_t rs, int cw, const uint64_t *wt, int nbits, const float *alpha,
                        int nvalid) {
  uint8x16_t acc8[4][4];
  uint64x2_t acc64[4][4];
  const size_t L = 2 * (size_t)G;
  const int run = 3 * cw; /* words per tap row (3 taps x cw) */
#pragma GCC unroll 4
  for (int p = 0; p < P; p++)
#pragma GCC unroll 4
    for (int q = 0; q < G; q++) acc8[p][q] = vdupq_n_u8(0), acc64[p][q] = vdupq_n_u64(0);
  int n8 = 0; /* steps accumulated in acc8 since the last fold */
  for (int ky = 0; ky < 3; ky++) {
    const uint64_t *wk = wt + (size_t)ky * (size_t)run * L;
    const size_t off = (size_t)ky * rs;
    for (int k = 0; k < run;) {
      int chunk = run - k < 31 - n8 ? run - k : 31 - n8;
      if (chunk == 0) {
#pragma GCC unroll 4
        for (int p = 0; p < P; p++)
#pragma GCC unroll 4
          for (int q = 0; q < G; q++) {
            acc64[p][q] = vpadalq_u32(acc64[p][q], vpaddlq_u16(vpaddlq_u8(acc8[p][q])));
            acc8[p][q] = vdupq_n_u8(0);
          }
        n8 = 0;
        continue;
      }
      for (int e = k + chunk; k < e; k++, wk += L) {
        uint64x2_t wv[4];
#pragma GCC unroll 4
        for (int q = 0; q < G; q++) wv[q] = vld1q_u64(wk + 2 * q);
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
          const uint64x2_t b = vdupq_n_u64(px[p][off + (size_t)k]);
#pragma GCC unroll 4
          for (int q = 0; q < G; q++)
            acc8[p][q] = vaddq_u8(acc8[p][q], vcntq_u8(vreinterpretq_u8_u64(veorq_u64(b, wv[q]))));
        }
      }
      n8 += chunk;
    }
  }
  /* out = max(0, alpha * (float)(nbits - 2 * pc)) as in the scalar reference; the select
   * (v > 0 ? v : 0) rather than vmax keeps -0 and NaN handling identical. */
  const int32x2_t nb = vdup_n_s32(nbits);
  const float32x2_t zero = vdup_n_f32(0.0f);
#pragma GCC unroll 4
  for (int q = 0; q < G; q++) {
    const int two = nvalid - 2 * q >= 2;
    float32x2_t a = vdup_n_f32(alpha[2 * q]);
    if (two) a = vld1_f32(alpha + 2 * q);
#pragma GCC unroll 4
    for (int p = 0; p < P; p++) {
      const uint64x2_t s =
          vpadalq_u32(acc64[p][q], vpaddlq_u16(vpaddlq_u8(acc8[p][q])));
      const int32x2_t pc = vreinterpret_s32_u32(vmovn_u64(s));
      const int32x2_t v = vsub_s32(nb, vadd_s32(pc, pc));
      const float32x2_t f = vmul_f32(a, vcvt_f32_s32(v));
      const float32x2_t r = vbsl_f32(vcgt_f32(f, zero), f, zero);
      if (two) vst1_f32(po[p] + 2 * q, r);
      else vst1_lane_f32(po[p] + 2 * q, r, 0);
    }
  }
}

#define DEF_TILE(P, G)                                                                          \
  static void tile_##P##_##G(const uint64_t *const *px, float *const *po, size_t rs, int cw,    \
                             const uint64_t *wt, int nbits, const float *alpha, int nvalid) {   \
    tile(px, po, P, G, rs, cw, wt, nbits, alpha, nvalid);                                      \
  }
#define DEF_TILES(G) DEF_TILE(1, G) DEF_TILE(2, G) DEF_TILE(3, G) DEF_TILE(4, G)
DEF_TILES(1)
DEF_TILES(2)
DEF_TILES(3)
DEF_TILES(4)

typedef void (*tile_fn)(const uint64_t *const *, float *const *, size_t, int, const uint64_t *,
                        int, const float *, int);
static const tile_fn tiles[4][4] = {
    {tile_1_1, tile_2_1, tile_3_1, tile_4_1},
    {tile_1_2, tile_2_2, tile_3_2, tile_4_2},
    {tile_1_3, tile_2_3, tile_3_3, tile_4_3},
    {tile_1_4, tile_2_4, tile_3_4, tile_4_4},
};

void bnn_bconv3x3_neon(const uint64_t *in, int W, int cw, const uint64_t *w, int cout, int nbits,
                       const float *alpha, float *out, size_t out_stride, int y0, int y1) {
  const int K = 9 * cw;
  const int B = 8; /* channels per block: 4 groups of 2 */
  if ((size_t)K * (size_t)B > BNN_WT_WORDS) {
    bnn_kernels_scalar.bconv3x3(in, W, cw, w, cout, nbits, alpha, out, out_stride, y0, y1);
    return;
  }
  _Alignas(16) uint64_t wt[BNN_WT_WORDS];
  const size_t rs = (size_t)(W + 2) * (size_t)cw;
  for (int o0 = 0; o0 < cout; o0 += B) {
    const int nvalid = cout - o0 < B ? cout - o0 : B;
    const int G = (nvalid + 1) / 2;
    bnn_transpose_weight_block(w, K, o0, nvalid, 2 * G, wt);
    int y = y0, x = 0; /* pixels in raster order; a tile may span two rows */
    for (long i = (long)y0 * W, end = (long)y1 * W; i < end;) {
      const int P = end - i < 4 ? (int)(end - i) : 4;
      const uint64_t *px[4];
      float *po[4];
      for (int p = 0; p < P; p++) {
        px[p] = in + ((size_t)y * (size_t)(W + 2) + (size_t)x) * (size_t)cw;
        po[p] = out + ((size_t)y * (size_t)W + (size_t)x) * out_stride + o0;
        if (++x == W) x = 0, y++;
      }
      tiles[G - 1][P - 1](px, po, rs, cw, wt, nbits, alpha + o0, nvalid);
      i += P;
    }
  }
}

const bnn_kernels bnn_kernels_neon = {"neon", bnn_pack_neon, bnn_bconv3x3_neon};
