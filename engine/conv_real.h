/* conv_real.h: internal: the real-valued convolutions (stem k x k conv, 1x1 skips, heads) as
 * one GEMM with a per-channel epilogue, compiled once per ISA (conv_real_gemm.c) + the glue. */
#ifndef BNN_CONV_REAL_H
#define BNN_CONV_REAL_H

#include <stddef.h>
#include <stdint.h>

#include "bnnlm/bnnlm.h"

/* Panels of B are BNN_GEMM_NR output channels wide. */
#define BNN_GEMM_NR 32

/* The weights of one real conv, prepared at net creation:
 * B: ceil(N / NR) panels, panel j = K x NR floats, element (k, n) = W[j * NR + n][k], zero
 * padded; bias, scale, shift padded to the panels' width (zeros). */
typedef struct {
  int N, K;
  const float *B;
  const float *bias;
  const float *scale, *shift; /* NULL: no BN after the conv */
  int relu;                   /* ReLU after (BN) */
  int accumulate;             /* C += result instead of C = result */
  const uint32_t *Bh;         /* NULL, or B in bf16 pairs (bnn_gemm_bf16_pack) for the bf16 GEMM */
} bnn_gemm_w;

/* For m < M, n < N: acc = bias[n]; acc = fma(A[m * lda + k], B(k, n), acc) for k = 0..K-1 in
 * that order (a fused multiply-add, rounded once, in every ISA, so all ISAs agree bit for bit);
 * v = acc; if scale: v = v * scale[n] + shift[n] (two roundings); if relu: v = v > 0 ? v : 0;
 * C[m * ldc + n] = v, or C[m * ldc + n] + v if accumulate. */
typedef void (*bnn_gemm_fn)(const bnn_gemm_w *g, int M, const float *A, size_t lda, float *C,
                            size_t ldc);

/* A head with few outputs (N <= BNN_GEMM_HEAD_MAX_N: the detector's three heads, the face
 * parts head), one row of M pixels: a[m][k] = relu(X[m * ldx + k] * sc[k] + sh[k]) (multiply,
 * add, then v > 0 ? v : 0), then the GEMM above on a, its result written planar:
 * Ct[n * ldct + m]. tmp holds K x M floats (a, channel-major). Vectors run along the pixels,
 * so no lanes go to padding channels (the row GEMM computes at least 8 or 16 channels per
 * pixel and loads one input per multiply-add); each element gets the same operations in the
 * same order as the row GEMM after the same BN + ReLU, so the same bits. */
#define BNN_GEMM_HEAD_MAX_N 8
typedef void (*bnn_gemm_head_fn)(const bnn_gemm_w *g, int M, const float *X, size_t ldx, const float *sc,
                                 const float *sh, float *Ct, size_t ldct, float *tmp);

void bnn_gemm_generic(const bnn_gemm_w *g, int M, const float *A, size_t lda, float *C, size_t ldc);
void bnn_gemm_generic_head(const bnn_gemm_w *g, int M, const float *X, size_t ldx, const float *sc,
                           const float *sh, float *Ct, size_t ldct, float *tmp);
#if defined(__x86_64__)
void bnn_gemm_avx2(const bnn_gemm_w *g, int M, const float *A, size_t lda, float *C, size_t ldc);
void bnn_gemm_avx512(const bnn_gemm_w *g, int M, const float *A, size_t lda, float *C, size_t ldc);
void bnn_gemm_avx2_head(const bnn_gemm_w *g, int M, const float *X, size_t ldx, const float *sc,
                        const float *sh, float *Ct, size_t ldct, float *tmp);
void bnn_gemm_avx512_head(const bnn_gemm_w *g, int M, const float *X, size_t ldx, const float *sc,
                          const float *sh, float *Ct, size_t ldct, float *tmp);

/* bfloat16 (conv_real_bf16.c, AVX512-BF16 CPUs only; docs/engine.md "bfloat16 real-valued
 * layers"): the same contract as bnn_gemm_fn except that A and B are rounded to bf16 (nearest
 * even) and the products summed in fp32 two k at a time, so not the same bits. Uses g->Bh; a
 * GEMM without Bh (heads) or with K > BNN_GEMM_BF16_MAX_K runs the fp32 AVX-512 GEMM.
 * Bh holds ceil(N / NR) panels of bnn_gemm_bf16_words(K) x NR words: word (k2, n) packs
 * B(2 k2, n) in its low half and B(2 k2 + 1, n) in its high half (0 past K). */
#define BNN_GEMM_BF16_MAX_K 1024
int bnn_gemm_bf16_words(int K);
void bnn_gemm_bf16_pack(const bnn_gemm_w *g, uint32_t *Bh);
void bnn_gemm_avx512_bf16(const bnn_gemm_w *g, int M, const float *A, size_t lda, float *C, size_t ldc);
#endif

/* The GEMMs of an ISA (AVX2 and AVX-512 have their own; scalar and NEON use the generic ones). */
bnn_gemm_fn bnn_gemm_for_isa(bnn_isa isa);
bnn_gemm_head_fn bnn_gemm_head_for_isa(bnn_isa isa);

#endif
