/* test_gemm_head.c: the GEMM of heads with few outputs (bnn_gemm_head_fn: BN + ReLU, channel-
 * major, vectors along the pixels, planar results) gives the same bits as BN + ReLU followed by
 * the row GEMM (bnn_gemm_fn), which every other real conv uses, in every ISA this CPU supports:
 * random sizes with tails in both pixels and channels, with and without the BN / ReLU /
 * accumulate epilogue, NaN and -0 among the inputs. */
#include <math.h>
#include <stdint.h>

#include "conv_real.h"
#include "test_util.h"

int main(void) {
  static const bnn_isa isas[] = {BNN_ISA_SCALAR, BNN_ISA_AVX2, BNN_ISA_AVX512, BNN_ISA_NEON};
  test_rng r = {42};
  int cases = 0;
  for (int trial = 0; trial < 300; trial++) {
    const int N = 1 + (int)(test_next(&r) % BNN_GEMM_HEAD_MAX_N);
    const int K = 1 + (int)(test_next(&r) % 80);
    const int M = 1 + (int)(test_next(&r) % 150);
    const int flags = (int)(test_next(&r) % 8); /* 1: BN, 2: ReLU, 4: accumulate */
    const int np = (N + BNN_GEMM_NR - 1) / BNN_GEMM_NR, Np = np * BNN_GEMM_NR;
    float *B = test_aligned_floats((size_t)np * K * BNN_GEMM_NR), *bias = test_aligned_floats((size_t)Np);
    float *scale = test_aligned_floats((size_t)Np), *shift = test_aligned_floats((size_t)Np);
    test_random_gemm(&r, N, K, BNN_GEMM_NR, B, bias, scale, shift);
    bnn_gemm_w g = {N, K, B, bias, (flags & 1) ? scale : NULL, (flags & 1) ? shift : NULL, (flags & 2) != 0,
                    (flags & 4) != 0, NULL};
    /* the head's input: X (M pixels x K channels, row stride ldx) and its BN */
    const size_t ldx = (size_t)K + (size_t)(test_next(&r) % 5), ldct = (size_t)M + 3;
    float *X = test_aligned_floats((size_t)M * ldx), *sc = test_aligned_floats((size_t)K), *sh = test_aligned_floats((size_t)K);
    float *A = test_aligned_floats((size_t)M * K), *tmp = test_aligned_floats((size_t)M * K);
    float *C0 = test_aligned_floats((size_t)M * N), *C = test_aligned_floats((size_t)M * N), *Ct = test_aligned_floats(ldct * N);
    for (int k = 0; k < K; k++) {
      sc[k] = 2.0f * test_sym(&r);
      sh[k] = test_sym(&r);
    }
    for (int m = 0; m < M; m++)
      for (int k = 0; k < K; k++) {
        float x = 3.0f * test_sym(&r);
        if (trial % 10 == 0 && m == 0 && k == 0) x = NAN; /* NaN -> the ReLU's 0 */
        if (trial % 10 == 1 && k % 3 == 0) x = -0.0f, sh[k] = -0.0f; /* -0 * sc + -0 = -0 (sc > 0) */
        X[(size_t)m * ldx + k] = x;
      }
    for (int m = 0; m < M; m++)
      for (int k = 0; k < K; k++) {
        float v = X[(size_t)m * ldx + k] * sc[k] + sh[k];
        A[(size_t)m * K + k] = v > 0 ? v : 0.0f;
      }
    for (int m = 0; m < M; m++)
      for (int o = 0; o < N; o++) C0[(size_t)m * N + o] = test_sym(&r); /* what accumulate adds to */
    for (size_t i = 0; i < sizeof isas / sizeof *isas; i++) {
      if (!bnn_isa_supported(isas[i])) continue;
      memcpy(C, C0, sizeof(float) * (size_t)M * N);
      for (int o = 0; o < N; o++) {
        for (int m = 0; m < M; m++) Ct[(size_t)o * ldct + m] = C0[(size_t)m * N + o];
        Ct[(size_t)o * ldct + M] = 12345.0f; /* past the row: untouched */
      }
      bnn_gemm_for_isa(isas[i])(&g, M, A, (size_t)K, C, (size_t)N);
      bnn_gemm_head_for_isa(isas[i])(&g, M, X, ldx, sc, sh, Ct, ldct, tmp);
      int bad = 0;
      for (int m = 0; m < M; m++)
        for (int o = 0; o < N; o++) {
          const float a = C[(size_t)m * N + o], b = Ct[(size_t)o * ldct + m];
          bad += memcmp(&a, &b, sizeof a) != 0;
        }
      for (int o = 0; o < N; o++) bad += Ct[(size_t)o * ldct + M] != 12345.0f;
      CHECK(bad == 0, "isa %s, N %d K %d M %d flags %d: %d values differ", bnn_isa_name(isas[i]), N, K, M, flags,
            bad);
      cases++;
    }
    free(B), free(bias), free(scale), free(shift), free(X), free(sc), free(sh), free(A), free(tmp);
    free(C0), free(C), free(Ct);
  }
  printf("test_gemm_head: %d (shape, ISA) cases bit-identical to BN + ReLU + the row GEMM\n", cases);
  return test_result("test_gemm_head");
}
