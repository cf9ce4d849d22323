/* popcount_limit.h: measurement of this machine's XOR + popcount + accumulate throughput per
 * ISA (the denominator of the kernels' "% of limit"), shared by bnn-popcount-limit and bench_kernel. */
#ifndef BNN_POPCOUNT_LIMIT_H
#define BNN_POPCOUNT_LIMIT_H

#include "bnnlm/bnnlm.h"

typedef struct {
  const char *name; /* e.g. "zmm vpopcntq, 1 load / 4 ops" */
  bnn_isa isa;
  double gops; /* G binary ops/s: one op = XOR + popcount + accumulate of one bit */
} bnn_popcount_variant;

/* Measure every variant this CPU supports (about `seconds` each: the fastest of many ~2 ms runs);
 * fills up to max entries of v, returns how many. */
int bnn_popcount_measure(bnn_popcount_variant *v, int max, double seconds);

/* The limit of isa: the best variant of that ISA in v (0 if none). */
double bnn_popcount_limit_of(const bnn_popcount_variant *v, int n, bnn_isa isa);

#endif
