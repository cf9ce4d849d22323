/* test_parity.c: trainer/engine parity: runs the golden tiny models of training/make_golden.py
 * through the engine on every ISA this CPU has and compares with the trainer's logits. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bnnlm/bnnlm.h"

/* Float rounding may put an activation on the other side of a BN/sign threshold in one
 * implementation and not the other (network.md); such a flip changes a few logits by a
 * small amount. The golden fixtures have none at this tolerance. */
#define TOL 2e-3f

typedef struct {
  uint32_t n, s, nout;
  uint32_t kind[4], c[4], h[4], w[4];
  float *inputs;  /* n * s * s * 3 */
  float *outputs; /* per input, per output: c * h * w */
} golden;

static int read_u32(FILE *f, uint32_t *v) {
  uint8_t b[4];
  if (fread(b, 1, 4, f) != 4) return -1;
  *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return 0;
}

static int read_floats(FILE *f, float *dst, size_t n) {
  for (size_t i = 0; i < n; i++) {
    uint32_t u;
    if (read_u32(f, &u)) return -1;
    memcpy(&dst[i], &u, 4);
  }
  return 0;
}

static size_t out_len(const golden *g, uint32_t j) { return (size_t)g->c[j] * g->h[j] * g->w[j]; }

static size_t per_input(const golden *g) {
  size_t t = 0;
  for (uint32_t j = 0; j < g->nout; j++) t += out_len(g, j);
  return t;
}

static int load_golden(const char *path, golden *g) {
  FILE *f = fopen(path, "rb");
  char magic[8];
  memset(g, 0, sizeof *g);
  if (!f) return -1;
  if (fread(magic, 1, 8, f) != 8 || memcmp(magic, "BNNGOLD1", 8) || read_u32(f, &g->n) ||
      read_u32(f, &g->s) || read_u32(f, &g->nout) || g->nout < 1 || g->nout > 4 || g->n > 64 ||
      g->s > 1024)
    goto fail;
  for (uint32_t j = 0; j < g->nout; j++)
    if (read_u32(f, &g->kind[j]) || read_u32(f, &g->c[j]) || read_u32(f, &g->h[j]) ||
        read_u32(f, &g->w[j]) || g->c[j] > 4096 || g->h[j] > 1024 || g->w[j] > 1024)
      goto fail;
  g->inputs = malloc(sizeof(float) * g->n * g->s * g->s * 3);
  g->outputs = malloc(sizeof(float) * g->n * per_input(g));
  if (!g->inputs || !g->outputs || read_floats(f, g->inputs, (size_t)g->n * g->s * g->s * 3) ||
      read_floats(f, g->outputs, g->n * per_input(g)))
    goto fail;
  fclose(f);
  return 0;
fail:
  fclose(f);
  free(g->inputs);
  free(g->outputs);
  return -1;
}

/* Index of the largest value and the gap to the second largest. */
static size_t argmax_gap(const float *v, size_t n, float *gap) {
  size_t best = 0;
  float second = -INFINITY;
  for (size_t i = 1; i < n; i++) {
    if (v[i] > v[best]) {
      second = v[best];
      best = i;
    } else if (v[i] > second) {
      second = v[i];
    }
  }
  *gap = v[best] - second;
  return best;
}

static int check_model(const char *bnn_path, const char *io_path) {
  char err[BNN_ERR_LEN];
  golden g;
  int failures = 0;
  if (load_golden(io_path, &g)) {
    fprintf(stderr, "FAIL: cannot read %s\n", io_path);
    return 1;
  }
  bnn_model *m = bnn_model_load_file(bnn_path, err, sizeof err);
  if (!m) {
    fprintf(stderr, "FAIL: load %s: %s\n", bnn_path, err);
    free(g.inputs);
    free(g.outputs);
    return 1;
  }
  const bnn_model_info *info = bnn_model_get_info(m);
  if ((uint32_t)info->input_size != g.s || (uint32_t)info->n_outputs != g.nout) {
    fprintf(stderr, "FAIL: %s: S %d outputs %d, golden has %u, %u\n", bnn_path,
            info->input_size, info->n_outputs, g.s, g.nout);
    failures++;
    goto done;
  }
  const bnn_isa isas[] = {BNN_ISA_SCALAR, BNN_ISA_AVX2, BNN_ISA_AVX512, BNN_ISA_NEON};
  for (size_t ii = 0; ii < sizeof isas / sizeof isas[0]; ii++) {
    if (!bnn_isa_supported(isas[ii])) continue;
    for (int threads = 1; threads <= 2; threads++) {
      bnn_net *net = bnn_net_create(m, threads, isas[ii], err, sizeof err);
      if (!net) {
        fprintf(stderr, "FAIL: net_create %s: %s\n", bnn_isa_name(isas[ii]), err);
        failures++;
        continue;
      }
      float maxdiff = 0.0f;
      int argmax_bad = 0, argmax_checked = 0;
      for (uint32_t i = 0; i < g.n; i++) {
        memcpy(bnn_net_input(net), g.inputs + (size_t)i * g.s * g.s * 3,
               sizeof(float) * g.s * g.s * 3);
        if (bnn_net_run(net)) {
          fprintf(stderr, "FAIL: run\n");
          failures++;
          break;
        }
        const float *ref = g.outputs + i * per_input(&g);
        for (uint32_t j = 0; j < g.nout; j++) {
          bnn_output o;
          if (bnn_net_output(net, (int)j, &o) || (uint32_t)o.kind != g.kind[j] ||
              (uint32_t)o.c != g.c[j] || (uint32_t)o.h != g.h[j] || (uint32_t)o.w != g.w[j]) {
            fprintf(stderr, "FAIL: output %u shape/kind differs\n", j);
            failures++;
            break;
          }
          size_t plane = (size_t)o.h * o.w;
          for (size_t k = 0; k < out_len(&g, j); k++) {
            float d = fabsf(o.data[k] - ref[k]);
            if (!(d <= maxdiff)) maxdiff = d; /* also catches NaN */
          }
          if (o.kind == BNN_OUT_HEATMAP) {
            for (int c = 0; c < o.c; c++) {
              float gap, gap2;
              size_t a = argmax_gap(ref + c * plane, plane, &gap);
              size_t b = argmax_gap(o.data + c * plane, plane, &gap2);
              argmax_checked++;
              if (a != b && gap > 2 * TOL) argmax_bad++;
            }
          }
          ref += out_len(&g, j);
        }
      }
      printf("%s: isa %s threads %d: max abs diff %.3g, argmax differs in %d of %d maps\n",
             bnn_path, bnn_isa_name(isas[ii]), threads, (double)maxdiff, argmax_bad,
             argmax_checked);
      if (!(maxdiff <= TOL) || argmax_bad) {
        fprintf(stderr, "FAIL: %s isa %s: max abs diff %g (tol %g), %d argmax mismatches\n",
                bnn_path, bnn_isa_name(isas[ii]), (double)maxdiff, (double)TOL, argmax_bad);
        failures++;
      }
      bnn_net_free(net);
    }
  }
done:
  bnn_model_free(m);
  free(g.inputs);
  free(g.outputs);
  return failures;
}

int main(int argc, char **argv) {
  int failures = 0;
  if (argc < 3 || (argc - 1) % 2) {
    fprintf(stderr, "usage: %s MODEL.bnn GOLDEN.io [MODEL.bnn GOLDEN.io ...]\n", argv[0]);
    return 2;
  }
  for (int i = 1; i + 1 < argc; i += 2) failures += check_model(argv[i], argv[i + 1]);
  if (failures) fprintf(stderr, "%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
