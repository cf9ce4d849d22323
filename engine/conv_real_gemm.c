/* conv_real_gemm.c: the GEMM + epilogue behind every real-valued conv, compiled once per ISA
 * (generic with fmaf, AVX2+FMA, AVX-512F): same fused multiply-adds in the same order => equal bits. */
#include <math.h>
#include <stdint.h>

#include "conv_real.h"

#ifndef BNN_GEMM_NAME
#define BNN_GEMM_NAME bnn_gemm_generic
#endif

#define NR BNN_GEMM_NR

#if defined(__AVX512F__)
#include <immintrin.h>
#define MR 8

/* R rows x NV vectors of 16 channels (NV = 1 when the panel holds at most 16 valid channels) */
static inline __attribute__((always_inline)) void tile_nv(const int R, const int NV, const bnn_gemm_w *g,
                                                          const float *A, size_t lda, int j, float *C,
                                                          size_t ldc, int nvalid) {
  const int K = g->K;
  const float *B = g->B + (size_t)j * K * NR;
  __m512 c[MR][2];
  const __m512 bi0 = _mm512_load_ps(g->bias + j * NR), bi1 = _mm512_load_ps(g->bias + j * NR + 16);
  for (int r = 0; r < R; r++) {
    c[r][0] = bi0;
    c[r][1] = bi1;
  }
  for (int k = 0; k < K; k++) {
    const __m512 w0 = _mm512_load_ps(B + (size_t)k * NR);
    const __m512 w1 = NV == 2 ? _mm512_load_ps(B + (size_t)k * NR + 16) : w0;
    for (int r = 0; r < R; r++) {
      const __m512 x = _mm512_set1_ps(A[(size_t)r * lda + k]);
      c[r][0] = _mm512_fmadd_ps(x, w0, c[r][0]);
      if (NV == 2) c[r][1] = _mm512_fmadd_ps(x, w1, c[r][1]);
    }
  }
  const __mmask16 m0 = nvalid >= 16 ? 0xffff : (__mmask16)((1u << nvalid) - 1);
  const __mmask16 m1 = nvalid >= 32 ? 0xffff : nvalid > 16 ? (__mmask16)((1u << (nvalid - 16)) - 1) : 0;
  const __m512 zero = _mm512_setzero_ps();
  __m512 sc0 = zero, sc1 = zero, sh0 = zero, sh1 = zero;
  if (g->scale) {
    sc0 = _mm512_load_ps(g->scale + j * NR);
    sc1 = _mm512_load_ps(g->scale + j * NR + 16);
    sh0 = _mm512_load_ps(g->shift + j * NR);
    sh1 = _mm512_load_ps(g->shift + j * NR + 16);
  }
  for (int r = 0; r < R; r++) {
    float *cr = C + (size_t)r * ldc;
    for (int h = 0; h < NV; h++) {
      __m512 v = c[r][h];
      if (g->scale) v = _mm512_add_ps(_mm512_mul_ps(v, h ? sc1 : sc0), h ? sh1 : sh0);
      if (g->relu) v = _mm512_max_ps(v, zero); /* NaN -> 0, -0 -> +0: as v > 0 ? v : 0 */
      const __mmask16 m = h ? m1 : m0;
      if (g->accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, cr + 16 * h), v);
      _mm512_mask_storeu_ps(cr + 16 * h, m, v);
    }
  }
}

static inline __attribute__((always_inline)) void tile(const int R, const bnn_gemm_w *g,
                                                       const float *A, size_t lda, int j,
                                                       float *C, size_t ldc, int nvalid) {
  if (nvalid > 16) tile_nv(R, 2, g, A, lda, j, C, ldc, nvalid);
  else tile_nv(R, 1, g, A, lda, j, C, ldc, nvalid);
}

#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define MR 6

static inline __m256i lane_mask(int n) { /* first n of 8 lanes */
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);
}

/* one half (16 channels) of panel j */
static inline __attribute__((always_inline)) void half_tile(const int R, const bnn_gemm_w *g,
                                                            const float *A, size_t lda, int j,
                                                            int h, float *C, size_t ldc,
                                                            int nvalid) {
  const int K = g->K;
  const int o = j * NR + h * 16;
  const float *B = g->B + (size_t)j * K * NR + h * 16;
  __m256 c[MR][2];
  const __m256 bi0 = _mm256_load_ps(g->bias + o), bi1 = _mm256_load_ps(g->bias + o + 8);
  for (int r = 0; r < R; r++) {
    c[r][0] = bi0;
    c[r][1] = bi1;
  }
  for (int k = 0; k < K; k++) {
    const __m256 w0 = _mm256_load_ps(B + (size_t)k * NR), w1 = _mm256_load_ps(B + (size_t)k * NR + 8);
    for (int r = 0; r < R; r++) {
      const __m256 x = _mm256_broadcast_ss(A + (size_t)r * lda + k);
      c[r][0] = _mm256_fmadd_ps(x, w0, c[r][0]);
      c[r][1] = _mm256_fmadd_ps(x, w1, c[r][1]);
    }
  }
  const __m256i m0 = lane_mask(nvalid), m1 = lane_mask(nvalid - 8);
  const __m256 zero = _mm256_setzero_ps();
  __m256 sc0 = zero, sc1 = zero, sh0 = zero, sh1 = zero;
  if (g->scale) {
    sc0 = _mm256_load_ps(g->scale + o);
    sc1 = _mm256_load_ps(g->scale + o + 8);
    sh0 = _mm256_load_ps(g->shift + o);
    sh1 = _mm256_load_ps(g->shift + o + 8);
  }
  for (int r = 0; r < R; r++) {
    float *cr = C + (size_t)r * ldc + h * 16;
    __m256 v0 = c[r][0], v1 = c[r][1];
    if (g->scale) {
      v0 = _mm256_add_ps(_mm256_mul_ps(v0, sc0), sh0);
      v1 = _mm256_add_ps(_mm256_mul_ps(v1, sc1), sh1);
    }
    if (g->relu) {
      v0 = _mm256_max_ps(v0, zero); /* NaN -> 0, -0 -> +0: as v > 0 ? v : 0 */
      v1 = _mm256_max_ps(v1, zero);
    }
    if (nvalid >= 16) {
      if (g->accumulate) {
        v0 = _mm256_add_ps(_mm256_loadu_ps(cr), v0);
        v1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), v1);
      }
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    } else {
      if (g->accumulate) {
        v0 = _mm256_add_ps(_mm256_maskload_ps(cr, m0), v0);
        v1 = _mm256_add_ps(_mm256_maskload_ps(cr + 8, m1), v1);
      }
      _mm256_maskstore_ps(cr, m0, v0);
      _mm256_maskstore_ps(cr + 8, m1, v1);
    }
  }
}

static inline __attribute__((always_inline)) void tile(const int R, const bnn_gemm_w *g,
                                                       const float *A, size_t lda, int j,
                                                       float *C, size_t ldc, int nvalid) {
  half_tile(R, g, A, lda, j, 0, C, ldc, nvalid);
  if (nvalid > 16) half_tile(R, g, A, lda, j, 1, C, ldc, nvalid - 16);
}

#else /* generic C: fmaf is the same correctly rounded fused multiply-add */
#define MR 4

static inline void tile(const int R, const bnn_gemm_w *g, const float *A, size_t lda, int j,
                        float *C, size_t ldc, int nvalid) {
  const int K = g->K;
  const float *B = g->B + (size_t)j * K * NR;
  const float *bias = g->bias + j * NR;
  float acc[MR][NR];
  for (int r = 0; r < R; r++)
    for (int n = 0; n < NR; n++) acc[r][n] = bias[n];
  for (int k = 0; k < K; k++) {
    const float *b = B + (size_t)k * NR;
    for (int r = 0; r < R; r++) {
      const float a = A[(size_t)r * lda + k];
      for (int n = 0; n < NR; n++) acc[r][n] = fmaf(a, b[n], acc[r][n]);
    }
  }
  for (int r = 0; r < R; r++) {
    float *cr = C + (size_t)r * ldc;
    for (int n = 0; n < nvalid; n++) {
      float v = acc[r][n];
      if (g->scale) v = v * g->scale[j * NR + n] + g->shift[j * NR + n];
      if (g->relu) v = v > 0 ? v : 0.0f;
      cr[n] = g->accumulate ? cr[n] + v : v;
    }
  }
}
#endif

void BNN_GEMM_NAME(const bnn_gemm_w *g, int M, const float *A, size_t lda, float *C, size_t ldc) {
  const int np = (g->N + NR - 1) / NR;
  int m = 0;
  for (; m + MR <= M; m += MR)
    for (int j = 0; j < np; j++) {
      int nv = g->N - j * NR;
      tile(MR, g, A + (size_t)m * lda, lda, j, C + (size_t)m * ldc + j * NR, ldc, nv < NR ? nv : NR);
    }
  for (; m < M; m++)
    for (int j = 0; j < np; j++) {
      int nv = g->N - j * NR;
      tile(1, g, A + (size_t)m * lda, lda, j, C + (size_t)m * ldc + j * NR, ldc, nv < NR ? nv : NR);
    }
}
