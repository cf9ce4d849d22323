/* preprocess.c: crop geometry (bnn_crop_for_box) and the bilinear crop + resize of packed RGB/BGR/
 * RGBx/xRGB/gray, I420 and NV12 images into the network input, normalised by the model. */
#include <math.h>

#include "model.h"

bnn_crop bnn_crop_for_box(int img_w, int img_h, const float *box4, float scale, int size) {
  bnn_crop c;
  float cx, cy, side;
  if (box4 == NULL) {
    cx = img_w * 0.5f;
    cy = img_h * 0.5f;
    side = (float)(img_w > img_h ? img_w : img_h);
  } else {
    float w = box4[2], h = box4[3];
    if (!(scale > 0)) scale = 1.0f;
    cx = box4[0] + w * 0.5f;
    cy = box4[1] + h * 0.5f;
    side = scale * (w > h ? w : h);
  }
  if (!(side >= 1.0f)) side = 1.0f; /* also catches NaN */
  c.x0 = cx - side * 0.5f;
  c.y0 = cy - side * 0.5f;
  c.side = side;
  c.size = size;
  return c;
}

/* BT.601 limited range YCbCr -> RGB, 0..255 */
static inline void yuv_rgb(int Y, int U, int V, float *rgb) {
  float y = 1.164383f * (float)(Y - 16), u = (float)(U - 128), v = (float)(V - 128);
  float r = y + 1.596027f * v, g = y - 0.391762f * u - 0.812968f * v, b = y + 2.017232f * u;
  rgb[0] = r < 0 ? 0 : r > 255 ? 255 : r;
  rgb[1] = g < 0 ? 0 : g > 255 ? 255 : g;
  rgb[2] = b < 0 ? 0 : b > 255 ? 255 : b;
}

typedef struct {
  int kind; /* 0 packed, 1 I420, 2 NV12 */
  const uint8_t *p0, *p1, *p2;
  size_t s0, s1, s2;
  int w, h;
  int bpp, off[3];
} source;

/* RGB of source pixel (x, y), black outside the image */
static inline void fetch(const source *s, int x, int y, float *rgb) {
  if (x < 0 || y < 0 || x >= s->w || y >= s->h) {
    rgb[0] = rgb[1] = rgb[2] = 0.0f;
    return;
  }
  if (s->kind == 0) {
    const uint8_t *px = s->p0 + (size_t)y * s->s0 + (size_t)x * s->bpp;
    rgb[0] = px[s->off[0]];
    rgb[1] = px[s->off[1]];
    rgb[2] = px[s->off[2]];
  } else if (s->kind == 1) {
    yuv_rgb(s->p0[(size_t)y * s->s0 + x], s->p1[(size_t)(y / 2) * s->s1 + x / 2],
            s->p2[(size_t)(y / 2) * s->s2 + x / 2], rgb);
  } else {
    const uint8_t *uv = s->p1 + (size_t)(y / 2) * s->s1 + (size_t)(x / 2) * 2;
    yuv_rgb(s->p0[(size_t)y * s->s0 + x], uv[0], uv[1], rgb);
  }
}

static void resample(const bnn_model *m, const source *s, const bnn_crop *crop, float *dst) {
  const int S = m->info.input_size;
  const float step = crop->side / (float)S;
  float mul[3], add[3];
  for (int c = 0; c < 3; c++) {
    mul[c] = 1.0f / (255.0f * m->info.std[c]);
    add[c] = -m->info.mean[c] / m->info.std[c];
  }
  for (int i = 0; i < S; i++) {
    const float sy = crop->y0 + ((float)i + 0.5f) * step - 0.5f;
    const float fy0 = floorf(sy);
    const int y0 = !(fy0 >= -2.0f) ? -2 : fy0 > (float)s->h + 1 ? s->h + 1 : (int)fy0;
    const float fy = sy - fy0;
    for (int j = 0; j < S; j++) {
      const float sx = crop->x0 + ((float)j + 0.5f) * step - 0.5f;
      const float fx0 = floorf(sx);
      const int x0 = !(fx0 >= -2.0f) ? -2 : fx0 > (float)s->w + 1 ? s->w + 1 : (int)fx0;
      const float fx = sx - fx0;
      float a[3], b[3], c[3], d[3];
      fetch(s, x0, y0, a);
      fetch(s, x0 + 1, y0, b);
      fetch(s, x0, y0 + 1, c);
      fetch(s, x0 + 1, y0 + 1, d);
      float *o = dst + ((size_t)i * S + j) * 3;
      for (int k = 0; k < 3; k++) {
        float top = a[k] + (b[k] - a[k]) * fx, bot = c[k] + (d[k] - c[k]) * fx;
        float v = top + (bot - top) * fy;
        o[k] = v * mul[k] + add[k];
      }
    }
  }
}

void bnn_preprocess_packed(const bnn_model *m, const uint8_t *img, int w, int h, size_t stride,
                           bnn_pixfmt fmt, const bnn_crop *crop, float *dst) {
  source s = {0, img, NULL, NULL, stride, 0, 0, w, h, 3, {0, 1, 2}};
  switch (fmt) {
  case BNN_PIX_RGB: break;
  case BNN_PIX_BGR: s.off[0] = 2, s.off[2] = 0; break;
  case BNN_PIX_RGBX: s.bpp = 4; break;
  case BNN_PIX_BGRX: s.bpp = 4, s.off[0] = 2, s.off[2] = 0; break;
  case BNN_PIX_XRGB: s.bpp = 4, s.off[0] = 1, s.off[1] = 2, s.off[2] = 3; break;
  case BNN_PIX_XBGR: s.bpp = 4, s.off[0] = 3, s.off[1] = 2, s.off[2] = 1; break;
  case BNN_PIX_GRAY: s.bpp = 1, s.off[0] = s.off[1] = s.off[2] = 0; break;
  }
  resample(m, &s, crop, dst);
}

void bnn_preprocess_i420(const bnn_model *m, const uint8_t *y, size_t ys, const uint8_t *u,
                         size_t us, const uint8_t *v, size_t vs, int w, int h,
                         const bnn_crop *crop, float *dst) {
  source s = {1, y, u, v, ys, us, vs, w, h, 1, {0, 0, 0}};
  resample(m, &s, crop, dst);
}

void bnn_preprocess_nv12(const bnn_model *m, const uint8_t *y, size_t ys, const uint8_t *uv,
                         size_t uvs, int w, int h, const bnn_crop *crop, float *dst) {
  source s = {2, y, uv, NULL, ys, uvs, 0, w, h, 1, {0, 0, 0}};
  resample(m, &s, crop, dst);
}
