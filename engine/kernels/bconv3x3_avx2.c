/* bconv3x3_avx2.c: the AVX2 binary 3x3 convolution, XOR + nibble-LUT (pshufb) popcount with
 * output channels in 64-bit lanes, and the bnn_kernels_avx2 dispatch table. */
#include <immintrin.h>

#include "kernels_isa.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* Register tile: P output pixels x G groups of 4 output channels. The weights come split into
 * nibbles (wt[k] = 4G low-nibble words, then 4G high-nibble words, each byte 0..15), so for
 * every window word k a pixel's broadcast word is split once and each group costs two XORs,
 * two 16-entry pshufb lookups (Mula's popcount) and two byte adds. At most 31 steps
 * (31 * 8 < 256) later _mm256_sad_epu8 folds the bytes of each 64-bit lane, i.e. of each
 * channel, into 64-bit counts. */
#define LUT_NIBBLE_POPCOUNT                                                                     \
  _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, \
                   2, 3, 2, 3, 3, 4)

/* One window word k: word[p] of every pixel against the nibble-split weights wk. */
ALWAYS_INLINE void step(__m256i acc8[4][4], const uint64_t *word, const int P, const int G,
                        const uint64_t *wk) {
  const __m256i lut = LUT_NIBBLE_POPCOUNT;
  const __m256i low4 = _mm256_set1_epi8(0x0f);
#pragma GCC unroll 4
  for (int p = 0; p < P; p++) {
    const __m256i b = _mm256_set1_epi64x((long long)word[p]);
    const __m256i blo = _mm256_and_si256(b, low4);
    const __m256i bhi = _mm256_and_si256(_mm256_srli_epi16(b, 4), low4);
#pragma GCC unroll 4
    for (int q = 0; q < G; q++) {
      const __m256i xlo = _mm256_xor_si256(blo, _mm256_load_si256((const __m256i *)(wk + 4 * q)));
      const __m256i xhi =
          _mm256_xor_si256(bhi, _mm256_load_si256((const __m256i *)(wk + 4 * G + 4 * q)));
      acc8[p][q] = _mm256_add_epi8(acc8[p][q], _mm256_shuffle_epi8(lut, xlo));
      acc8[p][q] = _mm256_add_epi8(acc8[p][q], _mm256_shuffle_epi8(lut, xhi));
    }
  }
}

/* PAIRS: C <= 32, taps paired (5 words per window, see kernels_isa.h). */
ALWAYS_INLINE void tile(const uint64_t *const *px, float *const *po, const int P, const int G,
                        size_t rs, int cw, const uint64_t *wt, int nbits, const float *alpha,
                        int nvalid, const int PAIRS) {
  const __m256i zero = _mm256_setzero_si256();
  __m256i acc8[4][4], acc64[4][4];
  const size_t L = 8 * (size_t)G; /* words per k: 4G low nibbles + 4G high nibbles */
  const int run = 3 * cw;         /* words per tap row (3 taps x cw) */
  uint64_t word[4];
#pragma GCC unroll 4
  for (int p = 0; p < P; p++)
#pragma GCC unroll 4
    for (int q = 0; q < G; q++) acc8[p][q] = acc64[p][q] = zero;
  if (PAIRS) { /* 5 steps: no fold needed before the end */
    for (int j = 0; j < 5; j++) {
#pragma GCC unroll 4
      for (int p = 0; p < P; p++) word[p] = bnn_window_pair(px[p], rs, j);
      step(acc8, word, P, G, wt + (size_t)j * L);
    }
  } else {
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
              acc64[p][q] = _mm256_add_epi64(acc64[p][q], _mm256_sad_epu8(acc8[p][q], zero));
              acc8[p][q] = zero;
            }
          n8 = 0;
          continue;
        }
        for (int e = k + chunk; k < e; k++, wk += L) {
#pragma GCC unroll 4
          for (int p = 0; p < P; p++) word[p] = px[p][off + (size_t)k];
          step(acc8, word, P, G, wk);
        }
        n8 += chunk;
      }
    }
  }
  /* out = max(0, alpha * (float)(nbits - 2 * pc)) as in the scalar reference; max_ps(v, 0)
   * returns 0 for v = -0 and for NaN, like `v > 0 ? v : 0`. */
  const __m256i lowdw = _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0);
  const __m128i nb = _mm_set1_epi32(nbits);
#pragma GCC unroll 4
  for (int q = 0; q < G; q++) {
    const int left = nvalid - 4 * q;
    const __m128i m = _mm_cmpgt_epi32(_mm_set1_epi32(left), _mm_setr_epi32(0, 1, 2, 3));
    const __m128 a = _mm_maskload_ps(alpha + 4 * q, m);
#pragma GCC unroll 4
    for (int p = 0; p < P; p++) {
      const __m256i s = _mm256_add_epi64(acc64[p][q], _mm256_sad_epu8(acc8[p][q], zero));
      const __m128i pc = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(s, lowdw));
      const __m128i v = _mm_sub_epi32(nb, _mm_add_epi32(pc, pc));
      const __m128 f = _mm_max_ps(_mm_mul_ps(a, _mm_cvtepi32_ps(v)), _mm_setzero_ps());
      _mm_maskstore_ps(po[p] + 4 * q, m, f);
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

#ifndef BNN_AVX2_PMAX
#define BNN_AVX2_PMAX 2 /* pixels per tile */
#endif
#ifndef BNN_AVX2_GMAX
#define BNN_AVX2_GMAX 4 /* groups of 4 channels per tile */
#endif

void bnn_bconv3x3_avx2(const uint64_t *in, int W, int cw, const uint64_t *w, int cout, int nbits,
                       const float *alpha, float *out, size_t out_stride, int y0, int y1) {
  const int K = 9 * cw;
  /* channels per block: 4 * BNN_AVX2_GMAX if the nibble-split block (2 words per lane and k)
   * fits the stack buffer, else 4 */
  const int B = (size_t)K * 2 * 4 * BNN_AVX2_GMAX <= BNN_WT_WORDS ? 4 * BNN_AVX2_GMAX
                : (size_t)K * 2 * 4 <= BNN_WT_WORDS                ? 4
                                                                   : 0;
  if (B == 0) {
    bnn_kernels_scalar.bconv3x3(in, W, cw, w, cout, nbits, alpha, out, out_stride, y0, y1);
    return;
  }
  _Alignas(64) uint64_t wt[BNN_WT_WORDS];
  const size_t rs = (size_t)(W + 2) * (size_t)cw;
  for (int o0 = 0; o0 < cout; o0 += B) {
    const int nvalid = cout - o0 < B ? cout - o0 : B;
    const int G = (nvalid + 3) / 4;
    /* transposed (tap-paired if C <= 32), nibble-split block: wt[k] = low nibbles of lanes
     * 0..4G-1, then their high nibbles */
    const int pairs = cw == 1 && nbits <= 9 * 32; /* C <= 32: every word's upper half is 0 */
    const int Ke = pairs ? 5 : K;
    for (int k = 0; k < Ke; k++)
      for (int l = 0; l < 4 * G; l++) {
        const uint64_t *row = w + (size_t)(o0 + (l < nvalid ? l : 0)) * K;
        const uint64_t v = l >= nvalid ? 0
                           : !pairs    ? row[k]
                           : k < 4     ? row[2 * k] | row[2 * k + 1] << 32
                                       : row[8];
        wt[(size_t)k * 8 * G + l] = v & 0x0f0f0f0f0f0f0f0full;
        wt[(size_t)k * 8 * G + 4 * G + l] = (v >> 4) & 0x0f0f0f0f0f0f0f0full;
      }
    const tile_fn(*tab)[4] = pairs ? ptiles : tiles;
    int y = y0, x = 0; /* pixels in raster order; a tile may span two rows */
    for (long i = (long)y0 * W, end = (long)y1 * W; i < end;) {
      const int P = end - i < BNN_AVX2_PMAX ? (int)(end - i) : BNN_AVX2_PMAX;
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

const bnn_kernels bnn_kernels_avx2 = {"avx2", bnn_pack_avx2, bnn_bconv3x3_avx2};
