/* test_network_reference.c: the whole engine against an independent, slow, straightforward
 * implementation of network.md written here (NCHW doubles, explicit sign(BN(x)), -1 padding). */
#include <math.h>

#include "model.h"
#include "test_util.h"

/* a C x H x W tensor of doubles */
typedef struct {
  int c, h, w;
  double *v;
} tensor;

static tensor tnew(int c, int h, int w) {
  tensor t = {c, h, w, calloc((size_t)c * h * w, sizeof(double))};
  REQUIRE(t.v != NULL, "out of memory");
  return t;
}

#define AT(t, ch, y, x) ((t).v[((size_t)(ch) * (t).h + (size_t)(y)) * (t).w + (size_t)(x)])

static const float *F32(const bnn_tensor *t) { return t->data; }

/* BN of channel c applied to v */
static double bn(const bnn_tensor *t4, int c, double v, double eps) {
  const float *g = F32(&t4[0]), *b = F32(&t4[1]), *mu = F32(&t4[2]), *var = F32(&t4[3]);
  return g[c] * (v - mu[c]) / sqrt((double)var[c] + eps) + b[c];
}

/* statistics of the sign activations, to check that the generated model is not degenerate */
static double plus_count, sign_count, near_threshold;

static tensor conv_real(const tensor *x, const bnn_node *nd, double eps) {
  int k = nd->p[0], st = nd->p[1], pad = nd->p[2], cout = nd->p[4];
  tensor y = tnew(cout, nd->h, nd->w);
  const float *W = F32(&nd->t[0]), *b = F32(&nd->t[1]);
  for (int o = 0; o < cout; o++)
    for (int oy = 0; oy < y.h; oy++)
      for (int ox = 0; ox < y.w; ox++) {
        double acc = b[o];
        for (int c = 0; c < x->c; c++)
          for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
              int iy = oy * st - pad + ky, ix = ox * st - pad + kx;
              if (iy < 0 || ix < 0 || iy >= x->h || ix >= x->w) continue; /* zero padding */
              acc += W[((o * x->c + c) * k + ky) * k + kx] * AT(*x, c, iy, ix);
            }
        if (nd->p[5]) {
          acc = bn(&nd->t[2], o, acc, eps);
          acc = acc > 0 ? acc : 0;
        }
        AT(y, o, oy, ox) = acc;
      }
  return y;
}

/* y[o] = ReLU(alpha[o] * sum(sign(BN(x)) padded with -1, * sign(W))) written at channel yoff.
 * Version 1: t6 = gamma, beta, mean, var, W, alpha; sign(BN(x)) computed as written.
 * Version 2: t6 = sign s, threshold t, W, alpha; the activation is +1 where s x >= t. */
static void binconv(const tensor *x, int xoff, int ci, const bnn_tensor *t6, int co, tensor *y, int yoff,
                    double eps, int version) {
  const int per = version >= 2 ? 4 : 6;
  const unsigned char *bits = t6[per - 2].data;
  const float *alpha = F32(&t6[per - 1]);
  const signed char *sg = version >= 2 ? t6[0].data : NULL;
  const float *th = version >= 2 ? F32(&t6[1]) : NULL;
  size_t rowb = ((size_t)9 * ci + 7) / 8;
  int H = x->h, W = x->w;
  tensor a = tnew(ci, H + 2, W + 2);
  for (size_t i = 0; i < (size_t)ci * (H + 2) * (W + 2); i++) a.v[i] = -1; /* the -1 padding */
  for (int c = 0; c < ci; c++)
    for (int yy = 0; yy < H; yy++)
      for (int xx = 0; xx < W; xx++) {
        double xv = AT(*x, xoff + c, yy, xx);
        double v = sg ? sg[c] * xv - th[c] : bn(t6, c, xv, eps);
        AT(a, c, yy + 1, xx + 1) = v >= 0 ? 1 : -1;
        plus_count += v >= 0;
        sign_count++;
        near_threshold += fabs(v) < 1e-5;
      }
  for (int o = 0; o < co; o++)
    for (int yy = 0; yy < H; yy++)
      for (int xx = 0; xx < W; xx++) {
        long sum = 0;
        for (int c = 0; c < ci; c++)
          for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
              size_t j = (size_t)(ky * 3 + kx) * ci + c;
              int wb = (bits[rowb * o + j / 8] >> (j % 8)) & 1 ? 1 : -1;
              sum += (long)(wb * AT(a, c, yy + ky, xx + kx));
            }
        double v = alpha[o] * (double)sum;
        AT(*y, yoff + o, yy, xx) = v > 0 ? v : 0;
      }
  free(a.v);
}

static tensor hpm(const tensor *x, const bnn_node *nd, double eps, int version) {
  int cin = nd->p[0], c = nd->p[1], per = version >= 2 ? 4 : 6;
  tensor y = tnew(c, x->h, x->w);
  binconv(x, 0, cin, &nd->t[0], c / 2, &y, 0, eps, version);
  binconv(&y, 0, c / 2, &nd->t[per], c / 4, &y, c / 2, eps, version);
  binconv(&y, c / 2, c / 4, &nd->t[2 * per], c / 4, &y, 3 * c / 4, eps, version);
  if (cin == c) {
    for (size_t i = 0; i < (size_t)c * x->h * x->w; i++) y.v[i] += x->v[i];
  } else {
    const float *W = F32(&nd->t[3 * per]), *b = F32(&nd->t[3 * per + 1]);
    for (int o = 0; o < c; o++)
      for (int yy = 0; yy < x->h; yy++)
        for (int xx = 0; xx < x->w; xx++) {
          double acc = b[o];
          for (int i = 0; i < cin; i++) acc += W[o * cin + i] * AT(*x, i, yy, xx);
          AT(y, o, yy, xx) += acc;
        }
  }
  return y;
}

static tensor maxpool(const tensor *x) {
  tensor y = tnew(x->c, x->h / 2, x->w / 2);
  for (int c = 0; c < x->c; c++)
    for (int yy = 0; yy < y.h; yy++)
      for (int xx = 0; xx < y.w; xx++) {
        double m = AT(*x, c, 2 * yy, 2 * xx);
        m = fmax(m, AT(*x, c, 2 * yy, 2 * xx + 1));
        m = fmax(m, AT(*x, c, 2 * yy + 1, 2 * xx));
        m = fmax(m, AT(*x, c, 2 * yy + 1, 2 * xx + 1));
        AT(y, c, yy, xx) = m;
      }
  return y;
}

static tensor upadd(const tensor *a, const tensor *b) {
  tensor y = tnew(a->c, a->h, a->w);
  for (int c = 0; c < a->c; c++)
    for (int yy = 0; yy < a->h; yy++)
      for (int xx = 0; xx < a->w; xx++) AT(y, c, yy, xx) = AT(*a, c, yy, xx) + AT(*b, c, yy / 2, xx / 2);
  return y;
}

static tensor head(const tensor *x, const bnn_node *nd, double eps) {
  int cin = nd->p[0], cout = nd->p[1];
  tensor y = tnew(cout, x->h, x->w);
  const float *W = F32(&nd->t[4]), *b = F32(&nd->t[5]);
  for (int o = 0; o < cout; o++)
    for (int yy = 0; yy < x->h; yy++)
      for (int xx = 0; xx < x->w; xx++) {
        double acc = b[o];
        for (int i = 0; i < cin; i++) {
          double v = bn(&nd->t[0], i, AT(*x, i, yy, xx), eps);
          acc += W[o * cin + i] * (v > 0 ? v : 0);
        }
        AT(y, o, yy, xx) = acc;
      }
  return y;
}

/* Runs the reference on the HWC input; fills outs[output_index]. */
static void reference(const bnn_model *m, const float *input, tensor *outs) {
  int N = m->n_nodes, S = m->info.input_size;
  double eps = m->bn_eps;
  tensor *r = calloc((size_t)N, sizeof(tensor));
  REQUIRE(r != NULL, "oom");
  r[0] = tnew(3, S, S);
  for (int y = 0; y < S; y++)
    for (int x = 0; x < S; x++)
      for (int c = 0; c < 3; c++) AT(r[0], c, y, x) = input[((size_t)y * S + x) * 3 + c];
  for (int id = 1; id < N; id++) {
    const bnn_node *nd = &m->nodes[id];
    switch (nd->op) {
    case BNN_OP_CONV: r[id] = conv_real(&r[nd->in0], nd, eps); break;
    case BNN_OP_HPM: r[id] = hpm(&r[nd->in0], nd, eps, m->version); break;
    case BNN_OP_MAXPOOL2: r[id] = maxpool(&r[nd->in0]); break;
    case BNN_OP_UPADD: r[id] = upadd(&r[nd->in0], &r[nd->in1]); break;
    case BNN_OP_HEAD: r[id] = head(&r[nd->in0], nd, eps); outs[nd->output_index] = r[id]; break;
    }
  }
  for (int id = 0; id < N; id++)
    if (m->nodes[id].op != BNN_OP_HEAD) free(r[id].v);
  free(r);
}

static void compare(const char *what, int S, int F, int D, int K, int seg, int det, int threads,
                    unsigned long long seed, int fmt) {
  bnn_model *m = test_model_format(S, F, D, K, seg, det, seed, fmt);
  CHECK(m->version == fmt, "%s: generated format %d, wanted %d", what, m->version, fmt);
  char err[BNN_ERR_LEN];
  bnn_net *n = bnn_net_create(m, threads, BNN_ISA_AUTO, err, sizeof err);
  REQUIRE(n != NULL, "%s", err);
  test_fill_input(m, bnn_net_input(n), seed * 7 + 1);
  const bnn_model_info *info = bnn_model_get_info(m);
  tensor *ref = calloc((size_t)info->n_outputs, sizeof(tensor));
  plus_count = sign_count = near_threshold = 0;
  reference(m, bnn_net_input(n), ref);
  REQUIRE(bnn_net_run(n) == 0, "run");
  double frac = plus_count / sign_count;
  printf("%s (isa %s): %.0f sign activations, %.1f%% +1, %.0f within 1e-5 of a threshold\n", what,
         bnn_isa_name(bnn_net_isa(n)), sign_count, 100 * frac, near_threshold);
  CHECK(frac > 0.1 && frac < 0.9, "%s: generated model has degenerate signs (%.3f of +1)", what, frac);
  for (int i = 0; i < info->n_outputs; i++) {
    bnn_output o;
    REQUIRE(bnn_net_output(n, i, &o) == 0, "output %d", i);
    CHECK(o.c == ref[i].c && o.h == ref[i].h && o.w == ref[i].w, "%s output %d shape", what, i);
    size_t plane = (size_t)o.h * o.w;
    double maxref = 0, maxdiff = 0, mean = 0, var = 0;
    for (size_t j = 0; j < (size_t)o.c * plane; j++) {
      maxref = fmax(maxref, fabs(ref[i].v[j]));
      maxdiff = fmax(maxdiff, fabs(ref[i].v[j] - o.data[j]));
      mean += ref[i].v[j];
    }
    mean /= (double)o.c * plane;
    for (size_t j = 0; j < (size_t)o.c * plane; j++) var += (ref[i].v[j] - mean) * (ref[i].v[j] - mean);
    double sd = sqrt(var / ((double)o.c * plane));
    printf("  output %d (kind %d, %dx%dx%d): max |ref| %.4g, sd %.4g, max |diff| %.3g\n", i, o.kind, o.c, o.h,
           o.w, maxref, sd, maxdiff);
    CHECK(sd > 1e-3 * (maxref + 1e-9), "%s output %d is constant", what, i);
    CHECK(maxdiff <= 1e-4 * maxref + 1e-5, "%s output %d differs from the reference: %g (max %g)", what, i, maxdiff, maxref);
    /* identical argmax per channel */
    for (int c = 0; c < o.c; c++) {
      size_t be = 0, br = 0;
      for (size_t j = 1; j < plane; j++) {
        if (o.data[c * plane + j] > o.data[c * plane + be]) be = j;
        if (ref[i].v[c * plane + j] > ref[i].v[c * plane + br]) br = j;
      }
      CHECK(be == br, "%s output %d channel %d: argmax %zu, reference %zu", what, i, c, be, br);
    }
    free(ref[i].v);
  }
  free(ref);
  bnn_net_free(n);
  bnn_model_free(m);
}

int main(void) {
  for (int fmt = 1; fmt <= 2; fmt++) {
    printf("file format version %d\n", fmt);
    compare("S32 F32 D2 K5 +seg7", 32, 32, 2, 5, 7, 0, 1, 11, fmt);
    compare("S32 F80 D1 K3 (channels not multiples of 64)", 32, 80, 1, 3, 0, 0, 2, 12, fmt);
    compare("S64 F16 D3 K4 +det2", 64, 16, 3, 4, 0, 2, 3, 13, fmt);
    compare("S32 F136 D1 K2 (3 words per pixel)", 32, 136, 1, 2, 0, 0, 1, 14, fmt);
  }
  return test_result("test_network_reference");
}
