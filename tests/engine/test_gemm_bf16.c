/* test_gemm_bf16.c: the bfloat16 GEMM (conv_real_bf16.c) against a double-precision reference
 * on the same bf16-rounded inputs and weights: random shapes with odd K (the zero high half of
 * the last pair), N tails and M tails, every epilogue (BN, ReLU, accumulate); a GEMM without bf16
 * weights (a head) runs the fp32 AVX-512 GEMM bit for bit; bnn_net_set_bf16 refuses a net that
 * does not run avx512, turns on and off, and gives the same bits on 1 and 3 threads. Exit 77 (skipped) on CPUs without AVX512-BF16. */
#include <math.h>
#include <stdint.h>

#include "bnnlm/bnnlm.h"
#include "conv_real.h"
#include "synth_model.h"
#include "test_util.h"

/* fp32 -> bf16 -> fp32, round to nearest even (finite inputs) */
static double bf16(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  float y;
  memcpy(&y, &u, 4);
  return y;
}

static void test_net_switch(void) {
  bnn_synth_params sp;
  REQUIRE(bnn_synth_preset("paper128", &sp) == 0, "no paper128 preset");
  sp.width = 64; /* small: the switch is what is tested */
  unsigned char *data;
  size_t size;
  char err[BNN_ERR_LEN];
  REQUIRE(bnn_synth_model(&sp, &data, &size, err, sizeof err) == 0, "%s", err);
  bnn_model *m = bnn_model_load_memory(data, size, "synth", err, sizeof err);
  free(data);
  REQUIRE(m != NULL, "%s", err);
  /* scalar: refused, with the reason */
  bnn_net *n = bnn_net_create(m, 1, BNN_ISA_SCALAR, err, sizeof err);
  REQUIRE(n != NULL, "%s", err);
  CHECK(bnn_net_set_bf16(n, 1, err, sizeof err) == -1 && strstr(err, "avx512") && !bnn_net_bf16(n),
        "scalar net: set_bf16 gave '%s'", err);
  bnn_net_free(n);
  /* avx512: on (outputs move a little, the run works), off again (the fp32 bits come back) */
  n = bnn_net_create(m, 1, BNN_ISA_AVX512, err, sizeof err);
  REQUIRE(n != NULL, "%s", err);
  const int S = bnn_model_get_info(m)->input_size;
  float *in = bnn_net_input(n);
  for (int i = 0; i < S * S * 3; i++) in[i] = 0.5f * sinf(0.01f * (float)i);
  bnn_output o;
  REQUIRE(bnn_net_run(n) == 0 && bnn_net_output(n, 0, &o) == 0, "fp32 run");
  const size_t cnt = (size_t)o.c * o.h * o.w;
  float *ref = malloc(cnt * sizeof(float));
  REQUIRE(ref != NULL, "out of memory");
  memcpy(ref, o.data, cnt * sizeof(float));
  CHECK(bnn_net_set_bf16(n, 1, err, sizeof err) == 0 && bnn_net_bf16(n), "set_bf16 on: '%s'", err);
  REQUIRE(bnn_net_run(n) == 0 && bnn_net_output(n, 0, &o) == 0, "bf16 run");
  size_t differ = 0;
  for (size_t i = 0; i < cnt; i++) differ += o.data[i] != ref[i];
  CHECK(differ > 0, "bf16 on gave the fp32 bits: the bf16 GEMM did not run");
  /* bf16 on 3 threads: the same bits as on 1 (each row is converted and summed on its own) */
  bnn_net *n3 = bnn_net_create(m, 3, BNN_ISA_AVX512, err, sizeof err);
  REQUIRE(n3 != NULL && bnn_net_set_bf16(n3, 1, err, sizeof err) == 0, "%s", err);
  memcpy(bnn_net_input(n3), in, sizeof(float) * (size_t)S * S * 3);
  bnn_output o3;
  REQUIRE(bnn_net_run(n3) == 0 && bnn_net_output(n3, 0, &o3) == 0, "bf16 run, 3 threads");
  CHECK(memcmp(o3.data, o.data, cnt * sizeof(float)) == 0, "bf16: 3 threads differ from 1");
  bnn_net_free(n3);
  CHECK(bnn_net_set_bf16(n, 0, err, sizeof err) == 0 && !bnn_net_bf16(n), "set_bf16 off");
  REQUIRE(bnn_net_run(n) == 0 && bnn_net_output(n, 0, &o) == 0, "fp32 run again");
  CHECK(memcmp(o.data, ref, cnt * sizeof(float)) == 0, "off again: not the fp32 bits");
  printf("test_gemm_bf16: net switch: %zu of %zu outputs moved with bf16 on, fp32 bits back when off\n",
         differ, cnt);
  free(ref);
  bnn_net_free(n);
  bnn_model_free(m);
}

int main(void) {
  if (!bnn_bf16_supported()) {
    printf("SKIP: this CPU has no AVX512-BF16 (or no avx512 ISA)\n");
    return 77;
  }
  test_rng r = {7};
  int cases = 0;
  double worst = 0;
  for (int trial = 0; trial < 200; trial++) {
    const int N = 1 + (int)(test_next(&r) % 100);
    const int K = 1 + (int)(test_next(&r) % 300);
    const int M = 1 + (int)(test_next(&r) % 70);
    const int flags = (int)(test_next(&r) % 8); /* 1: BN, 2: ReLU, 4: accumulate */
    const int np = (N + BNN_GEMM_NR - 1) / BNN_GEMM_NR, Np = np * BNN_GEMM_NR;
    const size_t lda = (size_t)K + (size_t)(test_next(&r) % 4), ldc = (size_t)N + (size_t)(test_next(&r) % 4);
    float *B = test_aligned_floats((size_t)np * K * BNN_GEMM_NR), *bias = test_aligned_floats((size_t)Np);
    float *scale = test_aligned_floats((size_t)Np), *shift = test_aligned_floats((size_t)Np);
    float *A = test_aligned_floats((size_t)M * lda), *C0 = test_aligned_floats((size_t)M * ldc);
    float *C = test_aligned_floats((size_t)M * ldc), *Cf = test_aligned_floats((size_t)M * ldc);
    uint32_t *Bh = aligned_alloc(64, ((sizeof(uint32_t) * np * bnn_gemm_bf16_words(K) * BNN_GEMM_NR) + 63) / 64 * 64);
    REQUIRE(Bh != NULL, "out of memory");
    test_random_gemm(&r, N, K, BNN_GEMM_NR, B, bias, scale, shift);
    for (int m = 0; m < M; m++)
      for (int k = 0; k < K; k++) A[(size_t)m * lda + k] = 3.0f * test_sym(&r);
    for (size_t i = 0; i < (size_t)M * ldc; i++) C0[i] = test_sym(&r);
    bnn_gemm_w g = {N, K, B, bias, (flags & 1) ? scale : NULL, (flags & 1) ? shift : NULL, (flags & 2) != 0,
                    (flags & 4) != 0, NULL};
    /* no bf16 weights: the fp32 GEMM's bits */
    memcpy(C, C0, sizeof(float) * (size_t)M * ldc);
    memcpy(Cf, C0, sizeof(float) * (size_t)M * ldc);
    bnn_gemm_avx512_bf16(&g, M, A, lda, C, ldc);
    bnn_gemm_avx512(&g, M, A, lda, Cf, ldc);
    CHECK(memcmp(C, Cf, sizeof(float) * (size_t)M * ldc) == 0, "N %d K %d M %d: no Bh but not the fp32 bits", N,
          K, M);
    /* bf16 weights */
    bnn_gemm_bf16_pack(&g, Bh);
    g.Bh = Bh;
    memcpy(C, C0, sizeof(float) * (size_t)M * ldc);
    bnn_gemm_avx512_bf16(&g, M, A, lda, C, ldc);
    int bad = 0;
    for (int m = 0; m < M; m++)
      for (size_t o = 0; o < ldc; o++) {
        const size_t i = (size_t)m * ldc + o;
        if ((int)o >= N) { /* the row's padding: untouched */
          bad += memcmp(&C[i], &C0[i], sizeof(float)) != 0;
          continue;
        }
        double acc = bias[o], mag = fabs(bias[o]);
        for (int k = 0; k < K; k++) {
          const double t = bf16(A[(size_t)m * lda + k]) *
                           bf16(B[(size_t)(o / BNN_GEMM_NR) * K * BNN_GEMM_NR + (size_t)k * BNN_GEMM_NR + o % BNN_GEMM_NR]);
          acc += t;
          mag += fabs(t);
        }
        double v = acc;
        if (flags & 1) v = v * scale[o] + shift[o], mag = mag * fabs(scale[o]) + fabs(shift[o]);
        if ((flags & 2) && v < 0) v = 0;
        if (flags & 4) v += C0[i], mag += fabs(C0[i]);
        /* fp32 sums of K / 2 pairs: a few ulps of the terms' magnitude, at most */
        const double err = fabs(C[i] - v) / (mag + 1e-30);
        if (err > worst) worst = err;
        bad += !(err <= 1e-5);
      }
    CHECK(bad == 0, "N %d K %d M %d flags %d: %d values off", N, K, M, flags, bad);
    cases++;
    free(B), free(bias), free(scale), free(shift), free(A), free(C0), free(C), free(Cf), free(Bh);
  }
  printf("test_gemm_bf16: %d shapes within %.2g (relative to the sum of |terms|) of the bf16-rounded reference\n",
         cases, worst);
  test_net_switch();
  return test_result("test_gemm_bf16");
}
