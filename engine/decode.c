/* decode.c: network outputs -> results: landmark points (argmax + quarter-pixel shift, through
 * the crop to source coordinates), per-pixel class maps, CenterNet detections. */
#include <math.h>

#include "bnnlm/bnnlm.h"

static inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* input pixel-centre coordinate -> source pixel-centre coordinate */
static inline float to_src(float v_in, float origin, const bnn_crop *crop) {
  if (crop == NULL || crop->size <= 0) return v_in;
  return origin + (v_in + 0.5f) * crop->side / (float)crop->size - 0.5f;
}

void bnn_decode_points(const bnn_output *heat, int stride, const bnn_crop *crop, bnn_point *out) {
  const int w = heat->w, h = heat->h;
  const size_t plane = (size_t)w * h;
  for (int k = 0; k < heat->c; k++) {
    const float *p = heat->data + (size_t)k * plane;
    size_t best = 0;
    float bv = -INFINITY;
    for (size_t i = 0; i < plane; i++)
      if (p[i] > bv) {
        bv = p[i];
        best = i;
      }
    const int u = (int)(best % (size_t)w), v = (int)(best / (size_t)w);
    float px = (float)u, py = (float)v;
    if (u > 0 && u < w - 1) {
      float d = p[best + 1] - p[best - 1];
      px += d > 0 ? 0.25f : d < 0 ? -0.25f : 0.0f;
    }
    if (v > 0 && v < h - 1) {
      float d = p[best + (size_t)w] - p[best - (size_t)w];
      py += d > 0 ? 0.25f : d < 0 ? -0.25f : 0.0f;
    }
    const float half = (float)(stride - 1) * 0.5f;
    out[k].x = to_src((float)stride * px + half, crop ? crop->x0 : 0, crop);
    out[k].y = to_src((float)stride * py + half, crop ? crop->y0 : 0, crop);
    out[k].conf = bv == -INFINITY ? 0.0f : sigmoid(bv);
  }
}

void bnn_decode_classmap(const bnn_output *seg, uint8_t *classes) {
  const size_t plane = (size_t)seg->w * seg->h;
  for (size_t i = 0; i < plane; i++) {
    int best = 0;
    float bv = seg->data[i];
    for (int c = 1; c < seg->c; c++) {
      float v = seg->data[(size_t)c * plane + i];
      if (v > bv || (bv != bv && v == v)) {
        bv = v;
        best = c;
      }
    }
    classes[i] = (uint8_t)best;
  }
}

/* box of the candidate at (c, u, v) in source pixels */
static bnn_detection det_at(const bnn_output *size, const bnn_output *offset, int stride, const bnn_crop *crop,
                            int c, int u, int v, float score) {
  const int w = size->w;
  const size_t plane = (size_t)w * size->h, i = (size_t)v * w + u;
  const float scale = crop && crop->size > 0 ? crop->side / (float)crop->size : 1.0f;
  const float half = (float)(stride - 1) * 0.5f;
  float bw = size->data[i], bh = size->data[plane + i];
  bw = bw > 0 ? bw : 0.0f;
  bh = bh > 0 ? bh : 0.0f;
  const float cx_in = (float)stride * ((float)u + offset->data[i]) + half;
  const float cy_in = (float)stride * ((float)v + offset->data[plane + i]) + half;
  const float cx = to_src(cx_in, crop ? crop->x0 : 0, crop), cy = to_src(cy_in, crop ? crop->y0 : 0, crop);
  const float sw = bw * (float)stride * scale, sh = bh * (float)stride * scale;
  bnn_detection d = {c, score, cx + 0.5f - sw * 0.5f, cy + 0.5f - sh * 0.5f, sw, sh};
  return d;
}

float bnn_box_iou(const float a[4], const float b[4]) {
  const float ix = fminf(a[0] + a[2], b[0] + b[2]) - fmaxf(a[0], b[0]);
  const float iy = fminf(a[1] + a[3], b[1] + b[3]) - fmaxf(a[1], b[1]);
  if (!(ix > 0) || !(iy > 0)) return 0.0f;
  const float inter = ix * iy, uni = a[2] * a[3] + b[2] * b[3] - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

float bnn_detection_iou(const bnn_detection *a, const bnn_detection *b) {
  const float ba[4] = {a->x, a->y, a->w, a->h}, bb[4] = {b->x, b->y, b->w, b->h};
  return bnn_box_iou(ba, bb);
}

static int is_peak(const float *p, int w, int h, int u, int v, float L) {
  for (int dy = -1; dy <= 1; dy++)
    for (int dx = -1; dx <= 1; dx++) {
      const int yy = v + dy, xx = u + dx;
      if ((dx || dy) && yy >= 0 && yy < h && xx >= 0 && xx < w && p[(size_t)yy * w + xx] > L) return 0;
    }
  return 1;
}

/* Greedy NMS without a candidate buffer (no per-frame allocation): round k picks the best
 * peak, in the order (score descending, map index ascending), that comes after round k-1's
 * pick and overlaps no kept box of its class by more than max_iou. A peak suppressed once
 * stays suppressed (kept boxes only accumulate), so this equals sort-then-suppress. Each
 * round is one scan of the maps; the rounds stop at max_det or when nothing is left. */
int bnn_decode_detections(const bnn_output *center, const bnn_output *size, const bnn_output *offset,
                          int stride, const bnn_crop *crop, float threshold, float max_iou, bnn_detection *out,
                          int max_det) {
  if (max_det <= 0 || center == NULL || size == NULL || offset == NULL) return 0;
  const int w = center->w, h = center->h;
  const size_t plane = (size_t)w * h;
  if (size->w != w || size->h != h || offset->w != w || offset->h != h || size->c < 2 || offset->c < 2)
    return 0;
  /* sigmoid is monotonic: logits well under the threshold's logit skip the expf */
  const float L_skip = threshold <= 0.0f ? -INFINITY
                       : threshold >= 1.0f ? INFINITY
                                           : logf(threshold / (1.0f - threshold)) - 1e-3f;
  int n = 0;
  float last_L = INFINITY;
  size_t last_i = 0; /* map index (class plane included) of the last pick */
  int have_last = 0;
  while (n < max_det) {
    int best_c = -1, best_u = 0, best_v = 0;
    float best_L = -INFINITY;
    bnn_detection best = {0};
    for (int c = 0; c < center->c; c++) {
      const float *p = center->data + (size_t)c * plane;
      for (int v = 0; v < h; v++)
        for (int u = 0; u < w; u++) {
          const size_t i = (size_t)v * w + u, gi = (size_t)c * plane + i;
          const float L = p[i];
          if (!(L == L) || L < L_skip) continue;
          /* after the last pick in (L desc, index asc) order, better than this round's best */
          if (have_last && (L > last_L || (L == last_L && gi <= last_i))) continue;
          if (best_c >= 0 && !(L > best_L)) continue; /* equal L: the earlier index stays */
          if (!(sigmoid(L) >= threshold)) continue;
          if (!is_peak(p, w, h, u, v, L)) continue;
          const bnn_detection d = det_at(size, offset, stride, crop, c, u, v, 0.0f);
          int suppressed = 0;
          for (int k = 0; k < n && !suppressed; k++)
            suppressed = out[k].cls == c && bnn_detection_iou(&out[k], &d) > max_iou;
          if (suppressed) continue;
          best_c = c, best_u = u, best_v = v, best_L = L, best = d;
        }
    }
    if (best_c < 0) break;
    best.score = sigmoid(best_L);
    out[n++] = best;
    last_L = best_L;
    last_i = (size_t)best_c * plane + (size_t)best_v * w + best_u;
    have_last = 1;
  }
  return n;
}
