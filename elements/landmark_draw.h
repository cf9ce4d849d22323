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
} LandmarkDrawConfig;

/* The pixel rectangle (clipped to width x height) that landmark_draw may touch.
 * FALSE when it would draw nothing. */
gboolean landmark_draw_extent (const GstLandmarkMeta * meta, const LandmarkDrawConfig * cfg,
    int width, int height, int *x, int *y, int *w, int *h);

/* Draws meta with cr, whose user space is frame pixels (pixel (i, j) covers
 * [i, i+1) x [j, j+1)); the caller translates when drawing into a sub-rectangle. */
void landmark_draw (cairo_t * cr, const GstLandmarkMeta * meta,
    const LandmarkDrawConfig * cfg);

/* Colour of part-mask class c (c >= 1; 0 is background and not drawn), 0xRRGGBB. */
guint32 landmark_draw_class_color (guint c);

#endif
