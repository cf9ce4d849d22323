/* landmark_draw.c: the overlay's Cairo drawing: the area a GstLandmarkMeta's drawing
 * touches, the colours, regions, boxes and labels, and landmark_draw_cairo.
 *
 * Two renderers draw the same picture. landmark_draw_cairo, here, uses Cairo for
 * everything: it is the reference. LandmarkCanvas (landmark_raster.c), used per frame by
 * the element, rasterises masks, lines and points itself and draws the rarer labels,
 * boxes and regions with the functions of this file. Which points, lines and boxes are
 * drawn is decided in one place for both: landmark_draw_internal.h. */
#include "landmark_draw.h"
#include "landmark_draw_internal.h"

#include <math.h>
#include <string.h>

#define LABEL_FONT_MIN 9.0

static const guint32 class_palette[] = {
  0xe6194b, 0x3cb44b, 0xffe119, 0x4363d8, 0xf58231, 0x911eb4, 0x46f0f0, 0xf032e6,
  0xbcf60c, 0xfabebe, 0x008080, 0xe6beff, 0x9a6324, 0xfffac8, 0x800000, 0xaaffc3,
};

guint32
landmark_draw_class_color (guint c)
{
  const guint n = G_N_ELEMENTS (class_palette);
  return class_palette[(c + n - 1) % n];
}

static void
set_argb (cairo_t * cr, guint32 argb)
{
  cairo_set_source_rgba (cr, ((argb >> 16) & 0xff) / 255.0, ((argb >> 8) & 0xff) / 255.0,
      (argb & 0xff) / 255.0, ((argb >> 24) & 0xff) / 255.0);
}

static double
label_size (const LandmarkDrawConfig * cfg)
{
  return MAX (LABEL_FONT_MIN, 3.0 * cfg->point_radius);
}

typedef struct {
  double x0, y0, x1, y1;
  gboolean any;
} Extent;

static void
extent_add (Extent * e, double x0, double y0, double x1, double y1)
{
  if (!e->any) {
    e->x0 = x0;
    e->y0 = y0;
    e->x1 = x1;
    e->y1 = y1;
    e->any = TRUE;
    return;
  }
  e->x0 = MIN (e->x0, x0);
  e->y0 = MIN (e->y0, y0);
  e->x1 = MAX (e->x1, x1);
  e->y1 = MAX (e->y1, y1);
}

static double
region_font (const LandmarkDrawConfig * cfg)
{
  return MAX (12.0, label_size (cfg));
}

gboolean
landmark_draw_extent (const GstLandmarkMeta * meta, const LandmarkDrawConfig * cfg,
    int width, int height, int *x, int *y, int *w, int *h)
{
  return landmark_draw_extent_regions (meta, NULL, 0, cfg, width, height, x, y, w, h);
}

gboolean
landmark_draw_extent_regions (const GstLandmarkMeta * meta, const LandmarkRegion * regions,
    guint n, const LandmarkDrawConfig * cfg, int width, int height, int *x, int *y, int *w,
    int *h)
{
  Extent e = { 0, 0, 0, 0, FALSE };
  const double m = MAX (cfg->point_radius, cfg->line_width) + 2.0;

  for (guint i = 0; i < n; i++) {
    const LandmarkRegion *r = &regions[i];
    const double fs = region_font (cfg);
    const double tw = (r->label ? strlen (r->label) : 0) * fs * 0.8 + 5.0 * fs;
    extent_add (&e, r->x - m, r->y - m - 1.5 * fs, MAX (r->x + r->w, r->x + tw) + m,
        r->y + r->h + m + 1.5 * fs);
  }

  for (guint i = 0; meta && i < meta->n_instances; i++) {
    const GstLandmarkInstance *in = &meta->instances[i];
    if (cfg->draw_mask && in->map && cfg->mask_alpha > 0.0)
      extent_add (&e, in->map_x, in->map_y, in->map_x + in->map_w, in->map_y + in->map_h);
    if (cfg->draw_boxes)
      extent_add (&e, in->x - m, in->y - m, in->x + in->w + m, in->y + in->h + m);
    if (cfg->draw_points || cfg->draw_skeleton || cfg->draw_labels) {
      for (guint k = 0; k < in->n_points; k++) {
        const GstLandmarkPoint *p = &in->points[k];
        if (!point_shown (p, cfg->min_conf))
          continue;
        const double cx = p->x + 0.5, cy = p->y + 0.5;
        extent_add (&e, cx - m, cy - m, cx + m, cy + m);
        if (cfg->draw_labels && in->layout) {
          const gchar *name = gst_landmark_layout_get_point_name (in->layout, k);
          const double fs = label_size (cfg);
          const double tw = (name ? strlen (name) : 0) * fs * 0.8 + fs;
          extent_add (&e, cx, cy - m - 1.5 * fs, cx + m + tw, cy + fs);
        }
      }
    }
  }
  if (!e.any)
    return FALSE;
  int x0 = (int) floor (MAX (e.x0, 0.0)), y0 = (int) floor (MAX (e.y0, 0.0));
  int x1 = (int) ceil (MIN (e.x1, (double) width)), y1 = (int) ceil (MIN (e.y1, (double) height));
  if (x1 <= x0 || y1 <= y0)
    return FALSE;
  *x = x0;
  *y = y0;
  *w = x1 - x0;
  *h = y1 - y0;
  return TRUE;
}

/* ---- Cairo drawing: regions, boxes and labels; everything for landmark_draw_cairo ---- */

static void
cairo_draw_mask (cairo_t * cr, const GstLandmarkInstance * in, double alpha)
{
  gsize size;
  const guint8 *cls = g_bytes_get_data (in->map, &size);
  const int mw = (int) in->map_width, mh = (int) in->map_height;
  if (!cls || mw <= 0 || mh <= 0 || size < (gsize) mw * mh || in->map_w <= 0 || in->map_h <= 0)
    return;
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, mw, mh);
  if (cairo_surface_status (s) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy (s);
    return;
  }
  cairo_surface_flush (s);
  guint8 *data = cairo_image_surface_get_data (s);
  const int stride = cairo_image_surface_get_stride (s);
  const guint32 a = (guint32) CLAMP (alpha * 255.0 + 0.5, 0.0, 255.0);
  for (int yy = 0; yy < mh; yy++) {
    guint32 *row = (guint32 *) (data + (gsize) yy * stride);
    for (int xx = 0; xx < mw; xx++) {
      const guint c = cls[(gsize) yy * mw + xx];
      if (c == 0) {
        row[xx] = 0;
        continue;
      }
      const guint32 rgb = landmark_draw_class_color (c);
      /* premultiplied ARGB32, native endian */
      const guint32 r = ((rgb >> 16) & 0xff) * a / 255, g = ((rgb >> 8) & 0xff) * a / 255,
          b = (rgb & 0xff) * a / 255;
      row[xx] = (a << 24) | (r << 16) | (g << 8) | b;
    }
  }
  cairo_surface_mark_dirty (s);

  cairo_save (cr);
  cairo_translate (cr, in->map_x, in->map_y);
  cairo_scale (cr, in->map_w / mw, in->map_h / mh);
  cairo_set_source_surface (cr, s, 0, 0);
  cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
  cairo_rectangle (cr, 0, 0, mw, mh);
  cairo_fill (cr);
  cairo_restore (cr);
  cairo_surface_destroy (s);
}

void
landmark_draw_regions (cairo_t * cr, const LandmarkRegion * regions, guint n,
    const LandmarkDrawConfig * cfg)
{
  if (n == 0)
    return;
  const double fs = region_font (cfg);
  const double lw = cfg->line_width > 0 ? cfg->line_width : 1.0;
  cairo_save (cr);
  cairo_set_line_width (cr, lw);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
  cairo_set_font_size (cr, fs);
  for (guint i = 0; i < n; i++) {
    const LandmarkRegion *r = &regions[i];
    const guint32 rgb = landmark_draw_class_color (1 + (r->label ?
            g_str_hash (r->label) % 16 : 0));
    set_argb (cr, 0xff000000u | rgb);
    cairo_rectangle (cr, r->x, r->y, r->w, r->h);
    cairo_stroke (cr);
    gchar text[96];
    if (r->score >= 0)
      g_snprintf (text, sizeof text, "%s %.2f", r->label ? r->label : "", r->score);
    else
      g_snprintf (text, sizeof text, "%s", r->label ? r->label : "");
    if (!text[0])
      continue;
    /* above the box, or inside its top when there is no room above */
    const double ty = r->y - lw - 0.3 * fs >= fs ? r->y - lw - 0.3 * fs : r->y + lw + fs;
    cairo_move_to (cr, r->x, ty);
    cairo_text_path (cr, text);
    cairo_set_source_rgba (cr, 0, 0, 0, 0.8);
    cairo_set_line_width (cr, MAX (1.0, fs / 6.0));
    cairo_stroke_preserve (cr);
    set_argb (cr, 0xff000000u | rgb);
    cairo_fill (cr);
    cairo_set_line_width (cr, lw);
  }
  cairo_restore (cr);
}

void
landmark_draw_box (cairo_t * cr, const GstLandmarkInstance * in,
    const LandmarkDrawConfig * cfg)
{
  cairo_save (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width (cr, cfg->line_width);
  set_argb (cr, cfg->line_color);
  cairo_rectangle (cr, in->x, in->y, in->w, in->h);
  cairo_stroke (cr);
  cairo_restore (cr);
}

void
landmark_draw_labels (cairo_t * cr, const GstLandmarkInstance * in,
    const LandmarkDrawConfig * cfg)
{
  const double fs = label_size (cfg);
  const double m = MAX (cfg->point_radius, cfg->line_width) + 1.0;
  cairo_save (cr);
  cairo_select_font_face (cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, fs);
  for (guint k = 0; k < in->n_points; k++) {
    const GstLandmarkPoint *p = &in->points[k];
    const gchar *name = gst_landmark_layout_get_point_name (in->layout, k);
    if (!name || !point_shown (p, cfg->min_conf))
      continue;
    cairo_move_to (cr, p->x + 0.5 + m, p->y + 0.5 - m);
    cairo_text_path (cr, name);
  }
  cairo_set_source_rgba (cr, 0, 0, 0, 0.8);
  cairo_set_line_width (cr, MAX (1.0, fs / 6.0));
  cairo_stroke_preserve (cr);
  cairo_set_source_rgba (cr, 1, 1, 1, 1);
  cairo_fill (cr);
  cairo_restore (cr);
}

void
landmark_draw_cairo (cairo_t * cr, const GstLandmarkMeta * meta,
    const LandmarkDrawConfig * cfg)
{
  if (!meta)
    return;
  cairo_save (cr);
  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_width (cr, cfg->line_width);

  for (guint i = 0; i < meta->n_instances; i++) {
    const GstLandmarkInstance *in = &meta->instances[i];

    if (cfg->draw_mask && in->map && cfg->mask_alpha > 0.0)
      cairo_draw_mask (cr, in, cfg->mask_alpha);

    if (box_drawn (in, cfg))
      landmark_draw_box (cr, in, cfg);

    if (cfg->draw_skeleton && in->layout && cfg->line_width > 0) {
      const guint np = gst_landmark_layout_get_n_skeleton_pairs (in->layout);
      set_argb (cr, cfg->line_color);
      for (guint j = 0; j < np; j++) {
        const GstLandmarkPoint *pa, *pb;
        if (!skeleton_pair (in, j, cfg->min_conf, &pa, &pb))
          continue;
        cairo_move_to (cr, pa->x + 0.5, pa->y + 0.5);
        cairo_line_to (cr, pb->x + 0.5, pb->y + 0.5);
      }
      cairo_stroke (cr);
    }

    if (cfg->draw_points && cfg->point_radius > 0) {
      set_argb (cr, cfg->point_color);
      for (guint k = 0; k < in->n_points; k++) {
        const GstLandmarkPoint *p = &in->points[k];
        if (!point_shown (p, cfg->min_conf))
          continue;
        cairo_new_sub_path (cr);
        cairo_arc (cr, p->x + 0.5, p->y + 0.5, cfg->point_radius, 0, 2 * G_PI);
      }
      cairo_fill (cr);
    }

    if (cfg->draw_labels && in->layout)
      landmark_draw_labels (cr, in, cfg);
  }
  cairo_restore (cr);
}
