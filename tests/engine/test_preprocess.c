/* test_preprocess.c: crop geometry, bilinear sampling positions, black outside the image, mean/std
 * normalisation, and every pixel format agreeing with packed RGB on one synthetic image. */
#include <math.h>

#include "model.h"
#include "test_util.h"

enum { IW = 37, IH = 29 };

static float maxdiff(const float *a, const float *b, size_t n) {
  float m = 0;
  for (size_t i = 0; i < n; i++) m = fmaxf(m, fabsf(a[i] - b[i]));
  return m;
}

/* BT.601 limited range, the inverse of the engine's conversion */
static void rgb_yuv(float r, float g, float b, float *y, float *u, float *v) {
  *y = 16 + 0.256788f * r + 0.504129f * g + 0.097906f * b;
  *u = 128 - 0.148223f * r - 0.290993f * g + 0.439216f * b;
  *v = 128 + 0.439216f * r - 0.367788f * g - 0.071427f * b;
}

static uint8_t clamp8(float v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lrintf(v)); }

int main(void) {
  /* crop geometry */
  float box[4] = {10, 20, 100, 50};
  bnn_crop c = bnn_crop_for_box(640, 480, box, 1.5f, 64);
  CHECK(fabsf(c.x0 + 15) < 1e-4f && fabsf(c.y0 + 30) < 1e-4f && fabsf(c.side - 150) < 1e-4f && c.size == 64,
        "box crop %g %g %g", c.x0, c.y0, c.side);
  c = bnn_crop_for_box(200, 100, NULL, 1.3f, 32);
  CHECK(fabsf(c.x0) < 1e-4f && fabsf(c.y0 + 50) < 1e-4f && fabsf(c.side - 200) < 1e-4f, "whole-image crop %g %g %g",
        c.x0, c.y0, c.side);
  float tiny[4] = {5, 5, 0, 0};
  c = bnn_crop_for_box(10, 10, tiny, 1.0f, 32);
  CHECK(c.side >= 1.0f, "degenerate box side %g", c.side);

  bnn_model *m = test_model(32, 8, 1, 1, 0, 0, 1);
  const int S = 32;
  const size_t N = (size_t)S * S * 3;
  float *ref = malloc(N * sizeof(float)), *out = malloc(N * sizeof(float));
  /* a synthetic image: smooth colours, constant over 2 x 2 blocks (so chroma subsampling is lossless) */
  uint8_t rgb[IH][IW][3];
  for (int y = 0; y < IH; y++)
    for (int x = 0; x < IW; x++) {
      rgb[y][x][0] = (uint8_t)(40 + 4 * (x / 2) + 2 * (y / 2));
      rgb[y][x][1] = (uint8_t)(200 - 3 * (y / 2));
      rgb[y][x][2] = (uint8_t)(90 + 5 * ((x / 2 + y / 2) % 7));
    }

  /* identity crop (input pixel i = source pixel i): exact values */
  bnn_crop id = {0, 0, (float)S, S};
  bnn_preprocess_packed(m, &rgb[0][0][0], IW, IH, IW * 3, BNN_PIX_RGB, &id, out);
  CHECK(fabsf(out[(5 * S + 7) * 3 + 1] - rgb[5][7][1] / 255.0f) < 1e-6f, "identity sample %g", out[(5 * S + 7) * 3 + 1]);
  /* beyond the image (x >= 37 is outside for S = 32? no: rows y >= 29 are) -> black */
  CHECK(out[(30 * S + 3) * 3] == 0.0f, "outside is black: %g", out[(30 * S + 3) * 3]);
  /* half-pixel positions: side 2S from (0, 0): input i samples 2i + 0.5, the mean of 2i and 2i + 1 */
  bnn_crop half = {0, 0, 2.0f * 16, 16};
  static float o16[16 * 16 * 3];
  float want = (rgb[6][4][2] + rgb[6][5][2] + rgb[7][4][2] + rgb[7][5][2]) / 4.0f / 255.0f;
  bnn_model *m16 = test_model(16, 8, 1, 1, 0, 0, 2);
  bnn_preprocess_packed(m16, &rgb[0][0][0], IW, IH, IW * 3, BNN_PIX_RGB, &half, o16);
  CHECK(fabsf(o16[(3 * 16 + 2) * 3 + 2] - want) < 1e-5f, "half-pixel bilinear %g vs %g", o16[(3 * 16 + 2) * 3 + 2], want);
  /* a crop straddling the left edge: the outside half blends with black */
  bnn_crop edge = {-0.5f * 16, 0, 16.0f, 16};
  bnn_preprocess_packed(m16, &rgb[0][0][0], IW, IH, IW * 3, BNN_PIX_RGB, &edge, o16);
  CHECK(fabsf(o16[(4 * 16 + 8) * 3] - rgb[4][0][0] / 255.0f) < 1e-5f, "edge sample");
  CHECK(fabsf(o16[(4 * 16 + 7) * 3]) < 1e-6f, "outside sample %g", o16[(4 * 16 + 7) * 3]);
  /* a crop entirely outside: all black */
  bnn_crop away = {1000, 1000, 50, 16};
  bnn_preprocess_packed(m16, &rgb[0][0][0], IW, IH, IW * 3, BNN_PIX_RGB, &away, o16);
  float mx = 0;
  for (int i = 0; i < 16 * 16 * 3; i++) mx = fmaxf(mx, fabsf(o16[i]));
  CHECK(mx == 0.0f, "crop outside the image is not black: %g", mx);
  bnn_model_free(m16);

  /* normalisation by mean / std */
  m->info.mean[0] = 0.5f, m->info.std[0] = 0.25f;
  bnn_preprocess_packed(m, &rgb[0][0][0], IW, IH, IW * 3, BNN_PIX_RGB, &id, out);
  CHECK(fabsf(out[(5 * S + 7) * 3] - (rgb[5][7][0] / 255.0f - 0.5f) / 0.25f) < 1e-5f, "mean/std");
  CHECK(fabsf(out[(30 * S + 3) * 3] - (-0.5f / 0.25f)) < 1e-5f, "outside normalised black %g", out[(30 * S + 3) * 3]);
  m->info.mean[0] = 0, m->info.std[0] = 1;

  /* all formats on a general crop (scaled, off-centre), with padded strides */
  bnn_crop gc = {-3.3f, 2.7f, 30.1f, S};
  bnn_preprocess_packed(m, &rgb[0][0][0], IW, IH, IW * 3, BNN_PIX_RGB, &gc, ref);
  const size_t st4 = IW * 4 + 12, st3 = IW * 3 + 5;
  uint8_t *buf = calloc(st4 * IH, 1);
  static const struct { bnn_pixfmt f; int bpp, r, g, b; const char *n; } fm[] = {
      {BNN_PIX_RGB, 3, 0, 1, 2, "RGB"},   {BNN_PIX_BGR, 3, 2, 1, 0, "BGR"},   {BNN_PIX_RGBX, 4, 0, 1, 2, "RGBx"},
      {BNN_PIX_BGRX, 4, 2, 1, 0, "BGRx"}, {BNN_PIX_XRGB, 4, 1, 2, 3, "xRGB"}, {BNN_PIX_XBGR, 4, 3, 2, 1, "xBGR"}};
  for (size_t k = 0; k < sizeof fm / sizeof *fm; k++) {
    size_t st = fm[k].bpp == 4 ? st4 : st3;
    memset(buf, 0x77, st4 * IH);
    for (int y = 0; y < IH; y++)
      for (int x = 0; x < IW; x++) {
        uint8_t *p = buf + y * st + x * fm[k].bpp;
        p[fm[k].r] = rgb[y][x][0], p[fm[k].g] = rgb[y][x][1], p[fm[k].b] = rgb[y][x][2];
      }
    bnn_preprocess_packed(m, buf, IW, IH, st, fm[k].f, &gc, out);
    CHECK(maxdiff(out, ref, N) == 0.0f, "%s differs from RGB by %g", fm[k].n, maxdiff(out, ref, N));
  }
  /* gray: equal channels */
  uint8_t gray[IH][IW];
  uint8_t grgb[IH][IW][3];
  for (int y = 0; y < IH; y++)
    for (int x = 0; x < IW; x++) gray[y][x] = grgb[y][x][0] = grgb[y][x][1] = grgb[y][x][2] = (uint8_t)(x * 7 + y);
  bnn_preprocess_packed(m, &grgb[0][0][0], IW, IH, IW * 3, BNN_PIX_RGB, &gc, ref);
  bnn_preprocess_packed(m, &gray[0][0], IW, IH, IW, BNN_PIX_GRAY, &gc, out);
  CHECK(maxdiff(out, ref, N) == 0.0f, "GRAY differs from RGB by %g", maxdiff(out, ref, N));

  /* I420 and NV12 from the same YUV: identical; both close to RGB (8-bit YUV rounding) */
  bnn_preprocess_packed(m, &rgb[0][0][0], IW, IH, IW * 3, BNN_PIX_RGB, &gc, ref);
  const int CW = (IW + 1) / 2, CH = (IH + 1) / 2;
  const size_t ys = IW + 3, cs = CW + 1, uvs = 2 * CW + 2;
  uint8_t *Y = calloc(ys * IH, 1), *U = calloc(cs * CH, 1), *V = calloc(cs * CH, 1), *UV = calloc(uvs * CH, 1);
  for (int y = 0; y < IH; y++)
    for (int x = 0; x < IW; x++) {
      float yy, uu, vv;
      rgb_yuv(rgb[y][x][0], rgb[y][x][1], rgb[y][x][2], &yy, &uu, &vv);
      Y[y * ys + x] = clamp8(yy);
      if (x % 2 == 0 && y % 2 == 0) {
        U[(y / 2) * cs + x / 2] = clamp8(uu), V[(y / 2) * cs + x / 2] = clamp8(vv);
        UV[(y / 2) * uvs + x] = clamp8(uu), UV[(y / 2) * uvs + x + 1] = clamp8(vv);
      }
    }
  float *o2 = malloc(N * sizeof(float));
  bnn_preprocess_i420(m, Y, ys, U, cs, V, cs, IW, IH, &gc, out);
  bnn_preprocess_nv12(m, Y, ys, UV, uvs, IW, IH, &gc, o2);
  CHECK(maxdiff(out, o2, N) == 0.0f, "I420 and NV12 differ by %g", maxdiff(out, o2, N));
  CHECK(maxdiff(out, ref, N) < 3.0f / 255, "I420 differs from RGB by %g", maxdiff(out, ref, N) * 255);
  printf("I420 vs RGB: max difference %.2f / 255\n", maxdiff(out, ref, N) * 255);
  free(Y), free(U), free(V), free(UV), free(o2), free(buf), free(ref), free(out);
  bnn_model_free(m);
  return test_result("test_preprocess");
}
