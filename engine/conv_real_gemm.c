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

#include "conv_real_epilogue_avx512.h"
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
  bnn_gemm_epilogue_avx512(R, NV, g, c, j, C, ldc, nvalid);
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

/* ------------------------------------------------------------------ heads with few outputs
 * bnn_gemm_head_fn (conv_real.h): BN + ReLU of the row into channel-major tmp (8 x 8 blocks
 * transposed in registers), then one output channel at a time with vectors along the pixels:
 * acc = bias, fma over k = 0..K-1 in order, the row GEMM's epilogue. */
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

static inline float bn_relu(float x, float sc, float sh) {
  const float v = x * sc + sh;
  return v > 0 ? v : 0.0f;
}

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
static inline __attribute__((always_inline)) void bn_relu_block(const float *X, size_t ldx, const float *sc,
                                                                const float *sh, int m0, int k0, float *tmp,
                                                                int M) {
  const __m256 s = _mm256_loadu_ps(sc + k0), h = _mm256_loadu_ps(sh + k0), z = _mm256_setzero_ps();
  __m256 r[8], t[8];
  for (int i = 0; i < 8; i++) /* max(v, 0): NaN -> 0, -0 -> +0, as v > 0 ? v : 0 */
    r[i] = _mm256_max_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(X + (size_t)(m0 + i) * ldx + k0), s), h), z);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 8; i += 4) {
    r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
    r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);
    r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  for (int i = 0; i < 4; i++) {
    _mm256_storeu_ps(tmp + (size_t)(k0 + i) * M + m0, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
    _mm256_storeu_ps(tmp + (size_t)(k0 + i + 4) * M + m0, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
  }
}
#define HAVE_BLOCKS 1
#else
#define HAVE_BLOCKS 0
#endif

static void bn_relu_transpose(int M, int K, const float *X, size_t ldx, const float *sc, const float *sh,
                              float *tmp) {
#if HAVE_BLOCKS /* 8 x 8 blocks, then the rest one by one */
  const int mb = M / 8 * 8, kb = K / 8 * 8;
  for (int m0 = 0; m0 < mb; m0 += 8)
    for (int k0 = 0; k0 < kb; k0 += 8) bn_relu_block(X, ldx, sc, sh, m0, k0, tmp, M);
#else
  const int mb = 0, kb = 0;
#endif
  for (int m = 0; m < M; m++)
    for (int k = m < mb ? kb : 0; k < K; k++) tmp[(size_t)k * M + m] = bn_relu(X[(size_t)m * ldx + k], sc[k], sh[k]);
}

#if defined(__AVX512F__)
#define VL 16
#define UB 4
typedef __m512 vec;
static inline __mmask16 part_mask(int cnt) { /* the first cnt (1..16) lanes */
  return cnt >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << cnt) - 1);
}
static inline vec v_set1(float x) { return _mm512_set1_ps(x); }
static inline vec v_load(const float *p) { return _mm512_loadu_ps(p); }
static inline vec v_load_part(const float *p, int cnt) { return _mm512_maskz_loadu_ps(part_mask(cnt), p); }
static inline void v_store_part(float *p, vec v, int cnt) { _mm512_mask_storeu_ps(p, part_mask(cnt), v); }
static inline vec v_fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
static inline vec v_add(vec a, vec b) { return _mm512_add_ps(a, b); }
static inline vec v_mul(vec a, vec b) { return _mm512_mul_ps(a, b); }
static inline vec v_relu(vec a) { return _mm512_max_ps(a, _mm512_setzero_ps()); }
#elif defined(__AVX2__) && defined(__FMA__)
#define VL 8
#define UB 4
typedef __m256 vec;
static inline vec v_set1(float x) { return _mm256_set1_ps(x); }
static inline vec v_load(const float *p) { return _mm256_loadu_ps(p); }
static inline vec v_load_part(const float *p, int cnt) { return _mm256_maskload_ps(p, lane_mask(cnt)); }
static inline void v_store_part(float *p, vec v, int cnt) { _mm256_maskstore_ps(p, lane_mask(cnt), v); }
static inline vec v_fma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
static inline vec v_add(vec a, vec b) { return _mm256_add_ps(a, b); }
static inline vec v_mul(vec a, vec b) { return _mm256_mul_ps(a, b); }
static inline vec v_relu(vec a) { return _mm256_max_ps(a, _mm256_setzero_ps()); }
#else
#define VL 1
#define UB 8
typedef float vec;
static inline vec v_set1(float x) { return x; }
static inline vec v_load(const float *p) { return *p; }
static inline vec v_load_part(const float *p, int cnt) { return (void)cnt, *p; }
static inline void v_store_part(float *p, vec v, int cnt) { (void)cnt, *p = v; }
static inline vec v_fma(vec a, vec b, vec c) { return fmaf(a, b, c); }
static inline vec v_add(vec a, vec b) { return a + b; }
static inline vec v_mul(vec a, vec b) { return a * b; }
static inline vec v_relu(vec a) { return a > 0 ? a : 0.0f; }
#endif

void CAT(BNN_GEMM_NAME, _head)(const bnn_gemm_w *g, int M, const float *X, size_t ldx, const float *sc,
                               const float *sh, float *Ct, size_t ldct, float *tmp) {
  const int K = g->K;
  bn_relu_transpose(M, K, X, ldx, sc, sh, tmp);
  for (int n = 0; n < g->N; n++) {
    const float *b = g->B + (size_t)(n / NR) * K * NR + n % NR; /* B(k, n) = b[k * NR] */
    float *c = Ct + (size_t)n * ldct;
    for (int m = 0; m < M; m += UB * VL) {
      const int left = M - m;
      const float *a = tmp + m;
      vec acc[UB];
      for (int u = 0; u < UB; u++) acc[u] = v_set1(g->bias[n]);
      if (left >= UB * VL) {
        for (int k = 0; k < K; k++) {
          const vec w = v_set1(b[(size_t)k * NR]);
          const float *ak = a + (size_t)k * M;
          for (int u = 0; u < UB; u++) acc[u] = v_fma(v_load(ak + u * VL), w, acc[u]);
        }
      } else { /* the row's last pixels: ub vectors, the last one partly */
        const int ub = (left + VL - 1) / VL;
        for (int k = 0; k < K; k++) {
          const vec w = v_set1(b[(size_t)k * NR]);
          const float *ak = a + (size_t)k * M;
          for (int u = 0; u < ub; u++) acc[u] = v_fma(v_load_part(ak + u * VL, left - u * VL), w, acc[u]);
        }
      }
      for (int u = 0; u < UB && u * VL < left; u++) {
        const int cnt = left - u * VL;
        vec v = acc[u];
        if (g->scale) v = v_add(v_mul(v, v_set1(g->scale[n])), v_set1(g->shift[n]));
        if (g->relu) v = v_relu(v); /* NaN -> 0, -0 -> +0 */
        float *cm = c + m + u * VL;
        if (g->accumulate) v = v_add(v_load_part(cm, cnt), v);
        v_store_part(cm, v, cnt);
      }
    }
  }
}
