/* kernels.h: the dispatch table of the hot kernels (bit packing, binary 3x3 conv),
 * one implementation per ISA (kernels_scalar.c is the reference), picked once at net creation. */
#ifndef BNN_KERNELS_H
#define BNN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "bnnlm/bnnlm.h"

/* Layouts (fixed; every ISA uses them):
 *  - Real activations: HWC floats; a pixel's channels are contiguous, pixel stride given.
 *  - Packed activations: per pixel cw = ceil(C / 64) uint64 words, channel c is bit (c % 64)
 *    of word c / 64; bit 1 = +1, bit 0 = -1; bits >= C are 0. A packed image for a 3x3 conv
 *    is (H + 2) x (W + 2) pixels: a one-pixel border of all-zero words is the -1 padding.
 *  - Packed weights of a 3x3 conv: cout rows of 9 * cw words, tap-major: row o holds
 *    taps (ky, kx) in order ky*3+kx, each tap cw words laid out like a pixel. Bit 1 = +1.
 *  The dot product of a window with row o is nbits - 2 * popcount(xor), nbits = 9 * C. */

typedef struct bnn_kernels {
  const char *name;
  /* Pack npix pixels: bit c of pixel p = (s[c] * src[p * src_stride + c] >= t[c]).
   * s[c] is +1, -1 or 0 (0 gives a constant: t[c] = 0 for +1, t[c] = 1 for -1). */
  void (*pack)(const float *src, size_t src_stride, int C, const float *s, const float *t,
               uint64_t *dst, int cw, int npix);
  /* Binary 3x3 conv for output rows y0 <= y < y1 of a W-wide image:
   * in   = packed padded image ((H + 2) x (W + 2) x cw), in row y + ky, column x + kx,
   * w    = packed weights (cout x 9 x cw),
   * out[(y * W + x) * out_stride + o] = max(0, alpha[o] * (nbits - 2 * popcount)). */
  void (*bconv3x3)(const uint64_t *in, int W, int cw, const uint64_t *w, int cout, int nbits,
                   const float *alpha, float *out, size_t out_stride, int y0, int y1);
} bnn_kernels;

extern const bnn_kernels bnn_kernels_scalar;
#if defined(__x86_64__) || defined(__i386__)
extern const bnn_kernels bnn_kernels_avx2;
extern const bnn_kernels bnn_kernels_avx512;
#endif
#if defined(__aarch64__)
extern const bnn_kernels bnn_kernels_neon;
#endif

/* The table of isa (BNN_ISA_AUTO: of bnn_isa_best()), NULL if this CPU or build lacks it.
 * Defined in kernels_dispatch.c. */
const bnn_kernels *bnn_kernels_for_isa(bnn_isa isa);

/* Integer popcount dot products of one output pixel, for tests: the reference. */
int bnn_ref_window_popcount(const uint64_t *in, int W, int cw, const uint64_t *wrow, int y, int x);

#endif
