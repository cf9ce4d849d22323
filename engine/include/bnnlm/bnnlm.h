/* bnnlm.h: the public API of the binary landmark engine (C11, no GLib).
 * Load a .bnn model, create a runnable network, run it on an RGB crop, decode points. */
#ifndef BNNLM_H
#define BNNLM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BNN_ERR_LEN 256

typedef enum {
  BNN_ISA_AUTO = 0,
  BNN_ISA_SCALAR,
  BNN_ISA_AVX2,
  BNN_ISA_AVX512, /* AVX-512F/BW + VPOPCNTDQ */
  BNN_ISA_NEON
} bnn_isa;

/* Output kinds, as in docs/model-format.md (HEAD kind). */
typedef enum {
  BNN_OUT_HEATMAP = 1,
  BNN_OUT_SEGMENTATION = 2,
  BNN_OUT_DET_CENTER = 3,
  BNN_OUT_DET_SIZE = 4,
  BNN_OUT_DET_OFFSET = 5
} bnn_output_kind;

typedef struct bnn_model bnn_model; /* a loaded, validated model file (read-only) */
typedef struct bnn_net bnn_net;     /* buffers + threads to run one model */

/* What a loaded model says about itself. Strings live as long as the model. */
typedef struct {
  const char *task; /* "body", "face", "detect" */
  const char *name;
  int input_size;    /* S */
  int output_stride; /* 4 */
  float crop_scale;
  float mean[3], std[3];
  int n_points;                   /* K of the heatmap head, 0 if none */
  const char *const *point_names; /* n_points */
  int n_skeleton;                 /* pairs */
  const int *skeleton;            /* 2 * n_skeleton indices */
  int n_classes;                  /* segmentation classes, 0 if none */
  const char *const *class_names;
  int n_det_classes;
  const char *const *det_class_names;
  int n_outputs;
  uint64_t binary_macs, real_macs; /* per frame */
  uint64_t n_params;
  size_t file_size;
  const char *license; /* may be "" */
  int format_version;  /* of the file: 1 or 2 (docs/model-format.md) */
  const int *flip;     /* n_points: point k of a mirrored image is point flip[k] (left <->
                          right; META flip); NULL if the file has none */
  float region_score;  /* META region_score: the instance score (detector confidence x mean
                          point confidence) a detector's region needs to be kept, as
                          measured for this model; -1 if the file has none */
} bnn_model_info;

/* Load and validate. On failure returns NULL and writes a message to err (BNN_ERR_LEN). */
bnn_model *bnn_model_load_file(const char *path, char *err, size_t errlen);
bnn_model *bnn_model_load_memory(const void *data, size_t size, const char *name_for_errors,
                                 char *err, size_t errlen);
void bnn_model_free(bnn_model *m);
const bnn_model_info *bnn_model_get_info(const bnn_model *m);

/* A model file path or a short name (body, face, body-lite, face-lite, detect) -> the path of an
 * existing, readable file, written to path (pathlen bytes); returns 0, or -1 if none is found
 * (or the path does not fit). A name is looked up as NAME.bnn (then NAME) in each directory of
 * $BNNLM_MODEL_DIR (':'-separated), then the source tree's models/, then the installed
 * share/bnnlandmarks/models. An argument containing '/' or ending in .bnn is a path. The names
 * "body" and "face" fall back to "body-lite" / "face-lite" when no full model is found. */
int bnn_model_resolve(const char *name_or_path, char *path, size_t pathlen);

/* Which ISAs this CPU (and build) can run; best_isa is what AUTO picks. */
int bnn_isa_supported(bnn_isa isa);
bnn_isa bnn_isa_best(void);
const char *bnn_isa_name(bnn_isa isa);

/* Create a runnable network: plans and allocates every buffer, starts threads-1 workers.
 * The model must outlive the net. NULL + err on failure (e.g. unsupported isa). */
bnn_net *bnn_net_create(const bnn_model *m, int threads, bnn_isa isa, char *err, size_t errlen);
void bnn_net_free(bnn_net *n);
bnn_isa bnn_net_isa(const bnn_net *n);
/* Bytes of memory the net allocated at creation (activations, scratch, prepared weights). */
size_t bnn_net_memory_bytes(const bnn_net *n);

/* The input buffer: S x S x 3 floats, HWC, RGB, already normalised ((v/255-mean)/std).
 * Fill it (bnn_preprocess_* do) and call bnn_net_run. No allocation happens in run. */
float *bnn_net_input(bnn_net *n);
int bnn_net_run(bnn_net *n);

/* Flip test: with it on, bnn_net_run runs the network twice, on the input and on its mirror
 * image, and each output is the mean of the two (the mirror's heatmaps flipped back and put
 * in place through info.flip, its class logits flipped back). About twice the time; more
 * accurate points. Needs a landmark model with a flip table (info.flip); detection models
 * have none. Allocates its buffers here, never in run. Returns 0, or -1 (err says why). */
int bnn_net_set_flip_test(bnn_net *n, int on, char *err, size_t errlen);
int bnn_net_flip_test(const bnn_net *n);

/* bfloat16 real-valued layers: with it on, the stem and the 1x1 skips (not the heads) run in
 * bfloat16 with AVX512-BF16: inputs and weights rounded to bf16, products summed in fp32.
 * Faster (those layers are 35-45 % of the shipped models' time in fp32), but the results are
 * no longer bit-identical to the other ISAs and to the trainer: a binarization threshold can
 * flip (docs/engine.md, "bfloat16 real-valued layers", has the measured accuracy). Needs the
 * avx512 ISA and a CPU with AVX512-BF16 (bnn_bf16_supported). Allocates the bf16 weights
 * here, never in run. Off by default. Returns 0, or -1 (err says why). */
int bnn_bf16_supported(void);
int bnn_net_set_bf16(bnn_net *n, int on, char *err, size_t errlen);
int bnn_net_bf16(const bnn_net *n);

/* Output i (0..n_outputs-1) after a run: planar C x H x W floats (logits). */
typedef struct {
  bnn_output_kind kind;
  int c, h, w;
  const float *data;
} bnn_output;
int bnn_net_output(const bnn_net *n, int i, bnn_output *out);
/* First output of a kind, or -1. */
int bnn_net_find_output(const bnn_net *n, bnn_output_kind kind);

/* Per-layer timing (filled by runs when enabled; for `bnnlm bench`). */
typedef struct {
  const char *label; /* e.g. "n7 HPM 128->128 @32x32" (static storage in the net) */
  double ms;         /* time of the last run */
  uint64_t binary_macs, real_macs;
} bnn_layer_stat;
void bnn_net_enable_timing(bnn_net *n, int on);
int bnn_net_layer_stats(const bnn_net *n, const bnn_layer_stat **stats);

/* ---- crop geometry and preprocessing ---- */

/* A square crop of the source image, in source pixel-centre coordinates:
 * network input pixel centre i maps to x0 + (i + 0.5) * side / S - 0.5. */
typedef struct {
  float x0, y0; /* left / top edge of the square */
  float side;
  int size; /* S */
} bnn_crop;

/* The square crop for a subject box (x, y, w, h: edges, pixels), scaled by scale
 * (the model's crop_scale), centred on the box. A NULL box means the whole image. */
bnn_crop bnn_crop_for_box(int img_w, int img_h, const float *box4, float scale, int size);

typedef enum { BNN_PIX_RGB = 0, BNN_PIX_BGR, BNN_PIX_RGBX, BNN_PIX_BGRX, BNN_PIX_XRGB, BNN_PIX_XBGR, BNN_PIX_GRAY } bnn_pixfmt;

/* Bilinear crop+resize of a packed 8-bit image into the net's input, normalised with
 * the model's mean/std; samples outside the image are black (0). */
void bnn_preprocess_packed(const bnn_model *m, const uint8_t *img, int w, int h, size_t stride,
                           bnn_pixfmt fmt, const bnn_crop *crop, float *dst);
/* Same from planar 8-bit Y, U, V (I420: chroma halved both ways; nv12: interleaved UV). */
void bnn_preprocess_i420(const bnn_model *m, const uint8_t *y, size_t ys, const uint8_t *u,
                         size_t us, const uint8_t *v, size_t vs, int w, int h,
                         const bnn_crop *crop, float *dst);
void bnn_preprocess_nv12(const bnn_model *m, const uint8_t *y, size_t ys, const uint8_t *uv,
                         size_t uvs, int w, int h, const bnn_crop *crop, float *dst);

/* ---- decoding ---- */

typedef struct {
  float x, y; /* source image pixel-centre coordinates */
  float conf; /* sigmoid of the peak logit */
} bnn_point;

/* Heatmaps (K x h x w logits) -> K points in source coordinates through crop. */
void bnn_decode_points(const bnn_output *heat, int stride, const bnn_crop *crop, bnn_point *out);
/* Segmentation logits -> class index per output pixel (h * w bytes). */
void bnn_decode_classmap(const bnn_output *seg, uint8_t *classes);

typedef struct {
  int cls;
  float score;
  float x, y, w, h; /* box edges in source pixels */
} bnn_detection;
/* CenterNet decoding: 3x3 peak search, score threshold, then greedy same-class suppression (a
 * box overlapping a better-scored kept box of its class with IoU > max_iou is dropped; 1 keeps
 * all), at most max_det, best first. */
int bnn_decode_detections(const bnn_output *center, const bnn_output *size, const bnn_output *offset,
                          int stride, const bnn_crop *crop, float threshold, float max_iou,
                          bnn_detection *out, int max_det);
/* Intersection over union of two boxes (0 when disjoint or empty); bnn_box_iou takes
 * x, y, w, h arrays (the elements' box fields). */
float bnn_detection_iou(const bnn_detection *a, const bnn_detection *b);
float bnn_box_iou(const float a[4], const float b[4]);
/* The suppression IoU the tools and elements use by default. */
#define BNN_DETECT_DEFAULT_IOU 0.45f

/* Tiled detection (for subjects small in the frame): crop 0 is the whole frame
 * (letterboxed, as without tiles), then up to tiles x tiles overlapping square tiles along
 * the long side (tiles <= 1: the whole frame only; at most BNN_DETECT_MAX_TILES; none
 * under BNN_DETECT_MIN_TILE pixels). Returns
 * the number of crops written to out (at most max_out). */
#define BNN_DETECT_MAX_TILES 4
#define BNN_DETECT_MIN_TILE 16.0f /* px: smaller tiles are not made (tiny frames) */
#define BNN_DETECT_MAX_CROPS (1 + BNN_DETECT_MAX_TILES * BNN_DETECT_MAX_TILES)
int bnn_detect_tile_crops(int img_w, int img_h, int tiles, int size, bnn_crop *out, int max_out);
/* 1 when a detection from a tile crop is left to the other crops: it reaches one of the
 * tile's edges that lie inside the frame (likely a part of a subject cut by the tile, which
 * another crop sees whole), or its longer side exceeds BNN_TILE_MAX_BOX of the tile (the
 * whole frame sees such a subject at a scale the net knows better). */
#define BNN_TILE_MAX_BOX 0.5f
/* Keeps, in place, the n detections of one tile that bnn_tile_drops_detection does not
 * drop; returns how many. */
int bnn_tile_keep_detections(bnn_detection *d, int n, const bnn_crop *tile, int img_w, int img_h);
int bnn_tile_drops_detection(const bnn_detection *d, const bnn_crop *tile, int img_w, int img_h);
/* Detections from several crops -> best first, then same-class suppression: a box is
 * dropped when it overlaps a better one by IoU > max_iou, or lies more than
 * BNN_MERGE_MAX_CONTAINED of its area inside it (or holds it so); at most max_det kept, in
 * place; returns the count. */
#define BNN_MERGE_MAX_CONTAINED 0.5f
int bnn_merge_detections(bnn_detection *d, int n, float max_iou, int max_det);

#ifdef __cplusplus
}
#endif
#endif
