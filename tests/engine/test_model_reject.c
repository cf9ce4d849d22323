/* test_model_reject.c: the loader refuses every broken file with a precise message: truncations at
 * every length, flipped bytes (CRC), and structurally invalid files whose CRCs are all correct. */
#include <math.h>

#include "crc32.h"
#include "model.h"
#include "synth_model.h"
#include "test_util.h"

static void wr32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Load data and require failure with `expect` (and the word `where`) in the message. */
static void expect_fail(const char *what, const unsigned char *data, size_t size, const char *expect,
                        const char *where) {
  char err[BNN_ERR_LEN];
  bnn_model *m = bnn_model_load_memory(data, size, "t.bnn", err, sizeof err);
  CHECK(m == NULL, "%s: accepted", what);
  if (m) {
    bnn_model_free(m);
    return;
  }
  CHECK(strncmp(err, "t.bnn: ", 7) == 0, "%s: message does not name the file: %s", what, err);
  CHECK(strstr(err, expect) != NULL, "%s: message '%s' lacks '%s'", what, err, expect);
  if (where) CHECK(strstr(err, where) != NULL, "%s: message '%s' lacks '%s'", what, err, where);
}

static void expect_ok(const char *what, const unsigned char *data, size_t size) {
  char err[BNN_ERR_LEN];
  bnn_model *m = bnn_model_load_memory(data, size, "t.bnn", err, sizeof err);
  CHECK(m != NULL, "%s: rejected: %s", what, err);
  bnn_model_free(m);
}

/* ---- a tiny hand-built network: CONV 1x1 (3 -> 8), HPM(8, 8), HEAD (8 -> 2 heatmaps) ----
 * at S = 4, stride 1; `mut` selects one defect. */
enum {
  OK = 0,
  META_NO_EQ, META_NO_TASK, META_BAD_TASK, META_DUP, META_BAD_SIZE, META_BAD_UTF8, META_NO_NL,
  META_POINTS3, META_BAD_MEAN, META_BAD_SKEL, META_FLIP_PERM, META_FLIP_COUNT, META_FLIP_RANGE,
  META_REGION_OK, META_REGION_HIGH, META_REGION_TEXT,
  G_LATER, G_SELF, G_CIN, G_OP, G_PARAM, G_UNUSED, G_HEAD_STRIDE, G_COUNT, G_HPM_COUT, G_IN1,
  T_DTYPE, T_DIMS, T_NBYTES, T_LEFTOVER, T_NAN, T_NEGVAR, T_MISSING, T_HIGHBITS, G_ODD, G_HEAD_IN,
  /* format version 2: sign + f16 threshold before each binary conv, f16 real tensors */
  V2_OK, V2_SIGN_VALUE, V2_F16_INF, V2_SIGN_DTYPE, V2_BN4, V1_F16,
  V2_Q8_VEC, V2_Q8_INF_SCALE, V2_Q8_NBYTES,
};

/* version 2: the CONV's W [8, 3, 1, 1] as q8 (scale 0.5 for channel o odd, 0.25 even) */
static void conv_w_q8(bnn_model_builder *b, int mut) {
  unsigned char d[8 * 2 + 24];
  for (int o = 0; o < 8; o++) {
    uint16_t h = bnn_float_to_half(o % 2 ? 0.5f : 0.25f);
    if (mut == V2_Q8_INF_SCALE && o == 5) h = 0x7c00;
    d[2 * o] = (unsigned char)(h & 0xff);
    d[2 * o + 1] = (unsigned char)(h >> 8);
  }
  for (int i = 0; i < 24; i++) d[16 + i] = (unsigned char)(signed char)(i - 12);
  int dims[4] = {8, 3, 1, 1};
  bnn_mb_tensor(b, BNN_DT_Q8, 4, dims, d, mut == V2_Q8_NBYTES ? 24 : sizeof d);
}

static int is_v2(int mut) { return mut >= V2_OK && mut != V1_F16; }

/* version 2: the sign (i8) and threshold (f16) of the BN before a binary conv */
static void sign_threshold(bnn_model_builder *b, int c, int mut) {
  signed char sg[64];
  uint16_t th[64];
  float f[64];
  int d[1] = {c};
  for (int i = 0; i < c; i++) {
    sg[i] = (signed char)(i % 3 - 1);
    th[i] = bnn_float_to_half(0.25f * (float)i - 0.5f);
    f[i] = (float)sg[i];
  }
  if (mut == V2_SIGN_VALUE) sg[c - 1] = 2;
  if (mut == V2_F16_INF) th[1] = 0x7c00; /* +inf */
  if (mut == V2_SIGN_DTYPE) bnn_mb_tensor(b, BNN_DT_F32, 1, d, f, sizeof(float) * c);
  else bnn_mb_tensor(b, BNN_DT_I8, 1, d, sg, (size_t)c);
  bnn_mb_tensor(b, BNN_DT_F16, 1, d, th, 2 * (size_t)c); /* little-endian host assumed below */
}

static void bn4(bnn_model_builder *b, int c, int mut) {
  float v[64];
  int d[1] = {c};
  for (int k = 0; k < 4; k++) {
    for (int i = 0; i < c; i++) v[i] = k == 0 ? (i % 2 ? 1.0f : -0.5f) : k == 3 ? 1.0f : 0.1f * i;
    if (k == 3 && mut == T_NEGVAR) v[c - 1] = -1.0f;
    bnn_mb_tensor(b, BNN_DT_F32, 1, d, v, sizeof(float) * c);
  }
}

static void f32(bnn_model_builder *b, int ndim, int d0, int d1, int d2, int d3, int mut) {
  float v[256];
  int d[4] = {d0, d1, d2, d3};
  size_t n = (size_t)d0 * d1 * d2 * d3;
  for (size_t i = 0; i < n; i++) v[i] = 0.01f * (float)(i % 17) - 0.05f;
  if (mut == T_NAN) v[n - 1] = NAN;
  if (mut == T_DIMS) d[0] += 1, v[n] = 0; /* one element more */
  int dtype = mut == T_DTYPE ? BNN_DT_BITS : BNN_DT_F32;
  size_t nb = sizeof(float) * (n + (mut == T_DIMS));
  if (mut == T_NBYTES) nb -= 4;
  bnn_mb_tensor(b, dtype, ndim, d, v, nb);
}

static unsigned char *tiny(int mut, size_t *size) {
  bnn_model_builder b;
  bnn_mb_init(&b);
  if (is_v2(mut)) b.version = 2;
  if (mut == META_NO_EQ) bnn_mb_meta(&b, "oops", "x"), b.meta.p[b.meta.n - 3] = ' ';
  if (mut != META_NO_TASK) bnn_mb_meta(&b, "task", mut == META_BAD_TASK ? "hand" : "body");
  bnn_mb_meta(&b, "name", mut == META_BAD_UTF8 ? "bad\xc3\x28" : "tiny");
  bnn_mb_meta(&b, "input_size", mut == META_BAD_SIZE ? "4x" : mut == G_ODD ? "5" : "4");
  bnn_mb_meta(&b, "output_stride", "1");
  if (mut == META_DUP) bnn_mb_meta(&b, "name", "again");
  bnn_mb_meta(&b, "points", mut == META_POINTS3 ? "a,b,c" : "a,b");
  if (mut == META_BAD_MEAN) bnn_mb_meta(&b, "mean", "0.5,0.5");
  if (mut == META_BAD_SKEL) bnn_mb_meta(&b, "skeleton", "0-2");
  if (mut == META_FLIP_PERM) bnn_mb_meta(&b, "flip", "1,1");
  else if (mut == META_FLIP_COUNT) bnn_mb_meta(&b, "flip", "0");
  else if (mut == META_FLIP_RANGE) bnn_mb_meta(&b, "flip", "0,2");
  else if (mut != META_POINTS3) bnn_mb_meta(&b, "flip", "1,0"); /* the valid table */
  if (mut == META_REGION_OK) bnn_mb_meta(&b, "region_score", "0.25");
  if (mut == META_REGION_HIGH) bnn_mb_meta(&b, "region_score", "1.5");
  if (mut == META_REGION_TEXT) bnn_mb_meta(&b, "region_score", "high");
  if (mut == META_NO_NL) b.meta.n--;
  int p[9] = {0};
  /* node 1: CONV 1x1 3 -> 8 */
  p[0] = 1, p[1] = 1, p[2] = 0, p[3] = 3, p[4] = 8, p[5] = 0;
  if (mut == G_PARAM) p[7] = 5;
  bnn_mb_node(&b, mut == G_OP ? 9 : BNN_OP_CONV, mut == G_SELF ? 1 : 0, mut == G_IN1 ? 0 : -1, p);
  /* node 2: HPM 8 -> 8 */
  memset(p, 0, sizeof p);
  p[0] = mut == G_CIN ? 6 : 8, p[1] = mut == G_HPM_COUT ? 10 : 8;
  bnn_mb_node(&b, BNN_OP_HPM, mut == G_LATER ? 3 : 1, -1, p);
  if (mut == G_UNUSED) bnn_mb_node(&b, BNN_OP_MAXPOOL2, 2, -1, NULL);
  /* node 3: HEAD 8 -> 2 */
  memset(p, 0, sizeof p);
  p[0] = 8, p[1] = 2, p[2] = 1;
  if (mut == G_HEAD_STRIDE || mut == G_ODD) { /* a head at half resolution: pool first */
    bnn_mb_node(&b, BNN_OP_MAXPOOL2, 2, -1, NULL);
    bnn_mb_node(&b, BNN_OP_HEAD, 3, -1, p);
  } else {
    bnn_mb_node(&b, BNN_OP_HEAD, 2, -1, p);
  }
  if (mut == G_HEAD_IN) bnn_mb_node(&b, BNN_OP_HEAD, 3, -1, p);
  /* tensors */
  if (is_v2(mut)) conv_w_q8(&b, mut);
  else f32(&b, 4, 8, 3, 1, 1, mut == T_DTYPE || mut == T_DIMS || mut == T_NBYTES || mut == T_NAN ? mut : 0);
  if (mut == V2_Q8_VEC) {
    unsigned char d[2 * 8 + 8] = {0};
    int dims[1] = {8};
    bnn_mb_tensor(&b, BNN_DT_Q8, 1, dims, d, sizeof d);
  } else if (mut == V1_F16) {
    uint16_t h[8];
    int d[1] = {8};
    for (int i = 0; i < 8; i++) h[i] = bnn_float_to_half(0.1f * (float)i);
    bnn_mb_tensor(&b, BNN_DT_F16, 1, d, h, sizeof h);
  } else {
    f32(&b, 1, 8, 1, 1, 1, 0);
  }
  int ci[3] = {8, 4, 2}, co[3] = {4, 2, 2};
  for (int j = 0; j < 3; j++) {
    if (is_v2(mut) && mut != V2_BN4) sign_threshold(&b, ci[j], j == 1 ? mut : 0);
    else bn4(&b, ci[j], j == 1 ? mut : 0);
    size_t rowb = (9 * (size_t)ci[j] + 7) / 8;
    unsigned char bits[64];
    for (size_t i = 0; i < rowb * co[j]; i++) bits[i] = (unsigned char)(0x5a ^ (i * 37));
    for (int o = 0; o < co[j]; o++)
      if ((9 * ci[j]) % 8) bits[o * rowb + rowb - 1] &= (unsigned char)((1u << ((9 * ci[j]) % 8)) - 1);
    if (mut == T_HIGHBITS && j == 2) bits[rowb - 1] |= 0x80;
    int d[4] = {co[j], ci[j], 3, 3};
    bnn_mb_tensor(&b, BNN_DT_BITS, 4, d, bits, rowb * co[j]);
    f32(&b, 1, co[j], 1, 1, 1, 0);
  }
  bn4(&b, 8, 0);
  f32(&b, 4, 2, 8, 1, 1, 0);
  if (mut != T_MISSING) f32(&b, 1, 2, 1, 1, 1, 0);
  if (mut == T_LEFTOVER) {
    unsigned char z[4] = {0};
    int d1[1] = {1};
    bnn_mb_tensor(&b, BNN_DT_F32, 1, d1, z, 4);
  }
  unsigned char *out;
  if (mut == G_COUNT) { /* node count field larger than the records */
    b.n_nodes += 1;
  }
  REQUIRE(bnn_mb_finish(&b, &out, size) == 0, "oom");
  bnn_mb_free(&b);
  return out;
}

static void reject_tiny(const char *what, int mut, const char *expect, const char *where) {
  size_t size;
  unsigned char *f = tiny(mut, &size);
  expect_fail(what, f, size, expect, where);
  free(f);
}

/* locate section tag in a file; returns the offset of its header or 0 */
static size_t find_section(const unsigned char *f, size_t size, const char *tag) {
  size_t off = 32;
  while (off + 16 <= size) {
    uint64_t ps = 0;
    for (int i = 7; i >= 0; i--) ps = ps << 8 | f[off + 8 + i];
    if (memcmp(f + off, tag, 4) == 0) return off;
    off += 16 + ((ps + 15) & ~(uint64_t)15);
  }
  return 0;
}

static void fix_crcs(unsigned char *f, size_t size) {
  wr32(f + 28, bnn_crc32(0, f, 28));
  size_t off = 32;
  while (off + 16 <= size) {
    uint64_t ps = 0;
    for (int i = 7; i >= 0; i--) ps = ps << 8 | f[off + 8 + i];
    if (ps > size - off - 16) break;
    wr32(f + off + 4, bnn_crc32(0, f + off + 16, (size_t)ps));
    off += 16 + ((ps + 15) & ~(uint64_t)15);
  }
}

int main(void) {
  /* the valid tiny model loads, and so does a generated one */
  size_t size;
  unsigned char *good = tiny(OK, &size);
  expect_ok("tiny", good, size);
  {
    char err[BNN_ERR_LEN];
    bnn_model *m = bnn_model_load_memory(good, size, "t.bnn", err, sizeof err);
    if (m) {
      const bnn_model_info *in = bnn_model_get_info(m);
      CHECK(in->input_size == 4 && in->n_points == 2 && strcmp(in->point_names[1], "b") == 0 &&
                in->n_outputs == 1 && fabsf(in->crop_scale - 1.0f) < 1e-6f && in->std[2] == 1.0f,
            "tiny: info");
      CHECK(in->flip && in->flip[0] == 1 && in->flip[1] == 0, "tiny: flip table");
      CHECK(in->region_score == -1.0f, "tiny: no region_score -> -1 (%g)", in->region_score);
      /* MACs: CONV 16*8*3, HPM 9*16*(8*4 + 4*2 + 2*2), HEAD 16*8*2 */
      CHECK(in->binary_macs == 9ull * 16 * 44 && in->real_macs == 16ull * 24 + 16ull * 16, "MACs %llu %llu",
            (unsigned long long)in->binary_macs, (unsigned long long)in->real_macs);
      CHECK(m->nodes[2].h == 4 && m->nodes[2].c == 8 && m->nodes[3].c == 2, "shapes");
      bnn_model_free(m);
    }
  }

  /* truncation at every length */
  for (size_t n = 0; n < size; n++) {
    char err[BNN_ERR_LEN];
    bnn_model *m = bnn_model_load_memory(good, n, "t.bnn", err, sizeof err);
    CHECK(m == NULL, "truncated to %zu bytes: accepted", n);
    bnn_model_free(m);
    if (n < 32) CHECK(strstr(err, "too short") != NULL, "truncated %zu: %s", n, err);
    else CHECK(strstr(err, "file size") != NULL, "truncated %zu: %s", n, err);
  }
  /* one extra byte */
  {
    unsigned char *big = calloc(size + 1, 1);
    memcpy(big, good, size);
    expect_fail("one byte appended", big, size + 1, "file size", "header");
    free(big);
  }
  /* flipped bytes: header (magic, then CRC) and each section's payload (CRC) */
  {
    unsigned char *f = malloc(size);
    for (size_t i = 0; i < 28; i++) {
      memcpy(f, good, size);
      f[i] ^= 0x10;
      expect_fail("header byte flipped", f, size, i < 8 ? "bad magic" : "header CRC", "header");
    }
    static const char *const tags[3] = {"META", "GRPH", "TENS"};
    for (int s = 0; s < 3; s++) {
      size_t off = find_section(good, size, tags[s]);
      REQUIRE(off != 0, "section %s", tags[s]);
      uint64_t ps = good[off + 8] | (uint64_t)good[off + 9] << 8 | (uint64_t)good[off + 10] << 16;
      for (uint64_t i = 0; i < ps; i += 1 + ps / 40) {
        memcpy(f, good, size);
        f[off + 16 + i] ^= 0x01;
        expect_fail("payload byte flipped", f, size, "CRC mismatch", tags[s]);
      }
      /* a flipped stored CRC */
      memcpy(f, good, size);
      f[off + 4] ^= 0x80;
      expect_fail("stored CRC flipped", f, size, "CRC mismatch", tags[s]);
    }
    /* structural edits with the CRCs recomputed */
    memcpy(f, good, size);
    f[0] = 'X';
    fix_crcs(f, size);
    expect_fail("bad magic", f, size, "bad magic", "header");
    memcpy(f, good, size);
    wr32(f + 8, 3);
    fix_crcs(f, size);
    expect_fail("version 3", f, size, "unsupported version 3", "header");
    memcpy(f, good, size);
    wr32(f + 12, 48);
    fix_crcs(f, size);
    expect_fail("header size", f, size, "header size 48", "header");
    memcpy(f, good, size);
    wr32(f + 16, (uint32_t)size - 16);
    fix_crcs(f, size);
    expect_fail("file size field", f, size, "file size", "header");
    memcpy(f, good, size);
    wr32(f + 24, 4);
    fix_crcs(f, size);
    expect_fail("section count 4", f, size, "past the end", "section 4");
    memcpy(f, good, size);
    wr32(f + 24, 2);
    fix_crcs(f, size);
    expect_fail("section count 2", f, size, "after the last of 2 sections", "header");
    size_t off = find_section(good, size, "GRPH");
    memcpy(f, good, size);
    memcpy(f + off, "GRPX", 4);
    fix_crcs(f, size);
    expect_fail("unknown tag", f, size, "unknown section tag 'GRPX'", "section 2");
    memcpy(f, good, size);
    memcpy(f + off, "META", 4);
    fix_crcs(f, size);
    expect_fail("duplicate META", f, size, "duplicate section", "META");
    memcpy(f, good, size);
    f[off + 8] = (unsigned char)(f[off + 8] + 1); /* payload one byte longer: eats a padding byte or more */
    fix_crcs(f, size);
    {
      char err[BNN_ERR_LEN];
      bnn_model *m = bnn_model_load_memory(f, size, "t.bnn", err, sizeof err);
      CHECK(m == NULL, "GRPH payload size + 1: accepted");
      bnn_model_free(m);
    }
    /* non-zero padding after META */
    size_t mo = find_section(good, size, "META");
    uint64_t mps = good[mo + 8] | (uint64_t)good[mo + 9] << 8;
    if (mps % 16) {
      memcpy(f, good, size);
      f[mo + 16 + mps] = 1;
      fix_crcs(f, size);
      expect_fail("padding", f, size, "non-zero padding", "META");
    }
    free(f);
  }
  /* missing / reordered sections, assembled with correct CRCs */
  {
    size_t mo = find_section(good, size, "META"), go = find_section(good, size, "GRPH"),
           to = find_section(good, size, "TENS");
    const void *pl[4];
    size_t sz[4];
#define SEC(i, o)                                                                        \
  pl[i] = good + (o) + 16;                                                               \
  sz[i] = (size_t)(good[(o) + 8] | (uint64_t)good[(o) + 9] << 8 | (uint64_t)good[(o) + 10] << 16)
    const char *t1[2] = {"META", "TENS"};
    SEC(0, mo);
    SEC(1, to);
    unsigned char *f;
    size_t fs;
    REQUIRE(bnn_file_assemble(2, t1, pl, sz, &f, &fs) == 0, "oom");
    expect_fail("missing GRPH", f, fs, "missing section", "GRPH");
    free(f);
    const char *t2[3] = {"TENS", "GRPH", "META"};
    SEC(0, to);
    SEC(1, go);
    SEC(2, mo);
    REQUIRE(bnn_file_assemble(3, t2, pl, sz, &f, &fs) == 0, "oom");
    expect_ok("sections in another order", f, fs);
    free(f);
    const char *t3[4] = {"META", "GRPH", "TENS", "TENS"};
    SEC(0, mo);
    SEC(1, go);
    SEC(2, to);
    SEC(3, to);
    REQUIRE(bnn_file_assemble(4, t3, pl, sz, &f, &fs) == 0, "oom");
    expect_fail("duplicate TENS", f, fs, "duplicate section", "TENS");
    free(f);
    REQUIRE(bnn_file_assemble(0, t3, pl, sz, &f, &fs) == 0, "oom");
    expect_fail("no sections", f, fs, "missing section", "META");
    free(f);
#undef SEC
  }
  free(good);

  /* META */
  reject_tiny("META without '='", META_NO_EQ, "no '='", "META");
  reject_tiny("META without task", META_NO_TASK, "required key 'task'", "META");
  reject_tiny("META bad task", META_BAD_TASK, "is not body, face or detect", "META");
  reject_tiny("META duplicate key", META_DUP, "duplicate key 'name'", "META");
  reject_tiny("META bad input_size", META_BAD_SIZE, "input_size", "META");
  reject_tiny("META bad UTF-8", META_BAD_UTF8, "invalid UTF-8", "META");
  reject_tiny("META last line", META_NO_NL, "newline", "META");
  reject_tiny("META 3 points, 2 heatmaps", META_POINTS3, "META points lists 3", "node 3 (HEAD)");
  reject_tiny("META mean of 2", META_BAD_MEAN, "3 numbers", "META");
  reject_tiny("META skeleton index", META_BAD_SKEL, "skeleton pair 1", "META");
  reject_tiny("META flip not a mirror", META_FLIP_PERM, "not a mirror permutation", "META");
  reject_tiny("META flip count", META_FLIP_COUNT, "flip lists 1 indices but points lists 2", "META");
  reject_tiny("META flip index", META_FLIP_RANGE, "flip item 2", "META");
  reject_tiny("META region_score above 1", META_REGION_HIGH, "region_score '1.5'", "META");
  reject_tiny("META region_score text", META_REGION_TEXT, "region_score 'high'", "META");
  {
    size_t rs;
    unsigned char *r = tiny(META_REGION_OK, &rs);
    char err[BNN_ERR_LEN];
    bnn_model *m = bnn_model_load_memory(r, rs, "t.bnn", err, sizeof err);
    CHECK(m != NULL, "META region_score 0.25: rejected: %s", err);
    if (m) {
      CHECK(fabsf(bnn_model_get_info(m)->region_score - 0.25f) < 1e-6f, "region_score %g",
            bnn_model_get_info(m)->region_score);
      bnn_model_free(m);
    }
    free(r);
  }
  /* GRPH */
  reject_tiny("node uses a later node", G_LATER, "not an earlier node", "GRPH: node 2 (HPM)");
  reject_tiny("node uses itself", G_SELF, "not an earlier node", "GRPH: node 1 (CONV)");
  reject_tiny("cin mismatch", G_CIN, "cin 6 != input channels 8", "node 2 (HPM)");
  reject_tiny("unknown op", G_OP, "unknown op 9", "node 1");
  reject_tiny("unused parameter", G_PARAM, "p[7] = 5", "node 1 (CONV)");
  reject_tiny("unused non-head node", G_UNUSED, "never used", "node 3 (MAXPOOL2)");
  reject_tiny("odd size before maxpool", G_ODD, "input is 5x5, not even", "node 3 (MAXPOOL2)");
  reject_tiny("head size vs output_stride", G_HEAD_STRIDE, "output is 2x2 but input_size / output_stride = 4 / 1",
              "node 4 (HEAD)");
  reject_tiny("node count", G_COUNT, "expected 4 + 48 x 4", "GRPH");
  reject_tiny("HEAD as an input", G_HEAD_IN, "input is a HEAD", "node 4 (HEAD)");
  reject_tiny("HPM cout % 4", G_HPM_COUT, "multiple of 4", "node 2 (HPM)");
  reject_tiny("in1 on CONV", G_IN1, "takes one input", "node 1 (CONV)");
  /* TENS */
  reject_tiny("wrong dtype", T_DTYPE, "dtype 2 (packed bits), expected f32", "node 1 (CONV) tensor 0 (W)");
  /* format version 2 */
  {
    size_t s2;
    unsigned char *v2 = tiny(V2_OK, &s2);
    char err[BNN_ERR_LEN];
    bnn_model *m = bnn_model_load_memory(v2, s2, "t.bnn", err, sizeof err);
    CHECK(m != NULL, "version 2 tiny rejected: %s", err);
    if (m) {
      const bnn_tensor *th = &m->nodes[2].t[1];
      const signed char *sg = m->nodes[2].t[0].data;
      CHECK(m->version == 2 && bnn_model_get_info(m)->format_version == 2, "version 2: version");
      CHECK(th->dtype == BNN_DT_F32 && ((const float *)th->data)[3] == 0.25f &&
                ((const float *)th->data)[0] == -0.5f && sg[0] == -1 && sg[2] == 1,
            "version 2: f16 thresholds widened exactly, signs kept");
      const float *w = m->nodes[1].t[0].data; /* q8: (i - 12) x scale of channel i / 3 */
      CHECK(m->nodes[1].t[0].dtype == BNN_DT_F32 && w[0] == -12 * 0.25f && w[4] == -8 * 0.5f &&
                w[23] == 11 * 0.5f,
            "version 2: q8 weights widened: %g %g %g", (double)w[0], (double)w[4], (double)w[23]);
      bnn_model_free(m);
    }
    for (size_t n = 0; n < s2; n++) {
      m = bnn_model_load_memory(v2, n, "t.bnn", err, sizeof err);
      CHECK(m == NULL, "version 2 truncated to %zu bytes: accepted", n);
      bnn_model_free(m);
    }
    free(v2);
  }
  reject_tiny("v2 sign 2", V2_SIGN_VALUE, "sign 2 at channel 3 (must be -1, 0 or 1)",
              "node 2 (HPM) tensor 4 (sign)");
  reject_tiny("v2 f16 inf", V2_F16_INF, "element 1 is not finite", "node 2 (HPM) tensor 5 (threshold)");
  reject_tiny("v2 sign as f32", V2_SIGN_DTYPE, "dtype 1 (f32), expected i8", "node 2 (HPM) tensor 4 (sign)");
  reject_tiny("v2 with v1 BN", V2_BN4, "dtype 1 (f32), expected i8", "node 2 (HPM) tensor 0 (sign)");
  reject_tiny("v2 q8 bias", V2_Q8_VEC, "dtype 5 (q8), expected f32 or f16", "node 1 (CONV) tensor 1 (bias)");
  reject_tiny("v2 q8 inf scale", V2_Q8_INF_SCALE, "scale of output channel 5 is not finite",
              "node 1 (CONV) tensor 0 (W)");
  reject_tiny("v2 q8 nbytes", V2_Q8_NBYTES, "nbytes 24, expected 40", "node 1 (CONV) tensor 0 (W)");
  reject_tiny("f16 in a v1 file", V1_F16, "dtype 3 (f16), expected f32", "node 1 (CONV) tensor 1 (bias)");
  reject_tiny("wrong dims", T_DIMS, "dims [9,3,1,1], expected [8,3,1,1]", "node 1 (CONV) tensor 0");
  reject_tiny("wrong nbytes", T_NBYTES, "nbytes 92, expected 96", "node 1 (CONV) tensor 0");
  reject_tiny("left-over bytes", T_LEFTOVER, "left over", "TENS");
  reject_tiny("NaN weight", T_NAN, "not finite", "node 1 (CONV) tensor 0");
  reject_tiny("negative var", T_NEGVAR, "negative variance", "node 2 (HPM) tensor 9 (var)");
  reject_tiny("missing last tensor", T_MISSING, "runs past the end", "node 3 (HEAD) tensor 5 (bias)");
  reject_tiny("high bits", T_HIGHBITS, "unused high bits", "node 2 (HPM) tensor 16 (W bits)");

  /* an input size the paper topology cannot take */
  {
    bnn_synth_params p;
    memset(&p, 0, sizeof p);
    p.size = 36, p.width = 8, p.depth = 1, p.points = 1;
    unsigned char *f;
    size_t fs;
    char err[BNN_ERR_LEN];
    CHECK(bnn_synth_model(&p, &f, &fs, err, sizeof err) != 0 && strstr(err, "divisible"), "synth S=36");
  }
  /* the file-level loader: a missing file */
  {
    char err[BNN_ERR_LEN];
    bnn_model *m = bnn_model_load_file("/nonexistent/x.bnn", err, sizeof err);
    CHECK(m == NULL && strstr(err, "/nonexistent/x.bnn: cannot open") != NULL, "missing file: %s", err);
  }
  return test_result("test_model_reject");
}
