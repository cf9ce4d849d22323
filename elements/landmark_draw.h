/* landmark_draw.h: the overlay's drawing code: skeleton lines, points, labels, boxes and
 * part masks of a GstLandmarkMeta, drawn with Cairo in frame-pixel coordinates. */
#ifndef BNNLM_LANDMARK_DRAW_H
#define BNNLM_LANDMARK_DRAW_H

#include <cairo.h>
#include <glib.h>

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

/* Draws meta with cr, whose user space is frame pixels (pixel (i, j) covers
 * [i, i+1) x [j, j+1)); the caller translates when drawing into a sub-rectangle. */
void landmark_draw (cairo_t * cr, const GstLandmarkMeta * meta,
    const LandmarkDrawConfig * cfg);

/* Colour of part-mask class c (c >= 1; 0 is background and not drawn), 0xRRGGBB. */
guint32 landmark_draw_class_color (guint c);

#endif
