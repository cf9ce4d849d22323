/* synth_model.h: internal (not installed): a writer of .bnn files (the model builder) and a
 * generator of random-weight models of the network.md topology, for bench, genmodel and tests. */
#ifndef BNN_SYNTH_MODEL_H
#define BNN_SYNTH_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "half_float.h" /* bnn_float_to_half for the writers */

/* ---- the model builder: collects META, GRPH and TENS, then assembles a file ---- */

typedef struct {
  unsigned char *p;
  size_t n, cap;
  int oom;
} bnn_bytes;

typedef struct {
  bnn_bytes meta, grph, tens;
  int n_nodes;
  int version; /* of the file written: 0 or 1 -> 1, 2 -> 2 */
} bnn_model_builder;

void bnn_mb_init(bnn_model_builder *b);
void bnn_mb_free(bnn_model_builder *b);
/* Append the META line key=value. */
void bnn_mb_meta(bnn_model_builder *b, const char *key, const char *value);
/* Append a node record; returns its id (1, 2, ...). p may be NULL (all zero). */
int bnn_mb_node(bnn_model_builder *b, int op, int in0, int in1, const int p[9]);
/* Append a tensor record (dims: ndim used entries, the rest are written as 1). */
void bnn_mb_tensor(bnn_model_builder *b, int dtype, int ndim, const int *dims, const void *data,
                   size_t nbytes);
/* Assemble the file (header, META, GRPH, TENS, with CRCs); *out is malloc'ed.
 * Returns 0 on success, -1 on out of memory. The builder is left intact (free it). */
int bnn_mb_finish(const bnn_model_builder *b, unsigned char **out, size_t *size);

/* Low level: a file of n sections with the given 4-byte tags and payloads, in that order,
 * header and CRCs correct. Returns 0 or -1 (out of memory). */
int bnn_file_assemble(int n, const char *const *tags, const void *const *payloads,
                      const size_t *sizes, unsigned char **out, size_t *size);
/* The same with the header's version field set to version. */
int bnn_file_assemble_version(int version, int n, const char *const *tags,
                              const void *const *payloads, const size_t *sizes,
                              unsigned char **out, size_t *size);

/* Append the values as a version 2 real tensor: 4-dimensional weights as q8 (int8 with an f16
 * scale per output channel: max |w| / 127, rounded), others as f16 where every value converts
 * to a finite f16, else f32. */
void bnn_mb_tensor_real(bnn_model_builder *b, int ndim, const int *dims, const float *data);

/* Pack W (co x ci x 3 x 3 floats) into the file's sign-bit rows: co * ceil(9 ci / 8) bytes. */
void bnn_pack_weight_bits(const float *w, int co, int ci, unsigned char *bits);

/* ---- random models of the network.md topology ---- */

typedef struct {
  int size;        /* S, divisible by 2^(depth + 2) */
  int width;       /* F, divisible by 16 */
  int depth;       /* D >= 1 */
  int points;      /* K landmark heatmaps (0: no heatmap head) */
  int seg_classes; /* > 0: a segmentation head with that many classes (7 for face parts) */
  int det_classes; /* > 0: the three detection heads */
  const char *task; /* NULL: "face" when seg_classes, "detect" when only detection, else "body" */
  const char *name; /* NULL: "synthetic-S-F-D-K" */
  uint64_t seed;
  int format;       /* file version: 0 or 2 -> 2 (f16, folded thresholds), 1 -> 1 */
  int no_flip;      /* 1: no META flip (points 2i and 2i+1 are a mirror pair otherwise) */
  const char *region_score; /* META region_score, verbatim; NULL: none */
} bnn_synth_params;

/* The paper topologies: "paper256" (S 256, F 256, D 4, K 16) and "paper128" (S 128). Returns
 * 0, or -1 for an unknown name. */
int bnn_synth_preset(const char *name, bnn_synth_params *p);

/* Build the model file in memory (*out malloc'ed). Returns 0, or -1 with err set. */
int bnn_synth_model(const bnn_synth_params *p, unsigned char **out, size_t *size, char *err,
                    size_t errlen);

#endif
