/* pack_avx2.c: AVX2 bit packing of float activations (8-lane compare s * x >= t, movemask into
 * one byte stored straight into the packed words), bit-identical to the scalar reference. */
#include <immintrin.h>
#include <string.h>

#include "kernels_isa.h"

/* Channel chunks of 8 outside, pixels inside: s and t stay in registers and each pixel's
 * 8 bits (bits 8h..8h+7 of word j = byte 8j + h, little-endian) are stored as is. */
void bnn_pack_avx2(const float *src, size_t src_stride, int C, const float *s, const float *t,
                   uint64_t *dst, int cw, int npix) {
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
      const __m256 sv = _mm256_loadu_ps(s + c), tv = _mm256_loadu_ps(t + c);
      for (int p = 0; p < npix; p++, x += src_stride, d += pstride)
        *d = (unsigned char)_mm256_movemask_ps(
            _mm256_cmp_ps(_mm256_mul_ps(sv, _mm256_loadu_ps(x)), tv, _CMP_GE_OQ));
    } else { /* masked loads never touch floats past C; masked lanes give 0 bits */
      const __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
      const __m256 sv = _mm256_maskload_ps(s + c, m), tv = _mm256_maskload_ps(t + c, m);
      const int keep = (1 << n) - 1;
      for (int p = 0; p < npix; p++, x += src_stride, d += pstride)
        *d = (unsigned char)(keep & _mm256_movemask_ps(_mm256_cmp_ps(
                                        _mm256_mul_ps(sv, _mm256_maskload_ps(x, m)), tv, _CMP_GE_OQ)));
    }
  }
}
