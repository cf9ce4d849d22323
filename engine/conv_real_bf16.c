/* conv_real_bf16.c: the real-valued GEMM (conv_real.h) in bfloat16 with AVX512-BF16 (VDPBF16PS):
 * inputs and weights rounded to bf16 (round to nearest even), products summed in fp32, two
 * k at a time. Twice the multiply-adds per instruction of the fp32 GEMM, not the same bits:
 * opt-in (bnn_net_set_bf16, docs/engine.md "bfloat16 real-valued layers"). Compiled with
 * -mavx512f -mavx512bf16 and only called on CPUs that have both. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "conv_real.h"
#include "conv_real_epilogue_avx512.h"

#define NR BNN_GEMM_NR
#define MR 8
#define MB 16 /* rows converted to bf16 at a time (a stack buffer of MB x K2p words) */

/* fp32 -> bf16 pairs: n floats of src into ceil(n / 2) words (k even in the low half, k odd in
 * the high half, as VDPBF16PS pairs them; an odd n gets a zero high half). */
static void to_bf16_pairs(const float *src, int n, uint32_t *dst) {
  int k = 0;
  for (; k + 32 <= n; k += 32) {
    const __m512 lo = _mm512_loadu_ps(src + k), hi = _mm512_loadu_ps(src + k + 16);
    _mm512_storeu_si512((void *)(dst + k / 2), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
  }
  if (k < n) {
    const int left = n - k;
    const __mmask16 m0 = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
    const __mmask16 m1 = left > 16 ? (__mmask16)((1u << (left - 16)) - 1) : 0;
    const __m512 lo = _mm512_maskz_loadu_ps(m0, src + k), hi = _mm512_maskz_loadu_ps(m1, src + k + 16);
    const int words = (left + 1) / 2;
    _mm512_mask_storeu_epi32(dst + k / 2, (__mmask16)((1u << words) - 1),
                             (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
  }
}

int bnn_gemm_bf16_words(int K) { return (K + 1) / 2; }

void bnn_gemm_bf16_pack(const bnn_gemm_w *g, uint32_t *Bh) {
  const int K = g->K, K2 = bnn_gemm_bf16_words(K), np = (g->N + NR - 1) / NR;
  float col[BNN_GEMM_BF16_MAX_K];
  uint32_t w[BNN_GEMM_BF16_MAX_K / 2];
  for (int j = 0; j < np; j++) {
    const float *B = g->B + (size_t)j * K * NR;
    uint32_t *P = Bh + (size_t)j * K2 * NR;
    for (int n = 0; n < NR; n++) {
      for (int k = 0; k < K; k++) col[k] = B[(size_t)k * NR + n];
      to_bf16_pairs(col, K, w);
      for (int k2 = 0; k2 < K2; k2++) P[(size_t)k2 * NR + n] = w[k2];
    }
  }
}

/* R rows of bf16 pairs (A2, row stride lda2 words) x panel j (NV vectors of 16 columns) */
static inline __attribute__((always_inline)) void tile_nv(const int R, const int NV, const bnn_gemm_w *g,
                                                          const uint32_t *A2, int lda2, int j, float *C,
                                                          size_t ldc, int nvalid) {
  const int K2 = bnn_gemm_bf16_words(g->K);
  const uint32_t *B = g->Bh + (size_t)j * K2 * NR;
  __m512 c[MR][2];
  const __m512 bi0 = _mm512_load_ps(g->bias + j * NR), bi1 = _mm512_load_ps(g->bias + j * NR + 16);
  for (int r = 0; r < R; r++) {
    c[r][0] = bi0;
    c[r][1] = bi1;
  }
  for (int k = 0; k < K2; k++) {
    const __m512bh w0 = (__m512bh)_mm512_load_si512((const void *)(B + (size_t)k * NR));
    const __m512bh w1 =
        NV == 2 ? (__m512bh)_mm512_load_si512((const void *)(B + (size_t)k * NR + 16)) : w0;
    for (int r = 0; r < R; r++) {
      const __m512bh x = (__m512bh)_mm512_set1_epi32((int)A2[(size_t)r * lda2 + k]);
      c[r][0] = _mm512_dpbf16_ps(c[r][0], x, w0);
      if (NV == 2) c[r][1] = _mm512_dpbf16_ps(c[r][1], x, w1);
    }
  }
  bnn_gemm_epilogue_avx512(R, NV, g, c, j, C, ldc, nvalid);
}

static inline __attribute__((always_inline)) void tile(const int R, const bnn_gemm_w *g, const uint32_t *A2,
                                                       int lda2, int j, float *C, size_t ldc, int nvalid) {
  if (nvalid > 16) tile_nv(R, 2, g, A2, lda2, j, C, ldc, nvalid);
  else tile_nv(R, 1, g, A2, lda2, j, C, ldc, nvalid);
}

void bnn_gemm_avx512_bf16(const bnn_gemm_w *g, int M, const float *A, size_t lda, float *C, size_t ldc) {
  if (g->Bh == NULL || g->K > BNN_GEMM_BF16_MAX_K) { /* heads, and what the buffer cannot hold */
    bnn_gemm_avx512(g, M, A, lda, C, ldc);
    return;
  }
  const int K2 = bnn_gemm_bf16_words(g->K), lda2 = (K2 + 15) & ~15;
  const int np = (g->N + NR - 1) / NR;
  uint32_t A2[MB * ((BNN_GEMM_BF16_MAX_K / 2 + 15) & ~15)] __attribute__((aligned(64)));
  for (int m0 = 0; m0 < M; m0 += MB) {
    const int mb = M - m0 < MB ? M - m0 : MB;
    for (int r = 0; r < mb; r++) to_bf16_pairs(A + (size_t)(m0 + r) * lda, g->K, A2 + (size_t)r * lda2);
    int m = 0;
    for (; m + MR <= mb; m += MR)
      for (int j = 0; j < np; j++) {
        const int nv = g->N - j * NR;
        tile(MR, g, A2 + (size_t)m * lda2, lda2, j, C + (size_t)(m0 + m) * ldc + j * NR, ldc, nv < NR ? nv : NR);
      }
    for (; m < mb; m++)
      for (int j = 0; j < np; j++) {
        const int nv = g->N - j * NR;
        tile(1, g, A2 + (size_t)m * lda2, lda2, j, C + (size_t)(m0 + m) * ldc + j * NR, ldc, nv < NR ? nv : NR);
      }
  }
}
