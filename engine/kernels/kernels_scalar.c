/* kernels_scalar.c: the portable reference kernels (bit packing, binary 3x3 conv); this file
 * is the specification every ISA-specific kernel must match bit for bit. */
#include "kernels.h"

/* Bit c of pixel p is 1 (+1) iff s[c] * x >= t[c], x the float activation. Bits >= C stay 0.
 * The product is a plain float multiply so every ISA can reproduce it exactly. */
static void pack_scalar(const float *src, size_t src_stride, int C, const float *s,
                        const float *t, uint64_t *dst, int cw, int npix) {
  for (int p = 0; p < npix; p++) {
    const float *x = src + (size_t)p * src_stride;
    uint64_t *d = dst + (size_t)p * cw;
    for (int j = 0; j < cw; j++) d[j] = 0;
    for (int c = 0; c < C; c++) {
      float v = s[c] * x[c];
      if (v >= t[c]) d[c / 64] |= (uint64_t)1 << (c % 64);
    }
  }
}

/* popcount(window XOR weights) of output pixel (x, y): 9 taps of cw words each. */
int bnn_ref_window_popcount(const uint64_t *in, int W, int cw, const uint64_t *wrow, int y,
                            int x) {
  int pc = 0;
  for (int ky = 0; ky < 3; ky++)
    for (int kx = 0; kx < 3; kx++) {
      const uint64_t *a = in + ((size_t)(y + ky) * (size_t)(W + 2) + (size_t)(x + kx)) * cw;
      const uint64_t *b = wrow + (size_t)(ky * 3 + kx) * cw;
      for (int j = 0; j < cw; j++) pc += __builtin_popcountll(a[j] ^ b[j]);
    }
  return pc;
}

/* out = max(0, alpha[o] * (float)(nbits - 2 * popcount)): the int is converted to float
 * first, then multiplied once, so vector code gets the identical float. */
static void bconv3x3_scalar(const uint64_t *in, int W, int cw, const uint64_t *w, int cout,
                            int nbits, const float *alpha, float *out, size_t out_stride, int y0,
                            int y1) {
  for (int y = y0; y < y1; y++)
    for (int x = 0; x < W; x++) {
      float *o_px = out + ((size_t)y * (size_t)W + (size_t)x) * out_stride;
      for (int o = 0; o < cout; o++) {
        int pc = bnn_ref_window_popcount(in, W, cw, w + (size_t)o * 9 * cw, y, x);
        float v = alpha[o] * (float)(nbits - 2 * pc);
        o_px[o] = v > 0.0f ? v : 0.0f;
      }
    }
}

const bnn_kernels bnn_kernels_scalar = {"scalar", pack_scalar, bconv3x3_scalar};
