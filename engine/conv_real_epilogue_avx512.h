/* conv_real_epilogue_avx512.h: internal: the epilogue of the AVX-512 GEMM tiles, shared by the
 * fp32 GEMM (conv_real_gemm.c) and the bf16 one (conv_real_bf16.c): R rows x NV vectors of 16
 * channels of panel j, whose accumulators c already hold bias + sum; then v * scale + shift
 * (BN, two roundings), ReLU (max with 0: NaN -> 0, -0 -> +0, as v > 0 ? v : 0), C += v or
 * C = v, masked to the nvalid channels of the panel. */
#ifndef BNN_CONV_REAL_EPILOGUE_AVX512_H
#define BNN_CONV_REAL_EPILOGUE_AVX512_H

#include <immintrin.h>

#include "conv_real.h"

static inline __attribute__((always_inline)) void bnn_gemm_epilogue_avx512(const int R, const int NV,
                                                                           const bnn_gemm_w *g, __m512 c[][2],
                                                                           int j, float *C, size_t ldc,
                                                                           int nvalid) {
  const __mmask16 m0 = nvalid >= 16 ? 0xffff : (__mmask16)((1u << nvalid) - 1);
  const __mmask16 m1 = nvalid >= 32 ? 0xffff : nvalid > 16 ? (__mmask16)((1u << (nvalid - 16)) - 1) : 0;
  const __m512 zero = _mm512_setzero_ps();
  __m512 sc0 = zero, sc1 = zero, sh0 = zero, sh1 = zero;
  if (g->scale) {
    sc0 = _mm512_load_ps(g->scale + j * BNN_GEMM_NR);
    sc1 = _mm512_load_ps(g->scale + j * BNN_GEMM_NR + 16);
    sh0 = _mm512_load_ps(g->shift + j * BNN_GEMM_NR);
    sh1 = _mm512_load_ps(g->shift + j * BNN_GEMM_NR + 16);
  }
  for (int r = 0; r < R; r++) {
    float *cr = C + (size_t)r * ldc;
    for (int h = 0; h < NV; h++) {
      __m512 v = c[r][h];
      if (g->scale) v = _mm512_add_ps(_mm512_mul_ps(v, h ? sc1 : sc0), h ? sh1 : sh0);
      if (g->relu) v = _mm512_max_ps(v, zero);
      const __mmask16 m = h ? m1 : m0;
      if (g->accumulate) v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, cr + 16 * h), v);
      _mm512_mask_storeu_ps(cr + 16 * h, m, v);
    }
  }
}

#endif
