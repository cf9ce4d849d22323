/* decode.c: network outputs -> results: landmark points (smoothed argmax + a Newton step,
 * through the crop to source coordinates), per-pixel class maps, CenterNet detections. */
#include <math.h>

#include "bnnlm/bnnlm.h"

static inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

/* input pixel-centre coordinate -> source pixel-centre coordinate */
static inline float to_src(float v_in, float origin, const bnn_crop *crop) {
  if (crop == NULL || crop->size <= 0) return v_in;
  return origin + (v_in + 0.5f) * crop->side / (float)crop->size - 0.5f;
}

/* Landmark points, distribution-aware (DARK: Zhang et al., "Distribution-Aware Coordinate
 * Representation for Human Pose Estimation", CVPR 2020): the probabilities sigmoid(logit) are
 * smoothed with the training targets' Gaussian (sigma 1 heatmap pixel, 7 taps, edge pixels
 * repeated); the smoothed map's argmax (first in raster order on ties) is the integer
 * position, and one Newton step on the smoothed map's logarithm gives the sub-pixel part,
 * at most half a pixel per axis (a Gaussian's log is a quadratic, so on a clean map the step
 * lands on the peak). Where the Hessian is not negative definite, or the argmax lies on the
 * map's border, the integer position stays. The smoothing also prefers a blob with mass over
 * a single noisy pixel. training/data.py decode_heatmaps is the same in torch. Maps larger
 * than DECODE_MAX_PLANE (none of the shipped models: theirs are 32 x 32) fall back to
 * argmax + a quarter-pixel shift toward the larger neighbour. */
#define BLUR_R 3
#define DECODE_MAX_W 128
#define DECODE_MAX_PLANE (64 * 64)

/* exp(-d^2 / 2) for d = -3..3, normalised to sum 1 */
static const float blur_taps[2 * BLUR_R + 1] = {0.004433048f, 0.054005583f, 0.242036229f, 0.399050280f,
                                                0.242036229f, 0.054005583f, 0.004433048f};

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/* Logits more than SMOOTH_RANGE below the plane's maximum count as probability 0 (at most
 * e^-10 of the peak's, they cannot move it; training/data.py does the same). */
#define SMOOTH_RANGE 10.0f

typedef struct {
  int x0, y0, x1, y1; /* inclusive */
} rect;

/* The smoothed probabilities of the cells of r (row-major, (x1-x0+1) per row) into out, from
 * the logits of a w x h plane, edges repeated; tmp holds the horizontal pass of the rows r
 * reaches. Only r's cells are computed, in the same order of operations as a whole-map pass,
 * so the values do not depend on r. */
static void smooth_rect(const float *logit, int w, int h, float floor_logit, rect r, float *tmp, float *out) {
  const int rw = r.x1 - r.x0 + 1;
  const int ty0 = clampi(r.y0 - BLUR_R, 0, h - 1), ty1 = clampi(r.y1 + BLUR_R, 0, h - 1);
  const int cx0 = clampi(r.x0 - BLUR_R, 0, w - 1), cx1 = clampi(r.x1 + BLUR_R, 0, w - 1);
  float row[DECODE_MAX_W + 2 * BLUR_R];
  for (int y = ty0; y <= ty1; y++) {
    const float *l = logit + (size_t)y * w;
    float *q = row + BLUR_R - r.x0; /* q[x]: column x, for x in x0 - BLUR_R .. x1 + BLUR_R */
    for (int x = cx0; x <= cx1; x++) q[x] = l[x] < floor_logit ? 0.0f : sigmoid(l[x]);
    for (int x = r.x0 - BLUR_R; x < cx0; x++) q[x] = q[cx0]; /* edges repeated */
    for (int x = cx1 + 1; x <= r.x1 + BLUR_R; x++) q[x] = q[cx1];
    float *t = tmp + (size_t)(y - ty0) * rw;
    for (int x = 0; x < rw; x++) {
      float acc = 0.0f;
      for (int d = 0; d <= 2 * BLUR_R; d++) acc += blur_taps[d] * row[x + d];
      t[x] = acc;
    }
  }
  for (int y = r.y0; y <= r.y1; y++) {
    float *o = out + (size_t)(y - r.y0) * rw;
    const float *t[2 * BLUR_R + 1];
    for (int d = 0; d <= 2 * BLUR_R; d++) t[d] = tmp + (size_t)(clampi(y + d - BLUR_R, 0, h - 1) - ty0) * rw;
    for (int x = 0; x < rw; x++) {
      float acc = 0.0f;
      for (int d = 0; d <= 2 * BLUR_R; d++) acc += blur_taps[d] * t[d][x];
      o[x] = acc;
    }
  }
}

static inline float log_floor(float v) { return logf(v > 1e-10f ? v : 1e-10f); }

/* sub-pixel position of the smoothed peak at (u, v) of a w x h map: one Newton step on the log
 * of m, the smoothed values of rect r (which holds the peak's 3 x 3 neighbourhood) */
static void newton_step(const float *m, rect r, int w, int h, int u, int v, float *px, float *py) {
  *px = (float)u, *py = (float)v;
  if (u < 1 || u > w - 2 || v < 1 || v > h - 2) return;
  const int rw = r.x1 - r.x0 + 1;
  const float *c = m + (size_t)(v - r.y0) * rw + (u - r.x0);
  const float l0 = log_floor(c[0]), lr = log_floor(c[1]), ll = log_floor(c[-1]);
  const float ld = log_floor(c[rw]), lu = log_floor(c[-rw]);
  const float dx = 0.5f * (lr - ll), dy = 0.5f * (ld - lu);
  const float dxx = lr - 2.0f * l0 + ll, dyy = ld - 2.0f * l0 + lu;
  const float dxy =
      0.25f * (log_floor(c[rw + 1]) - log_floor(c[rw - 1]) - log_floor(c[-rw + 1]) + log_floor(c[-rw - 1]));
  const float det = dxx * dyy - dxy * dxy;
  if (!(det > 1e-12f && dxx < 0.0f)) return;
  float ox = -(dyy * dx - dxy * dy) / det, oy = -(dxx * dy - dxy * dx) / det;
  *px += fminf(fmaxf(ox, -0.5f), 0.5f);
  *py += fminf(fmaxf(oy, -0.5f), 0.5f);
}

/* The smoothed map's argmax (first in raster order on ties) and its Newton step, computing
 * the smoothed map only where its maximum can be: the smoothing weights sum to 1, so a cell's
 * smoothed value is at most the largest probability within BLUR_R of it, and the maximum is
 * at least tau, the smoothed value at the raw argmax; so only cells within BLUR_R of a "hot"
 * cell (probability >= tau) can hold it. Usually a few dozen cells instead of the map. */
static void smoothed_peak(const float *p, int w, int h, const float *row_max, size_t raw_best, float peak_logit,
                          float *tmp, float *sm, float *px, float *py) {
  const float floor_logit = peak_logit - SMOOTH_RANGE;
  const int bu = (int)(raw_best % (size_t)w), bv = (int)(raw_best / (size_t)w);
  float tau;
  smooth_rect(p, w, h, floor_logit, (rect){bu, bv, bu, bv}, tmp, &tau);
  /* hot: sigmoid(l) >= tau, i.e. l >= logit(tau) (tau > 0: the raw peak is in range) */
  float hot = logf(tau) - log1pf(-tau) - 1e-3f; /* a little low, against rounding */
  if (tau >= 1.0f) hot = 15.0f; /* sigmoid is 1.0f only above 16.6 */
  rect r = {bu, bv, bu, bv}; /* the raw peak is hot; grown to every hot cell */
  for (int y = 0; y < h; y++) {
    if (row_max[y] < hot) continue;
    const float *l = p + (size_t)y * w;
    for (int x = 0; x < w; x++)
      if (l[x] >= hot) {
        r.x0 = x < r.x0 ? x : r.x0, r.x1 = x > r.x1 ? x : r.x1;
        r.y0 = y < r.y0 ? y : r.y0, r.y1 = y > r.y1 ? y : r.y1;
      }
  }
  /* candidates within BLUR_R of a hot cell, plus one for the Newton step's neighbours */
  rect c = {clampi(r.x0 - BLUR_R, 0, w - 1), clampi(r.y0 - BLUR_R, 0, h - 1), clampi(r.x1 + BLUR_R, 0, w - 1),
            clampi(r.y1 + BLUR_R, 0, h - 1)};
  rect e = {clampi(c.x0 - 1, 0, w - 1), clampi(c.y0 - 1, 0, h - 1), clampi(c.x1 + 1, 0, w - 1),
            clampi(c.y1 + 1, 0, h - 1)};
  smooth_rect(p, w, h, floor_logit, e, tmp, sm);
  const int ew = e.x1 - e.x0 + 1;
  int su = c.x0, sv = c.y0;
  float sbest = -1.0f;
  for (int y = c.y0; y <= c.y1; y++)
    for (int x = c.x0; x <= c.x1; x++) {
      const float v = sm[(size_t)(y - e.y0) * ew + (x - e.x0)];
      if (v > sbest) sbest = v, su = x, sv = y;
    }
  newton_step(sm, e, w, h, su, sv, px, py);
}

/* max of l[0..n), -INFINITY if none is larger (NaNs are skipped): eight independent lanes,
 * which the compiler turns into vector max instructions */
static float row_maximum(const float *l, int n) {
  float m[8] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY, -INFINITY};
  int x = 0;
  for (; x + 8 <= n; x += 8)
    for (int j = 0; j < 8; j++) m[j] = l[x + j] > m[j] ? l[x + j] : m[j];
  for (; x < n; x++) m[0] = l[x] > m[0] ? l[x] : m[0];
  for (int j = 1; j < 8; j++) m[0] = m[j] > m[0] ? m[j] : m[0];
  return m[0];
}

/* argmax + a quarter-pixel shift toward the larger neighbour (maps too large to smooth) */
static void quarter_step(const float *p, int w, int h, size_t best, float *px, float *py) {
  const int u = (int)(best % (size_t)w), v = (int)(best / (size_t)w);
  *px = (float)u, *py = (float)v;
  if (u > 0 && u < w - 1) {
    float d = p[best + 1] - p[best - 1];
    *px += d > 0 ? 0.25f : d < 0 ? -0.25f : 0.0f;
  }
  if (v > 0 && v < h - 1) {
    float d = p[best + (size_t)w] - p[best - (size_t)w];
    *py += d > 0 ? 0.25f : d < 0 ? -0.25f : 0.0f;
  }
}

void bnn_decode_points(const bnn_output *heat, int stride, const bnn_crop *crop, bnn_point *out) {
  const int w = heat->w, h = heat->h;
  const size_t plane = (size_t)w * h;
  const int smooth = w <= DECODE_MAX_W && plane <= DECODE_MAX_PLANE;
  float tmp[DECODE_MAX_PLANE], sm[DECODE_MAX_PLANE], row_max[DECODE_MAX_PLANE];
  for (int k = 0; k < heat->c; k++) {
    const float *p = heat->data + (size_t)k * plane;
    size_t best = 0;
    float bv = -INFINITY, px, py;
    if (smooth) {
      for (int y = 0; y < h; y++) { /* the raw argmax, and each row's maximum */
        const float *l = p + (size_t)y * w;
        const float m = row_maximum(l, w);
        row_max[y] = m;
        if (m > bv) {
          bv = m;
          for (int x = 0; x < w; x++)
            if (l[x] == m) {
              best = (size_t)y * w + (size_t)x;
              break;
            }
        }
      }
      smoothed_peak(p, w, h, row_max, best, bv, tmp, sm, &px, &py);
    } else {
      for (size_t i = 0; i < plane; i++)
        if (p[i] > bv) {
          bv = p[i];
          best = i;
        }
      quarter_step(p, w, h, best, &px, &py);
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
