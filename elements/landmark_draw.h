/* landmark_draw.h: the overlay's drawing code: skeleton lines, points, labels, boxes and
 * part masks of a GstLandmarkMeta, in frame-pixel coordinates.
 *
 * LandmarkCanvas (landmark_raster.c) is the per-frame renderer the element uses: it
 * rasterises the part masks, skeleton lines and points itself (antialiased, straight into
 * the video frame or into a premultiplied ARGB image) and uses Cairo only for text and
 * boxes; its cost follows the pixels drawn, not the frame size. landmark_draw_cairo
 * (landmark_draw.c) renders the same picture with Cairo alone (the reference the tests
 * compare with). */
#ifndef BNNLM_LANDMARK_DRAW_H
#define BNNLM_LANDMARK_DRAW_H

#include <cairo.h>
#include <glib.h>
#include <gst/video/video.h>

#include "gst/landmark/landmarkmeta.h"

typedef struct {
  gboolean draw_skeleton, draw_points, draw_labels, draw_mask, draw_boxes;
  double line_width;   /* pixels */
  double point_radius; /* pixels */
  float min_conf;      /* points (and lines touching them) below are not drawn */
  guint32 point_color; /* 0xAARRGGBB */
  guint32 line_color;  /* skeleton and boxes */
  double mask_alpha;   /* 0..1 */
  gboolean draw_regions; /* upstream regions of interest (detector boxes) */
} LandmarkDrawConfig;

/* A region of interest to draw under the landmarks (e.g. a bnndetect detection). */
typedef struct {
  double x, y, w, h;   /* edges, frame pixels */
  const gchar *label;  /* region type ("person", "face"), may be NULL */
  double score;        /* confidence, < 0 when unknown */
} LandmarkRegion;

/* The pixel rectangle (clipped to width x height) that landmark_draw may touch.
 * FALSE when it would draw nothing. */
gboolean landmark_draw_extent (const GstLandmarkMeta * meta, const LandmarkDrawConfig * cfg,
    int width, int height, int *x, int *y, int *w, int *h);

/* Same, including n regions (drawn by landmark_draw_regions). meta may be NULL. */
gboolean landmark_draw_extent_regions (const GstLandmarkMeta * meta,
    const LandmarkRegion * regions, guint n, const LandmarkDrawConfig * cfg, int width,
    int height, int *x, int *y, int *w, int *h);

/* Draws the regions' boxes, each labelled with its type and score, in a colour per type. */
void landmark_draw_regions (cairo_t * cr, const LandmarkRegion * regions, guint n,
    const LandmarkDrawConfig * cfg);

/* Draws meta with Cairo alone, cr's user space being frame pixels (pixel (i, j) covers
 * [i, i+1) x [j, j+1)); the caller translates when drawing into a sub-rectangle. */
void landmark_draw_cairo (cairo_t * cr, const GstLandmarkMeta * meta,
    const LandmarkDrawConfig * cfg);

/* Colour of part-mask class c (c >= 1; 0 is background and not drawn), 0xRRGGBB. */
guint32 landmark_draw_class_color (guint c);

/* The fast renderer. It keeps scratch buffers between frames (no allocation once they
 * have grown to the largest drawn rectangle); one canvas per streaming thread. */
typedef struct _LandmarkCanvas LandmarkCanvas;

LandmarkCanvas *landmark_canvas_new (void);
void landmark_canvas_free (LandmarkCanvas * canvas);

/* Draws the regions, then meta (may be NULL), into a mapped, writable frame: packed
 * 8-bit RGB with or without alpha (3 or 4 bytes a pixel, any order), or 8-bit YUV
 * (planar, semi-planar or packed, any chroma subsampling up to 2x2); strides from the
 * frame. Only pixels of the rectangle x, y, w, h (landmark_draw_extent_regions) are
 * read or written, and of those only the ones drawn on, plus the chroma samples they
 * share. FALSE (nothing drawn) for a format it does not handle. */
gboolean landmark_canvas_draw_frame (LandmarkCanvas * canvas, GstVideoFrame * frame,
    const GstLandmarkMeta * meta, const LandmarkRegion * regions, guint n_regions,
    const LandmarkDrawConfig * cfg, int x, int y, int w, int h);

/* Same into a transparent (zeroed) premultiplied ARGB32 image in Cairo's layout (native
 * endian words), w x h with `stride` bytes a row, whose pixel (0, 0) is frame pixel
 * (x, y) of a frame_width x frame_height frame. */
void landmark_canvas_draw_argb (LandmarkCanvas * canvas, guint8 * data, int stride,
    int frame_width, int frame_height, const GstLandmarkMeta * meta,
    const LandmarkRegion * regions, guint n_regions, const LandmarkDrawConfig * cfg, int x,
    int y, int w, int h);

#endif
