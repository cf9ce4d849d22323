/* test_kernels.c: bit-exact tests of every kernel ISA this CPU runs (pack, bconv3x3) against the
 * scalar reference, and of the scalar reference against a naive float +-1 convolution. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

static int n_pass, n_fail;

#define CHECK(cond, ...)                                                                        \
  do {                                                                                          \
    if (cond) n_pass++;                                                                         \
    else {                                                                                      \
      n_fail++;                                                                                 \
      if (n_fail <= 20) {                                                                       \
        printf("FAIL %s:%d: ", __FILE__, __LINE__);                                             \
        printf(__VA_ARGS__);                                                                    \
        printf("\n");                                                                           \
      }                                                                                         \
    }                                                                                           \
  } while (0)

static uint64_t rng_state = 0x853c49e6748fea9bull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13, rng_state ^= rng_state >> 7, rng_state ^= rng_state << 17;
  return rng_state;
}
static int rnd_int(int n) { return (int)(rnd() % (uint64_t)n); }
static float rnd_float(float lo, float hi) {
  return lo + (hi - lo) * (float)(rnd() >> 40) / (float)(1 << 24);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) abort();
  return p;
}

static uint32_t fbits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static const int Cs[] = {1, 3, 16, 17, 32, 63, 64, 65, 128, 200, 256};
static const int Ss[] = {1, 2, 3, 5, 8, 13, 64};
static const int Couts[] = {1, 7, 8, 16, 33, 64, 128};
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static uint64_t last_word_mask(int C) { return C % 64 ? (1ull << (C % 64)) - 1 : ~0ull; }

/* Random packed padded image (border words 0 = -1 padding) and weights; bits >= C are 0.
 * fill 1: all input bits 1 and weights 0, fill 2: the reverse (popcounts at their maximum,
 * which overflows byte counters kept too long). */
static int fill_mode;
static uint64_t fill_bits(int which) { return fill_mode == 0 ? rnd() : fill_mode == which ? ~0ull : 0; }
static void random_packed(uint64_t *in, int W, int H, int C, uint64_t *w, int cout) {
  const int cw = (C + 63) / 64;
  memset(in, 0, (size_t)(H + 2) * (W + 2) * cw * 8);
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int j = 0; j < cw; j++)
        in[((size_t)(y + 1) * (W + 2) + x + 1) * cw + j] = fill_bits(1) & (j == cw - 1 ? last_word_mask(C) : ~0ull);
  for (size_t i = 0; i < (size_t)cout * 9 * cw; i++)
    w[i] = fill_bits(2) & ((int)(i % cw) == cw - 1 ? last_word_mask(C) : ~0ull);
}

#define SENTINEL 12345.5f

/* One bconv3x3 case: isa vs scalar, floats bit for bit, integers via alpha = +1 / -1, and
 * nothing written outside rows [y0, y1) or channels [off, off + cout) of the out_stride slots. */
static void bconv_case(const bnn_kernels *k, int C, int W, int H, int cout) {
  const bnn_kernels *ref = &bnn_kernels_scalar;
  const int cw = (C + 63) / 64, nbits = 9 * C;
  const int extra = rnd_int(3) == 0 ? 0 : 1 + rnd_int(9);
  const int off = extra ? rnd_int(extra + 1) : 0;
  const size_t out_stride = (size_t)cout + (size_t)extra;
  int y0 = rnd_int(H), y1 = y0 + 1 + rnd_int(H - y0);
  if (rnd_int(3) == 0) y0 = 0, y1 = H;
  uint64_t *in = xmalloc((size_t)(H + 2) * (W + 2) * cw * 8);
  uint64_t *w = xmalloc((size_t)cout * 9 * cw * 8);
  float *alpha = xmalloc((size_t)cout * 4), *one = xmalloc((size_t)cout * 4), *mone = xmalloc((size_t)cout * 4);
  const size_t nout = (size_t)W * H * out_stride;
  float *o_ref = xmalloc(nout * 4), *o_isa = xmalloc(nout * 4), *o_neg = xmalloc(nout * 4);
  random_packed(in, W, H, C, w, cout);
  for (int o = 0; o < cout; o++) {
    int r = rnd_int(10);
    alpha[o] = r == 0 ? 0.0f : r == 1 ? -rnd_float(0.001f, 1.0f) : rnd_float(1e-4f, 2.0f);
    one[o] = 1.0f, mone[o] = -1.0f;
  }
  for (size_t i = 0; i < nout; i++) o_ref[i] = o_isa[i] = o_neg[i] = SENTINEL;

  ref->bconv3x3(in, W, cw, w, cout, nbits, alpha, o_ref + off, out_stride, y0, y1);
  k->bconv3x3(in, W, cw, w, cout, nbits, alpha, o_isa + off, out_stride, y0, y1);
  int bad = 0, outside = 0;
  for (size_t i = 0; i < nout; i++) {
    const size_t pix = i / out_stride, c = i % out_stride;
    const int y = (int)(pix / (size_t)W);
    const int inside = y >= y0 && y < y1 && c >= (size_t)off && c < (size_t)off + (size_t)cout;
    if (fbits(o_ref[i]) != fbits(o_isa[i])) bad++;
    if (!inside && (o_isa[i] != SENTINEL || o_ref[i] != SENTINEL)) outside++;
    if (inside && (o_ref[i] == SENTINEL || !(o_ref[i] >= 0.0f) || signbit(o_ref[i]))) outside++;
  }
  CHECK(bad == 0, "%s bconv floats C=%d W=%d H=%d cout=%d rows %d..%d: %d differ", k->name, C, W,
        H, cout, y0, y1, bad);
  CHECK(outside == 0, "%s bconv wrote outside its slots / non-positive output, C=%d W=%d H=%d cout=%d: %d",
        k->name, C, W, H, cout, outside);

  /* integer popcounts: alpha = 1 gives max(0, d), alpha = -1 gives max(0, -d) */
  k->bconv3x3(in, W, cw, w, cout, nbits, one, o_isa + off, out_stride, y0, y1);
  k->bconv3x3(in, W, cw, w, cout, nbits, mone, o_neg + off, out_stride, y0, y1);
  bad = 0;
  for (int y = y0; y < y1; y++)
    for (int x = 0; x < W; x++)
      for (int o = 0; o < cout; o++) {
        const size_t i = ((size_t)y * W + x) * out_stride + off + o;
        const int pc = bnn_ref_window_popcount(in, W, cw, w + (size_t)o * 9 * cw, y, x);
        const float d = o_isa[i] - o_neg[i];
        if (d != (float)(nbits - 2 * pc)) bad++;
      }
  CHECK(bad == 0, "%s bconv integer dot products C=%d W=%d H=%d cout=%d: %d differ", k->name, C,
        W, H, cout, bad);
  free(in), free(w), free(alpha), free(one), free(mone), free(o_ref), free(o_isa), free(o_neg);
}

/* pack: isa vs scalar bit for bit, random s in {+1, -1, 0}, thresholds hit exactly. */
static void pack_case(const bnn_kernels *k, int C, int npix) {
  const int cw = (C + 63) / 64;
  const size_t stride = (size_t)C + (size_t)rnd_int(5);
  float *src = xmalloc(((size_t)npix * stride) * 4), *s = xmalloc((size_t)C * 4), *t = xmalloc((size_t)C * 4);
  uint64_t *d_ref = xmalloc((size_t)npix * cw * 8), *d_isa = xmalloc((size_t)npix * cw * 8);
  for (size_t i = 0; i < (size_t)npix * stride; i++) src[i] = rnd_float(-2.0f, 2.0f);
  for (int c = 0; c < C; c++) {
    int r = rnd_int(7);
    s[c] = r < 3 ? 1.0f : r < 6 ? -1.0f : 0.0f;
    t[c] = s[c] == 0.0f ? (float)rnd_int(2) : rnd_float(-1.0f, 1.0f);
    if (s[c] != 0.0f && rnd_int(2)) { /* some pixels exactly on the threshold */
      for (int p = 0; p < npix; p += 1 + rnd_int(3)) src[(size_t)p * stride + c] = s[c] * t[c];
    }
  }
  memset(d_ref, 0xa5, (size_t)npix * cw * 8), memset(d_isa, 0x5a, (size_t)npix * cw * 8);
  bnn_kernels_scalar.pack(src, stride, C, s, t, d_ref, cw, npix);
  k->pack(src, stride, C, s, t, d_isa, cw, npix);
  int bad = 0, high = 0;
  for (size_t i = 0; i < (size_t)npix * cw; i++) {
    if (d_ref[i] != d_isa[i]) bad++;
    if ((int)(i % cw) == cw - 1 && (d_isa[i] & ~last_word_mask(C))) high++;
  }
  CHECK(bad == 0, "%s pack C=%d npix=%d: %d words differ", k->name, C, npix, bad);
  CHECK(high == 0, "%s pack C=%d: bits >= C set in %d words", k->name, C, high);
  free(src), free(s), free(t), free(d_ref), free(d_isa);
}

/* The definition of pack on hand-picked values: s = 0 constants, exact thresholds, NaN. */
static void pack_definition(const bnn_kernels *k) {
  enum { C = 70 };
  float x[C], s[C], t[C];
  for (int c = 0; c < C; c++) x[c] = 0.5f, s[c] = 1.0f, t[c] = 0.0f;
  uint64_t expect[2] = {0, 0};
#define SETB(c) expect[(c) / 64] |= 1ull << ((c) % 64)
  s[0] = 0, t[0] = 0, x[0] = -7.0f, SETB(0);            /* s = 0, t = 0: constant +1 */
  s[1] = 0, t[1] = 1, x[1] = 7.0f;                      /* s = 0, t = 1: constant -1 */
  s[2] = 1, t[2] = 0.25f, x[2] = 0.25f, SETB(2);        /* x == t: +1 (>=) */
  s[3] = 1, t[3] = 0.25f, x[3] = nextafterf(0.25f, 0);  /* just below: -1 */
  s[4] = -1, t[4] = -0.25f, x[4] = 0.25f, SETB(4);      /* -x == t: +1 */
  s[5] = -1, t[5] = -0.25f, x[5] = nextafterf(0.25f, 1); /* -x just below t: -1 */
  s[6] = 1, t[6] = 0.0f, x[6] = -0.0f, SETB(6);         /* -0 >= 0 */
  s[7] = -1, t[7] = 0.0f, x[7] = 0.0f, SETB(7);         /* -0 >= 0 */
  s[8] = 1, t[8] = 0.0f, x[8] = NAN;                    /* NaN compares false */
  s[63] = -1, t[63] = -3.0f, x[63] = 2.0f, SETB(63);    /* bit 63 */
  s[64] = 1, t[64] = 1.0f, x[64] = 1.0f, SETB(64);      /* first bit of word 1 */
  s[69] = -1, t[69] = 0.0f, x[69] = 1.0f;               /* last channel, -1 */
  for (int c = 9; c < C; c++)
    if (c != 63 && c != 64 && c != 69) SETB(c);         /* 0.5 >= 0 */
#undef SETB
  uint64_t d[2] = {~0ull, ~0ull};
  k->pack(x, C, C, s, t, d, 2, 1);
  CHECK(d[0] == expect[0] && d[1] == expect[1],
        "%s pack definition: got %016llx %016llx want %016llx %016llx", k->name,
        (unsigned long long)d[0], (unsigned long long)d[1], (unsigned long long)expect[0],
        (unsigned long long)expect[1]);
}

/* The scalar reference against a naive float +-1 convolution with -1 padding, computed from
 * unpacked signs; the packed operands come from pack (s = 1, t = 0: bit = x >= 0). */
static void naive_case(int C, int W, int H, int cout) {
  const bnn_kernels *ref = &bnn_kernels_scalar;
  const int cw = (C + 63) / 64;
  float *a = xmalloc((size_t)W * H * C * 4), *wf = xmalloc((size_t)cout * 9 * C * 4);
  float *s = xmalloc((size_t)C * 4), *t = xmalloc((size_t)C * 4), *alpha = xmalloc((size_t)cout * 4);
  uint64_t *in = xmalloc((size_t)(H + 2) * (W + 2) * cw * 8), *w = xmalloc((size_t)cout * 9 * cw * 8);
  float *out = xmalloc((size_t)W * H * cout * 4);
  for (size_t i = 0; i < (size_t)W * H * C; i++) a[i] = rnd_int(2) ? 1.0f : -1.0f;
  for (size_t i = 0; i < (size_t)cout * 9 * C; i++) wf[i] = rnd_int(2) ? 1.0f : -1.0f;
  for (int c = 0; c < C; c++) s[c] = 1.0f, t[c] = 0.0f;
  for (int o = 0; o < cout; o++) alpha[o] = rnd_int(4) ? rnd_float(0.01f, 1.0f) : -rnd_float(0.01f, 1.0f);
  memset(in, 0, (size_t)(H + 2) * (W + 2) * cw * 8);
  for (int y = 0; y < H; y++)
    ref->pack(a + (size_t)y * W * C, C, C, s, t, in + ((size_t)(y + 1) * (W + 2) + 1) * cw, cw, W);
  ref->pack(wf, C, C, s, t, w, cw, cout * 9); /* [cout][ky][kx][C] floats -> weight rows */
  ref->bconv3x3(in, W, cw, w, cout, 9 * C, alpha, out, cout, 0, H);
  int bad = 0, badpc = 0;
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++)
      for (int o = 0; o < cout; o++) {
        int sum = 0;
        for (int ky = 0; ky < 3; ky++)
          for (int kx = 0; kx < 3; kx++) {
            const int yy = y + ky - 1, xx = x + kx - 1;
            const int inside = yy >= 0 && yy < H && xx >= 0 && xx < W;
            for (int c = 0; c < C; c++) {
              const float av = inside ? a[((size_t)yy * W + xx) * C + c] : -1.0f;
              sum += (int)(av * wf[(((size_t)o * 3 + ky) * 3 + kx) * C + c]);
            }
          }
        const float v = alpha[o] * (float)sum;
        if (fbits(out[((size_t)y * W + x) * cout + o]) != fbits(v > 0.0f ? v : 0.0f)) bad++;
        const int pc = bnn_ref_window_popcount(in, W, cw, w + (size_t)o * 9 * cw, y, x);
        if (9 * C - 2 * pc != sum) badpc++;
      }
  CHECK(bad == 0, "scalar bconv vs naive float conv C=%d W=%d H=%d cout=%d: %d differ", C, W, H, cout, bad);
  CHECK(badpc == 0, "bnn_ref_window_popcount vs naive C=%d W=%d H=%d cout=%d: %d differ", C, W, H, cout, badpc);
  free(a), free(wf), free(s), free(t), free(alpha), free(in), free(w), free(out);
}

static void dispatch_checks(void) {
  CHECK(bnn_isa_supported(BNN_ISA_SCALAR), "scalar must always be supported");
  CHECK(!bnn_isa_supported(BNN_ISA_AUTO), "AUTO is not an ISA");
  const bnn_isa best = bnn_isa_best();
  CHECK(best != BNN_ISA_AUTO && bnn_isa_supported(best), "bnn_isa_best() = %d unsupported", (int)best);
  CHECK(bnn_kernels_for_isa(BNN_ISA_AUTO) == bnn_kernels_for_isa(best), "AUTO table != best table");
  CHECK(bnn_kernels_for_isa(BNN_ISA_SCALAR) == &bnn_kernels_scalar, "scalar table");
  CHECK(strcmp(bnn_isa_name(BNN_ISA_AVX512), "avx512") == 0 && strcmp(bnn_isa_name(BNN_ISA_NEON), "neon") == 0 &&
            strcmp(bnn_isa_name((bnn_isa)99), "unknown") == 0, "bnn_isa_name");
  for (int i = BNN_ISA_SCALAR; i <= BNN_ISA_NEON; i++) {
    const bnn_kernels *k = bnn_kernels_for_isa((bnn_isa)i);
    CHECK((k != NULL) == (bnn_isa_supported((bnn_isa)i) != 0), "table vs supported for %s", bnn_isa_name((bnn_isa)i));
    if (k) CHECK(strcmp(k->name, bnn_isa_name((bnn_isa)i)) == 0, "table name %s", k->name);
  }
  const char *old = getenv("BNN_ISA");
  char *saved = old ? strdup(old) : NULL;
  setenv("BNN_ISA", "scalar", 1);
  CHECK(bnn_isa_best() == BNN_ISA_SCALAR, "BNN_ISA=scalar cap");
  setenv("BNN_ISA", "avx2", 1);
  CHECK(bnn_isa_best() == (bnn_isa_supported(BNN_ISA_AVX2) ? BNN_ISA_AVX2 : BNN_ISA_SCALAR), "BNN_ISA=avx2 cap");
  setenv("BNN_ISA", "bogus", 1);
  CHECK(bnn_isa_best() == best, "unknown BNN_ISA must be ignored");
  if (saved) setenv("BNN_ISA", saved, 1), free(saved);
  else unsetenv("BNN_ISA");
}

int main(int argc, char **argv) {
  const char *required[8];
  int nreq = 0, quick = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--require") == 0 && i + 1 < argc && nreq < 8) required[nreq++] = argv[++i];
    else if (strcmp(argv[i], "--quick") == 0) quick = 1;
    else {
      fprintf(stderr, "usage: test_kernels [--quick] [--require ISA]...\n");
      return 2;
    }
  }
  dispatch_checks();
  for (int i = 0; i < NELEM(Cs); i++) {
    naive_case(Cs[i], Ss[rnd_int(5)], Ss[rnd_int(5)], Couts[rnd_int(4)]);
  }
  naive_case(65, 13, 8, 33);

  /* Bound on the work of one random case (binary MACs), to keep the test fast under ASan. */
  const double budget = quick ? 20e6 : 150e6;
  char tested[128] = "";
  int ntested = 0;
  for (int isa = BNN_ISA_SCALAR; isa <= BNN_ISA_NEON; isa++) {
    const bnn_kernels *k = bnn_kernels_for_isa((bnn_isa)isa);
    if (k == NULL) continue;
    strcat(tested, " "), strcat(tested, k->name), ntested++;
    pack_definition(k);
    for (int ci = 0; ci < NELEM(Cs); ci++)
      for (int r = 0; r < (quick ? 2 : 4); r++) pack_case(k, Cs[ci], 1 + rnd_int(70));
    pack_case(k, 1100, 5);
    if (isa == BNN_ISA_SCALAR) continue; /* the reference itself: tested by naive_case */
    for (int ci = 0; ci < NELEM(Cs); ci++)
      for (int oi = 0; oi < NELEM(Couts); oi++) {
        int W, H;
        do W = Ss[rnd_int(NELEM(Ss))], H = Ss[rnd_int(NELEM(Ss))];
        while ((double)W * H * 9.0 * Cs[ci] * Couts[oi] > budget);
        bconv_case(k, Cs[ci], W, H, Couts[oi]);
      }
    for (int wi = 0; wi < NELEM(Ss); wi++) /* every width and height at least once */
      bconv_case(k, Cs[rnd_int(6)], Ss[wi], Ss[NELEM(Ss) - 1 - wi], Couts[rnd_int(4)]);
    if (!quick) bconv_case(k, 256, 64, 64, 128); /* the big layer, whole */
    for (fill_mode = 1; fill_mode <= 2; fill_mode++) /* saturated popcounts */
      for (int ci = 0; ci < NELEM(Cs); ci++) bconv_case(k, Cs[ci], 5, 4, Couts[rnd_int(NELEM(Couts))]);
    fill_mode = 0;
    bconv_case(k, 1100, 3, 2, 40);  /* large cw: narrower channel blocks */
    bconv_case(k, 4200, 2, 2, 3);   /* beyond the stack buffer: scalar fallback */
  }
  printf("tested ISAs:%s\n", tested);
  for (int i = 0; i < nreq; i++) {
    const bnn_isa want[] = {BNN_ISA_SCALAR, BNN_ISA_AVX2, BNN_ISA_AVX512, BNN_ISA_NEON};
    int found = 0;
    for (int j = 0; j < 4; j++)
      if (strcmp(required[i], bnn_isa_name(want[j])) == 0 && bnn_kernels_for_isa(want[j])) found = 1;
    CHECK(found, "required ISA %s was not tested", required[i]);
  }
  printf("%d passed, %d failed\n", n_pass, n_fail);
  return n_fail ? 1 : 0;
}
