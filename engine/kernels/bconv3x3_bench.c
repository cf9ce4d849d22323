/* bconv3x3_bench.c: bench_kernel, times bconv3x3 (and pack) per ISA on the layer shapes of the
 * paper network and prints G binary MAC/s and the % of the XOR + popcount limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels.h"
#include "popcount_limit.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 0x243f6a8885a308d3ull;
static uint64_t next(void) {
  rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
  return rng;
}

typedef struct {
  int cin, cout, side;
} shape;

/* The binary convs of the HPM blocks of the paper network (S = 256, F = 256): B(cin, cout) runs
 * cin -> cout/2, cout/2 -> cout/4, cout/4 -> cout/4 (docs/network.md), at 128 (S/2), 64 (S/4),
 * and the hourglass' 32, 16, 8. The 256 -> 128 and 128 -> 64 at 64x64 are ~half the MACs. */
static const shape shapes[] = {
    {64, 64, 128}, {64, 32, 128}, {32, 32, 128},
    {256, 128, 64}, {128, 64, 64}, {64, 64, 64}, {128, 128, 64}, {64, 32, 64}, {32, 32, 64},
    {256, 128, 32}, {128, 64, 32}, {64, 64, 32}, {128, 128, 16}, {256, 128, 8},
};

int main(int argc, char **argv) {
  double seconds = 0.3; /* per shape and ISA */
  const char *only = NULL;
  int with_scalar = 0;
  shape one;
  int have_one = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--isa") == 0 && i + 1 < argc) only = argv[++i];
    else if (strcmp(argv[i], "--shape") == 0 && i + 1 < argc &&
             sscanf(argv[++i], "%d,%d,%d", &one.cin, &one.cout, &one.side) == 3 && one.cin > 0 &&
             one.cout > 0 && one.side > 0)
      have_one = 1;
    else if (strcmp(argv[i], "--scalar") == 0) with_scalar = 1;
    else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) seconds = atof(argv[++i]);
    else {
      fprintf(stderr, "usage: bench_kernel [--isa scalar|avx2|avx512|neon] [--scalar] [--seconds S]\n"
                      "                    [--shape CIN,COUT,SIDE]\n"
                      "  (scalar is slow and only run with --scalar or --isa scalar)\n");
      return 2;
    }
  }
  bnn_popcount_variant v[16];
  int nv = bnn_popcount_measure(v, 16, 0.3);

  const bnn_isa isas[] = {BNN_ISA_SCALAR, BNN_ISA_AVX2, BNN_ISA_AVX512, BNN_ISA_NEON};
  for (int ii = 0; ii < 4; ii++) {
    const bnn_isa isa = isas[ii];
    const bnn_kernels *k = bnn_kernels_for_isa(isa);
    if (k == NULL) continue;
    if (only != NULL ? strcmp(only, bnn_isa_name(isa)) != 0 : isa == BNN_ISA_SCALAR && !with_scalar)
      continue;
    const double limit = bnn_popcount_limit_of(v, nv, isa);
    printf("%s: XOR+popcount limit %.1f G binary ops/s\n", k->name, limit);
    printf("  %-20s %10s %10s %8s %12s\n", "layer", "ms", "GMAC/s", "%limit", "pack Gpix/s");
    const size_t nshapes = have_one ? 1 : sizeof shapes / sizeof shapes[0];
    for (size_t si = 0; si < nshapes; si++) {
      const shape sh = have_one ? one : shapes[si];
      const int W = sh.side, H = sh.side, C = sh.cin, cout = sh.cout, cw = (C + 63) / 64;
      const size_t nin = (size_t)(H + 2) * (W + 2) * cw;
      uint64_t *in = calloc(nin, 8), *w = malloc((size_t)cout * 9 * cw * 8);
      float *alpha = malloc((size_t)cout * 4), *out = malloc((size_t)W * H * cout * 4);
      float *act = malloc((size_t)W * H * C * 4), *s = malloc((size_t)C * 4), *t = malloc((size_t)C * 4);
      const uint64_t mask = C % 64 ? (1ull << (C % 64)) - 1 : ~0ull;
      for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
          for (int j = 0; j < cw; j++)
            in[((size_t)(y + 1) * (W + 2) + x + 1) * cw + j] = next() & (j == cw - 1 ? mask : ~0ull);
      for (size_t i = 0; i < (size_t)cout * 9 * cw; i++)
        w[i] = next() & ((int)(i % cw) == cw - 1 ? mask : ~0ull);
      for (int o = 0; o < cout; o++) alpha[o] = 0.01f + (float)(next() % 100) * 1e-3f;
      for (size_t i = 0; i < (size_t)W * H * C; i++) act[i] = (float)(next() % 2001) * 1e-3f - 1.0f;
      for (int c = 0; c < C; c++) s[c] = c % 3 ? 1.0f : -1.0f, t[c] = 0.0f;

      k->bconv3x3(in, W, cw, w, cout, 9 * C, alpha, out, cout, 0, H); /* warm-up */
      /* reps per run for ~4 ms, then the fastest of the runs that fit in `seconds` (short runs
       * and the minimum: the machine may be shared) */
      long reps = 1;
      double dt;
      for (;;) {
        double t0 = now_s();
        for (long r = 0; r < reps; r++) k->bconv3x3(in, W, cw, w, cout, 9 * C, alpha, out, cout, 0, H);
        dt = now_s() - t0;
        if (dt > 0.004 || reps > (1L << 30)) break;
        reps *= 2;
      }
      for (int run = 0, nrun = (int)(seconds / dt) + 3; run < nrun; run++) {
        double t0 = now_s();
        for (long r = 0; r < reps; r++) k->bconv3x3(in, W, cw, w, cout, 9 * C, alpha, out, cout, 0, H);
        double d = now_s() - t0;
        if (d < dt) dt = d;
      }
      const double macs = (double)W * H * cout * 9.0 * C;
      const double gmacs = macs * (double)reps / dt * 1e-9;
      /* pack of the same input (W x H x C floats), into the padded interior */
      long preps = 1;
      double pdt;
      for (;;) {
        double t0 = now_s();
        for (long r = 0; r < preps; r++)
          for (int y = 0; y < H; y++)
            k->pack(act + (size_t)y * W * C, C, C, s, t, in + ((size_t)(y + 1) * (W + 2) + 1) * cw, cw, W);
        pdt = now_s() - t0;
        if (pdt > seconds / 4 || preps > (1L << 30)) break;
        preps *= 2;
      }
      char label[64];
      snprintf(label, sizeof label, "%d->%d @%dx%d", C, cout, W, H);
      printf("  %-20s %10.3f %10.1f %7.1f%% %12.3f\n", label, dt / (double)reps * 1e3, gmacs,
             limit > 0 ? 100.0 * gmacs / limit : 0.0, (double)W * H * (double)preps / pdt * 1e-9);
      free(in), free(w), free(alpha), free(out), free(act), free(s), free(t);
    }
  }
  return 0;
}
