/* pack_avx512.c: AVX-512 bit packing of float activations (16-lane compare s * x >= t into a
 * 16-bit mask stored straight into the packed words), bit-identical to the scalar reference. */
#include <immintrin.h>
#include <string.h>

#include "kernels_isa.h"

/* Channel chunks of 16 outside, pixels inside: s and t stay in registers and each pixel's
 * 16 bits (bits 16h..16h+15 of word j = little-endian 16-bit piece 4j + h) are stored as is. */
void bnn_pack_avx512(const float *src, size_t src_stride, int C, const float *s, const float *t,
                     uint64_t *dst, int cw, int npix) {
  unsigned char *d8 = (unsigned char *)dst;
  const size_t pstride = (size_t)cw * 8; /* bytes per packed pixel */
  for (int c = 0; c < cw * 64; c += 16) {
    const int n = C - c;
    if (n <= 0) { /* chunks past C: zero bits */
      for (int p = 0; p < npix; p++) memset(d8 + (size_t)p * pstride + (size_t)c / 8, 0, 2);
      continue;
    }
    /* masked loads never touch floats past C; masked lanes give 0 bits */
    const __mmask16 m = n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1u);
    const __m512 sv = _mm512_maskz_loadu_ps(m, s + c), tv = _mm512_maskz_loadu_ps(m, t + c);
    const float *x = src + c;
    unsigned char *d = d8 + (size_t)c / 8;
    for (int p = 0; p < npix; p++, x += src_stride, d += pstride) {
      const __m512 v = _mm512_mul_ps(sv, _mm512_maskz_loadu_ps(m, x));
      const uint16_t b = (uint16_t)_mm512_mask_cmp_ps_mask(m, v, tv, _CMP_GE_OQ);
      memcpy(d, &b, 2);
    }
  }
}
