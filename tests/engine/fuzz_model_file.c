/* fuzz_model_file.c: the libFuzzer target of the model loader: each input is loaded as is and
 * again with its header size and CRCs repaired (to reach the deeper checks); a model that loads
 * and is small is also built into a net, run and decoded. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bnnlm/bnnlm.h"
#include "crc32.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* Repair the file-size field and every CRC that can be located. */
static void repair(uint8_t *f, size_t size) {
  put32(f + 16, (uint32_t)size);
  put32(f + 20, (uint32_t)((uint64_t)size >> 32));
  put32(f + 28, bnn_crc32(0, f, 28));
  size_t off = 32;
  while (size - off >= 16) {
    uint64_t ps = 0;
    for (int i = 7; i >= 0; i--) ps = ps << 8 | f[off + 8 + i];
    if (ps > size - off - 16) break;
    put32(f + off + 4, bnn_crc32(0, f + off + 16, (size_t)ps));
    uint64_t padded = (ps + 15) & ~(uint64_t)15;
    if (padded > size - off - 16) break;
    off += 16 + (size_t)padded;
  }
}

static void exercise(const bnn_model *m) {
  const bnn_model_info *in = bnn_model_get_info(m);
  if (in->input_size > 128 || in->binary_macs + in->real_macs > 20000000ull) return;
  char err[BNN_ERR_LEN];
  bnn_net *n = bnn_net_create(m, 1, BNN_ISA_AUTO, err, sizeof err);
  if (n == NULL) return;
  float *x = bnn_net_input(n);
  size_t cnt = (size_t)in->input_size * in->input_size * 3;
  for (size_t i = 0; i < cnt; i++) x[i] = (float)(i % 13) * 0.1f - 0.5f;
  bnn_net_run(n);
  bnn_crop crop = bnn_crop_for_box(100, 80, NULL, in->crop_scale, in->input_size);
  for (int i = 0; i < in->n_outputs; i++) {
    bnn_output o;
    if (bnn_net_output(n, i, &o) != 0) abort();
    if (o.kind == BNN_OUT_HEATMAP) {
      bnn_point *p = malloc(sizeof(bnn_point) * (size_t)o.c);
      if (p) bnn_decode_points(&o, in->output_stride, &crop, p);
      free(p);
    } else if (o.kind == BNN_OUT_SEGMENTATION) {
      uint8_t *c = malloc((size_t)o.h * o.w);
      if (c) bnn_decode_classmap(&o, c);
      free(c);
    }
  }
  int ci = bnn_net_find_output(n, BNN_OUT_DET_CENTER), si = bnn_net_find_output(n, BNN_OUT_DET_SIZE),
      oi = bnn_net_find_output(n, BNN_OUT_DET_OFFSET);
  if (ci >= 0 && si >= 0 && oi >= 0) {
    bnn_output c, s, o;
    bnn_net_output(n, ci, &c);
    bnn_net_output(n, si, &s);
    bnn_net_output(n, oi, &o);
    bnn_detection d[16];
    bnn_decode_detections(&c, &s, &o, in->output_stride, &crop, 0.1f, 0.45f, d, 16);
  }
  bnn_net_free(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char err[BNN_ERR_LEN];
  bnn_model *m = bnn_model_load_memory(data, size, "fuzz", err, sizeof err);
  if (m) exercise(m);
  else if (strncmp(err, "fuzz: ", 6) != 0) abort(); /* every failure names the file */
  bnn_model_free(m);
  if (size < 32 || size > (1u << 22)) return 0;
  uint8_t *f = malloc(size);
  if (f == NULL) return 0;
  memcpy(f, data, size);
  repair(f, size);
  m = bnn_model_load_memory(f, size, "fuzz", err, sizeof err);
  if (m) exercise(m);
  bnn_model_free(m);
  free(f);
  return 0;
}
