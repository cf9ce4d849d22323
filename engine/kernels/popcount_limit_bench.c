/* popcount_limit_bench.c: bnn-popcount-limit, prints this machine's XOR + popcount throughput
 * limit per ISA and method in G binary ops/s (the denominator of "% of limit"). */
#include <stdio.h>
#include <stdlib.h>

#include "popcount_limit.h"

int main(int argc, char **argv) {
  double seconds = argc > 1 ? atof(argv[1]) : 0.5;
  if (seconds <= 0) {
    fprintf(stderr, "usage: bnn-popcount-limit [seconds per variant, default 0.5]\n");
    return 2;
  }
  bnn_popcount_variant v[16];
  int n = bnn_popcount_measure(v, 16, seconds);
  printf("XOR + popcount + accumulate over L1-resident data, single thread\n");
  for (int i = 0; i < n; i++) printf("  %-55s %8.1f G binary ops/s\n", v[i].name, v[i].gops);
  printf("limit per ISA (best method):\n");
  const bnn_isa isas[] = {BNN_ISA_SCALAR, BNN_ISA_AVX2, BNN_ISA_AVX512, BNN_ISA_NEON};
  for (int i = 0; i < 4; i++) {
    double g = bnn_popcount_limit_of(v, n, isas[i]);
    if (g > 0) printf("  %-8s %8.1f G binary ops/s\n", bnn_isa_name(isas[i]), g);
  }
  return 0;
}
