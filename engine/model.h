/* model.h: the in-memory form of a loaded .bnn file (docs/model-format.md), shared by the
 * loader (model_file.c) and the graph builder (graph.c). Internal to the engine. */
#ifndef BNN_MODEL_H
#define BNN_MODEL_H

#include "bnnlm/bnnlm.h"

enum { BNN_OP_INPUT = 0, BNN_OP_CONV = 1, BNN_OP_HPM = 2, BNN_OP_MAXPOOL2 = 3, BNN_OP_UPADD = 4, BNN_OP_HEAD = 5 };
/* tensor element types of the file; F16 and Q8 (int8 with an f16 scale per output channel)
 * tensors are widened to f32 by the loader, so a loaded bnn_tensor is F32, BITS or I8 */
enum { BNN_DT_F32 = 1, BNN_DT_BITS = 2, BNN_DT_F16 = 3, BNN_DT_I8 = 4, BNN_DT_Q8 = 5 };

#define BNN_MAX_NODE_TENSORS 20

typedef struct {
  int dtype;
  int ndim;
  int dims[4];
  size_t nbytes;
  const void *data; /* inside the model's own copy of the file, 4-byte aligned */
} bnn_tensor;

typedef struct {
  int op;
  int in0, in1; /* node ids, -1 unused; node 0 is the input */
  int p[9];
  int h, w, c;  /* output shape, computed and checked by the loader */
  int n_tensors;
  bnn_tensor t[BNN_MAX_NODE_TENSORS]; /* in the order of docs/model-format.md */
  int output_index;                   /* HEAD: its output number; else -1 */
  uint64_t binary_macs, real_macs;
} bnn_node;

struct bnn_model {
  bnn_model_info info;
  int version;         /* 1: BN before each binary conv as gamma, beta, mean, var;
                          2: as its folded sign and threshold (docs/model-format.md) */
  int n_nodes; /* including node 0 (input) */
  bnn_node *nodes;
  float bn_eps;
  unsigned char *blob; /* owned copy of the file */
  size_t blob_size;
  char *meta_text;     /* owned, NUL-split storage for the info strings */
  const char **names;  /* owned arrays behind point/class names */
  int *skeleton;
  int *flip;           /* owned: the META flip permutation (n_points), if any */
  float *widened;      /* owned: the f32 values of the file's f16 and q8 tensors */
};

#endif
