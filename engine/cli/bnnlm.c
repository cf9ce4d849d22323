/* bnnlm.c: the command-line tool of the engine: `predict` (JSON points per image), `bench`
 * (per-layer and whole-network timings), `info` (model metadata). Uses libbnnlm only. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bnnlm/bnnlm.h"
#include "image_io.h"
#include "synth_model.h"

static const char *usage_text =
    "usage:\n"
    "  bnnlm predict --model FILE|NAME [--box X,Y,W,H] [--threads N] [--isa ISA]\n"
    "                [--threshold T] [--iou R] [--flip] IMAGE...\n"
    "                (--flip: flip test, the mean of the image and its mirror; landmark models)\n"
    "                [--tiles N] (detector: also N x N overlapping tiles, for small subjects)\n"
    "                [--bf16] (stem and 1x1 skips in bfloat16: AVX512-BF16 CPUs, not bit-exact)\n"
    "  bnnlm bench (--model FILE|NAME | --synthetic paper256|paper128) [--threads N]\n"
    "              [--iters K] [--warmup W] [--isa scalar|avx2|avx512|neon] [--bf16] [--json]\n"
    "  bnnlm info FILE|NAME\n"
    "Model names (body, face, body-lite, face-lite, detect) are looked up in $BNNLM_MODEL_DIR,\n"
    "the source tree's models/ and the installed share/bnnlandmarks/models.\n";

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "bnnlm: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n%s", usage_text);
  return 2;
}

/* "--name value" or "--name=value"; advances *i. Returns the value or NULL if not this option. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing) {
  size_t n = strlen(name);
  if (strncmp(argv[*i], name, n) != 0) return NULL;
  if (argv[*i][n] == '=') return argv[*i] + n + 1;
  if (argv[*i][n] != '\0') return NULL;
  if (*i + 1 >= argc) {
    *missing = 1;
    return NULL;
  }
  return argv[++*i];
}

static int parse_int_arg(const char *s, int lo, int hi, int *out) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (end == s || *end || errno || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

static int parse_isa(const char *s, bnn_isa *isa) {
  static const struct {
    const char *n;
    bnn_isa i;
  } t[] = {{"auto", BNN_ISA_AUTO}, {"scalar", BNN_ISA_SCALAR}, {"avx2", BNN_ISA_AVX2},
           {"avx512", BNN_ISA_AVX512}, {"neon", BNN_ISA_NEON}};
  for (size_t k = 0; k < sizeof t / sizeof *t; k++)
    if (strcmp(s, t[k].n) == 0) {
      *isa = t[k].i;
      return 0;
    }
  return -1;
}

static void json_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", f);
    else if (*p == '\t') fputs("\\t", f);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

static double json_num(double v) { return isfinite(v) ? v : 0.0; }

/* Load by path or name; messages to stderr. */
static bnn_model *open_model(const char *arg) {
  char path[4096];
  if (bnn_model_resolve(arg, path, sizeof path) != 0) {
    fprintf(stderr, "bnnlm: model '%s' not found (no such file; as a name it was looked up in "
                    "$BNNLM_MODEL_DIR, the source tree's models/ and the installed models)\n", arg);
    return NULL;
  }
  char err[BNN_ERR_LEN];
  bnn_model *m = bnn_model_load_file(path, err, sizeof err);
  if (m == NULL) fprintf(stderr, "bnnlm: cannot load the model: %s\n", err);
  return m;
}

/* ------------------------------------------------------------------ predict */

static int cmd_predict(int argc, char **argv) {
  const char *model_arg = NULL, *box_arg = NULL;
  int threads = 1;
  bnn_isa isa = BNN_ISA_AUTO;
  float threshold = 0.3f, max_iou = BNN_DETECT_DEFAULT_IOU;
  int flip = 0, tiles = 1, bf16 = 0;
  const char **images = calloc((size_t)argc, sizeof(char *));
  int n_images = 0;
  if (images == NULL) return 1;
  for (int i = 0; i < argc; i++) {
    int missing = 0;
    const char *v;
    if ((v = opt_value(argc, argv, &i, "--model", &missing))) model_arg = v;
    else if ((v = opt_value(argc, argv, &i, "--box", &missing))) box_arg = v;
    else if ((v = opt_value(argc, argv, &i, "--threads", &missing))) {
      if (parse_int_arg(v, 1, 256, &threads)) { free(images); return usage_error("bad --threads '%s'", v); }
    } else if ((v = opt_value(argc, argv, &i, "--isa", &missing))) {
      if (parse_isa(v, &isa)) { free(images); return usage_error("unknown --isa '%s'", v); }
    } else if ((v = opt_value(argc, argv, &i, "--threshold", &missing))) {
      char *end;
      threshold = strtof(v, &end);
      if (end == v || *end) { free(images); return usage_error("bad --threshold '%s'", v); }
    } else if ((v = opt_value(argc, argv, &i, "--iou", &missing))) {
      char *end;
      max_iou = strtof(v, &end);
      if (end == v || *end || !(max_iou >= 0.0f && max_iou <= 1.0f)) {
        free(images);
        return usage_error("bad --iou '%s' (0..1)", v);
      }
    } else if ((v = opt_value(argc, argv, &i, "--tiles", &missing))) {
      if (parse_int_arg(v, 1, BNN_DETECT_MAX_TILES, &tiles)) {
        free(images);
        return usage_error("bad --tiles '%s' (1 to 4)", v);
      }
    } else if (strcmp(argv[i], "--flip") == 0) flip = 1;
    else if (strcmp(argv[i], "--bf16") == 0) bf16 = 1;
    else if (missing) {
      free(images);
      return usage_error("option %s needs a value", argv[i]);
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      free(images);
      return usage_error("unknown option '%s'", argv[i]);
    } else images[n_images++] = argv[i];
  }
  if (model_arg == NULL) { free(images); return usage_error("%s", "predict needs --model"); }
  if (n_images == 0) { free(images); return usage_error("%s", "predict needs at least one image"); }
  float box[4];
  if (box_arg) {
    char *p = (char *)box_arg, *end;
    for (int k = 0; k < 4; k++) {
      box[k] = strtof(p, &end);
      if (end == p || (k < 3 && *end != ',') || (k == 3 && *end != '\0') || !isfinite(box[k])) {
        free(images);
        return usage_error("bad --box '%s' (expected X,Y,W,H)", box_arg);
      }
      p = end + 1;
    }
    if (box[2] <= 0 || box[3] <= 0) { free(images); return usage_error("bad --box '%s' (W and H must be > 0)", box_arg); }
  }
  bnn_model *m = open_model(model_arg);
  if (m == NULL) { free(images); return 1; }
  const bnn_model_info *info = bnn_model_get_info(m);
  char err[BNN_ERR_LEN];
  bnn_net *net = bnn_net_create(m, threads, isa, err, sizeof err);
  if (net == NULL || (flip && bnn_net_set_flip_test(net, 1, err, sizeof err) != 0) ||
      (bf16 && bnn_net_set_bf16(net, 1, err, sizeof err) != 0)) {
    fprintf(stderr, "bnnlm: %s\n", err);
    bnn_net_free(net);
    bnn_model_free(m);
    free(images);
    return 1;
  }
  const int S = info->input_size;
  int rc = 0;
  uint8_t *classes = NULL;
  bnn_point *pts = calloc((size_t)info->n_points + 1, sizeof(bnn_point));
  enum { DETS_PER_CROP = 100 };
  bnn_detection dets[DETS_PER_CROP * BNN_DETECT_MAX_CROPS];
  for (int ii = 0; ii < n_images; ii++) {
    bnn_image img;
    if (bnn_image_load(images[ii], &img, err, sizeof err) != 0) {
      fprintf(stderr, "bnnlm: %s\n", err);
      rc = 1;
      continue;
    }
    bnn_crop crop = bnn_crop_for_box(img.w, img.h, box_arg ? box : NULL, info->crop_scale, S);
    bnn_preprocess_packed(m, img.rgb, img.w, img.h, (size_t)img.w * 3, BNN_PIX_RGB, &crop, bnn_net_input(net));
    bnn_net_run(net);
    printf("{\"image\": ");
    json_string(stdout, images[ii]);
    printf(", \"width\": %d, \"height\": %d, \"task\": ", img.w, img.h);
    json_string(stdout, info->task);
    printf(", \"model\": ");
    json_string(stdout, info->name);
    printf(", \"points\": [");
    int hi = bnn_net_find_output(net, BNN_OUT_HEATMAP);
    bnn_output o;
    if (hi >= 0 && pts) {
      bnn_net_output(net, hi, &o);
      bnn_decode_points(&o, info->output_stride, &crop, pts);
      for (int k = 0; k < o.c; k++)
        printf("%s[%.2f, %.2f, %.4f]", k ? ", " : "", json_num(pts[k].x), json_num(pts[k].y), json_num(pts[k].conf));
    }
    printf("], \"names\": [");
    for (int k = 0; k < info->n_points; k++) {
      if (k) printf(", ");
      json_string(stdout, info->point_names[k]);
    }
    printf("]");
    int si = bnn_net_find_output(net, BNN_OUT_SEGMENTATION);
    if (si >= 0) {
      bnn_net_output(net, si, &o);
      size_t plane = (size_t)o.w * o.h;
      if (classes == NULL) classes = malloc(plane);
      if (classes) {
        bnn_decode_classmap(&o, classes);
        size_t count[256] = {0};
        for (size_t i = 0; i < plane; i++) count[classes[i]]++;
        printf(", \"classes\": [");
        for (int c = 0; c < o.c; c++) {
          printf("%s{\"name\": ", c ? ", " : "");
          json_string(stdout, c < info->n_classes ? info->class_names[c] : "?");
          printf(", \"fraction\": %.4f}", (double)count[c] / (double)plane);
        }
        printf("]");
      }
    }
    int ci = bnn_net_find_output(net, BNN_OUT_DET_CENTER), zi = bnn_net_find_output(net, BNN_OUT_DET_SIZE),
        oi = bnn_net_find_output(net, BNN_OUT_DET_OFFSET);
    if (ci >= 0 && zi >= 0 && oi >= 0) {
      bnn_output oc, oz, oo;
      bnn_net_output(net, ci, &oc);
      bnn_net_output(net, zi, &oz);
      bnn_net_output(net, oi, &oo);
      int nd = bnn_decode_detections(&oc, &oz, &oo, info->output_stride, &crop, threshold, max_iou, dets,
                                     DETS_PER_CROP);
      if (tiles > 1 && !box_arg) { /* crop 0 (the whole frame) is the run above */
        bnn_crop tc[BNN_DETECT_MAX_CROPS];
        const int nc = bnn_detect_tile_crops(img.w, img.h, tiles, S, tc, BNN_DETECT_MAX_CROPS);
        for (int c = 1; c < nc; c++) {
          bnn_preprocess_packed(m, img.rgb, img.w, img.h, (size_t)img.w * 3, BNN_PIX_RGB, &tc[c],
                                bnn_net_input(net));
          bnn_net_run(net);
          const int k = bnn_decode_detections(&oc, &oz, &oo, info->output_stride, &tc[c], threshold, max_iou,
                                              dets + nd, DETS_PER_CROP);
          nd += bnn_tile_keep_detections(dets + nd, k, &tc[c], img.w, img.h);
        }
        nd = bnn_merge_detections(dets, nd, max_iou, DETS_PER_CROP);
      }
      printf(", \"detections\": [");
      for (int d = 0; d < nd; d++) {
        printf("%s{\"class\": ", d ? ", " : "");
        json_string(stdout, dets[d].cls < info->n_det_classes ? info->det_class_names[dets[d].cls] : "?");
        printf(", \"score\": %.4f, \"box\": [%.2f, %.2f, %.2f, %.2f]}", json_num(dets[d].score), json_num(dets[d].x),
               json_num(dets[d].y), json_num(dets[d].w), json_num(dets[d].h));
      }
      printf("]");
    }
    printf("}\n");
    fflush(stdout);
    bnn_image_free(&img);
  }
  free(classes);
  free(pts);
  bnn_net_free(net);
  bnn_model_free(m);
  free(images);
  return rc;
}

/* ------------------------------------------------------------------ bench */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int cmd_bench(int argc, char **argv) {
  const char *model_arg = NULL, *synth = NULL;
  int threads = 1, iters = 20, warmup = 3, json = 0, bf16 = 0;
  bnn_isa isa = BNN_ISA_AUTO;
  for (int i = 0; i < argc; i++) {
    int missing = 0;
    const char *v;
    if ((v = opt_value(argc, argv, &i, "--model", &missing))) model_arg = v;
    else if ((v = opt_value(argc, argv, &i, "--synthetic", &missing))) synth = v;
    else if ((v = opt_value(argc, argv, &i, "--threads", &missing))) {
      if (parse_int_arg(v, 1, 256, &threads)) return usage_error("bad --threads '%s'", v);
    } else if ((v = opt_value(argc, argv, &i, "--iters", &missing))) {
      if (parse_int_arg(v, 1, 100000, &iters)) return usage_error("bad --iters '%s'", v);
    } else if ((v = opt_value(argc, argv, &i, "--warmup", &missing))) {
      if (parse_int_arg(v, 0, 100000, &warmup)) return usage_error("bad --warmup '%s'", v);
    } else if ((v = opt_value(argc, argv, &i, "--isa", &missing))) {
      if (parse_isa(v, &isa)) return usage_error("unknown --isa '%s'", v);
    } else if (strcmp(argv[i], "--json") == 0) json = 1;
    else if (strcmp(argv[i], "--bf16") == 0) bf16 = 1;
    else if (missing) return usage_error("option %s needs a value", argv[i]);
    else return usage_error("unexpected argument '%s'", argv[i]);
  }
  if ((model_arg == NULL) == (synth == NULL)) return usage_error("%s", "bench needs exactly one of --model, --synthetic");
  bnn_model *m = NULL;
  char err[BNN_ERR_LEN];
  if (synth) {
    bnn_synth_params sp;
    if (bnn_synth_preset(synth, &sp) != 0) return usage_error("unknown synthetic model '%s' (paper256, paper128)", synth);
    unsigned char *data;
    size_t size;
    if (bnn_synth_model(&sp, &data, &size, err, sizeof err) != 0) {
      fprintf(stderr, "bnnlm: %s\n", err);
      return 1;
    }
    m = bnn_model_load_memory(data, size, synth, err, sizeof err);
    free(data);
    if (m == NULL) {
      fprintf(stderr, "bnnlm: generated model rejected: %s\n", err);
      return 1;
    }
  } else if ((m = open_model(model_arg)) == NULL) return 1;
  const bnn_model_info *info = bnn_model_get_info(m);
  bnn_net *net = bnn_net_create(m, threads, isa, err, sizeof err);
  if (net == NULL || (bf16 && bnn_net_set_bf16(net, 1, err, sizeof err) != 0)) {
    fprintf(stderr, "bnnlm: %s\n", err);
    bnn_net_free(net);
    bnn_model_free(m);
    return 1;
  }
  /* a deterministic smooth input in the normalised range */
  const int S = info->input_size;
  float *in = bnn_net_input(net);
  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++)
      for (int c = 0; c < 3; c++)
        in[((size_t)y * S + x) * 3 + c] = 0.5f + 0.4f * sinf(0.05f * (float)(x * (c + 1)) + 0.07f * (float)y);
  bnn_net_enable_timing(net, 1);
  const bnn_layer_stat *st;
  int nl = bnn_net_layer_stats(net, &st);
  double *lt = calloc((size_t)nl * iters + 1, sizeof(double)), *tot = calloc((size_t)iters, sizeof(double));
  double *tmp = calloc((size_t)iters, sizeof(double));
  if (!lt || !tot || !tmp) {
    fprintf(stderr, "bnnlm: out of memory\n");
    return 1;
  }
  for (int i = 0; i < warmup; i++) bnn_net_run(net);
  for (int i = 0; i < iters; i++) {
    double t0 = now_ms();
    bnn_net_run(net);
    tot[i] = now_ms() - t0;
    for (int l = 0; l < nl; l++) lt[(size_t)l * iters + i] = st[l].ms;
  }
  double ms_min = tot[0];
  for (int i = 1; i < iters; i++) ms_min = tot[i] < ms_min ? tot[i] : ms_min;
  double ms_med = median(tot, iters);
  const char *isa_name = bnn_isa_name(bnn_net_isa(net));
  const char *mname = synth ? synth : info->name;
  double gmacs = (double)info->binary_macs / (ms_med * 1e-3) / 1e9;
  printf("model %s (%s), input %dx%d, %d layers, %.3f G binary MACs, %.3f G real MACs, %.2f M params\n",
         mname, info->name, S, S, nl, info->binary_macs * 1e-9, info->real_macs * 1e-9, info->n_params * 1e-6);
  printf("isa %s%s, threads %d, %d iterations after %d warm-up runs, %.1f MiB allocated by the net\n\n", isa_name,
         bnn_net_bf16(net) ? " (bf16 stem and skips)" : "", threads, iters, warmup, bnn_net_memory_bytes(net) / 1048576.0);
  printf("%-36s %9s %9s %6s %9s\n", "layer", "ms(med)", "ms(min)", "%", "GMAC/s");
  double *lmed = calloc((size_t)nl + 1, sizeof(double));
  double kind_ms[6] = {0};
  static const char *const kinds[6] = {"", "CONV", "HPM", "MAXPOOL2", "UPADD", "HEAD"};
  for (int l = 0; l < nl && lmed; l++) {
    memcpy(tmp, lt + (size_t)l * iters, sizeof(double) * (size_t)iters);
    lmed[l] = median(tmp, iters); /* sorts tmp */
    double macs = (double)(st[l].binary_macs + st[l].real_macs);
    printf("%-36s %9.3f %9.3f %6.1f %9.1f\n", st[l].label, lmed[l], tmp[0], 100 * lmed[l] / ms_med,
           lmed[l] > 0 ? macs / (lmed[l] * 1e-3) / 1e9 : 0.0);
    for (int k = 1; k < 6; k++)
      if (strchr(st[l].label, ' ') && strncmp(strchr(st[l].label, ' ') + 1, kinds[k], strlen(kinds[k])) == 0 &&
          strchr(st[l].label, ' ')[1 + strlen(kinds[k])] == ' ')
        kind_ms[k] += lmed[l];
  }
  printf("\nby kind:");
  for (int k = 1; k < 6; k++) printf("  %s %.3f ms", kinds[k], kind_ms[k]);
  printf("\nwhole network: median %.3f ms, min %.3f ms, %.1f binary GMAC/s\n", ms_med, ms_min, gmacs);
  /* decoding the landmark heatmaps into points (per instance, after the network) */
  double dec_med = -1.0;
  int hi = bnn_net_find_output(net, BNN_OUT_HEATMAP);
  bnn_output ho;
  bnn_point *pts = NULL;
  if (hi >= 0 && bnn_net_output(net, hi, &ho) == 0 && (pts = malloc(sizeof *pts * (size_t)ho.c)) != NULL) {
    for (int i = 0; i < iters; i++) {
      double t0 = now_ms();
      bnn_decode_points(&ho, info->output_stride, NULL, pts);
      tmp[i] = now_ms() - t0;
    }
    dec_med = median(tmp, iters);
    printf("decoding %d points: median %.4f ms (%.1f %% of the network)\n", ho.c, dec_med, 100 * dec_med / ms_med);
  }
  free(pts);
  if (json) {
    printf("{\"model\": ");
    json_string(stdout, mname);
    printf(", \"isa\": \"%s\", \"bf16\": %s, \"threads\": %d, \"iters\": %d, \"input_size\": %d, \"ms_median\": %.4f, "
           "\"ms_min\": %.4f, \"decode_ms\": %.4f, \"binary_gmacs\": %.2f, \"binary_macs\": %llu, "
           "\"real_macs\": %llu, \"layers\": [",
           isa_name, bnn_net_bf16(net) ? "true" : "false", threads, iters, S, ms_med, ms_min, dec_med, gmacs, (unsigned long long)info->binary_macs,
           (unsigned long long)info->real_macs);
    for (int l = 0; l < nl && lmed; l++) {
      printf("%s{\"label\": ", l ? ", " : "");
      json_string(stdout, st[l].label);
      printf(", \"ms\": %.4f}", lmed[l]);
    }
    printf("]}\n");
  }
  free(lmed);
  free(lt);
  free(tot);
  free(tmp);
  bnn_net_free(net);
  bnn_model_free(m);
  return 0;
}

/* ------------------------------------------------------------------ info */

static void print_list(const char *key, int n, const char *const *names) {
  printf("%-14s %d:", key, n);
  for (int i = 0; i < n; i++) printf("%s%s", i ? "," : " ", names[i]);
  printf("\n");
}

static int cmd_info(int argc, char **argv) {
  if (argc != 1) return usage_error("%s", "info needs exactly one model");
  bnn_model *m = open_model(argv[0]);
  if (m == NULL) return 1;
  const bnn_model_info *in = bnn_model_get_info(m);
  printf("%-14s %s\n", "name", in->name);
  printf("%-14s %s\n", "task", in->task);
  printf("%-14s %d x %d RGB\n", "input", in->input_size, in->input_size);
  printf("%-14s %d\n", "output_stride", in->output_stride);
  printf("%-14s %g\n", "crop_scale", in->crop_scale);
  if (in->region_score >= 0) printf("%-14s %g\n", "region_score", in->region_score);
  printf("%-14s %g,%g,%g\n", "mean", in->mean[0], in->mean[1], in->mean[2]);
  printf("%-14s %g,%g,%g\n", "std", in->std[0], in->std[1], in->std[2]);
  if (in->n_points) print_list("points", in->n_points, in->point_names);
  if (in->n_skeleton) {
    printf("%-14s %d:", "skeleton", in->n_skeleton);
    for (int i = 0; i < in->n_skeleton; i++) printf("%s%d-%d", i ? "," : " ", in->skeleton[2 * i], in->skeleton[2 * i + 1]);
    printf("\n");
  }
  if (in->flip) {
    int pairs = 0;
    for (int i = 0; i < in->n_points; i++) pairs += in->flip[i] > i;
    printf("%-14s %d left/right pairs (flip test available)\n", "flip", pairs);
  }
  if (in->n_classes) print_list("classes", in->n_classes, in->class_names);
  if (in->n_det_classes) print_list("det_classes", in->n_det_classes, in->det_class_names);
  printf("%-14s %d\n", "outputs", in->n_outputs);
  printf("%-14s %.3f G binary, %.3f G real per frame\n", "MACs", in->binary_macs * 1e-9, in->real_macs * 1e-9);
  printf("%-14s %.3f M\n", "parameters", in->n_params * 1e-6);
  printf("%-14s %zu bytes (format version %d)\n", "file size", in->file_size, in->format_version);
  printf("%-14s %s\n", "license", in->license[0] ? in->license : "(none)");
  bnn_model_free(m);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fputs(usage_text, stderr);
    return 2;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "predict") == 0) return cmd_predict(argc - 2, argv + 2);
  if (strcmp(cmd, "bench") == 0) return cmd_bench(argc - 2, argv + 2);
  if (strcmp(cmd, "info") == 0) return cmd_info(argc - 2, argv + 2);
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  return usage_error("unknown command '%s'", cmd);
}
