/* test_landmark_draw.c: the overlay's fast renderer (LandmarkCanvas) against Cairo's
 * rendering of the same meta (landmark_draw_cairo, how the overlay drew before): same
 * colours, alpha, line widths and point radii, within antialiasing; the same into ARGB
 * (the composition path), and into RGB and YUV frames like the old overlay's blending;
 * nothing drawn outside the extent; regions, boxes and labels (Cairo) in between. */
#include <math.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>
#include <gst/video/video-overlay-composition.h>

#include "landmark_draw.h"

#define W 160
#define H 120
#define NP 12

static LandmarkDrawConfig
default_config (void)
{
  LandmarkDrawConfig cfg = {
    .draw_skeleton = TRUE, .draw_points = TRUE, .draw_labels = FALSE, .draw_mask = TRUE,
    .draw_boxes = FALSE, .line_width = 2.0, .point_radius = 3.0, .min_conf = 0.2f,
    .point_color = 0xff00ff00u, .line_color = 0xffffa000u, .mask_alpha = 0.4,
    .draw_regions = FALSE,
  };
  return cfg;
}

/* Two instances: a zigzag of NP points with crossing lines, at fractional positions,
 * one below min-confidence; the second over a part mask, overlapping the first. */
static GstLandmarkMeta *
make_meta (GstBuffer * buf)
{
  const gchar *names[NP];
  gint pairs[2 * NP];
  for (gint i = 0; i < NP; i++)
    names[i] = "p";
  for (gint i = 0; i + 1 < NP; i++) {
    pairs[2 * i] = i;
    pairs[2 * i + 1] = i + 1;
  }
  pairs[2 * (NP - 1)] = 0;      /* closes the zigzag: lines cross */
  pairs[2 * (NP - 1) + 1] = NP / 2;
  const gchar *classes[] = { "background", "a", "b", "c" };
  GstLandmarkLayout *layout = gst_landmark_layout_new ("body-12-kp", NP, names,
      2 * NP, pairs, 4, classes);
  GstLandmarkMeta *meta = gst_buffer_add_landmark_meta (buf);
  for (guint n = 0; n < 2; n++) {
    guint i = gst_landmark_meta_add_instance (meta, layout, 10, 10, 100, 80, 1.0f, n + 1);
    for (gint k = 0; k < NP; k++) {
      const double x = 8.3 + k * 11.7 + n * 25.0, y = 20.6 + (k % 2) * 55.1 + n * 9.0
          + (k % 3) * 3.3;
      gst_landmark_meta_set_point (meta, i, (guint) k, (gfloat) x, (gfloat) y,
          k == 4 ? 0.1f : 0.9f, GST_LANDMARK_VISIBILITY_VISIBLE);
    }
    if (n == 1) {
      guint8 cls[8 * 6];
      for (guint c = 0; c < sizeof cls; c++)
        cls[c] = (guint8) ((c * 7 / 5) % 4);
      GBytes *bytes = g_bytes_new (cls, sizeof cls);
      gst_landmark_meta_set_class_map (meta, i, 8, 6, bytes, 40, 30, 96, 72);
      g_bytes_unref (bytes);
    }
  }
  gst_landmark_layout_unref (layout);
  return meta;
}

/* Cairo's picture, premultiplied ARGB32, W x H. */
static guint32 *
render_cairo (const GstLandmarkMeta * meta, const LandmarkDrawConfig * cfg)
{
  guint32 *px = g_new0 (guint32, W * H);
  cairo_surface_t *s = cairo_image_surface_create_for_data ((guint8 *) px,
      CAIRO_FORMAT_ARGB32, W, H, W * 4);
  cairo_t *cr = cairo_create (s);
  landmark_draw_cairo (cr, meta, cfg);
  cairo_destroy (cr);
  cairo_surface_finish (s);
  cairo_surface_destroy (s);
  return px;
}

/* The canvas's picture into an ARGB image of the extent, placed in a W x H one. */
static guint32 *
render_canvas (LandmarkCanvas * canvas, const GstLandmarkMeta * meta,
    const LandmarkDrawConfig * cfg)
{
  int x, y, w, h;
  fail_unless (landmark_draw_extent (meta, cfg, W, H, &x, &y, &w, &h));
  guint32 *img = g_new0 (guint32, (gsize) w * h);
  landmark_canvas_draw_argb (canvas, (guint8 *) img, w * 4, W, H, meta, NULL, 0, cfg, x,
      y, w, h);
  guint32 *px = g_new0 (guint32, W * H);
  for (int j = 0; j < h; j++)
    memcpy (px + (gsize) (y + j) * W + x, img + (gsize) j * w, (gsize) w * 4);
  g_free (img);
  return px;
}

/* Largest channel difference of two ARGB words. */
static gint
word_diff (guint32 a, guint32 b)
{
  gint d = 0;
  for (gint sh = 0; sh < 32; sh += 8)
    d = MAX (d, ABS ((gint) ((a >> sh) & 0xff) - (gint) ((b >> sh) & 0xff)));
  return d;
}

static void
check_argb (const LandmarkDrawConfig * cfg)
{
  GstBuffer *buf = gst_buffer_new ();
  GstLandmarkMeta *meta = make_meta (buf);
  LandmarkCanvas *canvas = landmark_canvas_new ();
  guint32 *ref = render_cairo (meta, cfg);
  for (gint round = 0; round < 2; round++) {  /* the second reuses the canvas's buffers */
    guint32 *got = render_canvas (canvas, meta, cfg);
    gint worst = 0;
    gsize off = 0, covered = 0;
    for (gsize i = 0; i < W * H; i++) {
      const gint d = word_diff (ref[i], got[i]);
      worst = MAX (worst, d);
      off += d > 40;
      covered += ref[i] != 0;
    }
    GST_INFO ("argb: worst %d, %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " drawn pixels "
        "off by > 40", worst, off, covered);
    fail_unless (covered > 500);
    /* antialiased edges: Cairo computes area coverage, the canvas the distance to the
     * pixel centre; mask rectangle edges are not antialiased */
    fail_unless (off * 50 <= covered, "%" G_GSIZE_FORMAT " pixels off", off);
    fail_unless (worst <= 120, "worst difference %d", worst);
    g_free (got);
  }
  g_free (ref);
  landmark_canvas_free (canvas);
  gst_buffer_unref (buf);
}

GST_START_TEST (test_argb_like_cairo)
{
  LandmarkDrawConfig cfg = default_config ();
  check_argb (&cfg);
  /* wide lines, big dots */
  cfg.line_width = 7.0;
  cfg.point_radius = 6.5;
  check_argb (&cfg);
  /* thin lines and translucent colours: overlapping parts of one path are not blended
   * twice (one fill, like Cairo's) */
  cfg.line_width = 1.0;
  cfg.point_radius = 1.5;
  cfg.line_color = 0x80ffa000u;
  cfg.point_color = 0x6000ff00u;
  cfg.mask_alpha = 0.8;
  check_argb (&cfg);
}
GST_END_TEST;

/* A W x H frame of a gradient, in format. */
static GstBuffer *
gradient_frame (GstVideoInfo * info, GstVideoFormat format)
{
  gst_video_info_set_format (info, format, W, H);
  GstBuffer *buf = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (info), NULL);
  GstVideoFrame f;
  fail_unless (gst_video_frame_map (&f, info, buf, GST_MAP_WRITE));
  for (guint c = 0; c < GST_VIDEO_FRAME_N_COMPONENTS (&f); c++) {
    guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&f, c);
    for (gint y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT (&f, c); y++)
      for (gint x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH (&f, c); x++)
        d[y * GST_VIDEO_FRAME_COMP_STRIDE (&f, c) + x * GST_VIDEO_FRAME_COMP_PSTRIDE (&f,
                c)] = (guint8) (40 + (x * 3 + y * 2 + c * 50) % 180);
  }
  gst_video_frame_unmap (&f);
  return buf;
}

/* The frame path against the old overlay's: Cairo's picture composited exactly over RGB
 * frames (as it drew straight into BGRx; GStreamer 1.22's blend over-weights the alpha
 * of premultiplied rectangles in 4-byte RGB formats), blended by GStreamer into YUV. */
static void
check_frame (GstVideoFormat format, gint close, gint edge)
{
  const LandmarkDrawConfig cfg = default_config ();
  GstVideoInfo info;
  GstBuffer *old = gradient_frame (&info, format), *fast = gst_buffer_copy_deep (old);
  GstLandmarkMeta *meta = make_meta (fast);
  int x, y, w, h;
  fail_unless (landmark_draw_extent (meta, &cfg, W, H, &x, &y, &w, &h));
  GstVideoFrame f;

  /* old: Cairo into an ARGB rectangle, then onto the frame */
  cairo_surface_t *s = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (s);
  cairo_translate (cr, -x, -y);
  landmark_draw_cairo (cr, meta, &cfg);
  cairo_destroy (cr);
  cairo_surface_flush (s);
  const gint stride = cairo_image_surface_get_stride (s);
  fail_unless (gst_video_frame_map (&f, &info, old, GST_MAP_READWRITE));
  if (GST_VIDEO_INFO_IS_RGB (&info)) {
    for (gint j = 0; j < h; j++)
      for (gint i = 0; i < w; i++) {
        const guint32 p = ((const guint32 *) (cairo_image_surface_get_data (s) +
                (gsize) j * stride))[i];
        const guint a = p >> 24;
        for (guint c = 0; c < 3; c++) {
          guint8 *d = GST_VIDEO_FRAME_COMP_DATA (&f, c) + (gsize) (y + j) *
              GST_VIDEO_FRAME_COMP_STRIDE (&f, c) + (gsize) (x + i) *
              GST_VIDEO_FRAME_COMP_PSTRIDE (&f, c);
          *d = (guint8) (((p >> (16 - 8 * c)) & 0xff) + (*d * (255 - a) + 127) / 255);
        }
      }
    cairo_surface_destroy (s);
  } else {
    GstBuffer *sbuf = gst_buffer_new_wrapped_full (0, cairo_image_surface_get_data (s),
        (gsize) stride * h, 0, (gsize) stride * h, s,
        (GDestroyNotify) cairo_surface_destroy);
    gsize offset[GST_VIDEO_MAX_PLANES] = { 0, };
    gint strides[GST_VIDEO_MAX_PLANES] = { stride, };
    gst_buffer_add_video_meta_full (sbuf, GST_VIDEO_FRAME_FLAG_NONE,
        G_BYTE_ORDER == G_LITTLE_ENDIAN ? GST_VIDEO_FORMAT_BGRA : GST_VIDEO_FORMAT_ARGB, w,
        h, 1, offset, strides);
    GstVideoOverlayRectangle *rect = gst_video_overlay_rectangle_new_raw (sbuf, x, y,
        (guint) w, (guint) h, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
    gst_buffer_unref (sbuf);
    GstVideoOverlayComposition *comp = gst_video_overlay_composition_new (rect);
    gst_video_overlay_rectangle_unref (rect);
    fail_unless (gst_video_overlay_composition_blend (comp, &f));
    gst_video_overlay_composition_unref (comp);
  }
  gst_video_frame_unmap (&f);

  /* new: the canvas, straight into the frame */
  LandmarkCanvas *canvas = landmark_canvas_new ();
  GstBuffer *before = gst_buffer_copy_deep (fast);
  fail_unless (gst_video_frame_map (&f, &info, fast, GST_MAP_READWRITE));
  fail_unless (landmark_canvas_draw_frame (canvas, &f, meta, NULL, 0, &cfg, x, y, w, h));
  gst_video_frame_unmap (&f);

  /* the colour samples of every pixel (every RGB channel, or luma; in 4:2:0 the old
   * blend took each block's chroma from one of its pixels, the new averages them) */
  const gchar *name = gst_video_format_to_string (format);
  const guint ncomp = GST_VIDEO_INFO_IS_RGB (&info) ? 3 : 1;
  GstVideoFrame fo, ff, fb;
  fail_unless (gst_video_frame_map (&fo, &info, old, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&ff, &info, fast, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fb, &info, before, GST_MAP_READ));
  gsize far = 0, changed = 0;
  gint worst = 0;
  for (gint yy = 0; yy < H; yy++)
    for (gint xx = 0; xx < W; xx++)
      for (guint c = 0; c < ncomp; c++) {
        const gsize o = (gsize) yy * GST_VIDEO_FRAME_COMP_STRIDE (&fo, c) +
            (gsize) xx * GST_VIDEO_FRAME_COMP_PSTRIDE (&fo, c);
        const gint vo = GST_VIDEO_FRAME_COMP_DATA (&fo, c)[o];
        const gint vf = GST_VIDEO_FRAME_COMP_DATA (&ff, c)[o];
        const gint vb = GST_VIDEO_FRAME_COMP_DATA (&fb, c)[o];
        worst = MAX (worst, ABS (vo - vf));
        far += ABS (vo - vf) > close;
        if (vf != vb) {
          changed++;
          fail_unless (xx >= x && xx < x + w && yy >= y && yy < y + h, "%s: pixel (%d, %d) "
              "outside the extent %dx%d+%d+%d changed", name, xx, yy, w, h, x, y);
        }
      }
  GST_INFO ("%s: worst %d, %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " changed samples "
      "off by > %d", name, worst, far, changed, close);
  fail_unless (changed > 500);
  fail_unless (worst <= edge, "%s: a sample differs by %d", name, worst);
  fail_unless (far * 50 <= changed, "%s: %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT
      " samples differ by more than %d", name, far, changed, close);
  gst_video_frame_unmap (&fo);
  gst_video_frame_unmap (&ff);
  gst_video_frame_unmap (&fb);
  gst_buffer_unref (before);
  gst_buffer_unref (old);
  gst_buffer_unref (fast);
  landmark_canvas_free (canvas);
}

GST_START_TEST (test_frames_like_the_old_overlay)
{
  check_frame (GST_VIDEO_FORMAT_BGRx, 40, 100);
  check_frame (GST_VIDEO_FORMAT_xBGR, 40, 100);
  check_frame (GST_VIDEO_FORMAT_RGB, 40, 100);
  check_frame (GST_VIDEO_FORMAT_I420, 40, 100);
  check_frame (GST_VIDEO_FORMAT_NV12, 40, 100);
  check_frame (GST_VIDEO_FORMAT_YUY2, 40, 100);
}
GST_END_TEST;

/* Regions and labels (Cairo on the scratch layer) between masks and lines, in a frame. */
GST_START_TEST (test_regions_and_labels)
{
  LandmarkDrawConfig cfg = default_config ();
  cfg.draw_labels = TRUE;
  cfg.draw_boxes = TRUE;
  cfg.draw_regions = TRUE;
  const LandmarkRegion regions[] = { {20, 15, 60, 50, "face", 0.9},
  {70, 40, 50, 40, NULL, -1.0}
  };
  GstVideoInfo info;
  GstBuffer *buf = gradient_frame (&info, GST_VIDEO_FORMAT_I420);
  GstBuffer *before = gst_buffer_copy_deep (buf);
  GstLandmarkMeta *meta = make_meta (buf);
  int x, y, w, h;
  fail_unless (landmark_draw_extent_regions (meta, regions, 2, &cfg, W, H, &x, &y, &w,
          &h));
  LandmarkCanvas *canvas = landmark_canvas_new ();
  for (gint round = 0; round < 3; round++) {
    GstVideoFrame f;
    fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_READWRITE));
    fail_unless (landmark_canvas_draw_frame (canvas, &f, meta, regions, 2, &cfg, x, y, w,
            h));
    gst_video_frame_unmap (&f);
  }
  /* and into an ARGB image: the same picture as Cairo's, labels included */
  guint32 *ref = render_cairo (meta, &cfg);
  guint32 *got = g_new0 (guint32, (gsize) W * H);
  landmark_canvas_draw_argb (canvas, (guint8 *) got, W * 4, W, H, meta, NULL, 0, &cfg, 0,
      0, W, H);
  gsize off = 0, covered = 0;
  for (gsize i = 0; i < W * H; i++) {
    off += word_diff (ref[i], got[i]) > 40;
    covered += ref[i] != 0;
  }
  fail_unless (off * 25 <= covered, "%" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " off", off,
      covered);
  g_free (ref);
  g_free (got);

  GstMapInfo m, mb;
  fail_unless (gst_buffer_map (buf, &m, GST_MAP_READ));
  fail_unless (gst_buffer_map (before, &mb, GST_MAP_READ));
  gsize changed = 0;
  for (gsize i = 0; i < m.size; i++)
    changed += m.data[i] != mb.data[i];
  fail_unless (changed > 1000);
  gst_buffer_unmap (buf, &m);
  gst_buffer_unmap (before, &mb);
  gst_buffer_unref (buf);
  gst_buffer_unref (before);
  landmark_canvas_free (canvas);
}
GST_END_TEST;

static Suite *
landmark_draw_suite (void)
{
  Suite *s = suite_create ("landmark_draw");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_argb_like_cairo);
  tcase_add_test (tc, test_frames_like_the_old_overlay);
  tcase_add_test (tc, test_regions_and_labels);
  return s;
}

GST_CHECK_MAIN (landmark_draw);
