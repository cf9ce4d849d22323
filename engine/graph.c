/* graph.c: builds a runnable bnn_net from a loaded model: picks the ISA, prepares every layer,
 * plans and allocates all buffers once (reuse by liveness), runs the nodes in order, timing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net.h"

void *bnn_net_alloc(struct bnn_net *n, size_t bytes) {
  if (n->n_allocs == n->cap_allocs) {
    int cap = n->cap_allocs ? n->cap_allocs * 2 : 64;
    void **a = realloc(n->allocs, sizeof(void *) * (size_t)cap);
    if (a == NULL) return NULL;
    n->allocs = a;
    n->cap_allocs = cap;
  }
  size_t sz = (bytes + 63) & ~(size_t)63;
  if (sz == 0) sz = 64;
  void *p = aligned_alloc(64, sz);
  if (p == NULL) return NULL;
  memset(p, 0, sz);
  n->allocs[n->n_allocs++] = p;
  n->bytes_allocated += sz;
  return p;
}

void bnn_net_free(bnn_net *n) {
  if (n == NULL) return;
  bnn_pool_free(n->pool);
  for (int i = 0; i < n->n_allocs; i++) free(n->allocs[i]);
  free(n->allocs);
  free(n->layers);
  free(n->scratch);
  free(n->outputs);
  free(n->head_planar);
  free(n->flip_keep);
  free(n->stats);
  free(n);
}

bnn_isa bnn_net_isa(const bnn_net *n) { return n->isa; }
size_t bnn_net_memory_bytes(const bnn_net *n) { return n ? n->bytes_allocated : 0; }
float *bnn_net_input(bnn_net *n) { return n->input; }

static const char *op_label(int op) {
  static const char *const names[] = {"INPUT", "CONV", "HPM", "MAXPOOL2", "UPADD", "HEAD"};
  return op >= 0 && op <= 5 ? names[op] : "?";
}

/* The memory plan: every non-HEAD node's result gets a slot; a slot is free again after the
 * last node that reads it; a new result takes the smallest free slot that fits, else grows the
 * largest free one, else opens a new slot. Slot sizes are then allocated once. */
static int plan_memory(bnn_net *n) {
  const bnn_model *m = n->m;
  int N = m->n_nodes;
  int *last = calloc((size_t)N, sizeof(int)), *slot_of = calloc((size_t)N, sizeof(int));
  size_t *cap = calloc((size_t)N, sizeof(size_t));
  char *busy = calloc((size_t)N, 1);
  float **base = NULL;
  int nslots = 0, ok = 0;
  if (!last || !slot_of || !cap || !busy) goto out;
  for (int id = 1; id < N; id++) {
    last[m->nodes[id].in0] = id;
    if (m->nodes[id].in1 >= 0) last[m->nodes[id].in1] = id;
  }
  for (int id = 1; id < N; id++) {
    const bnn_node *nd = &m->nodes[id];
    slot_of[id] = -1;
    if (nd->op != BNN_OP_HEAD) {
      size_t need = (size_t)nd->h * nd->w * nd->c;
      int best = -1, largest = -1;
      for (int s = 0; s < nslots; s++) {
        if (busy[s]) continue;
        if (cap[s] >= need && (best < 0 || cap[s] < cap[best])) best = s;
        if (largest < 0 || cap[s] > cap[largest]) largest = s;
      }
      if (best < 0) best = largest;
      if (best < 0) best = nslots++;
      if (cap[best] < need) cap[best] = need;
      busy[best] = 1;
      slot_of[id] = best;
    }
    int ins[2] = {nd->in0, nd->in1};
    for (int j = 0; j < 2; j++)
      if (ins[j] > 0 && last[ins[j]] == id && slot_of[ins[j]] >= 0) busy[slot_of[ins[j]]] = 0;
  }
  base = calloc((size_t)nslots + 1, sizeof(float *));
  if (base == NULL) goto out;
  for (int s = 0; s < nslots; s++)
    if ((base[s] = bnn_net_alloc(n, cap[s] * sizeof(float))) == NULL) goto out;
  for (int id = 1; id < N; id++) {
    bnn_layer *L = &n->layers[id - 1];
    L->out = slot_of[id] >= 0 ? base[slot_of[id]] : NULL;
  }
  ok = 1;
out:
  free(last);
  free(slot_of);
  free(cap);
  free(busy);
  free(base);
  return ok ? 0 : -1;
}

static const float *node_result(const bnn_net *n, int id) {
  return id == 0 ? n->input : n->layers[id - 1].out;
}

bnn_net *bnn_net_create(const bnn_model *m, int threads, bnn_isa isa, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
#define FAIL(...)                                      \
  do {                                                 \
    if (err && errlen) snprintf(err, errlen, __VA_ARGS__); \
    bnn_net_free(n);                                   \
    return NULL;                                       \
  } while (0)
  bnn_net *n = NULL;
  if (m == NULL) FAIL("no model");
  if (threads < 1 || threads > 256) FAIL("threads = %d, must be in 1..256", threads);
  if (isa == BNN_ISA_AUTO) isa = bnn_isa_best();
  if (!bnn_isa_supported(isa)) FAIL("ISA %s is not supported by this CPU or build", bnn_isa_name(isa));
  n = calloc(1, sizeof *n);
  if (n == NULL) FAIL("out of memory");
  n->m = m;
  n->isa = isa;
  n->k = bnn_kernels_for_isa(isa);
  n->gemm = bnn_gemm_for_isa(isa);
  n->gemm_head = bnn_gemm_head_for_isa(isa);
  if (n->k == NULL) FAIL("no kernels for ISA %s", bnn_isa_name(isa));
  n->threads = threads;
  n->n_layers = m->n_nodes - 1;
  n->layers = calloc((size_t)n->n_layers + 1, sizeof(bnn_layer));
  n->stats = calloc((size_t)n->n_layers + 1, sizeof(bnn_layer_stat));
  n->scratch = calloc((size_t)threads, sizeof(float *));
  n->n_outputs = m->info.n_outputs;
  n->outputs = calloc((size_t)n->n_outputs + 1, sizeof(bnn_output));
  n->head_planar = calloc((size_t)n->n_outputs + 1, sizeof(float *));
  n->flip_keep = calloc((size_t)n->n_outputs + 1, sizeof(float *));
  if (!n->layers || !n->stats || !n->scratch || !n->outputs || !n->head_planar || !n->flip_keep)
    FAIL("out of memory");
  const int S = m->info.input_size;
  n->input = bnn_net_alloc(n, (size_t)S * S * 3 * sizeof(float));
  if (n->input == NULL) FAIL("out of memory");
  if (plan_memory(n) != 0) FAIL("out of memory for the activation buffers");

  size_t pkw[3] = {0, 0, 0};
  size_t scratch = 0;
  for (int i = 0; i < n->n_layers; i++) {
    bnn_layer *L = &n->layers[i];
    const bnn_node *nd = &m->nodes[i + 1];
    const bnn_node *a = &m->nodes[nd->in0];
    L->net = n;
    L->node = nd;
    L->id = i + 1;
    L->op = nd->op;
    L->h = nd->h;
    L->w = nd->w;
    L->c = nd->c;
    L->ih = a->h;
    L->iw = a->w;
    L->ic = a->c;
    L->in0 = node_result(n, nd->in0);
    L->in1 = nd->in1 >= 0 ? node_result(n, nd->in1) : NULL;
    int r = 0;
    switch (nd->op) {
    case BNN_OP_CONV:
      r = bnn_conv_prepare(n, L);
      snprintf(L->label, sizeof L->label, "n%d CONV %dx%d/%d %d->%d @%dx%d", L->id, L->k, L->k,
               L->stride, L->ic, L->c, L->h, L->w);
      if (!L->direct) {
        size_t need = (size_t)L->w * L->k * L->k * L->ic;
        if (need > scratch) scratch = need;
      }
      break;
    case BNN_OP_HPM: {
      r = bnn_hpm_prepare(n, L);
      snprintf(L->label, sizeof L->label, "n%d HPM %d->%d @%dx%d", L->id, L->ic, L->c, L->h, L->w);
      for (int j = 0; j < 3; j++) {
        size_t need = (size_t)(L->h + 2) * (L->w + 2) * L->bc[j].cw;
        if (need > pkw[j]) pkw[j] = need;
      }
      break;
    }
    case BNN_OP_MAXPOOL2:
      snprintf(L->label, sizeof L->label, "n%d MAXPOOL2 %d @%dx%d", L->id, L->c, L->h, L->w);
      break;
    case BNN_OP_UPADD:
      snprintf(L->label, sizeof L->label, "n%d UPADD %d @%dx%d", L->id, L->c, L->h, L->w);
      break;
    case BNN_OP_HEAD: {
      r = bnn_head_prepare(n, L);
      snprintf(L->label, sizeof L->label, "n%d HEAD %d->%d @%dx%d", L->id, L->ic, L->c, L->h, L->w);
      size_t need = (size_t)L->w * L->ic + (size_t)L->w * L->c;
      if (need > scratch) scratch = need;
      bnn_output *o = &n->outputs[nd->output_index];
      o->kind = (bnn_output_kind)L->kind;
      o->c = L->c;
      o->h = L->h;
      o->w = L->w;
      o->data = L->planar;
      n->head_planar[nd->output_index] = L->planar;
      break;
    }
    default:
      r = -1;
    }
    if (r != 0) FAIL("out of memory preparing node %d (%s)", L->id, op_label(nd->op));
    n->stats[i].label = L->label;
    n->stats[i].binary_macs = nd->binary_macs;
    n->stats[i].real_macs = nd->real_macs;
  }
  /* pack fusion: an HPM block whose input is the result of the layer just before it gets its
   * first packed image from that layer's row passes (same rows, same split, same bits) */
  for (int i = 1; i < n->n_layers; i++) {
    bnn_layer *L = &n->layers[i], *P = &n->layers[i - 1];
    if (L->op == BNN_OP_HPM && L->node->in0 == P->id && P->op != BNN_OP_HEAD) {
      P->pack_next = L;
      L->packed_by_prev = 1;
      P->work[P->op == BNN_OP_HPM ? 3 : 0] += L->work[0];
    }
  }
  for (int j = 0; j < 3; j++)
    if (pkw[j] && (n->pk[j] = bnn_net_alloc(n, pkw[j] * sizeof(uint64_t))) == NULL)
      FAIL("out of memory for the packed images");
  memcpy(n->pk_words, pkw, sizeof pkw);
  n->scratch_floats = scratch;
  for (int t = 0; t < threads; t++)
    if (scratch && (n->scratch[t] = bnn_net_alloc(n, scratch * sizeof(float))) == NULL)
      FAIL("out of memory for the scratch rows");
  n->pool = bnn_pool_create(threads);
  if (n->pool == NULL) FAIL("cannot start %d threads", threads);
  return n;
#undef FAIL
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

static int run_once(bnn_net *n) {
  for (int i = 0; i < n->n_layers; i++) {
    bnn_layer *L = &n->layers[i];
    double t0 = n->timing ? now_ms() : 0;
    switch (L->op) {
    case BNN_OP_CONV: bnn_conv_run(L); break;
    case BNN_OP_HPM: bnn_hpm_run(L); break;
    case BNN_OP_MAXPOOL2: bnn_maxpool_run(L); break;
    case BNN_OP_UPADD: bnn_upadd_run(L); break;
    case BNN_OP_HEAD: bnn_head_run(L); break;
    default: return -1;
    }
    if (n->timing) n->stats[i].ms = now_ms() - t0;
  }
  return 0;
}

/* Mirror the S x S x 3 HWC input left <-> right, in place. */
static void mirror_input(float *x, int S) {
  for (int y = 0; y < S; y++) {
    float *row = x + (size_t)y * S * 3;
    for (int a = 0, b = S - 1; a < b; a++, b--)
      for (int c = 0; c < 3; c++) {
        float t = row[a * 3 + c];
        row[a * 3 + c] = row[b * 3 + c];
        row[b * 3 + c] = t;
      }
  }
}

/* Output cell u of an input mirrored about its centre is cell w-1-u of the original (the
 * output stride divides S), so the mirror pass's maps are flipped back column by column;
 * heatmap channel k of the original is the mirror's channel flip[k] (left <-> right). */
static void merge_mirror(bnn_net *n, int i) {
  const bnn_output *o = &n->outputs[i];
  const int *perm = o->kind == BNN_OUT_HEATMAP ? n->m->info.flip : NULL;
  float *keep = n->flip_keep[i], *cur = n->head_planar[i];
  const size_t hw = (size_t)o->h * o->w;
  for (int k = 0; k < o->c; k++) {
    float *a = keep + (size_t)k * hw;
    const float *m = cur + (size_t)(perm ? perm[k] : k) * hw;
    for (int y = 0; y < o->h; y++)
      for (int x = 0; x < o->w; x++)
        a[(size_t)y * o->w + x] = 0.5f * (a[(size_t)y * o->w + x] + m[(size_t)y * o->w + (o->w - 1 - x)]);
  }
  memcpy(cur, keep, (size_t)o->c * hw * sizeof(float));
}

static int run_flip_test(bnn_net *n) {
  if (run_once(n) != 0) return -1;
  for (int i = 0; i < n->n_outputs; i++) {
    const bnn_output *o = &n->outputs[i];
    memcpy(n->flip_keep[i], o->data, (size_t)o->c * o->h * o->w * sizeof(float));
  }
  const int S = n->m->info.input_size;
  mirror_input(n->input, S);
  int r = run_once(n);
  mirror_input(n->input, S); /* the caller's input as it was */
  if (r != 0) return -1;
  for (int i = 0; i < n->n_outputs; i++) merge_mirror(n, i);
  return 0;
}

int bnn_net_run(bnn_net *n) {
  if (n == NULL) return -1;
  int r = n->flip_test ? run_flip_test(n) : run_once(n);
  bnn_pool_park(n->pool); /* the workers sleep until the next run instead of spinning */
  return r;
}

int bnn_net_set_flip_test(bnn_net *n, int on, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (n == NULL) return -1;
  if (!on) {
    n->flip_test = 0;
    return 0;
  }
  const bnn_model_info *in = &n->m->info;
  if (in->n_det_classes > 0 || (in->n_points > 0 && in->flip == NULL) ||
      (in->n_points == 0 && in->n_classes == 0)) {
    if (err && errlen)
      snprintf(err, errlen, "model '%s' has no flip table (META flip): %s", in->name,
               in->n_det_classes > 0 ? "flip test is for landmark models, not detectors"
                                     : "re-export it with training/export_bnn.py");
    return -1;
  }
  for (int i = 0; i < n->n_outputs; i++) {
    const bnn_output *o = &n->outputs[i];
    if (n->flip_keep[i] == NULL &&
        (n->flip_keep[i] = bnn_net_alloc(n, (size_t)o->c * o->h * o->w * sizeof(float))) == NULL) {
      if (err && errlen) snprintf(err, errlen, "out of memory for the flip test");
      return -1;
    }
  }
  n->flip_test = 1;
  return 0;
}

int bnn_net_flip_test(const bnn_net *n) { return n ? n->flip_test : 0; }

int bnn_bf16_supported(void) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return bnn_isa_supported(BNN_ISA_AVX512) && __builtin_cpu_supports("avx512bf16") ? 1 : 0;
#else
  return 0;
#endif
}

int bnn_net_set_bf16(bnn_net *n, int on, char *err, size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (n == NULL) return -1;
  if (!on) {
    n->bf16 = 0;
    n->gemm = bnn_gemm_for_isa(n->isa);
    return 0;
  }
#if defined(__x86_64__)
  if (n->isa != BNN_ISA_AVX512 || !bnn_bf16_supported()) {
    if (err && errlen)
      snprintf(err, errlen, "bfloat16 layers need the avx512 ISA on a CPU with AVX512-BF16 (the net runs %s%s)",
               bnn_isa_name(n->isa), bnn_bf16_supported() ? "" : "; this CPU has no AVX512-BF16");
    return -1;
  }
  for (int i = 0; i < n->n_layers; i++) {
    bnn_layer *L = &n->layers[i];
    if (!L->has_gemm || L->op == BNN_OP_HEAD || L->gw.Bh || L->gw.K > BNN_GEMM_BF16_MAX_K) continue;
    const size_t np = (size_t)(L->gw.N + BNN_GEMM_NR - 1) / BNN_GEMM_NR;
    uint32_t *Bh = bnn_net_alloc(n, sizeof(uint32_t) * np * (size_t)bnn_gemm_bf16_words(L->gw.K) * BNN_GEMM_NR);
    if (Bh == NULL) {
      if (err && errlen) snprintf(err, errlen, "out of memory for the bfloat16 weights");
      return -1;
    }
    bnn_gemm_bf16_pack(&L->gw, Bh);
    L->gw.Bh = Bh;
  }
  n->bf16 = 1;
  n->gemm = bnn_gemm_avx512_bf16;
  return 0;
#else
  if (err && errlen) snprintf(err, errlen, "bfloat16 layers need an x86-64 CPU with AVX512-BF16");
  return -1;
#endif
}

int bnn_net_bf16(const bnn_net *n) { return n ? n->bf16 : 0; }

int bnn_net_output(const bnn_net *n, int i, bnn_output *out) {
  if (n == NULL || i < 0 || i >= n->n_outputs || out == NULL) return -1;
  *out = n->outputs[i];
  return 0;
}

int bnn_net_find_output(const bnn_net *n, bnn_output_kind kind) {
  if (n == NULL) return -1;
  for (int i = 0; i < n->n_outputs; i++)
    if (n->outputs[i].kind == kind) return i;
  return -1;
}

void bnn_net_enable_timing(bnn_net *n, int on) {
  if (n) n->timing = on != 0;
}

int bnn_net_layer_stats(const bnn_net *n, const bnn_layer_stat **stats) {
  if (n == NULL) return 0;
  if (stats) *stats = n->stats;
  return n->n_layers;
}
