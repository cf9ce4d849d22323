/* pack_neon.c: AArch64 NEON bit packing of float activations (two 4-lane compares s * x >= t
 * folded into one byte stored straight into the packed words), bit-identical to the scalar
 * reference. */
#include <arm_neon.h>

#include "kernels_isa.h"

/* Channel chunks of 8 outside, pixels inside: s and t stay in registers and each pixel's
 * 8 bits (bits 8h..8h+7 of word j = byte 8j + h, little-endian) are stored as is. */
void bnn_pack_neon(const float *src, size_t src_stride, int C, const float *s, const float *t,
                   uint64_t *dst, int cw, int npix) {
  static const uint32_t wlo[4] = {1, 2, 4, 8}, whi[4] = {16, 32, 64, 128};
  const uint32x4_t bitlo = vld1q_u32(wlo), bithi = vld1q_u32(whi);
  unsigned char *d8 = (unsigned char *)dst;
  const size_t pstride = (size_t)cw * 8; /* bytes per packed pixel */
  for (int c = 0; c < cw * 64; c += 8) {
    const int n = C - c;
    unsigned char *d = d8 + (size_t)c / 8;
    if (n <= 0) { /* chunks past C: zero bits */
      for (int p = 0; p < npix; p++) d[(size_t)p * pstride] = 0;
      continue;
    }
    const float *x = src + c;
    if (n >= 8) {
      const float32x4_t s0 = vld1q_f32(s + c), s1 = vld1q_f32(s + c + 4);
      const float32x4_t t0 = vld1q_f32(t + c), t1 = vld1q_f32(t + c + 4);
      for (int p = 0; p < npix; p++, x += src_stride, d += pstride) {
        const uint32x4_t g0 = vandq_u32(vcgeq_f32(vmulq_f32(s0, vld1q_f32(x)), t0), bitlo);
        const uint32x4_t g1 = vandq_u32(vcgeq_f32(vmulq_f32(s1, vld1q_f32(x + 4)), t1), bithi);
        *d = (unsigned char)vaddvq_u32(vorrq_u32(g0, g1));
      }
    } else { /* tail: copy the valid floats; the rest compare 0 >= 1, false */
      float sb[8] = {0}, tb[8] = {1, 1, 1, 1, 1, 1, 1, 1}, xb[8] = {0};
      for (int i = 0; i < n; i++) sb[i] = s[c + i], tb[i] = t[c + i];
      const float32x4_t s0 = vld1q_f32(sb), s1 = vld1q_f32(sb + 4);
      const float32x4_t t0 = vld1q_f32(tb), t1 = vld1q_f32(tb + 4);
      for (int p = 0; p < npix; p++, x += src_stride, d += pstride) {
        for (int i = 0; i < n; i++) xb[i] = x[i];
        const uint32x4_t g0 = vandq_u32(vcgeq_f32(vmulq_f32(s0, vld1q_f32(xb)), t0), bitlo);
        const uint32x4_t g1 = vandq_u32(vcgeq_f32(vmulq_f32(s1, vld1q_f32(xb + 4)), t1), bithi);
        *d = (unsigned char)vaddvq_u32(vorrq_u32(g0, g1));
      }
    }
  }
}
