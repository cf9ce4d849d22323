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

int bnn_decode_detections(const bnn_output *center, const bnn_output *size, const bnn_output *offset,
                          int stride, const bnn_crop *crop, float threshold, bnn_detection *out,
                          int max_det) {
  if (max_det <= 0 || center == NULL || size == NULL || offset == NULL) return 0;
  const int w = center->w, h = center->h;
  const size_t plane = (size_t)w * h;
  if (size->w != w || size->h != h || offset->w != w || offset->h != h || size->c < 2 || offset->c < 2)
    return 0;
  const float scale = crop && crop->size > 0 ? crop->side / (float)crop->size : 1.0f;
  const float half = (float)(stride - 1) * 0.5f;
  int n = 0;
  for (int c = 0; c < center->c; c++) {
    const float *p = center->data + (size_t)c * plane;
    for (int v = 0; v < h; v++)
      for (int u = 0; u < w; u++) {
        const float L = p[(size_t)v * w + u];
        if (!(L == L)) continue;
        int peak = 1;
        for (int dy = -1; dy <= 1 && peak; dy++)
          for (int dx = -1; dx <= 1; dx++) {
            int yy = v + dy, xx = u + dx;
            if ((dx || dy) && yy >= 0 && yy < h && xx >= 0 && xx < w && p[(size_t)yy * w + xx] > L) {
              peak = 0;
              break;
            }
          }
        if (!peak) continue;
        const float score = sigmoid(L);
        if (!(score >= threshold)) continue;
        if (n == max_det && score <= out[n - 1].score) continue;
        /* insert, best first (ties: earlier stays first) */
        int pos = n < max_det ? n : max_det - 1;
        while (pos > 0 && out[pos - 1].score < score) {
          if (pos < max_det) out[pos] = out[pos - 1];
          pos--;
        }
        const size_t i = (size_t)v * w + u;
        float bw = size->data[i], bh = size->data[plane + i];
        bw = bw > 0 ? bw : 0.0f;
        bh = bh > 0 ? bh : 0.0f;
        const float cx_in = (float)stride * ((float)u + offset->data[i]) + half;
        const float cy_in = (float)stride * ((float)v + offset->data[plane + i]) + half;
        const float cx = to_src(cx_in, crop ? crop->x0 : 0, crop), cy = to_src(cy_in, crop ? crop->y0 : 0, crop);
        const float sw = bw * (float)stride * scale, sh = bh * (float)stride * scale;
        bnn_detection d = {c, score, cx + 0.5f - sw * 0.5f, cy + 0.5f - sh * 0.5f, sw, sh};
        out[pos] = d;
        if (n < max_det) n++;
      }
  }
  return n;
}
