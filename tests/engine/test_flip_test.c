/* test_flip_test.c: the flip test (bnn_net_set_flip_test). With it on, each output must be
 * exactly the mean of a plain run on the input and a plain run on its mirror image, flipped
 * back and (heatmaps) permuted through the model's flip table; the input is left as it was; and
 * the result is mirror-symmetric: flip-testing the mirror image gives the mirrored, permuted
 * result. Models without a flip table and detectors are refused with a message. */
#include <math.h>

#include "test_util.h"

static size_t out_floats(const bnn_net *n, int i) {
  bnn_output o;
  bnn_net_output(n, i, &o);
  return (size_t)o.c * o.h * o.w;
}

static void mirror(float *x, int S) {
  for (int y = 0; y < S; y++)
    for (int a = 0, b = S - 1; a < b; a++, b--)
      for (int c = 0; c < 3; c++) {
        float t = x[((size_t)y * S + a) * 3 + c];
        x[((size_t)y * S + a) * 3 + c] = x[((size_t)y * S + b) * 3 + c];
        x[((size_t)y * S + b) * 3 + c] = t;
      }
}

/* out[k][y][x] = src[perm(k)][y][w-1-x] */
static void unmirror_output(const bnn_output *o, const int *perm, const float *src, float *out) {
  size_t hw = (size_t)o->h * o->w;
  for (int k = 0; k < o->c; k++)
    for (int y = 0; y < o->h; y++)
      for (int x = 0; x < o->w; x++)
        out[k * hw + (size_t)y * o->w + x] = src[(size_t)(perm ? perm[k] : k) * hw + (size_t)y * o->w + (o->w - 1 - x)];
}

static void check_model(bnn_model *m, int threads) {
  const bnn_model_info *info = bnn_model_get_info(m);
  char err[BNN_ERR_LEN];
  bnn_net *n = bnn_net_create(m, threads, BNN_ISA_AUTO, err, sizeof err);
  REQUIRE(n != NULL, "%s", err);
  const int S = info->input_size;
  const size_t nin = (size_t)S * S * 3;
  float *x = malloc(nin * sizeof(float)), *xm = malloc(nin * sizeof(float));
  REQUIRE(x && xm, "oom");
  test_fill_input(m, x, 7);
  memcpy(xm, x, nin * sizeof(float));
  mirror(xm, S);
  REQUIRE(info->flip != NULL, "synthetic model without flip table");
  CHECK(bnn_net_flip_test(n) == 0, "flip test on by default");

  for (int i = 0; i < info->n_outputs; i++) {
    bnn_output o;
    bnn_net_output(n, i, &o);
    const int *perm = o.kind == BNN_OUT_HEATMAP ? info->flip : NULL;
    size_t sz = out_floats(n, i);
    float *plain = malloc(sz * sizeof(float)), *mir = malloc(sz * sizeof(float)),
          *want = malloc(sz * sizeof(float)), *got = malloc(sz * sizeof(float)),
          *gotm = malloc(sz * sizeof(float));
    REQUIRE(plain && mir && want && got && gotm, "oom");
    bnn_net_set_flip_test(n, 0, NULL, 0);
    memcpy(bnn_net_input(n), x, nin * sizeof(float));
    bnn_net_run(n);
    memcpy(plain, o.data, sz * sizeof(float));
    memcpy(bnn_net_input(n), xm, nin * sizeof(float));
    bnn_net_run(n);
    unmirror_output(&o, perm, o.data, mir);
    for (size_t j = 0; j < sz; j++) want[j] = 0.5f * (plain[j] + mir[j]);

    REQUIRE(bnn_net_set_flip_test(n, 1, err, sizeof err) == 0, "%s", err);
    CHECK(bnn_net_flip_test(n) == 1, "flip test not on");
    memcpy(bnn_net_input(n), x, nin * sizeof(float));
    bnn_net_run(n);
    memcpy(got, o.data, sz * sizeof(float));
    CHECK(memcmp(bnn_net_input(n), x, nin * sizeof(float)) == 0, "the input was left mirrored");
    size_t bad = 0;
    for (size_t j = 0; j < sz; j++) bad += memcmp(&got[j], &want[j], sizeof(float)) != 0;
    CHECK(bad == 0, "output %d (kind %d, %d threads): %zu of %zu values are not the mean of the "
          "plain and the mirrored run", i, (int)o.kind, threads, bad, sz);
    /* symmetry: the flip test of the mirror image is the mirrored, permuted flip test */
    memcpy(bnn_net_input(n), xm, nin * sizeof(float));
    bnn_net_run(n);
    unmirror_output(&o, perm, o.data, gotm);
    bad = 0;
    for (size_t j = 0; j < sz; j++) bad += memcmp(&got[j], &gotm[j], sizeof(float)) != 0;
    CHECK(bad == 0, "output %d: flip test is not mirror-symmetric (%zu values)", i, bad);
    /* the flip test must change something on a random net (else the test proves nothing) */
    size_t differ = 0;
    for (size_t j = 0; j < sz; j++) differ += got[j] != plain[j];
    CHECK(differ > sz / 2, "output %d: flip test changed only %zu of %zu values", i, differ, sz);
    free(plain);
    free(mir);
    free(want);
    free(got);
    free(gotm);
  }
  free(x);
  free(xm);
  bnn_net_free(n);
}

int main(void) {
  /* heatmaps only; heatmaps + parts (odd K: a central point maps to itself) */
  bnn_model *body = test_model(32, 16, 2, 4, 0, 0, 11);
  bnn_model *face = test_model(32, 16, 2, 5, 7, 0, 12);
  const bnn_model_info *fi = bnn_model_get_info(face);
  CHECK(fi->flip && fi->flip[4] == 4 && fi->flip[0] == 1 && fi->flip[1] == 0, "flip table");
  for (int t = 1; t <= 2; t++) {
    check_model(body, t);
    check_model(face, t);
  }
  /* a detector has no flip test: refused with a reason */
  bnn_model *det = test_model(32, 16, 2, 0, 0, 2, 13);
  char err[BNN_ERR_LEN];
  bnn_net *n = bnn_net_create(det, 1, BNN_ISA_AUTO, err, sizeof err);
  REQUIRE(n != NULL, "%s", err);
  CHECK(bnn_net_set_flip_test(n, 1, err, sizeof err) == -1, "detector accepted the flip test");
  CHECK(strstr(err, "flip") != NULL, "no reason given: '%s'", err);
  CHECK(bnn_net_flip_test(n) == 0, "flip test on after refusal");
  bnn_net_free(n);
  bnn_model_free(det);
  bnn_model_free(body);
  bnn_model_free(face);
  return test_result("test_flip_test");
}
