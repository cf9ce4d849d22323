/* kernels_dispatch.c: run-time CPU detection and kernel-table selection (bnn_isa_supported,
 * bnn_isa_best, bnn_isa_name from bnnlm.h; bnn_kernels_for_isa from kernels.h). */
#include <stdlib.h>
#include <string.h>

#include "bnnlm/bnnlm.h"
#include "kernels.h"

int bnn_isa_supported(bnn_isa isa) {
  switch (isa) {
  case BNN_ISA_SCALAR:
    return 1;
#if defined(__x86_64__)
  case BNN_ISA_AVX2:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("popcnt");
  case BNN_ISA_AVX512:
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vpopcntdq") &&
           __builtin_cpu_supports("popcnt");
#endif
#if defined(__aarch64__)
  case BNN_ISA_NEON:
    return 1; /* Advanced SIMD is mandatory on AArch64 */
#endif
  default:
    return 0;
  }
}

/* The best ISA this CPU supports. The environment variable BNN_ISA (scalar | avx2 | avx512 |
 * neon) caps it, for tests and benchmarks: the result is the best supported ISA not above the
 * cap in the order scalar < avx2 < avx512 (x86) or scalar < neon (arm64); a cap naming the
 * other architecture's ISA leaves scalar. An unknown value is ignored. */
bnn_isa bnn_isa_best(void) {
  static const bnn_isa order[] = {BNN_ISA_AVX512, BNN_ISA_AVX2, BNN_ISA_NEON, BNN_ISA_SCALAR};
  int cap = 0; /* index into order[] of the highest allowed ISA */
  const char *env = getenv("BNN_ISA");
  if (env != NULL) {
#if defined(__aarch64__)
    if (strcmp(env, "scalar") == 0 || strcmp(env, "avx2") == 0 || strcmp(env, "avx512") == 0)
      cap = 3;
#else
    if (strcmp(env, "avx2") == 0) cap = 1;
    else if (strcmp(env, "scalar") == 0 || strcmp(env, "neon") == 0) cap = 3;
#endif
  }
  for (int i = cap; i < 4; i++)
    if (bnn_isa_supported(order[i])) return order[i];
  return BNN_ISA_SCALAR;
}

const char *bnn_isa_name(bnn_isa isa) {
  switch (isa) {
  case BNN_ISA_AUTO: return "auto";
  case BNN_ISA_SCALAR: return "scalar";
  case BNN_ISA_AVX2: return "avx2";
  case BNN_ISA_AVX512: return "avx512";
  case BNN_ISA_NEON: return "neon";
  }
  return "unknown";
}

/* The kernel table of isa (AUTO: of bnn_isa_best()), or NULL if this CPU/build lacks it. */
const bnn_kernels *bnn_kernels_for_isa(bnn_isa isa) {
  if (isa == BNN_ISA_AUTO) isa = bnn_isa_best();
  if (!bnn_isa_supported(isa)) return NULL;
  switch (isa) {
  case BNN_ISA_SCALAR: return &bnn_kernels_scalar;
#if defined(__x86_64__)
  case BNN_ISA_AVX2: return &bnn_kernels_avx2;
  case BNN_ISA_AVX512: return &bnn_kernels_avx512;
#endif
#if defined(__aarch64__)
  case BNN_ISA_NEON: return &bnn_kernels_neon;
#endif
  default: return NULL;
  }
}
