/* synth_model.c: the .bnn writer (model builder) and a generator of random-weight models of the
 * network.md topology whose batch norms are set from tracked per-channel statistics. */
#include "synth_model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "model.h"

/* ------------------------------------------------------------------ bytes */

static void bytes_put(bnn_bytes *b, const void *data, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + n) cap *= 2;
    unsigned char *p = realloc(b->p, cap);
    if (p == NULL) {
      b->oom = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->n, data, n);
  b->n += n;
}

static void put32(bnn_bytes *b, uint32_t v) {
  unsigned char c[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                        (unsigned char)(v >> 24)};
  bytes_put(b, c, 4);
}

static void put64(bnn_bytes *b, uint64_t v) {
  put32(b, (uint32_t)v);
  put32(b, (uint32_t)(v >> 32));
}

static void wr32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* ------------------------------------------------------------------ builder */

void bnn_mb_init(bnn_model_builder *b) { memset(b, 0, sizeof *b); }

void bnn_mb_free(bnn_model_builder *b) {
  free(b->meta.p);
  free(b->grph.p);
  free(b->tens.p);
  memset(b, 0, sizeof *b);
}

void bnn_mb_meta(bnn_model_builder *b, const char *key, const char *value) {
  bytes_put(&b->meta, key, strlen(key));
  bytes_put(&b->meta, "=", 1);
  bytes_put(&b->meta, value, strlen(value));
  bytes_put(&b->meta, "\n", 1);
}

int bnn_mb_node(bnn_model_builder *b, int op, int in0, int in1, const int p[9]) {
  put32(&b->grph, (uint32_t)op);
  put32(&b->grph, (uint32_t)in0);
  put32(&b->grph, (uint32_t)in1);
  for (int i = 0; i < 9; i++) put32(&b->grph, p ? (uint32_t)p[i] : 0u);
  return ++b->n_nodes;
}

void bnn_mb_tensor(bnn_model_builder *b, int dtype, int ndim, const int *dims, const void *data,
                   size_t nbytes) {
  put32(&b->tens, (uint32_t)dtype);
  put32(&b->tens, (uint32_t)ndim);
  for (int i = 0; i < 4; i++) put32(&b->tens, i < ndim ? (uint32_t)dims[i] : 1u);
  put64(&b->tens, nbytes);
  bytes_put(&b->tens, data, nbytes);
  static const unsigned char zero[4] = {0, 0, 0, 0};
  bytes_put(&b->tens, zero, (4 - nbytes % 4) % 4);
}

int bnn_file_assemble(int n, const char *const *tags, const void *const *payloads,
                      const size_t *sizes, unsigned char **out, size_t *size) {
  return bnn_file_assemble_version(1, n, tags, payloads, sizes, out, size);
}

int bnn_file_assemble_version(int version, int n, const char *const *tags,
                              const void *const *payloads, const size_t *sizes,
                              unsigned char **out, size_t *size) {
  size_t total = 32;
  for (int i = 0; i < n; i++) total += 16 + ((sizes[i] + 15) & ~(size_t)15);
  unsigned char *f = calloc(1, total);
  if (f == NULL) return -1;
  static const unsigned char magic[8] = {0x42, 0x4e, 0x4e, 0x4c, 0x4d, 0x0d, 0x0a, 0x1a};
  memcpy(f, magic, 8);
  wr32(f + 8, (uint32_t)version);
  wr32(f + 12, 32);
  wr32(f + 16, (uint32_t)total);
  wr32(f + 20, (uint32_t)((uint64_t)total >> 32));
  wr32(f + 24, (uint32_t)n);
  wr32(f + 28, bnn_crc32(0, f, 28));
  size_t off = 32;
  for (int i = 0; i < n; i++) {
    memcpy(f + off, tags[i], 4);
    wr32(f + off + 4, bnn_crc32(0, payloads[i], sizes[i]));
    wr32(f + off + 8, (uint32_t)sizes[i]);
    wr32(f + off + 12, (uint32_t)((uint64_t)sizes[i] >> 32));
    if (sizes[i]) memcpy(f + off + 16, payloads[i], sizes[i]);
    off += 16 + ((sizes[i] + 15) & ~(size_t)15);
  }
  *out = f;
  *size = total;
  return 0;
}

int bnn_mb_finish(const bnn_model_builder *b, unsigned char **out, size_t *size) {
  if (b->meta.oom || b->grph.oom || b->tens.oom) return -1;
  bnn_bytes g = {0};
  put32(&g, (uint32_t)b->n_nodes);
  bytes_put(&g, b->grph.p, b->grph.n);
  if (g.oom) {
    free(g.p);
    return -1;
  }
  static const char *const tags[3] = {"META", "GRPH", "TENS"};
  const void *pl[3] = {b->meta.p, g.p, b->tens.p};
  size_t sz[3] = {b->meta.n, g.n, b->tens.n};
  int r = bnn_file_assemble_version(b->version == 2 ? 2 : 1, 3, tags, pl, sz, out, size);
  free(g.p);
  return r;
}

void bnn_mb_tensor_real(bnn_model_builder *b, int ndim, const int *dims, const float *data) {
  size_t n = 1;
  for (int i = 0; i < ndim; i++) n *= (size_t)dims[i];
  if (ndim == 4 && n > 0) {
    size_t co = (size_t)dims[0], per = n / co;
    unsigned char *q = malloc(2 * co + n);
    int ok = q != NULL;
    for (size_t o = 0; ok && o < co; o++) {
      float mx = 0;
      for (size_t k = 0; k < per; k++) mx = fmaxf(mx, fabsf(data[o * per + k]));
      uint16_t hs = bnn_float_to_half(mx / 127.0f);
      if ((hs & 0x7c00u) == 0x7c00u) {
        ok = 0;
        break;
      }
      float sc = bnn_half_to_float(hs);
      q[2 * o] = (unsigned char)(hs & 0xff);
      q[2 * o + 1] = (unsigned char)(hs >> 8);
      for (size_t k = 0; k < per; k++) {
        float r = sc > 0 ? rintf(data[o * per + k] / sc) : 0.0f;
        r = fminf(127.0f, fmaxf(-127.0f, r));
        q[2 * co + o * per + k] = (unsigned char)(signed char)r;
      }
    }
    if (ok) {
      bnn_mb_tensor(b, BNN_DT_Q8, ndim, dims, q, 2 * co + n);
      free(q);
      return;
    }
    free(q);
  }
  uint16_t *h = malloc(n * 2 + 1);
  int ok = h != NULL;
  for (size_t i = 0; ok && i < n; i++) {
    h[i] = bnn_float_to_half(data[i]);
    if ((h[i] & 0x7c00u) == 0x7c00u) ok = 0;
  }
  if (ok) {
    unsigned char *le = (unsigned char *)h; /* little-endian bytes, in place */
    for (size_t i = 0; i < n; i++) {
      uint16_t v = h[i];
      le[2 * i] = (unsigned char)(v & 0xff);
      le[2 * i + 1] = (unsigned char)(v >> 8);
    }
    bnn_mb_tensor(b, BNN_DT_F16, ndim, dims, h, n * 2);
  } else {
    bnn_mb_tensor(b, BNN_DT_F32, ndim, dims, data, n * 4);
  }
  free(h);
}

void bnn_pack_weight_bits(const float *w, int co, int ci, unsigned char *bits) {
  size_t rowb = ((size_t)9 * ci + 7) / 8;
  memset(bits, 0, rowb * (size_t)co);
  for (int o = 0; o < co; o++)
    for (int c = 0; c < ci; c++)
      for (int k = 0; k < 9; k++) {
        size_t j = (size_t)k * ci + c;
        if (w[((size_t)o * ci + c) * 9 + k] >= 0) bits[rowb * o + j / 8] |= (unsigned char)(1u << (j % 8));
      }
}

/* ------------------------------------------------------------------ random models */

typedef struct {
  uint64_t s;
} rng;

static uint64_t rnext(rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static float runif(rng *r, float a, float b) {
  return a + (b - a) * (float)((double)(rnext(r) >> 40) / 16777216.0);
}

/* Per-channel statistics of an activation, under a normal approximation. */
typedef struct {
  int id, h, w, c;
  double *m, *s;
} act;

typedef struct {
  bnn_model_builder b;
  rng r;
  float eps;
  int fail;
} gen;

static act act_new(gen *g, int id, int h, int w, int c) {
  act a = {id, h, w, c, calloc((size_t)c, sizeof(double)), calloc((size_t)c, sizeof(double))};
  if (a.m == NULL || a.s == NULL) g->fail = 1;
  return a;
}

static void act_free(act *a) {
  free(a->m);
  free(a->s);
  a->m = a->s = NULL;
}

static double phi(double x) { return exp(-0.5 * x * x) / 2.5066282746310002; /* sqrt(2 pi) */ }
static double Phi(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

/* mean and std of ReLU(N(mu, sd^2)) */
static void relu_stats(double mu, double sd, double *m, double *s) {
  if (sd < 1e-12) {
    *m = mu > 0 ? mu : 0;
    *s = 0;
    return;
  }
  double z = mu / sd, P = Phi(z), p = phi(z);
  double mean = mu * P + sd * p;
  double ex2 = (mu * mu + sd * sd) * P + mu * sd * p;
  double var = ex2 - mean * mean;
  *m = mean;
  *s = var > 0 ? sqrt(var) : 0;
}

/* a real tensor: f32 in version 1 files, f16 (where it fits) in version 2 */
static void tensor_f32(gen *g, int ndim, int d0, int d1, int d2, int d3, const float *data) {
  int dims[4] = {d0, d1, d2, d3};
  size_t n = (size_t)d0 * d1 * d2 * d3;
  if (g->b.version == 2) bnn_mb_tensor_real(&g->b, ndim, dims, data);
  else bnn_mb_tensor(&g->b, BNN_DT_F32, ndim, dims, data, n * 4);
}

/* BN parameters for an input with statistics a: thresholds land inside each channel's
 * distribution, gammas of both signs, about one channel in 16 with gamma = 0.
 * Writes gamma, beta, mean, var; returns them in bn[4][c] for the caller. */
static void bn_write(gen *g, const act *a, float *bn, int zero_gamma, int folded) {
  int c = a->c;
  float *gam = bn, *bet = bn + c, *mea = bn + 2 * c, *var = bn + 3 * c;
  for (int i = 0; i < c; i++) {
    float mag = runif(&g->r, 0.5f, 2.0f);
    gam[i] = (rnext(&g->r) & 1) ? mag : -mag;
    if (zero_gamma && (rnext(&g->r) & 15) == 0) gam[i] = 0.0f;
    bet[i] = runif(&g->r, -0.2f, 0.2f);
    mea[i] = (float)(a->m[i] + a->s[i] * runif(&g->r, -0.25f, 0.25f));
    float sd = (float)(a->s[i] * runif(&g->r, 0.8f, 1.25f));
    if (!(sd > 1e-3f)) sd = 1e-3f; /* var > 0 even for a constant channel */
    var[i] = sd * sd;
  }
  if (!folded) {
    for (int k = 0; k < 4; k++) tensor_f32(g, 1, c, 1, 1, 1, bn + (size_t)k * c);
    return;
  }
  /* version 2, before a binary conv: sign(BN(x)) = +1 <=> s x >= t (s in {-1, 0, 1}) */
  signed char *sg = malloc((size_t)c);
  float *th = malloc((size_t)c * 4);
  if (sg == NULL || th == NULL) {
    g->fail = 1;
    free(sg), free(th);
    return;
  }
  for (int i = 0; i < c; i++) {
    if (gam[i] == 0.0f) {
      sg[i] = 0;
      th[i] = bet[i] >= 0.0f ? 0.0f : 1.0f;
    } else {
      double t = (double)mea[i] - (double)bet[i] * sqrt((double)var[i] + g->eps) / (double)gam[i];
      sg[i] = gam[i] > 0.0f ? 1 : -1;
      th[i] = (float)(gam[i] > 0.0f ? t : -t);
    }
  }
  int dims[4] = {c, 1, 1, 1};
  bnn_mb_tensor(&g->b, BNN_DT_I8, 1, dims, sg, (size_t)c);
  tensor_f32(g, 1, c, 1, 1, 1, th);
  free(sg), free(th);
}

/* after BN(bn) and ReLU of a: in place */
static void bn_relu_stats(const float *bn, act *a, float eps) {
  int c = a->c;
  for (int i = 0; i < c; i++) {
    double sd = sqrt((double)bn[3 * c + i] + eps);
    double mu = bn[i] * (a->m[i] - bn[2 * c + i]) / sd + bn[c + i];
    double s = fabs(bn[i]) * a->s[i] / sd;
    relu_stats(mu, s, &a->m[i], &a->s[i]);
  }
}

static int node(gen *g, int op, int in0, int in1, int p0, int p1, int p2, int p3, int p4, int p5) {
  int p[9] = {p0, p1, p2, p3, p4, p5, 0, 0, 0};
  return bnn_mb_node(&g->b, op, in0, in1, p);
}

/* real conv k x k (cin -> cout) with bias, optional BN + ReLU */
static act conv(gen *g, const act *x, int k, int stride, int pad, int cout, int bn_relu) {
  int cin = x->c;
  int h = (x->h + 2 * pad - k) / stride + 1, w = (x->w + 2 * pad - k) / stride + 1;
  int id = node(g, BNN_OP_CONV, x->id, -1, k, stride, pad, cin, cout, bn_relu);
  act y = act_new(g, id, h, w, cout);
  size_t nw = (size_t)cout * cin * k * k;
  float *W = malloc(nw * 4), *b = malloc((size_t)cout * 4), *bn = malloc((size_t)cout * 16);
  if (W == NULL || b == NULL || bn == NULL || g->fail) {
    g->fail = 1;
    free(W), free(b), free(bn);
    return y;
  }
  double ex2 = 0;
  for (int c = 0; c < cin; c++) ex2 += x->m[c] * x->m[c] + x->s[c] * x->s[c];
  ex2 = ex2 / cin + 1e-6;
  float a = (float)sqrt(3.0 / (k * k * cin * ex2));
  for (size_t i = 0; i < nw; i++) W[i] = runif(&g->r, -a, a);
  for (int o = 0; o < cout; o++) {
    b[o] = runif(&g->r, -0.1f, 0.1f);
    double m = b[o], v = 0;
    for (int c = 0; c < cin; c++)
      for (int t = 0; t < k * k; t++) {
        double wv = W[((size_t)o * cin + c) * k * k + t];
        m += wv * x->m[c];
        v += wv * wv * x->s[c] * x->s[c];
      }
    y.m[o] = m;
    y.s[o] = sqrt(v);
  }
  tensor_f32(g, 4, cout, cin, k, k, W);
  tensor_f32(g, 1, cout, 1, 1, 1, b);
  if (bn_relu) {
    bn_write(g, &y, bn, 1, 0);
    bn_relu_stats(bn, &y, g->eps);
  }
  free(W), free(b), free(bn);
  return y;
}

/* one binary conv of an HPM block: BN of the input (statistics xs over ci channels, which
 * live at channel offset xoff of x), sign bits, alpha; output statistics into y at yoff. */
static void binconv(gen *g, const act *x, int xoff, int ci, int co, act *y, int yoff) {
  act in = {0, 0, 0, ci, x->m + xoff, x->s + xoff};
  float *bn = malloc((size_t)ci * 16), *W = malloc((size_t)co * ci * 9 * 4), *alpha = malloc((size_t)co * 4);
  unsigned char *bits = malloc((size_t)co * ((9 * (size_t)ci + 7) / 8));
  double *e = malloc((size_t)ci * sizeof(double));
  if (!bn || !W || !alpha || !bits || !e) {
    g->fail = 1;
    free(bn), free(W), free(alpha), free(bits), free(e);
    return;
  }
  bn_write(g, &in, bn, 1, g->b.version == 2);
  /* expected sign of each input channel */
  for (int c = 0; c < ci; c++) {
    double gam = bn[c], bet = bn[ci + c], mea = bn[2 * ci + c], sd = sqrt((double)bn[3 * ci + c] + g->eps);
    double p;
    if (gam == 0) p = bet >= 0 ? 1 : 0;
    else {
      double t = mea - bet * sd / gam, s = in.s[c] > 1e-12 ? in.s[c] : 1e-12;
      p = gam > 0 ? 1 - Phi((t - in.m[c]) / s) : Phi((t - in.m[c]) / s);
    }
    e[c] = 2 * p - 1;
  }
  for (size_t i = 0; i < (size_t)co * ci * 9; i++) W[i] = (rnext(&g->r) & 1) ? 1.0f : -1.0f;
  int n = 9 * ci;
  for (int o = 0; o < co; o++) {
    alpha[o] = runif(&g->r, 0.5f, 1.5f) / sqrtf((float)n);
    double m = 0, v = 0;
    for (int c = 0; c < ci; c++)
      for (int t = 0; t < 9; t++) {
        m += W[((size_t)o * ci + c) * 9 + t] * e[c];
        v += 1 - e[c] * e[c];
      }
    relu_stats(alpha[o] * m, alpha[o] * sqrt(v), &y->m[yoff + o], &y->s[yoff + o]);
  }
  bnn_pack_weight_bits(W, co, ci, bits);
  int dims[4] = {co, ci, 3, 3};
  bnn_mb_tensor(&g->b, BNN_DT_BITS, 4, dims, bits, (size_t)co * ((9 * (size_t)ci + 7) / 8));
  tensor_f32(g, 1, co, 1, 1, 1, alpha);
  free(bn), free(W), free(alpha), free(bits), free(e);
}

static act hpm(gen *g, const act *x, int cout) {
  int cin = x->c;
  int id = node(g, BNN_OP_HPM, x->id, -1, cin, cout, 0, 0, 0, 0);
  act y = act_new(g, id, x->h, x->w, cout);
  if (g->fail) return y;
  int c2 = cout / 2, c4 = cout / 4;
  binconv(g, x, 0, cin, c2, &y, 0);
  binconv(g, &y, 0, c2, c4, &y, c2);
  binconv(g, &y, c2, c4, c4, &y, c2 + c4);
  if (cin == cout) {
    for (int c = 0; c < cout; c++) {
      y.m[c] += x->m[c];
      y.s[c] = sqrt(y.s[c] * y.s[c] + x->s[c] * x->s[c]);
    }
  } else {
    float *W = malloc((size_t)cout * cin * 4), *b = malloc((size_t)cout * 4);
    if (!W || !b) {
      g->fail = 1;
      free(W), free(b);
      return y;
    }
    double ex2 = 0;
    for (int c = 0; c < cin; c++) ex2 += x->m[c] * x->m[c] + x->s[c] * x->s[c];
    ex2 = ex2 / cin + 1e-6;
    float a = (float)sqrt(3.0 / (cin * ex2));
    for (size_t i = 0; i < (size_t)cout * cin; i++) W[i] = runif(&g->r, -a, a);
    for (int o = 0; o < cout; o++) {
      b[o] = runif(&g->r, -0.1f, 0.1f);
      double m = b[o], v = 0;
      for (int c = 0; c < cin; c++) {
        double wv = W[(size_t)o * cin + c];
        m += wv * x->m[c];
        v += wv * wv * x->s[c] * x->s[c];
      }
      y.m[o] += m;
      y.s[o] = sqrt(y.s[o] * y.s[o] + v);
    }
    tensor_f32(g, 4, cout, cin, 1, 1, W);
    tensor_f32(g, 1, cout, 1, 1, 1, b);
    free(W), free(b);
  }
  return y;
}

static act maxpool(gen *g, const act *x) {
  int id = node(g, BNN_OP_MAXPOOL2, x->id, -1, 0, 0, 0, 0, 0, 0);
  act y = act_new(g, id, x->h / 2, x->w / 2, x->c);
  if (g->fail) return y;
  for (int c = 0; c < x->c; c++) {
    y.m[c] = x->m[c] + 1.03 * x->s[c];
    y.s[c] = 0.70 * x->s[c];
  }
  return y;
}

static act upadd(gen *g, const act *a, const act *b) {
  int id = node(g, BNN_OP_UPADD, a->id, b->id, 0, 0, 0, 0, 0, 0);
  act y = act_new(g, id, a->h, a->w, a->c);
  if (g->fail) return y;
  for (int c = 0; c < a->c; c++) {
    y.m[c] = a->m[c] + b->m[c];
    y.s[c] = sqrt(a->s[c] * a->s[c] + b->s[c] * b->s[c]);
  }
  return y;
}

static act hourglass(gen *g, int n, const act *x) {
  int F = x->c;
  act up1 = hpm(g, x, F);
  act p = maxpool(g, x);
  act low1 = hpm(g, &p, F);
  act_free(&p);
  act low2 = n > 1 ? hourglass(g, n - 1, &low1) : hpm(g, &low1, F);
  act_free(&low1);
  act low3 = hpm(g, &low2, F);
  act_free(&low2);
  act out = upadd(g, &up1, &low3);
  act_free(&up1);
  act_free(&low3);
  return out;
}

static void head(gen *g, const act *x, int cout, int kind) {
  int cin = x->c;
  node(g, BNN_OP_HEAD, x->id, -1, cin, cout, kind, 0, 0, 0);
  float *bn = malloc((size_t)cin * 16), *W = malloc((size_t)cout * cin * 4), *b = malloc((size_t)cout * 4);
  if (!bn || !W || !b) {
    g->fail = 1;
    free(bn), free(W), free(b);
    return;
  }
  bn_write(g, x, bn, 0, 0);
  float a = sqrtf(3.0f / (cin * 0.5f));
  for (size_t i = 0; i < (size_t)cout * cin; i++) W[i] = runif(&g->r, -a, a);
  for (int o = 0; o < cout; o++)
    b[o] = kind == 1 || kind == 3 ? runif(&g->r, -2.0f, 0.0f) : runif(&g->r, -0.5f, 0.5f);
  tensor_f32(g, 4, cout, cin, 1, 1, W);
  tensor_f32(g, 1, cout, 1, 1, 1, b);
  free(bn), free(W), free(b);
}

static void meta_list(gen *g, const char *key, const char *prefix, int n, const char *const *names) {
  size_t cap = (size_t)n * 24 + 1;
  char *s = malloc(cap);
  if (s == NULL) {
    g->fail = 1;
    return;
  }
  size_t len = 0;
  s[0] = '\0';
  for (int i = 0; i < n; i++) {
    int w = names ? snprintf(s + len, cap - len, "%s%s", i ? "," : "", names[i])
                  : snprintf(s + len, cap - len, "%s%s%d", i ? "," : "", prefix, i);
    len += (size_t)w;
  }
  bnn_mb_meta(&g->b, key, s);
  free(s);
}

int bnn_synth_preset(const char *name, bnn_synth_params *p) {
  memset(p, 0, sizeof *p);
  p->width = 256;
  p->depth = 4;
  p->points = 16;
  p->seed = 1;
  if (strcmp(name, "paper256") == 0) p->size = 256;
  else if (strcmp(name, "paper128") == 0) p->size = 128;
  else return -1;
  return 0;
}

int bnn_synth_model(const bnn_synth_params *p, unsigned char **out, size_t *size, char *err,
                    size_t errlen) {
  int S = p->size, F = p->width, D = p->depth;
  if (D < 1 || D > 8 || S < 4 || S > 4096 || S % (1 << (D + 2)) != 0) {
    snprintf(err, errlen, "input size %d must be divisible by 2^(depth+2) = %d (depth 1..8, size <= 4096)", S, 1 << (D + 2));
    return -1;
  }
  if (F < 8 || F > 4096 || F % 8 != 0) {
    snprintf(err, errlen, "width %d must be a multiple of 8 in 8..4096", F);
    return -1;
  }
  if (p->points < 0 || p->points > 1024 || p->seg_classes < 0 || p->seg_classes > 256 ||
      p->det_classes < 0 || p->det_classes > 1024 || p->points + p->seg_classes + p->det_classes == 0) {
    snprintf(err, errlen, "need at least one head; points <= 1024, seg classes <= 256, det classes <= 1024");
    return -1;
  }
  gen g;
  memset(&g, 0, sizeof g);
  bnn_mb_init(&g.b);
  g.b.version = p->format == 1 ? 1 : 2;
  g.r.s = p->seed * 0x2545f4914f6cdd1dull + 12345;
  g.eps = 1e-5f;

  const char *task = p->task ? p->task : p->seg_classes ? "face" : (p->points == 0 && p->det_classes) ? "detect" : "body";
  char buf[96];
  bnn_mb_meta(&g.b, "task", task);
  snprintf(buf, sizeof buf, "synthetic-%d-%d-%d-%d", S, F, D, p->points);
  bnn_mb_meta(&g.b, "name", p->name ? p->name : buf);
  snprintf(buf, sizeof buf, "%d", S);
  bnn_mb_meta(&g.b, "input_size", buf);
  bnn_mb_meta(&g.b, "output_stride", "4");
  bnn_mb_meta(&g.b, "crop_scale", strcmp(task, "face") == 0 ? "1.4" : "1.3");
  bnn_mb_meta(&g.b, "bn_eps", "1e-05");
  if (p->region_score) bnn_mb_meta(&g.b, "region_score", p->region_score);
  if (p->points) {
    meta_list(&g, "points", "p", p->points, NULL);
    if (p->points > 1) {
      char *sk = malloc((size_t)p->points * 12);
      if (sk) {
        size_t len = 0;
        for (int i = 0; i + 1 < p->points; i++)
          len += (size_t)sprintf(sk + len, "%s%d-%d", i ? "," : "", i, i + 1);
        bnn_mb_meta(&g.b, "skeleton", sk);
        if (p->no_flip) {
          free(sk);
          sk = NULL;
        }
        /* a mirror table: points 2i and 2i+1 are a left/right pair, an odd last one is central */
        len = 0;
        for (int i = 0; sk && i < p->points; i++)
          len += (size_t)sprintf(sk + len, "%s%d", i ? "," : "",
                                 (i ^ 1) < p->points ? (i ^ 1) : i);
        if (sk) bnn_mb_meta(&g.b, "flip", sk);
        free(sk);
      } else g.fail = 1;
    }
  }
  static const char *const parts7[7] = {"background", "skin", "upper_lip", "lower_lip", "inner_mouth", "eyes", "nose"};
  if (p->seg_classes) meta_list(&g, "classes", "class", p->seg_classes, p->seg_classes == 7 ? parts7 : NULL);
  if (p->det_classes) meta_list(&g, "det_classes", "object", p->det_classes, NULL);
  bnn_mb_meta(&g.b, "license", "none (random weights)");
  bnn_mb_meta(&g.b, "description", "random-weight model of the network.md topology, for tests and benchmarks");

  act x = act_new(&g, 0, S, S, 3);
  if (!g.fail)
    for (int c = 0; c < 3; c++) {
      x.m[c] = 0.45;
      x.s[c] = 0.28;
    }
  act a = conv(&g, &x, 7, 2, 3, F / 4, 1);
  act b = hpm(&g, &a, F / 2);
  act c = maxpool(&g, &b);
  act d = hpm(&g, &c, F / 2);
  act e = hpm(&g, &d, F);
  act h = hourglass(&g, D, &e);
  act t = hpm(&g, &h, F);
  if (p->points) head(&g, &t, p->points, 1);
  if (p->seg_classes) head(&g, &t, p->seg_classes, 2);
  if (p->det_classes) {
    head(&g, &t, p->det_classes, 3);
    head(&g, &t, 2, 4);
    head(&g, &t, 2, 5);
  }
  act *all[] = {&x, &a, &b, &c, &d, &e, &h, &t};
  for (size_t i = 0; i < sizeof all / sizeof *all; i++) act_free(all[i]);
  int r = -1;
  if (!g.fail) r = bnn_mb_finish(&g.b, out, size);
  bnn_mb_free(&g.b);
  if (r != 0) snprintf(err, errlen, "out of memory building the model");
  return r;
}
