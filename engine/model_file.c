/* model_file.c: the loader of .bnn model files (docs/model-format.md): checks every rule of
 * the format, never reads outside the buffer, and builds the bnn_model of model.h. */
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32.h"
#include "half_float.h"
#include "model.h"

/* Limits beyond which a file is rejected as unreasonable (they keep every later size
 * computation far from overflow: a tensor of H x W x C floats stays below 2^31 bytes). */
#define MAX_FILE_SIZE ((uint64_t)1 << 31)
#define MAX_META_SIZE 65536u
#define MAX_META_KEYS 256
#define MAX_NODES 4096
#define MAX_INPUT_SIZE 4096
#define MAX_CHANNELS 16384
#define MAX_TENSOR_ELEMS ((int64_t)1 << 28)
#define MAX_CONV_K 15
#define MAX_CONV_STRIDE 16
#define MAX_IM2COL 65536 /* k * k * cin of a CONV */

typedef struct {
  const char *fname;
  char *err;
  size_t errlen;
} loadctx;

static void fail(loadctx *L, const char *where, const char *fmt, ...) {
  if (L->err == NULL || L->errlen == 0) return;
  char reason[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  snprintf(L->err, L->errlen, "%s: %s: %s", L->fname, where, reason);
}

static uint32_t rd32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* IEEE binary16 -> binary32, exact (subnormals included); inf and NaN map to inf / NaN */
static const char *op_name(int op) {
  switch (op) {
  case BNN_OP_INPUT: return "INPUT";
  case BNN_OP_CONV: return "CONV";
  case BNN_OP_HPM: return "HPM";
  case BNN_OP_MAXPOOL2: return "MAXPOOL2";
  case BNN_OP_UPADD: return "UPADD";
  case BNN_OP_HEAD: return "HEAD";
  }
  return "?";
}

/* ------------------------------------------------------------------ META */

typedef struct {
  char *key, *val;
} kv;

typedef struct {
  kv items[MAX_META_KEYS];
  int n;
} metamap;

static const char *meta_get(const metamap *mm, const char *key) {
  for (int i = 0; i < mm->n; i++)
    if (strcmp(mm->items[i].key, key) == 0) return mm->items[i].val;
  return NULL;
}

static int utf8_valid(const unsigned char *s, size_t n, size_t *bad) {
  size_t i = 0;
  while (i < n) {
    unsigned c = s[i];
    size_t len;
    uint32_t cp;
    if (c < 0x80) { i++; continue; }
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
    else { *bad = i; return 0; }
    if (n - i < len) { *bad = i; return 0; }
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) { *bad = i; return 0; }
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
        (cp >= 0xd800 && cp <= 0xdfff)) { *bad = i; return 0; }
    i += len;
  }
  return 1;
}

static int key_char_ok(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

/* Split the NUL-terminated copy of the META payload (text, n bytes) into key/value pairs. */
static int meta_parse(loadctx *L, char *text, size_t n, metamap *mm) {
  size_t bad;
  mm->n = 0;
  if (n > 0 && text[n - 1] != '\n') {
    fail(L, "META", "the last line does not end with a newline");
    return 0;
  }
  if (!utf8_valid((const unsigned char *)text, n, &bad)) {
    fail(L, "META", "invalid UTF-8 at byte %zu", bad);
    return 0;
  }
  int line = 0;
  size_t i = 0;
  while (i < n) {
    line++;
    char *start = text + i;
    char *nl = memchr(start, '\n', n - i);
    /* nl != NULL: the text ends with '\n' */
    *nl = '\0';
    i = (size_t)(nl - text) + 1;
    char *eq = strchr(start, '=');
    if (eq == NULL) {
      fail(L, "META", "line %d has no '=' (lines are key=value)", line);
      return 0;
    }
    if (eq == start) {
      fail(L, "META", "line %d has an empty key", line);
      return 0;
    }
    *eq = '\0';
    for (char *c = start; *c; c++)
      if (!key_char_ok((unsigned char)*c)) {
        fail(L, "META", "line %d: character 0x%02x not allowed in a key", line, (unsigned char)*c);
        return 0;
      }
    for (char *c = eq + 1; *c; c++)
      if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f) {
        fail(L, "META", "key '%s': control character 0x%02x in the value", start, (unsigned char)*c);
        return 0;
      }
    if (meta_get(mm, start) != NULL) {
      fail(L, "META", "duplicate key '%s'", start);
      return 0;
    }
    if (mm->n == MAX_META_KEYS) {
      fail(L, "META", "more than %d keys", MAX_META_KEYS);
      return 0;
    }
    mm->items[mm->n].key = start;
    mm->items[mm->n].val = eq + 1;
    mm->n++;
  }
  return 1;
}

/* Locale-independent number parsing: the whole string must be consumed. */
static int parse_double(const char *s, double *out) {
  if (*s == '\0' || *s == ' ' || *s == '\t') return 0;
  locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
  if (c == (locale_t)0) return 0;
  locale_t old = uselocale(c);
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  int ok = end != s && *end == '\0' && errno == 0;
  uselocale(old);
  freelocale(c);
  if (!ok || !isfinite(v)) return 0;
  *out = v;
  return 1;
}

static int parse_int(const char *s, long lo, long hi, long *out) {
  if (*s == '\0') return 0;
  const char *p = s;
  if (*p == '-' || *p == '+') p++;
  if (*p < '0' || *p > '9') return 0;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (*end != '\0' || errno != 0 || v < lo || v > hi) return 0;
  *out = v;
  return 1;
}

/* Count the items of a comma-separated list, checking each is a valid name. */
static int list_check(loadctx *L, const char *key, const char *val, int *count) {
  int n = 1;
  const char *item = val;
  for (const char *c = val;; c++) {
    if (*c == ',' || *c == '\0') {
      if (c == item) {
        fail(L, "META", "key '%s': empty name in the list", key);
        return 0;
      }
      if (*c == '\0') break;
      n++;
      item = c + 1;
    } else if (*c == '=' || (unsigned char)*c < 0x20) {
      fail(L, "META", "key '%s': character 0x%02x not allowed in a name", key, (unsigned char)*c);
      return 0;
    }
  }
  *count = n;
  return 1;
}

/* ------------------------------------------------------------------ tensors */

/* spec dtypes: BNN_DT_BITS, BNN_DT_I8 exactly; SPEC_REAL: f32 (version 1), f32 or f16 (version 2),
 * or q8 (version 2, 4-dimensional weights only) */
#define SPEC_REAL 0

typedef struct {
  const char *name;
  int dtype;
  int ndim;
  int dims[4];
  int kind; /* 0 plain, 1 BN var (>= 0), 2 sign in {-1, 0, 1} */
} tspec;

static int node_tensor_specs(const bnn_node *nd, int version, tspec *ts) {
  int n = 0;
#define TS(nm, dt, nd_, d0, d1, d2, d3, kd) \
  ts[n++] = (tspec){nm, dt, nd_, {d0, d1, d2, d3}, kd}
#define BN4(c)                                  \
  TS("gamma", SPEC_REAL, 1, c, 1, 1, 1, 0);     \
  TS("beta", SPEC_REAL, 1, c, 1, 1, 1, 0);      \
  TS("mean", SPEC_REAL, 1, c, 1, 1, 1, 0);      \
  TS("var", SPEC_REAL, 1, c, 1, 1, 1, 1)
  switch (nd->op) {
  case BNN_OP_CONV: {
    int k = nd->p[0], cin = nd->p[3], cout = nd->p[4];
    TS("W", SPEC_REAL, 4, cout, cin, k, k, 0);
    TS("bias", SPEC_REAL, 1, cout, 1, 1, 1, 0);
    if (nd->p[5]) { BN4(cout); }
    break;
  }
  case BNN_OP_HPM: {
    int cin = nd->p[0], c = nd->p[1];
    int ci[3] = {cin, c / 2, c / 4}, co[3] = {c / 2, c / 4, c / 4};
    for (int j = 0; j < 3; j++) {
      if (version == 1) {
        BN4(ci[j]);
      } else {
        TS("sign", BNN_DT_I8, 1, ci[j], 1, 1, 1, 2);
        TS("threshold", SPEC_REAL, 1, ci[j], 1, 1, 1, 0);
      }
      TS("W bits", BNN_DT_BITS, 4, co[j], ci[j], 3, 3, 0);
      TS("alpha", SPEC_REAL, 1, co[j], 1, 1, 1, 0);
    }
    if (cin != c) {
      TS("skip W", SPEC_REAL, 4, c, cin, 1, 1, 0);
      TS("skip bias", SPEC_REAL, 1, c, 1, 1, 1, 0);
    }
    break;
  }
  case BNN_OP_HEAD: {
    int cin = nd->p[0], cout = nd->p[1];
    BN4(cin);
    TS("W", SPEC_REAL, 4, cout, cin, 1, 1, 0);
    TS("bias", SPEC_REAL, 1, cout, 1, 1, 1, 0);
    break;
  }
  default:
    break;
  }
#undef BN4
#undef TS
  return n;
}

/* ------------------------------------------------------------------ the model */

void bnn_model_free(bnn_model *m) {
  if (m == NULL) return;
  free(m->nodes);
  free(m->blob);
  free(m->meta_text);
  free(m->names);
  free(m->skeleton);
  free(m->flip);
  free(m->widened);
  free(m);
}

const bnn_model_info *bnn_model_get_info(const bnn_model *m) { return m ? &m->info : NULL; }

/* Fill names[0..count) with the items of a list held in the writable string val. */
static void list_split(char *val, const char **names) {
  int i = 0;
  names[i++] = val;
  for (char *c = val; *c; c++)
    if (*c == ',') {
      *c = '\0';
      names[i++] = c + 1;
    }
}

static int load_meta(loadctx *L, bnn_model *m, const unsigned char *payload, uint64_t size,
                     metamap *mm) {
  if (size > MAX_META_SIZE) {
    fail(L, "META", "%llu bytes, more than the 64 KiB allowed", (unsigned long long)size);
    return 0;
  }
  m->meta_text = malloc((size_t)size + 1);
  if (m->meta_text == NULL) {
    fail(L, "META", "out of memory");
    return 0;
  }
  memcpy(m->meta_text, payload, (size_t)size);
  m->meta_text[size] = '\0';
  if (memchr(m->meta_text, '\0', (size_t)size) != NULL) {
    fail(L, "META", "NUL byte in the text");
    return 0;
  }
  if (!meta_parse(L, m->meta_text, (size_t)size, mm)) return 0;

  bnn_model_info *in = &m->info;
  static const char *const required[] = {"task", "name", "input_size", "output_stride"};
  for (size_t i = 0; i < sizeof required / sizeof *required; i++)
    if (meta_get(mm, required[i]) == NULL) {
      fail(L, "META", "required key '%s' is missing", required[i]);
      return 0;
    }
  in->task = meta_get(mm, "task");
  if (strcmp(in->task, "body") != 0 && strcmp(in->task, "face") != 0 &&
      strcmp(in->task, "detect") != 0) {
    fail(L, "META", "task '%.40s' is not body, face or detect", in->task);
    return 0;
  }
  in->name = meta_get(mm, "name");
  if (in->name[0] == '\0') {
    fail(L, "META", "empty name");
    return 0;
  }
  long v;
  if (!parse_int(meta_get(mm, "input_size"), 1, MAX_INPUT_SIZE, &v)) {
    fail(L, "META", "input_size '%.40s' is not an integer in 1..%d", meta_get(mm, "input_size"),
         MAX_INPUT_SIZE);
    return 0;
  }
  in->input_size = (int)v;
  if (!parse_int(meta_get(mm, "output_stride"), 1, in->input_size, &v)) {
    fail(L, "META", "output_stride '%.40s' is not an integer in 1..input_size",
         meta_get(mm, "output_stride"));
    return 0;
  }
  in->output_stride = (int)v;

  double d;
  in->crop_scale = 1.0f;
  const char *s = meta_get(mm, "crop_scale");
  if (s != NULL) {
    if (!parse_double(s, &d) || d <= 0 || d > 100) {
      fail(L, "META", "crop_scale '%.40s' is not a number in (0, 100]", s);
      return 0;
    }
    in->crop_scale = (float)d;
  }
  in->region_score = -1.0f;
  s = meta_get(mm, "region_score");
  if (s != NULL) {
    if (!parse_double(s, &d) || d < 0 || d > 1) {
      fail(L, "META", "region_score '%.40s' is not a number in [0, 1]", s);
      return 0;
    }
    in->region_score = (float)d;
  }
  m->bn_eps = 1e-5f;
  s = meta_get(mm, "bn_eps");
  if (s != NULL) {
    if (!parse_double(s, &d) || d <= 0 || d > 1 || (float)d <= 0) {
      fail(L, "META", "bn_eps '%.40s' is not a number in (0, 1]", s);
      return 0;
    }
    m->bn_eps = (float)d;
  }
  for (int c = 0; c < 3; c++) {
    in->mean[c] = 0.0f;
    in->std[c] = 1.0f;
  }
  for (int which = 0; which < 2; which++) {
    const char *key = which ? "std" : "mean";
    s = meta_get(mm, key);
    if (s == NULL) continue;
    char buf[128];
    if (strlen(s) >= sizeof buf) {
      fail(L, "META", "%s: value too long", key);
      return 0;
    }
    strcpy(buf, s);
    char *parts[3];
    int np = 0;
    char *p = buf;
    for (;;) {
      if (np == 3) { np = 4; break; }
      parts[np++] = p;
      char *comma = strchr(p, ',');
      if (comma == NULL) break;
      *comma = '\0';
      p = comma + 1;
    }
    if (np != 3) {
      fail(L, "META", "%s must list 3 numbers (R,G,B)", key);
      return 0;
    }
    for (int c = 0; c < 3; c++) {
      if (!parse_double(parts[c], &d) || fabs(d) > 1e6 || (which && (float)d <= 0)) {
        fail(L, "META", "%s: '%.40s' is not a valid %s", key, parts[c],
             which ? "positive number" : "number");
        return 0;
      }
      (which ? in->std : in->mean)[c] = (float)d;
    }
  }
  /* name lists; counts are checked against the heads later */
  int np = 0, nc = 0, nd = 0, nsk = 0;
  const char *pts = meta_get(mm, "points"), *cls = meta_get(mm, "classes"),
             *dcl = meta_get(mm, "det_classes"), *skel = meta_get(mm, "skeleton"),
             *flip = meta_get(mm, "flip");
  if (pts && !list_check(L, "points", pts, &np)) return 0;
  if (cls && !list_check(L, "classes", cls, &nc)) return 0;
  if (dcl && !list_check(L, "det_classes", dcl, &nd)) return 0;
  if (skel && !list_check(L, "skeleton", skel, &nsk)) return 0;
  if (skel && !pts) {
    fail(L, "META", "skeleton given without points");
    return 0;
  }
  int nfl = 0;
  if (flip && !list_check(L, "flip", flip, &nfl)) return 0;
  if (flip && nfl != np) {
    fail(L, "META", "flip lists %d indices but points lists %d names", nfl, np);
    return 0;
  }
  m->names = malloc(sizeof(char *) * (size_t)(np + nc + nd + 1));
  m->skeleton = malloc(sizeof(int) * (size_t)(2 * nsk + 1));
  m->flip = malloc(sizeof(int) * (size_t)(nfl + 1));
  if (m->names == NULL || m->skeleton == NULL || m->flip == NULL) {
    fail(L, "META", "out of memory");
    return 0;
  }
  if (pts) list_split((char *)pts, m->names);
  if (cls) list_split((char *)cls, m->names + np);
  if (dcl) list_split((char *)dcl, m->names + np + nc);
  in->n_points = np;
  in->point_names = np ? m->names : NULL;
  in->n_classes = nc;
  in->class_names = nc ? m->names + np : NULL;
  in->n_det_classes = nd;
  in->det_class_names = nd ? m->names + np + nc : NULL;
  if (skel) {
    const char *p = skel;
    for (int i = 0; i < nsk; i++) {
      long a, b;
      char item[48];
      size_t len = strcspn(p, ",");
      const char *dash = memchr(p, '-', len);
      if (len >= sizeof item || dash == NULL) {
        fail(L, "META", "skeleton pair %d is not of the form a-b", i + 1);
        return 0;
      }
      memcpy(item, p, len);
      item[len] = '\0';
      item[dash - p] = '\0';
      if (!parse_int(item, 0, np - 1, &a) || !parse_int(item + (dash - p) + 1, 0, np - 1, &b)) {
        fail(L, "META", "skeleton pair %d: indices must be in 0..%d", i + 1, np - 1);
        return 0;
      }
      m->skeleton[2 * i] = (int)a;
      m->skeleton[2 * i + 1] = (int)b;
      p += len + (p[len] == ',');
    }
  }
  in->n_skeleton = nsk;
  in->skeleton = nsk ? m->skeleton : NULL;
  if (flip) {
    /* a mirror permutation: every index once, and mirroring twice is the identity */
    const char *p = flip;
    for (int i = 0; i < nfl; i++) {
      char item[24];
      long v;
      size_t len = strcspn(p, ",");
      if (len < sizeof item) {
        memcpy(item, p, len);
        item[len] = '\0';
      }
      if (len >= sizeof item || !parse_int(item, 0, np - 1, &v)) {
        fail(L, "META", "flip item %d: indices must be in 0..%d", i + 1, np - 1);
        return 0;
      }
      m->flip[i] = (int)v;
      p += len + (p[len] == ',');
    }
    for (int i = 0; i < nfl; i++)
      if (m->flip[m->flip[i]] != i) {
        fail(L, "META", "flip is not a mirror permutation: %d -> %d -> %d", i, m->flip[i],
             m->flip[m->flip[i]]);
        return 0;
      }
  }
  in->flip = flip ? m->flip : NULL;
  s = meta_get(mm, "license");
  in->license = s ? s : "";
  return 1;
}

static int load_graph(loadctx *L, bnn_model *m, const unsigned char *p, uint64_t size) {
  if (size < 4) {
    fail(L, "GRPH", "payload of %llu bytes is too short", (unsigned long long)size);
    return 0;
  }
  uint32_t n = rd32(p);
  if (n < 1 || n > MAX_NODES) {
    fail(L, "GRPH", "node count %u is not in 1..%d", n, MAX_NODES);
    return 0;
  }
  if (size != 4 + 48 * (uint64_t)n) {
    fail(L, "GRPH", "payload is %llu bytes, expected 4 + 48 x %u nodes = %llu",
         (unsigned long long)size, n, (unsigned long long)(4 + 48 * (uint64_t)n));
    return 0;
  }
  m->n_nodes = (int)n + 1;
  m->nodes = calloc((size_t)m->n_nodes, sizeof(bnn_node));
  if (m->nodes == NULL) {
    fail(L, "GRPH", "out of memory");
    return 0;
  }
  const int S = m->info.input_size;
  bnn_node *in0n = &m->nodes[0];
  in0n->op = BNN_OP_INPUT;
  in0n->in0 = in0n->in1 = -1;
  in0n->h = in0n->w = S;
  in0n->c = 3;
  in0n->output_index = -1;

  char where[64];
  int n_out = 0;
  int kind_count[6] = {0};
  for (int id = 1; id <= (int)n; id++) {
    const unsigned char *r = p + 4 + 48 * (size_t)(id - 1);
    bnn_node *nd = &m->nodes[id];
    uint32_t op = rd32(r);
    nd->op = (int)(op <= 5 ? op : 0);
    nd->in0 = (int32_t)rd32(r + 4);
    nd->in1 = (int32_t)rd32(r + 8);
    for (int k = 0; k < 9; k++) nd->p[k] = (int32_t)rd32(r + 12 + 4 * k);
    nd->output_index = -1;
    snprintf(where, sizeof where, "GRPH: node %d (%s)", id, op <= 5 ? op_name((int)op) : "?");
    if (op < 1 || op > 5) {
      fail(L, where, "unknown op %u", op);
      return 0;
    }
    int nparams = op == BNN_OP_CONV ? 6 : op == BNN_OP_HPM ? 2 : op == BNN_OP_HEAD ? 3 : 0;
    for (int k = nparams; k < 9; k++)
      if (nd->p[k] != 0) {
        fail(L, where, "unused parameter p[%d] = %d, must be 0", k, nd->p[k]);
        return 0;
      }
    if (nd->in0 < 0 || nd->in0 >= id) {
      fail(L, where, "input in0 = %d is not an earlier node (ids 0..%d)", nd->in0, id - 1);
      return 0;
    }
    if (op == BNN_OP_UPADD) {
      if (nd->in1 < 0 || nd->in1 >= id) {
        fail(L, where, "input in1 = %d is not an earlier node (ids 0..%d)", nd->in1, id - 1);
        return 0;
      }
    } else if (nd->in1 != -1) {
      fail(L, where, "in1 = %d but this op takes one input (must be -1)", nd->in1);
      return 0;
    }
    const bnn_node *a = &m->nodes[nd->in0];
    const bnn_node *b = op == BNN_OP_UPADD ? &m->nodes[nd->in1] : NULL;
    if (a->op == BNN_OP_HEAD || (b && b->op == BNN_OP_HEAD)) {
      fail(L, where, "input is a HEAD (heads are outputs, never inputs)");
      return 0;
    }
    int64_t H = a->h, W = a->w, C = a->c;
    switch (op) {
    case BNN_OP_CONV: {
      int k = nd->p[0], st = nd->p[1], pad = nd->p[2], cin = nd->p[3], cout = nd->p[4], br = nd->p[5];
      if (k < 1 || k > MAX_CONV_K) { fail(L, where, "kernel size %d not in 1..%d", k, MAX_CONV_K); return 0; }
      if (st < 1 || st > MAX_CONV_STRIDE) { fail(L, where, "stride %d not in 1..%d", st, MAX_CONV_STRIDE); return 0; }
      if (pad < 0 || pad >= k) { fail(L, where, "pad %d not in 0..k-1", pad); return 0; }
      if (cin != C) { fail(L, where, "cin %d != input channels %lld (node %d)", cin, (long long)C, nd->in0); return 0; }
      if (cout < 1 || cout > MAX_CHANNELS) { fail(L, where, "cout %d not in 1..%d", cout, MAX_CHANNELS); return 0; }
      if (br != 0 && br != 1) { fail(L, where, "bn_relu %d is not 0 or 1", br); return 0; }
      if ((int64_t)k * k * cin > MAX_IM2COL) { fail(L, where, "k x k x cin = %lld is too large", (long long)k * k * cin); return 0; }
      if (H + 2 * pad < k || W + 2 * pad < k) { fail(L, where, "input %lldx%lld is smaller than the kernel", (long long)H, (long long)W); return 0; }
      nd->h = (int)((H + 2 * pad - k) / st + 1);
      nd->w = (int)((W + 2 * pad - k) / st + 1);
      nd->c = cout;
      nd->real_macs = (uint64_t)nd->h * (uint64_t)nd->w * (uint64_t)cout * (uint64_t)cin * (uint64_t)(k * k);
      break;
    }
    case BNN_OP_HPM: {
      int cin = nd->p[0], cout = nd->p[1];
      if (cin != C) { fail(L, where, "cin %d != input channels %lld (node %d)", cin, (long long)C, nd->in0); return 0; }
      if (cout < 4 || cout > MAX_CHANNELS || cout % 4 != 0) { fail(L, where, "cout %d is not a multiple of 4 in 4..%d", cout, MAX_CHANNELS); return 0; }
      nd->h = (int)H;
      nd->w = (int)W;
      nd->c = cout;
      uint64_t hw = (uint64_t)H * (uint64_t)W, c2 = (uint64_t)cout / 2, c4 = (uint64_t)cout / 4;
      nd->binary_macs = 9 * hw * ((uint64_t)cin * c2 + c2 * c4 + c4 * c4);
      nd->real_macs = cin != cout ? hw * (uint64_t)cin * (uint64_t)cout : 0;
      break;
    }
    case BNN_OP_MAXPOOL2:
      if (H % 2 || W % 2) {
        fail(L, where, "input is %lldx%lld, not even (is input_size divisible by the network's total stride?)", (long long)H, (long long)W);
        return 0;
      }
      nd->h = (int)(H / 2);
      nd->w = (int)(W / 2);
      nd->c = (int)C;
      break;
    case BNN_OP_UPADD:
      if (a->h != 2 * b->h || a->w != 2 * b->w || a->c != b->c) {
        fail(L, where, "in0 (node %d) is %dx%dx%d but in1 (node %d) is %dx%dx%d: in0 must be 2H x 2W x C of in1",
             nd->in0, a->h, a->w, a->c, nd->in1, b->h, b->w, b->c);
        return 0;
      }
      nd->h = a->h;
      nd->w = a->w;
      nd->c = a->c;
      break;
    case BNN_OP_HEAD: {
      int cin = nd->p[0], cout = nd->p[1], kind = nd->p[2];
      if (cin != C) { fail(L, where, "cin %d != input channels %lld (node %d)", cin, (long long)C, nd->in0); return 0; }
      if (cout < 1 || cout > MAX_CHANNELS) { fail(L, where, "cout %d not in 1..%d", cout, MAX_CHANNELS); return 0; }
      if (kind < 1 || kind > 5) { fail(L, where, "unknown head kind %d", kind); return 0; }
      if ((kind == 4 || kind == 5) && cout != 2) { fail(L, where, "a detection %s head has 2 outputs, not %d", kind == 4 ? "size" : "offset", cout); return 0; }
      if (kind == 2 && cout > 256) { fail(L, where, "segmentation head with %d > 256 classes", cout); return 0; }
      if (++kind_count[kind] > 1) { fail(L, where, "a second head of kind %d", kind); return 0; }
      nd->h = (int)H;
      nd->w = (int)W;
      nd->c = cout;
      nd->output_index = n_out++;
      nd->real_macs = (uint64_t)H * (uint64_t)W * (uint64_t)cin * (uint64_t)cout;
      if (H * m->info.output_stride != S || W * m->info.output_stride != S) {
        fail(L, where, "output is %lldx%lld but input_size / output_stride = %d / %d", (long long)H, (long long)W, S, m->info.output_stride);
        return 0;
      }
      break;
    }
    }
    if ((int64_t)nd->h * nd->w * nd->c > MAX_TENSOR_ELEMS) {
      fail(L, where, "result of %dx%dx%d values is too large", nd->h, nd->w, nd->c);
      return 0;
    }
  }
  /* every node must be used, unless it is a head */
  unsigned char *used = calloc((size_t)m->n_nodes, 1);
  if (used == NULL) {
    fail(L, "GRPH", "out of memory");
    return 0;
  }
  for (int id = 1; id < m->n_nodes; id++) {
    used[m->nodes[id].in0] = 1;
    if (m->nodes[id].in1 >= 0) used[m->nodes[id].in1] = 1;
  }
  int unused = 0;
  for (int id = 1; id < m->n_nodes && !unused; id++)
    if (!used[id] && m->nodes[id].op != BNN_OP_HEAD) unused = id;
  free(used);
  if (unused) {
    snprintf(where, sizeof where, "GRPH: node %d (%s)", unused, op_name(m->nodes[unused].op));
    fail(L, where, "its result is never used (only HEADs may be unused)");
    return 0;
  }
  if (n_out == 0) {
    fail(L, "GRPH", "no HEAD: the network has no output");
    return 0;
  }
  int det = kind_count[3] + kind_count[4] + kind_count[5];
  if (det != 0 && det != 3) {
    fail(L, "GRPH", "detection needs all three heads (centre, size, offset), found %d", det);
    return 0;
  }
  m->info.n_outputs = n_out;
  /* META name lists against the heads */
  bnn_model_info *in = &m->info;
  for (int id = 1; id < m->n_nodes; id++) {
    const bnn_node *nd = &m->nodes[id];
    if (nd->op != BNN_OP_HEAD) continue;
    snprintf(where, sizeof where, "GRPH: node %d (HEAD)", id);
    if (nd->p[2] == 1 && nd->c != in->n_points) {
      fail(L, where, "the heatmap head has %d outputs but META points lists %d names", nd->c, in->n_points);
      return 0;
    }
    if (nd->p[2] == 2 && nd->c != in->n_classes) {
      fail(L, where, "the segmentation head has %d outputs but META classes lists %d names", nd->c, in->n_classes);
      return 0;
    }
    if (nd->p[2] == 3 && nd->c != in->n_det_classes) {
      fail(L, where, "the detection centre head has %d outputs but META det_classes lists %d names", nd->c, in->n_det_classes);
      return 0;
    }
  }
  if (in->n_points && !kind_count[1]) {
    fail(L, "META", "points lists %d names but the graph has no heatmap head", in->n_points);
    return 0;
  }
  if (in->n_classes && !kind_count[2]) {
    fail(L, "META", "classes lists %d names but the graph has no segmentation head", in->n_classes);
    return 0;
  }
  if (in->n_det_classes && !kind_count[3]) {
    fail(L, "META", "det_classes lists %d names but the graph has no detection head", in->n_det_classes);
    return 0;
  }
  for (int id = 1; id < m->n_nodes; id++) {
    in->binary_macs += m->nodes[id].binary_macs;
    in->real_macs += m->nodes[id].real_macs;
  }
  return 1;
}

static const char *dtype_name(uint32_t dt) {
  switch (dt) {
  case BNN_DT_F32: return "f32";
  case BNN_DT_BITS: return "packed bits";
  case BNN_DT_F16: return "f16";
  case BNN_DT_I8: return "i8";
  case BNN_DT_Q8: return "q8";
  }
  return "unknown";
}

static int load_tensors(loadctx *L, bnn_model *m, const unsigned char *p, uint64_t size) {
  uint64_t pos = 0;
  char where[96];
  tspec ts[BNN_MAX_NODE_TENSORS];
  size_t nwide = 0; /* floats used in m->widened */
  if (m->version >= 2) {
    /* every f16 or q8 value becomes one float: at most size of them */
    m->widened = malloc(sizeof(float) * (size_t)(size + 1));
    if (m->widened == NULL) {
      fail(L, "TENS", "out of memory");
      return 0;
    }
  }
  for (int id = 1; id < m->n_nodes; id++) {
    bnn_node *nd = &m->nodes[id];
    int nt = node_tensor_specs(nd, m->version, ts);
    nd->n_tensors = nt;
    for (int j = 0; j < nt; j++) {
      const tspec *sp = &ts[j];
      snprintf(where, sizeof where, "TENS: node %d (%s) tensor %d (%s)", id, op_name(nd->op), j, sp->name);
      if (size - pos < 32) {
        fail(L, where, "record header runs past the end of the section");
        return 0;
      }
      const unsigned char *r = p + pos;
      uint32_t dtype = rd32(r), ndim = rd32(r + 4);
      uint32_t dims[4];
      for (int k = 0; k < 4; k++) dims[k] = rd32(r + 8 + 4 * k);
      uint64_t nbytes = rd64(r + 24);
      pos += 32;
      int dtype_ok = sp->dtype == SPEC_REAL
                         ? dtype == BNN_DT_F32 ||
                               (m->version >= 2 && (dtype == BNN_DT_F16 || (dtype == BNN_DT_Q8 && sp->ndim == 4)))
                         : dtype == (uint32_t)sp->dtype;
      if (!dtype_ok) {
        fail(L, where, "dtype %u (%s), expected %s", dtype, dtype_name(dtype),
             sp->dtype != SPEC_REAL ? dtype_name((uint32_t)sp->dtype)
             : m->version < 2       ? "f32"
             : sp->ndim == 4        ? "f32, f16 or q8"
                                    : "f32 or f16");
        return 0;
      }
      if (ndim != (uint32_t)sp->ndim) {
        fail(L, where, "ndim %u, expected %d", ndim, sp->ndim);
        return 0;
      }
      for (int k = 0; k < 4; k++)
        if (dims[k] != (uint32_t)sp->dims[k]) {
          fail(L, where, "dims [%u,%u,%u,%u], expected [%d,%d,%d,%d]", dims[0], dims[1], dims[2], dims[3],
               sp->dims[0], sp->dims[1], sp->dims[2], sp->dims[3]);
          return 0;
        }
      uint64_t elems = (uint64_t)dims[0] * dims[1] * dims[2] * dims[3]; /* each <= 16384: no overflow */
      uint64_t expect;
      switch (dtype) {
      case BNN_DT_F32: expect = elems * 4; break;
      case BNN_DT_F16: expect = elems * 2; break;
      case BNN_DT_I8: expect = elems; break;
      case BNN_DT_Q8: expect = 2 * (uint64_t)dims[0] + elems; break; /* f16 scales, then int8 */
      default: expect = (uint64_t)dims[0] * ((9 * (uint64_t)dims[1] + 7) / 8); break;
      }
      if (nbytes != expect) {
        fail(L, where, "nbytes %llu, expected %llu", (unsigned long long)nbytes, (unsigned long long)expect);
        return 0;
      }
      if (nbytes > size - pos) {
        fail(L, where, "data of %llu bytes runs past the end of the section", (unsigned long long)nbytes);
        return 0;
      }
      const unsigned char *data = p + pos;
      uint64_t padded = (nbytes + 3) & ~(uint64_t)3;
      if (padded > size - pos) {
        fail(L, where, "padding runs past the end of the section");
        return 0;
      }
      for (uint64_t k = nbytes; k < padded; k++)
        if (data[k] != 0) {
          fail(L, where, "non-zero padding byte");
          return 0;
        }
      const void *tdata = data;
      if (dtype == BNN_DT_Q8) {
        float *wide = m->widened + nwide; /* elems < nbytes <= what is left: see the malloc */
        nwide += (size_t)elems;
        tdata = wide;
        uint64_t per = elems / dims[0];
        const unsigned char *q = data + 2 * (uint64_t)dims[0];
        for (uint64_t o = 0; o < dims[0]; o++) {
          float sc = bnn_half_to_float((uint16_t)(data[2 * o] | data[2 * o + 1] << 8));
          if (!isfinite(sc)) {
            fail(L, where, "scale of output channel %llu is not finite", (unsigned long long)o);
            return 0;
          }
          for (uint64_t k = 0; k < per; k++) wide[o * per + k] = (float)(signed char)q[o * per + k] * sc;
        }
      } else if (dtype == BNN_DT_F32 || dtype == BNN_DT_F16) {
        float *wide = NULL;
        if (dtype == BNN_DT_F16) {
          wide = m->widened + nwide; /* elems <= nbytes / 2 <= what is left: see the malloc */
          nwide += (size_t)elems;
          tdata = wide;
        }
        for (uint64_t k = 0; k < elems; k++) {
          float v;
          if (wide) {
            v = bnn_half_to_float((uint16_t)(data[2 * k] | data[2 * k + 1] << 8));
            wide[k] = v;
          } else {
            memcpy(&v, data + 4 * k, 4); /* 4-byte aligned: see the layout */
          }
          if (!isfinite(v)) {
            fail(L, where, "element %llu is not finite", (unsigned long long)k);
            return 0;
          }
          if (sp->kind == 1 && v < 0) {
            fail(L, where, "negative variance %g at channel %llu", (double)v, (unsigned long long)k);
            return 0;
          }
        }
      } else if (dtype == BNN_DT_I8) {
        for (uint64_t k = 0; k < elems; k++) {
          signed char v = (signed char)data[k];
          if (sp->kind == 2 && v != -1 && v != 0 && v != 1) {
            fail(L, where, "sign %d at channel %llu (must be -1, 0 or 1)", v, (unsigned long long)k);
            return 0;
          }
        }
      } else {
        uint64_t nbits = 9 * (uint64_t)dims[1], rowb = (nbits + 7) / 8;
        if (nbits % 8)
          for (uint64_t o = 0; o < dims[0]; o++) {
            unsigned char last = data[o * rowb + rowb - 1];
            if (last >> (nbits % 8)) {
              fail(L, where, "unused high bits set in the row of output channel %llu", (unsigned long long)o);
              return 0;
            }
          }
      }
      bnn_tensor *t = &nd->t[j];
      t->dtype = dtype == BNN_DT_F16 || dtype == BNN_DT_Q8 ? BNN_DT_F32 : (int)dtype;
      t->ndim = (int)ndim;
      for (int k = 0; k < 4; k++) t->dims[k] = (int)dims[k];
      t->nbytes = t->dtype == BNN_DT_F32 ? (size_t)elems * 4 : (size_t)nbytes;
      t->data = tdata;
      m->info.n_params += dtype == BNN_DT_BITS ? (uint64_t)dims[0] * 9 * dims[1] : elems;
      pos += padded;
    }
  }
  if (pos != size) {
    fail(L, "TENS", "%llu bytes left over after the last tensor", (unsigned long long)(size - pos));
    return 0;
  }
  return 1;
}

static const char *const section_tags[3] = {"META", "GRPH", "TENS"};

bnn_model *bnn_model_load_memory(const void *data, size_t size, const char *name_for_errors,
                                 char *err, size_t errlen) {
  loadctx L = {name_for_errors ? name_for_errors : "<memory>", err, errlen};
  if (err && errlen) err[0] = '\0';
  if (data == NULL && size > 0) {
    fail(&L, "header", "no data");
    return NULL;
  }
  if (size < 32) {
    fail(&L, "header", "file too short (%zu bytes; the header alone is 32)", size);
    return NULL;
  }
  if ((uint64_t)size > MAX_FILE_SIZE) {
    fail(&L, "header", "file too large (%zu bytes)", size);
    return NULL;
  }
  bnn_model *m = calloc(1, sizeof *m);
  if (m == NULL) {
    fail(&L, "header", "out of memory");
    return NULL;
  }
  /* the owned copy: 64-byte aligned so that 16-aligned sections keep their 4-byte alignment */
  size_t cap = (size + 63) & ~(size_t)63;
  m->blob = aligned_alloc(64, cap);
  if (m->blob == NULL) {
    fail(&L, "header", "out of memory for %zu bytes", size);
    free(m);
    return NULL;
  }
  memcpy(m->blob, data, size);
  memset(m->blob + size, 0, cap - size);
  m->blob_size = size;
  m->info.file_size = size;
  const unsigned char *b = m->blob;

  static const unsigned char magic[8] = {0x42, 0x4e, 0x4e, 0x4c, 0x4d, 0x0d, 0x0a, 0x1a};
  const unsigned char *sec[3] = {NULL, NULL, NULL};
  uint64_t secsize[3] = {0, 0, 0};
  metamap *mm = NULL;
  if (memcmp(b, magic, 8) != 0) {
    fail(&L, "header", "bad magic (not a .bnn model file)");
    goto bad;
  }
  if (rd32(b + 28) != bnn_crc32(0, b, 28)) {
    fail(&L, "header", "header CRC mismatch (corrupt file)");
    goto bad;
  }
  if (rd32(b + 8) != 1 && rd32(b + 8) != 2) {
    fail(&L, "header", "unsupported version %u (this engine reads versions 1 and 2)", rd32(b + 8));
    goto bad;
  }
  m->version = (int)rd32(b + 8);
  m->info.format_version = m->version;
  if (rd32(b + 12) != 32) {
    fail(&L, "header", "header size %u, expected 32", rd32(b + 12));
    goto bad;
  }
  if (rd64(b + 16) != (uint64_t)size) {
    fail(&L, "header", "file size field says %llu bytes but there are %zu (truncated?)",
         (unsigned long long)rd64(b + 16), size);
    goto bad;
  }
  uint32_t nsec = rd32(b + 24);
  size_t off = 32;
  char where[48];
  for (uint32_t i = 0; i < nsec; i++) {
    snprintf(where, sizeof where, "section %u", i + 1);
    if (size - off < 16) {
      fail(&L, where, "section header past the end of the file (the header says %u sections)", nsec);
      goto bad;
    }
    const unsigned char *h = b + off;
    int which = -1;
    for (int k = 0; k < 3; k++)
      if (memcmp(h, section_tags[k], 4) == 0) which = k;
    if (which < 0) {
      char tag[20];
      size_t tl = 0;
      for (int k = 0; k < 4; k++)
        tl += (size_t)snprintf(tag + tl, sizeof tag - tl, (h[k] >= 0x20 && h[k] < 0x7f && h[k] != '\'') ? "%c" : "\\x%02x", h[k]);
      fail(&L, where, "unknown section tag '%s'", tag);
      goto bad;
    }
    snprintf(where, sizeof where, "%s", section_tags[which]);
    if (sec[which] != NULL) {
      fail(&L, where, "duplicate section");
      goto bad;
    }
    uint64_t psize = rd64(h + 8);
    size_t avail = size - off - 16;
    if (psize > avail) {
      fail(&L, where, "payload size %llu runs past the end of the file", (unsigned long long)psize);
      goto bad;
    }
    uint64_t padded = (psize + 15) & ~(uint64_t)15;
    if (padded > avail) {
      fail(&L, where, "padding runs past the end of the file");
      goto bad;
    }
    const unsigned char *pl = h + 16;
    for (uint64_t k = psize; k < padded; k++)
      if (pl[k] != 0) {
        fail(&L, where, "non-zero padding after the payload");
        goto bad;
      }
    if (rd32(h + 4) != bnn_crc32(0, pl, (size_t)psize)) {
      fail(&L, where, "payload CRC mismatch (corrupt file)");
      goto bad;
    }
    sec[which] = pl;
    secsize[which] = psize;
    off += 16 + (size_t)padded;
  }
  if (off != size) {
    fail(&L, "header", "%zu bytes after the last of %u sections", size - off, nsec);
    goto bad;
  }
  for (int k = 0; k < 3; k++)
    if (sec[k] == NULL) {
      fail(&L, section_tags[k], "missing section");
      goto bad;
    }
  mm = malloc(sizeof *mm);
  if (mm == NULL) {
    fail(&L, "META", "out of memory");
    goto bad;
  }
  if (!load_meta(&L, m, sec[0], secsize[0], mm)) goto bad;
  if (!load_graph(&L, m, sec[1], secsize[1])) goto bad;
  if (!load_tensors(&L, m, sec[2], secsize[2])) goto bad;
  free(mm);
  return m;
bad:
  free(mm);
  bnn_model_free(m);
  return NULL;
}

bnn_model *bnn_model_load_file(const char *path, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (path == NULL) {
    if (err && errlen) snprintf(err, errlen, "(null): no model file given");
    return NULL;
  }
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    if (err && errlen) snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
    return NULL;
  }
  unsigned char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 1 << 16;
      if (ncap > MAX_FILE_SIZE + 1) ncap = MAX_FILE_SIZE + 1;
      if (ncap == cap) break; /* too large: the loader reports it */
      unsigned char *nb = realloc(buf, ncap);
      if (nb == NULL) {
        free(buf);
        fclose(f);
        if (err && errlen) snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
      }
      buf = nb;
      cap = ncap;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  int rerr = ferror(f);
  fclose(f);
  if (rerr) {
    free(buf);
    if (err && errlen) snprintf(err, errlen, "%s: read error", path);
    return NULL;
  }
  bnn_model *m = bnn_model_load_memory(buf, n, path, err, errlen);
  free(buf);
  return m;
}
