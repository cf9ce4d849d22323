/* bconv3x3_avx512.c: the AVX-512 (F/BW/VL + VPOPCNTDQ) binary 3x3 convolution, XOR + popcount
 * with output channels in 64-bit lanes, and the bnn_kernels_avx512 dispatch table. */
#include <immintrin.h>

#include "kernels_isa.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Register tile: P output pixels x G groups of 8 output channels (P * G zmm accumulators).
 * For every word k of the 9 * cw window words: broadcast pixel p's word, XOR it with the 8
 * channels' weight words (transposed block wt[k][8 * G]), popcount, add. Lane l of acc[p][q]
 * ends up holding popcount(window XOR weight row) of channel 8q + l: no horizontal sums.
 * PAIRS: C <= 32, taps paired (5 words per window, see kernels_isa.h). */
ALWAYS_INLINE void tile(const uint64_t *const *px, float *const *po, const int P, const int G,
                        size_t rs, int cw, const uint64_t *wt, int nbits, const float *alpha,
                        int nvalid, const int PAIRS) {
  __m512i acc[4][4];
  const size_t L = 8 * (size_t)G;
  const size_t run = 3 * (size_t)cw; /* words per tap row (3 taps x cw) */
#pragma GCC unroll 4
  for (int p = 0; p < P; p++)
#pragma GCC unroll 4
    for (int q = 0; q < G; q++) acc[p][q] = _mm512_setzero_si512();
  if (PAIRS) {
#pragma GCC unroll 5
    for (int j = 0; j < 5; j++) {
      __m512i wv[4];
#pragma GCC unroll 4
      for (int q = 0; q < G; q++) wv[q] = _mm512_load_si512((const void *)(wt + j * L + 8 * q));
#pragma GCC unroll 4
      for (int p = 0; p < P; p++) {
        const __m512i b = _mm512_set1_epi64((long long)bnn_window_pair(px[p], rs, j));
#pragma GCC unroll 4
        for (int q = 0; q < G; q++)
          acc[p][q] = _mm512_add_epi64(acc[p][q], _mm512_popcnt_epi64(_mm512_xor_si512(b, wv[q])));
      }
    }
  } else {
    for (int ky = 0; ky < 3; ky++) {
      const uint64_t *wk = wt + (size_t)ky * run * L;
      const size_t off = (size_t)ky * rs;
#pragma GCC unroll 3
      for (size_t k = 0; k < run; k++, wk += L) {
        __m512i wv[4];
#pragma GCC unroll 4
        for (int q = 0; q < G; q++) wv[q] = _mm512_load_si512((const void *)(wk + 8 * q));
#pragma GCC unroll 4
        for (int p = 0; p < P; p++) {
          const __m512i b = _mm512_set1_epi64((long long)px[p][off + k]);
#pragma GCC unroll 4
          for (int q = 0; q < G; q++)
            acc[p][q] =
                _mm512_add_epi64(acc[p][q], _mm512_popcnt_epi64(_mm512_xor_si512(b, wv[q])));
        }
      }
    }
  }
  /* out = max(0, alpha * (float)(nbits - 2 * pc)), as in the scalar reference, 16 channels
   * (two groups) per zmm; max_ps(v, 0) returns 0 for v = -0 and for NaN, like `v > 0 ? v : 0`. */
  const __m512i nb = _mm512_set1_epi32(nbits);
  const __m512i lowdw = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int q = 0; q < G; q += 2) {
    const int left = nvalid - 8 * q;
    const __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1u);
    const __m512 a = _mm512_maskz_loadu_ps(m, alpha + 8 * q);
#pragma GCC unroll 4
    for (int p = 0; p < P; p++) {
      /* low dwords of the 8 + 8 counts (each < 2^31) */
      const __m512i pc = _mm512_permutex2var_epi32(acc[p][q], lowdw,
                                                   q + 1 < G ? acc[p][q + 1] : acc[p][q]);
      const __m512i v = _mm512_sub_epi32(nb, _mm512_add_epi32(pc, pc));
      const __m512 f = _mm512_max_ps(_mm512_mul_ps(a, _mm512_cvtepi32_ps(v)), zero);
      _mm512_mask_storeu_ps(po[p] + 8 * q, m, f);
    }
  }
}

#define DEF_TILE(P, G)                                                                          \
  static void tile_##P##_##G(const uint64_t *const *px, float *const *po, size_t rs, int cw,    \
                             const uint64_t *wt, int nbits, const float *alpha, int nvalid) {   \
    tile(px, po, P, G, rs, cw, wt, nbits, alpha, nvalid, 0);                                   \
  }
#define DEF_PTILE(P, G)                                                                         \
  static void ptile_##P##_##G(const uint64_t *const *px, float *const *po, size_t rs, int cw,   \
                              const uint64_t *wt, int nbits, const float *alpha, int nvalid) {  \
    tile(px, po, P, G, rs, cw, wt, nbits, alpha, nvalid, 1);                                   \
  }
#define DEF_TILES(G)                                                                            \
  DEF_TILE(1, G) DEF_TILE(2, G) DEF_TILE(3, G) DEF_TILE(4, G)                                   \
  DEF_PTILE(1, G) DEF_PTILE(2, G) DEF_PTILE(3, G) DEF_PTILE(4, G)
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
static const tile_fn ptiles[4][4] = {
    {ptile_1_1, ptile_2_1, ptile_3_1, ptile_4_1},
    {ptile_1_2, ptile_2_2, ptile_3_2, ptile_4_2},
    {ptile_1_3, ptile_2_3, ptile_3_3, ptile_4_3},
    {ptile_1_4, ptile_2_4, ptile_3_4, ptile_4_4},
};
void bnn_bconv3x3_avx512(const uint64_t *in, int W, int cw, const uint64_t *w, int cout,
                         int nbits, const float *alpha, float *out, size_t out_stride, int y0,
                         int y1) {
  const int K = 9 * cw;
  /* Channel block: 32 (4 zmm groups) when its transposed weights fit the stack buffer. */
  const int B = (size_t)K * 32 <= BNN_WT_WORDS ? 32 : (size_t)K * 8 <= BNN_WT_WORDS ? 8 : 0;
  if (B == 0) {
    bnn_kernels_scalar.bconv3x3(in, W, cw, w, cout, nbits, alpha, out, out_stride, y0, y1);
    return;
  }
  _Alignas(64) uint64_t wt[BNN_WT_WORDS];
  const size_t rs = (size_t)(W + 2) * (size_t)cw;
  for (int o0 = 0; o0 < cout; o0 += B) {
    const int nvalid = cout - o0 < B ? cout - o0 : B;
    const int G = (nvalid + 7) / 8;
    const int pairs = cw == 1 && nbits <= 9 * 32; /* C <= 32: every word's upper half is 0 */
    if (pairs) bnn_transpose_weight_block_pairs(w, o0, nvalid, 8 * G, wt);
    else bnn_transpose_weight_block(w, K, o0, nvalid, 8 * G, wt);
    const tile_fn(*tab)[4] = pairs ? ptiles : tiles;
    /* Pixels in raster order, 4 at a time; a tile may span two rows. */
    int y = y0, x = 0;
    for (long i = (long)y0 * W, end = (long)y1 * W; i < end;) {
      const int P = end - i < 4 ? (int)(end - i) : 4;
      const uint64_t *px[4];
      float *po[4];
      for (int p = 0; p < P; p++) {
        px[p] = in + ((size_t)y * (size_t)(W + 2) + (size_t)x) * (size_t)cw;
        po[p] = out + ((size_t)y * (size_t)W + (size_t)x) * out_stride + o0;
        if (++x == W) x = 0, y++;
      }
      tab[G - 1][P - 1](px, po, rs, cw, wt, nbits, alpha + o0, nvalid);
      i += P;
    }
  }
}

const bnn_kernels bnn_kernels_avx512 = {"avx512", bnn_pack_avx512, bnn_bconv3x3_avx512};
