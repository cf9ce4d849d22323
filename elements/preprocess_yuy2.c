/* preprocess_yuy2.c: YUY2 (Y0 U Y1 V, 4:2:2 packed) crop, bilinear resize, BT.601
 * limited-range conversion to RGB and mean/std normalisation into a network input. */
#include "preprocess_yuy2.h"

#include <math.h>

static void
yuy2_rgb_at (const uint8_t * img, int w, int h, size_t stride, int x, int y, float rgb[3])
{
  if (x < 0 || y < 0 || x >= w || y >= h) {
    rgb[0] = rgb[1] = rgb[2] = 0.0f;
    return;
  }
  const uint8_t *row = img + (size_t) y * stride;
  const int pair = (x >> 1) * 4;
  const float yy = 1.164383f * ((float) row[2 * x] - 16.0f);
  const float u = (float) row[pair + 1] - 128.0f;
  /* an odd width's last pixel still has its pair's V byte (the row is padded to pairs) */
  const float v = (float) row[pair + 3] - 128.0f;
  float r = yy + 1.596027f * v;
  float g = yy - 0.391762f * u - 0.812968f * v;
  float b = yy + 2.017232f * u;
  rgb[0] = r < 0.0f ? 0.0f : (r > 255.0f ? 255.0f : r);
  rgb[1] = g < 0.0f ? 0.0f : (g > 255.0f ? 255.0f : g);
  rgb[2] = b < 0.0f ? 0.0f : (b > 255.0f ? 255.0f : b);
}

void
landmark_preprocess_yuy2 (const bnn_model * m, const uint8_t * img, int w, int h,
    size_t stride, const bnn_crop * crop, float *dst)
{
  const bnn_model_info *info = bnn_model_get_info (m);
  const int S = crop->size;
  const float step = crop->side / (float) S;
  float scale[3], bias[3];
  for (int c = 0; c < 3; c++) {
    const float sd = info->std[c] != 0.0f ? info->std[c] : 1.0f;
    scale[c] = 1.0f / (255.0f * sd);
    bias[c] = -info->mean[c] / sd;
  }
  for (int i = 0; i < S; i++) {
    const float sy = crop->y0 + ((float) i + 0.5f) * step - 0.5f;
    const int y0 = (int) floorf (sy);
    const float fy = sy - (float) y0;
    for (int j = 0; j < S; j++) {
      const float sx = crop->x0 + ((float) j + 0.5f) * step - 0.5f;
      const int x0 = (int) floorf (sx);
      const float fx = sx - (float) x0;
      float p00[3], p01[3], p10[3], p11[3];
      yuy2_rgb_at (img, w, h, stride, x0, y0, p00);
      yuy2_rgb_at (img, w, h, stride, x0 + 1, y0, p01);
      yuy2_rgb_at (img, w, h, stride, x0, y0 + 1, p10);
      yuy2_rgb_at (img, w, h, stride, x0 + 1, y0 + 1, p11);
      float *o = dst + ((size_t) i * S + j) * 3;
      for (int c = 0; c < 3; c++) {
        const float top = p00[c] + fx * (p01[c] - p00[c]);
        const float bot = p10[c] + fx * (p11[c] - p10[c]);
        o[c] = (top + fy * (bot - top)) * scale[c] + bias[c];
      }
    }
  }
}
