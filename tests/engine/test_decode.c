/* test_decode.c: decoding on synthetic outputs with known answers: smoothed argmax + Newton
 * step (and the quarter-pixel fallback of large maps), the crop mapping to source coordinates,
 * class maps, CenterNet detections and their same-class overlap suppression (against a
 * brute-force sort-then-suppress). */
#include <math.h>

#include "test_util.h"

static int near(float a, float b) { return fabsf(a - b) < 1e-4f; }

/* logits of p(x, y) = 0.9 exp(-((x - cx)^2 + (y - cy)^2) / 2) on a W x H map, floor 1e-4 */
static void gaussian_logits(float *d, int w, int h, float cx, float cy) {
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) {
      float p = 0.9f * expf(-((x - cx) * (x - cx) + (y - cy) * (y - cy)) / 2.0f) + 1e-4f;
      d[y * w + x] = logf(p / (1.0f - p));
    }
}

static void test_points(void) {
  enum { K = 5, H = 16, W = 16 };
  static float d[K * H * W];
  for (int i = 0; i < K * H * W; i++) d[i] = -5.0f;
  float *p0 = d, *p1 = d + H * W, *p2 = d + 2 * H * W, *p3 = d + 3 * H * W, *p4 = d + 4 * H * W;
  /* 0: a Gaussian blob centred between pixels: the Newton step finds the centre to a few
   * hundredths of a pixel (argmax + quarter shift would be 0.2 off on x) */
  gaussian_logits(p0, W, H, 5.45f, 7.8f);
  /* 1: peak on the border (u 0, v 15): no shift on either axis */
  p1[15 * W + 0] = 1.0f, p1[15 * W + 1] = 0.5f, p1[14 * W + 0] = 0.9f;
  /* 2: a symmetric plus-shaped peak: the centre exactly */
  p2[3 * W + 9] = 2.0f, p2[3 * W + 8] = 0.0f, p2[3 * W + 10] = 0.0f, p2[2 * W + 9] = 0.0f, p2[4 * W + 9] = 0.0f;
  /* 3: two equal maxima: the first in raster order wins */
  p3[5 * W + 5] = 4.0f, p3[10 * W + 10] = 4.0f;
  /* 4: a lone spike (the raw argmax) loses to a broad blob with more mass */
  gaussian_logits(p4, W, H, 10.0f, 4.0f);
  p4[12 * W + 3] = 4.0f;
  bnn_output o = {BNN_OUT_HEATMAP, K, H, W, d};
  bnn_point pt[K];
  /* no crop: input coordinates, stride 4: u -> 4u + 1.5 */
  bnn_decode_points(&o, 4, NULL, pt);
  CHECK(fabsf(pt[0].x - (4 * 5.45f + 1.5f)) < 0.1f && fabsf(pt[0].y - (4 * 7.8f + 1.5f)) < 0.1f, "p0 %g %g", pt[0].x,
        pt[0].y);
  /* conf: sigmoid of the raw peak logit, at the pixel (5, 8) nearest the centre */
  CHECK(fabsf(pt[0].conf - (0.9f * expf(-(0.45f * 0.45f + 0.2f * 0.2f) / 2) + 1e-4f)) < 1e-4f, "p0 conf %g", pt[0].conf);
  CHECK(near(pt[1].x, 1.5f) && near(pt[1].y, 4 * 15 + 1.5f), "p1 %g %g", pt[1].x, pt[1].y);
  CHECK(near(pt[2].x, 4 * 9 + 1.5f) && near(pt[2].y, 4 * 3 + 1.5f), "p2 %g %g", pt[2].x, pt[2].y);
  CHECK(near(pt[2].conf, 1.0f / (1.0f + expf(-2.0f))), "p2 conf %g", pt[2].conf);
  CHECK(near(pt[3].x, 4 * 5 + 1.5f) && near(pt[3].y, 4 * 5 + 1.5f), "p3 %g %g", pt[3].x, pt[3].y);
  CHECK(fabsf(pt[4].x - (4 * 10 + 1.5f)) < 0.1f && fabsf(pt[4].y - (4 * 4 + 1.5f)) < 0.1f, "p4 %g %g", pt[4].x,
        pt[4].y);
  CHECK(near(pt[4].conf, 1.0f / (1.0f + expf(-4.0f))), "p4 conf (the raw peak) %g", pt[4].conf);
  /* a map too large to smooth (128 x 128): argmax + quarter-pixel shift */
  enum { L = 128 };
  static float big[L * L];
  for (int i = 0; i < L * L; i++) big[i] = -5.0f;
  big[40 * L + 70] = 3.0f, big[40 * L + 71] = 1.0f, big[41 * L + 70] = -6.0f;
  bnn_output ob = {BNN_OUT_HEATMAP, 1, L, L, big};
  bnn_decode_points(&ob, 4, NULL, pt);
  CHECK(near(pt[0].x, 4 * 70.25f + 1.5f) && near(pt[0].y, 4 * 39.75f + 1.5f), "large map %g %g", pt[0].x, pt[0].y);
  bnn_decode_points(&o, 4, NULL, pt);
  /* through a crop: S = 64 input pixels cover side 128 source pixels from (100, 50):
   * x_src = x0 + (x_in + 0.5) * side / S - 0.5 */
  bnn_crop crop = {100.0f, 50.0f, 128.0f, 64};
  bnn_decode_points(&o, 4, &crop, pt);
  CHECK(near(pt[2].x, 100 + (37.5f + 0.5f) * 2 - 0.5f) && near(pt[2].y, 50 + (13.5f + 0.5f) * 2 - 0.5f),
        "p2 through crop %g %g", pt[2].x, pt[2].y);
  /* the crop of a box, then back: a heatmap peak at the centre pixel of an odd-sized map
   * lands on the box centre */
  float box[4] = {40, 30, 60, 80};
  crop = bnn_crop_for_box(640, 480, box, 1.25f, 64);
  static float c[1 * 16 * 16];
  for (int i = 0; i < 256; i++) c[i] = 0;
  c[8 * 16 + 8] = 1; /* heatmap pixel 8 of 16 covers input pixels 32..35: centre 33.5 */
  bnn_output oc = {BNN_OUT_HEATMAP, 1, 16, 16, c};
  bnn_decode_points(&oc, 4, &crop, pt);
  float exp_x = crop.x0 + (33.5f + 0.5f) * crop.side / 64 - 0.5f;
  CHECK(near(pt[0].x, exp_x), "box point x %g, expected %g", pt[0].x, exp_x);
  CHECK(fabsf(crop.side - 100.0f) < 1e-4f && fabsf(crop.x0 - 20.0f) < 1e-4f && fabsf(crop.y0 - 20.0f) < 1e-4f,
        "crop %g %g %g", crop.x0, crop.y0, crop.side);
}

static void test_classmap(void) {
  enum { C = 3, H = 2, W = 3 };
  float d[C * H * W] = {
      /* class 0 */ 1, 0, 0, 0, 5, -1,
      /* class 1 */ 0, 2, 0, 0, 5, -2,
      /* class 2 */ 0, 0, 3, 1, 4, -0.5f,
  };
  bnn_output o = {BNN_OUT_SEGMENTATION, C, H, W, d};
  uint8_t cls[H * W];
  bnn_decode_classmap(&o, cls);
  const uint8_t want[H * W] = {0, 1, 2, 2, 0, 2}; /* tie 5/5: the lower class */
  CHECK(memcmp(cls, want, sizeof want) == 0, "class map %d %d %d %d %d %d", cls[0], cls[1], cls[2], cls[3], cls[4], cls[5]);
}

static void test_detections(void) {
  enum { C = 2, H = 16, W = 16 };
  static float ctr[C * H * W], sz[2 * H * W], off[2 * H * W];
  for (int i = 0; i < C * H * W; i++) ctr[i] = -10;
  for (int i = 0; i < 2 * H * W; i++) sz[i] = off[i] = 0;
  float *c0 = ctr, *c1 = ctr + H * W;
  c0[4 * W + 3] = 2.0f;                       /* class 0 at (u 3, v 4) */
  c1[10 * W + 10] = 1.0f, c1[10 * W + 11] = 0.5f; /* class 1 at (10, 10); (11, 10) is no peak */
  c1[1 * W + 14] = -3.0f;                     /* a peak below the threshold */
  sz[4 * W + 3] = 2.0f, sz[H * W + 4 * W + 3] = 3.0f;     /* w 2, h 3 output pixels */
  off[4 * W + 3] = 0.5f, off[H * W + 4 * W + 3] = -0.25f; /* dx, dy */
  sz[10 * W + 10] = 1.0f, sz[H * W + 10 * W + 10] = 1.0f;
  bnn_output oc = {BNN_OUT_DET_CENTER, C, H, W, ctr}, os = {BNN_OUT_DET_SIZE, 2, H, W, sz},
             oo = {BNN_OUT_DET_OFFSET, 2, H, W, off};
  bnn_detection d[8];
  int n = bnn_decode_detections(&oc, &os, &oo, 4, NULL, 0.3f, 1.0f, d, 8);
  CHECK(n == 2, "%d detections", n);
  if (n >= 2) {
    CHECK(d[0].cls == 0 && d[1].cls == 1 && d[0].score > d[1].score, "order");
    CHECK(near(d[0].score, 1.0f / (1.0f + expf(-2.0f))), "score %g", d[0].score);
    /* centre: input x 4 * 3.5 + 1.5 = 15.5, y 4 * 3.75 + 1.5 = 16.5; size 8 x 12 input pixels;
     * edges: centre + 0.5 - size / 2 */
    CHECK(near(d[0].x, 12.0f) && near(d[0].y, 11.0f) && near(d[0].w, 8.0f) && near(d[0].h, 12.0f),
          "box %g %g %g %g", d[0].x, d[0].y, d[0].w, d[0].h);
  }
  /* through a crop: scale 2 */
  bnn_crop crop = {10.0f, 20.0f, 128.0f, 64};
  n = bnn_decode_detections(&oc, &os, &oo, 4, &crop, 0.3f, 1.0f, d, 1);
  CHECK(n == 1 && d[0].cls == 0, "max_det 1: %d", n);
  if (n == 1) {
    float cx = 10 + (15.5f + 0.5f) * 2 - 0.5f;
    CHECK(near(d[0].x, cx + 0.5f - 8.0f) && near(d[0].w, 16.0f) && near(d[0].h, 24.0f), "cropped box %g %g %g",
          d[0].x, d[0].w, d[0].h);
  }
  /* a lower threshold finds the third peak; max_det 0 finds nothing */
  n = bnn_decode_detections(&oc, &os, &oo, 4, NULL, 0.01f, 1.0f, d, 8);
  CHECK(n == 3 && d[2].cls == 1, "threshold 0.01: %d", n);
  CHECK(bnn_decode_detections(&oc, &os, &oo, 4, NULL, 0.3f, 1.0f, d, 0) == 0, "max_det 0");
}

/* two overlapping peaks of one class, one of the other class on top of them */
static void test_suppression(void) {
  enum { C = 2, H = 16, W = 16 };
  static float ctr[C * H * W], sz[2 * H * W], off[2 * H * W];
  for (int i = 0; i < C * H * W; i++) ctr[i] = -10;
  for (int i = 0; i < 2 * H * W; i++) sz[i] = 4.0f, off[i] = 0.0f; /* 4 x 4 cells everywhere */
  float *c0 = ctr, *c1 = ctr + H * W;
  c0[5 * W + 5] = 2.0f, c0[5 * W + 7] = 1.0f; /* boxes 2 cells apart: IoU 2/6 = 1/3 */
  c0[12 * W + 12] = 1.5f;                    /* far away */
  c1[5 * W + 6] = 0.5f;                      /* other class, overlapping both */
  bnn_output oc = {BNN_OUT_DET_CENTER, C, H, W, ctr}, os = {BNN_OUT_DET_SIZE, 2, H, W, sz},
             oo = {BNN_OUT_DET_OFFSET, 2, H, W, off};
  bnn_detection d[8];
  int n = bnn_decode_detections(&oc, &os, &oo, 4, NULL, 0.3f, 1.0f, d, 8);
  CHECK(n == 4, "no suppression: %d", n);
  CHECK(near(bnn_detection_iou(&d[0], &d[2]), 1.0f / 3.0f), "iou %g", bnn_detection_iou(&d[0], &d[2]));
  n = bnn_decode_detections(&oc, &os, &oo, 4, NULL, 0.3f, 0.3f, d, 8);
  CHECK(n == 3, "iou 0.3: %d", n);
  if (n == 3) /* the weaker overlapping class-0 box is gone; class 1 stays */
    CHECK(d[0].score > d[1].score && d[1].score > d[2].score && d[2].cls == 1 &&
              near(d[1].x, 4 * 12.0f + 1.5f + 0.5f - 8.0f),
          "kept %d %d %d", d[0].cls, d[1].cls, d[2].cls);
  n = bnn_decode_detections(&oc, &os, &oo, 4, NULL, 0.3f, 0.3f, d, 2);
  CHECK(n == 2 && d[1].cls == 0 && d[1].score < d[0].score, "max_det 2 after suppression: %d", n);
  bnn_detection a = {0, 1, 0, 0, 10, 10}, b = {0, 1, 20, 0, 10, 10}, e = {0, 1, 5, 5, 0, 0};
  CHECK(bnn_detection_iou(&a, &b) == 0.0f && bnn_detection_iou(&a, &e) == 0.0f && bnn_detection_iou(&a, &a) == 1.0f,
        "iou edge cases");
}

/* random maps (with ties and plateaus): the one-scan-per-round decoding equals
 * collect-every-peak, sort by (score desc, index asc), suppress greedily */
static void test_suppression_random(void) {
  enum { C = 2, H = 12, W = 10, P = H * W, MAXD = 20 };
  static float ctr[C * P], sz[2 * P], off[2 * P];
  unsigned seed = 7;
  for (int round = 0; round < 200; round++) {
    for (int i = 0; i < C * P; i++) {
      seed = seed * 1103515245u + 12345u;
      ctr[i] = (float)((seed >> 16) % 9) - 4.0f; /* few levels: many ties */
    }
    for (int i = 0; i < 2 * P; i++) {
      seed = seed * 1103515245u + 12345u;
      sz[i] = (float)((seed >> 16) % 50) / 10.0f;
      off[i] = 0.0f;
    }
    bnn_output oc = {BNN_OUT_DET_CENTER, C, H, W, ctr}, os = {BNN_OUT_DET_SIZE, 2, H, W, sz},
               oo = {BNN_OUT_DET_OFFSET, 2, H, W, off};
    const float thr = 0.2f, iou = (round % 3) * 0.3f + 0.1f;
    const int maxd = round % 2 ? MAXD : 5;
    bnn_detection got[MAXD], all[C * P], want[MAXD];
    const int n = bnn_decode_detections(&oc, &os, &oo, 4, NULL, thr, iou, got, maxd);
    /* every peak, no suppression, no cap: already (score desc, index asc) sorted */
    const int na = bnn_decode_detections(&oc, &os, &oo, 4, NULL, thr, 1.0f, all, C * P);
    int nw = 0;
    for (int i = 0; i < na && nw < maxd; i++) {
      int sup = 0;
      for (int k = 0; k < nw && !sup; k++) sup = want[k].cls == all[i].cls && bnn_detection_iou(&want[k], &all[i]) > iou;
      if (!sup) want[nw++] = all[i];
    }
    int same = n == nw;
    for (int i = 0; same && i < n; i++) same = memcmp(&got[i], &want[i], sizeof got[i]) == 0;
    CHECK(same, "round %d: %d vs %d boxes", round, n, nw);
    for (int i = 1; i < na; i++) CHECK(all[i - 1].score >= all[i].score, "round %d: order", round);
  }
}

int main(void) {
  test_points();
  test_classmap();
  test_detections();
  test_suppression();
  test_suppression_random();
  return test_result("test_decode");
}
