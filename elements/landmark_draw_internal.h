/* landmark_draw_internal.h: what the two renderers share inside the plugin, not part of
 * landmark_draw.h: which points, lines and boxes are drawn, and the Cairo drawing of an
 * instance's box and labels (landmark_draw.c) that the frame rasteriser
 * (landmark_raster.c) reuses on its scratch layer. */
#ifndef BNNLM_LANDMARK_DRAW_INTERNAL_H
#define BNNLM_LANDMARK_DRAW_INTERNAL_H

#include <math.h>

#include <cairo.h>
#include <glib.h>

#include "gst/landmark/landmarkmeta.h"
#include "landmark_draw.h"

/* A point is drawn when confident enough and finite. */
static inline gboolean
point_shown (const GstLandmarkPoint * p, float min_conf)
{
  return p->confidence >= min_conf && isfinite (p->x) && isfinite (p->y);
}

static inline gboolean
box_drawn (const GstLandmarkInstance * in, const LandmarkDrawConfig * cfg)
{
  return cfg->draw_boxes && in->w > 0 && in->h > 0 && cfg->line_width > 0;
}

/* The skeleton pair j of an instance when both its points are shown. */
static inline gboolean
skeleton_pair (const GstLandmarkInstance * in, guint j, float min_conf,
    const GstLandmarkPoint ** pa, const GstLandmarkPoint ** pb)
{
  guint a, b;
  if (!gst_landmark_layout_get_skeleton_pair (in->layout, j, &a, &b)
      || a >= in->n_points || b >= in->n_points)
    return FALSE;
  *pa = &in->points[a];
  *pb = &in->points[b];
  return point_shown (*pa, min_conf) && point_shown (*pb, min_conf);
}

/* Strokes the instance's box (round caps and joins, line_width, line_color). */
void landmark_draw_box (cairo_t * cr, const GstLandmarkInstance * in,
    const LandmarkDrawConfig * cfg);

/* Writes the names of the instance's shown points (in->layout must be set) beside them:
 * white, outlined in translucent black. */
void landmark_draw_labels (cairo_t * cr, const GstLandmarkInstance * in,
    const LandmarkDrawConfig * cfg);

#endif
