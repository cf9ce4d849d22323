/* test_util.h: small helpers shared by the engine tests: CHECK macros, a deterministic RNG,
 * and loading a generated random-weight model straight from memory. */
#ifndef BNN_TEST_UTIL_H
#define BNN_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnnlm/bnnlm.h"
#include "synth_model.h"

static int test_failures = 0;

#define CHECK(cond, ...)                                                  \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                                       \
      fprintf(stderr, "\n");                                              \
      test_failures++;                                                    \
    }                                                                     \
  } while (0)

#define REQUIRE(cond, ...)                    \
  do {                                        \
    int req_ok_ = (cond) ? 1 : 0;             \
    CHECK(req_ok_, __VA_ARGS__);              \
    if (!req_ok_) exit(1);                    \
  } while (0)

static inline int test_result(const char *name) {
  if (test_failures) fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
  else printf("%s: all checks passed\n", name);
  return test_failures ? 1 : 0;
}

typedef struct {
  unsigned long long s;
} test_rng;

static inline unsigned long long test_next(test_rng *r) {
  unsigned long long z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline float test_unif(test_rng *r) { return (float)((double)(test_next(r) >> 40) / 16777216.0); }

/* uniform in [-1, 1) */
static inline float test_sym(test_rng *r) { return 2.0f * test_unif(r) - 1.0f; }

/* Random weights of a real conv in the GEMM's panel layout (conv_real.h: panels of nr output
 * channels, element (k, o) of panel o / nr at k * nr + o % nr), bias, and a BN scale in
 * [-2, 2) and shift, for N outputs and K inputs. */
static inline void test_random_gemm(test_rng *r, int N, int K, int nr, float *B, float *bias, float *scale,
                                    float *shift) {
  for (int o = 0; o < N; o++) {
    for (int k = 0; k < K; k++) B[(size_t)(o / nr) * K * nr + (size_t)k * nr + o % nr] = test_sym(r);
    bias[o] = test_sym(r);
    scale[o] = 2.0f * test_sym(r);
    shift[o] = test_sym(r);
  }
}

/* n zeroed floats, 64-byte aligned (free() them) */
static inline float *test_aligned_floats(size_t n) {
  size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
  float *p = aligned_alloc(64, bytes);
  REQUIRE(p != NULL, "out of memory");
  memset(p, 0, bytes);
  return p;
}

/* A generated model in file format version fmt (0: the default, 2), loaded; exits on failure. */
static inline bnn_model *test_model_format(int S, int F, int D, int K, int seg, int det,
                                           unsigned long long seed, int fmt) {
  bnn_synth_params p;
  memset(&p, 0, sizeof p);
  p.format = fmt;
  p.size = S;
  p.width = F;
  p.depth = D;
  p.points = K;
  p.seg_classes = seg;
  p.det_classes = det;
  p.seed = seed;
  unsigned char *data;
  size_t size;
  char err[BNN_ERR_LEN];
  if (bnn_synth_model(&p, &data, &size, err, sizeof err) != 0) {
    fprintf(stderr, "synth: %s\n", err);
    exit(1);
  }
  bnn_model *m = bnn_model_load_memory(data, size, "synthetic", err, sizeof err);
  free(data);
  if (m == NULL) {
    fprintf(stderr, "load: %s\n", err);
    exit(1);
  }
  return m;
}

static inline bnn_model *test_model(int S, int F, int D, int K, int seg, int det, unsigned long long seed) {
  return test_model_format(S, F, D, K, seg, det, seed, 0);
}

/* Fill the net input with a random image (bytes / 255, normalised like preprocessing does). */
static inline void test_fill_input(const bnn_model *m, float *in, unsigned long long seed) {
  const bnn_model_info *info = bnn_model_get_info(m);
  test_rng r = {seed};
  size_t n = (size_t)info->input_size * info->input_size;
  for (size_t i = 0; i < n; i++)
    for (int c = 0; c < 3; c++)
      in[i * 3 + c] = ((float)(test_next(&r) % 256) / 255.0f - info->mean[c]) / info->std[c];
}

#endif
