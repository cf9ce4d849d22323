/* bnnlm-genmodel.c: writes a random-weight .bnn model of the network.md topology (for tests and
 * benchmarks; the weights mean nothing). Uses the engine's internal model generator. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth_model.h"

static const char *usage_text =
    "usage: bnnlm-genmodel [--size S] [--width F] [--depth D] [--points K] [--seg [N]]\n"
    "                      [--detect N] [--task body|face|detect] [--name NAME] [--seed N]\n"
    "                      [--format 1|2] [--no-flip] [--region-score X] --out FILE\n"
    "defaults: --size 64 --width 32 --depth 2 --points 16 --seed 1 --format 2; --seg adds a\n"
    "7-class head. Format 2 stores real tensors as f16 and folded sign thresholds. Points\n"
    "2i and 2i+1 form the mirror table (META flip) unless --no-flip. --region-score writes\n"
    "META region_score (bnnlandmarks' default min-region-score for the model).\n";

static int get_int(const char *s, long lo, long hi, long *v) {
  char *end;
  errno = 0;
  *v = strtol(s, &end, 10);
  return end != s && *end == '\0' && errno == 0 && *v >= lo && *v <= hi;
}

int main(int argc, char **argv) {
  bnn_synth_params p;
  memset(&p, 0, sizeof p);
  p.size = 64;
  p.width = 32;
  p.depth = 2;
  p.points = 16;
  p.seed = 1;
  const char *out = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    long n;
#define INTOPT(name, field, lo, hi)                                          \
  if (strcmp(a, name) == 0) {                                                \
    if (v == NULL || !get_int(v, lo, hi, &n)) {                              \
      fprintf(stderr, "bnnlm-genmodel: %s needs an integer in %ld..%ld\n%s", \
              name, (long)(lo), (long)(hi), usage_text);                     \
      return 2;                                                              \
    }                                                                        \
    field = n;                                                               \
    i++;                                                                     \
    continue;                                                                \
  }
    INTOPT("--size", p.size, 4, 4096)
    INTOPT("--width", p.width, 8, 4096)
    INTOPT("--depth", p.depth, 1, 8)
    INTOPT("--points", p.points, 0, 1024)
    INTOPT("--detect", p.det_classes, 1, 1024)
    INTOPT("--seed", p.seed, 0, 0x7fffffffL)
    INTOPT("--format", p.format, 1, 2)
#undef INTOPT
    if (strcmp(a, "--no-flip") == 0) {
      p.no_flip = 1;
    } else if (strcmp(a, "--seg") == 0) {
      p.seg_classes = 7;
      if (v && get_int(v, 2, 256, &n)) {
        p.seg_classes = (int)n;
        i++;
      }
    } else if (strcmp(a, "--task") == 0 && v) {
      p.task = v;
      i++;
    } else if (strcmp(a, "--region-score") == 0 && v) {
      p.region_score = v;
      i++;
    } else if (strcmp(a, "--name") == 0 && v) {
      p.name = v;
      i++;
    } else if (strcmp(a, "--out") == 0 && v) {
      out = v;
      i++;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      fputs(usage_text, stdout);
      return 0;
    } else {
      fprintf(stderr, "bnnlm-genmodel: unexpected argument '%s'\n%s", a, usage_text);
      return 2;
    }
  }
  if (out == NULL) {
    fprintf(stderr, "bnnlm-genmodel: --out FILE is required\n%s", usage_text);
    return 2;
  }
  if (p.task && strcmp(p.task, "body") && strcmp(p.task, "face") && strcmp(p.task, "detect")) {
    fprintf(stderr, "bnnlm-genmodel: --task must be body, face or detect\n");
    return 2;
  }
  char err[256];
  unsigned char *data;
  size_t size;
  if (bnn_synth_model(&p, &data, &size, err, sizeof err) != 0) {
    fprintf(stderr, "bnnlm-genmodel: %s\n", err);
    return 1;
  }
  FILE *f = fopen(out, "wb");
  if (f == NULL || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
    fprintf(stderr, "bnnlm-genmodel: cannot write %s: %s\n", out, strerror(errno));
    free(data);
    return 1;
  }
  free(data);
  return 0;
}
