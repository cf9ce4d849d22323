/* test_threads.c: outputs are bit-identical for threads 1..4 and for every ISA this CPU supports
 * (kernels are bit-exact and the real-valued ops use the same fused multiply-adds in the same
 * order everywhere); also repeated runs of one net give the same bits. */
#include <math.h>

#include "test_util.h"

/* copy of all outputs of one run */
static float *run_copy(const bnn_model *m, int threads, bnn_isa isa, size_t *total) {
  char err[BNN_ERR_LEN];
  bnn_net *n = bnn_net_create(m, threads, isa, err, sizeof err);
  REQUIRE(n != NULL, "%s", err);
  test_fill_input(m, bnn_net_input(n), 99);
  REQUIRE(bnn_net_run(n) == 0, "run");
  const bnn_model_info *info = bnn_model_get_info(m);
  size_t sz = 0;
  for (int i = 0; i < info->n_outputs; i++) {
    bnn_output o;
    bnn_net_output(n, i, &o);
    sz += (size_t)o.c * o.h * o.w;
  }
  float *all = malloc(sz * sizeof(float) * 2);
  REQUIRE(all != NULL, "oom");
  size_t off = 0;
  for (int i = 0; i < info->n_outputs; i++) {
    bnn_output o;
    bnn_net_output(n, i, &o);
    memcpy(all + off, o.data, sizeof(float) * o.c * o.h * o.w);
    off += (size_t)o.c * o.h * o.w;
  }
  /* a second run on the same input must not change anything (no state left behind) */
  test_fill_input(m, bnn_net_input(n), 99);
  bnn_net_run(n);
  off = 0;
  for (int i = 0; i < info->n_outputs; i++) {
    bnn_output o;
    bnn_net_output(n, i, &o);
    memcpy(all + sz + off, o.data, sizeof(float) * o.c * o.h * o.w);
    off += (size_t)o.c * o.h * o.w;
  }
  CHECK(memcmp(all, all + sz, sz * sizeof(float)) == 0, "second run differs (threads %d, isa %s)", threads,
        bnn_isa_name(isa));
  bnn_net_free(n);
  *total = sz;
  return all;
}

static void check_model(const char *what, bnn_model *m) {
  size_t sz, sz2;
  float *base = run_copy(m, 1, BNN_ISA_SCALAR, &sz);
  static const bnn_isa isas[] = {BNN_ISA_SCALAR, BNN_ISA_AVX2, BNN_ISA_AVX512, BNN_ISA_NEON};
  int tested = 0;
  for (size_t k = 0; k < sizeof isas / sizeof *isas; k++) {
    if (!bnn_isa_supported(isas[k])) continue;
    for (int t = 1; t <= 4; t++) {
      float *o = run_copy(m, t, isas[k], &sz2);
      size_t bad = 0;
      double maxd = 0;
      for (size_t i = 0; i < sz; i++)
        if (memcmp(&o[i], &base[i], sizeof(float)) != 0) {
          bad++;
          maxd = fmax(maxd, fabs((double)o[i] - base[i]));
        }
      CHECK(sz2 == sz && bad == 0, "%s: isa %s threads %d: %zu of %zu values differ from scalar/1 thread (max %g)",
            what, bnn_isa_name(isas[k]), t, bad, sz, maxd);
      free(o);
      tested++;
    }
  }
  printf("%s: %d (isa, threads) combinations bit-identical to scalar, 1 thread\n", what, tested);
  free(base);
}

int main(void) {
  bnn_model *m = test_model(64, 32, 2, 5, 7, 0, 3);
  check_model("S64 F32 D2 +seg", m);
  bnn_model_free(m);
  m = test_model(32, 144, 1, 3, 0, 2, 4);
  check_model("S32 F144 D1 +det", m);
  bnn_model_free(m);
  /* an unsupported ISA is refused with a message */
  m = test_model(32, 16, 1, 2, 0, 0, 5);
  char err[BNN_ERR_LEN];
#if defined(__x86_64__)
  bnn_net *n = bnn_net_create(m, 1, BNN_ISA_NEON, err, sizeof err);
#else
  bnn_net *n = bnn_net_create(m, 1, BNN_ISA_AVX512, err, sizeof err);
#endif
  CHECK(n == NULL && strstr(err, "not supported") != NULL, "unsupported ISA accepted: %s", err);
  n = bnn_net_create(m, 0, BNN_ISA_AUTO, err, sizeof err);
  CHECK(n == NULL && strstr(err, "threads") != NULL, "threads = 0 accepted: %s", err);
  bnn_model_free(m);
  return test_result("test_threads");
}
