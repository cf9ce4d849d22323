/* test_landmark_overlay.c: landmarkoverlay tests: with a known meta on a black frame the
 * pixels at the points change and nowhere else does, in every accepted format; odd sizes
 * and padded strides leave every byte away from the drawing as it was; masks;
 * overlay-composition meta when downstream takes it; frames without meta untouched. */
#include <gst/check/gstharness.h>
#include <gst/video/video-overlay-composition.h>

#include "test_util.h"

#include "gst/landmark/landmarkmeta.h"

static const GstVideoFormat overlay_formats[] = {
  GST_VIDEO_FORMAT_BGRx, GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR,
  GST_VIDEO_FORMAT_BGRA, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR,
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_YUY2,
};

#define W 64
#define H 48
#define P0X 12
#define P0Y 14
#define P1X 40
#define P1Y 30
#define RADIUS 3.0
#define LINE 2.0

/* A black (and, for formats with alpha, fully transparent) frame. */
static GstBuffer *
black_frame (GstVideoFormat format, GstBuffer * into)
{
  GstVideoInfo info;
  gst_video_info_set_format (&info, format, W, H);
  GstBuffer *buf = into ? into : gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&info),
      NULL);
  GstVideoFrame f;
  fail_unless (gst_video_frame_map (&f, &info, buf, GST_MAP_WRITE));
  for (guint p = 0; p < GST_VIDEO_FRAME_N_PLANES (&f); p++) {
    guint8 *d = GST_VIDEO_FRAME_PLANE_DATA (&f, p);
    const gint stride = GST_VIDEO_FRAME_PLANE_STRIDE (&f, p);
    const gint rows = GST_VIDEO_FRAME_COMP_HEIGHT (&f, p);
    guint8 v = 0;
    if (GST_VIDEO_INFO_IS_YUV (&info))
      v = p == 0 ? 16 : 128;
    for (gint y = 0; y < rows; y++) {
      memset (d + (gsize) y * stride, v, stride);
      if (format == GST_VIDEO_FORMAT_YUY2)
        for (gint x = 0; x < stride; x += 2)
          d[(gsize) y * stride + x + 1] = 128;
    }
  }
  gst_video_frame_unmap (&f);
  GST_BUFFER_PTS (buf) = 0;
  return buf;
}

static GstLandmarkLayout *
two_point_layout (void)
{
  const gchar *names[] = { "a", "b" };
  const gint pairs[] = { 0, 1 };
  const gchar *classes[] = { "background", "arm", "leg" };
  return gst_landmark_layout_new ("body-2-kp", 2, names, 2, pairs, 3, classes);
}

static void
add_two_points (GstBuffer * buf)
{
  GstLandmarkLayout *layout = two_point_layout ();
  GstLandmarkMeta *meta = gst_buffer_add_landmark_meta (buf);
  guint i = gst_landmark_meta_add_instance (meta, layout, P0X, P0Y, P1X - P0X, P1Y - P0Y,
      1.0f, 1);
  gst_landmark_meta_set_point (meta, i, 0, P0X, P0Y, 1.0f, GST_LANDMARK_VISIBILITY_VISIBLE);
  gst_landmark_meta_set_point (meta, i, 1, P1X, P1Y, 1.0f, GST_LANDMARK_VISIBILITY_VISIBLE);
  gst_landmark_layout_unref (layout);
}

/* The frame as RGBA bytes, W x H x 4. */
static guint8 *
to_rgba (GstBuffer * buf, GstVideoFormat format)
{
  GstVideoInfo in_info, out_info;
  gst_video_info_set_format (&in_info, format, W, H);
  gst_video_info_set_format (&out_info, GST_VIDEO_FORMAT_RGBA, W, H);
  GstBuffer *out = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&out_info), NULL);
  GstVideoFrame fi, fo;
  fail_unless (gst_video_frame_map (&fi, &in_info, buf, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&fo, &out_info, out, GST_MAP_WRITE));
  GstVideoConverter *c = gst_video_converter_new (&in_info, &out_info, NULL);
  gst_video_converter_frame (c, &fi, &fo);
  gst_video_converter_free (c);
  gst_video_frame_unmap (&fi);
  gst_video_frame_unmap (&fo);
  guint8 *rgba = g_malloc (W * H * 4);
  gst_buffer_extract (out, 0, rgba, W * H * 4);
  gst_buffer_unref (out);
  return rgba;
}

static gboolean
pixel_changed (const guint8 * a, const guint8 * b, gint x, gint y)
{
  const guint8 *pa = a + 4 * (y * W + x), *pb = b + 4 * (y * W + x);
  gint d = 0;
  for (gint c = 0; c < 4; c++)
    d = MAX (d, ABS ((gint) pa[c] - (gint) pb[c]));
  return d > 24;
}

/* Distance of pixel (x, y)'s centre to the drawn segment between the two points. */
static double
dist_to_drawing (gint x, gint y)
{
  const double px = x + 0.5, py = y + 0.5;
  const double ax = P0X + 0.5, ay = P0Y + 0.5, bx = P1X + 0.5, by = P1Y + 0.5;
  const double dx = bx - ax, dy = by - ay;
  double t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy);
  t = CLAMP (t, 0.0, 1.0);
  const double ex = ax + t * dx - px, ey = ay + t * dy - py;
  return sqrt (ex * ex + ey * ey);
}

static GstHarness *
overlay_harness (GstVideoFormat format, const gchar * props)
{
  gchar *desc = g_strdup_printf ("landmarkoverlay point-radius=%f line-width=%f %s",
      RADIUS, LINE, props ? props : "");
  GstHarness *hrn = gst_harness_new_parse (desc);
  g_free (desc);
  gchar *caps = test_caps_str (format, W, H);
  gst_harness_set_src_caps_str (hrn, caps);
  g_free (caps);
  return hrn;
}

GST_START_TEST (test_draws_at_points_only)
{
  for (guint f = 0; f < G_N_ELEMENTS (overlay_formats); f++) {
    const GstVideoFormat fmt = overlay_formats[f];
    const gchar *name = gst_video_format_to_string (fmt);
    GstHarness *hrn = overlay_harness (fmt, NULL);
    GstBuffer *in = black_frame (fmt, NULL);
    guint8 *before = to_rgba (in, fmt);
    add_two_points (in);
    fail_unless_equals_int (gst_harness_push (hrn, in), GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull (hrn);
    guint8 *after = to_rgba (out, fmt);

    fail_unless (pixel_changed (before, after, P0X, P0Y), "%s: point 0 not drawn", name);
    fail_unless (pixel_changed (before, after, P1X, P1Y), "%s: point 1 not drawn", name);
    fail_unless (pixel_changed (before, after, (P0X + P1X) / 2, (P0Y + P1Y) / 2),
        "%s: skeleton line not drawn", name);
    /* 2 px slack: antialiasing and 4:2:0 / 4:2:2 chroma */
    const double reach = MAX (RADIUS, LINE / 2) + 2.0;
    gint changed = 0;
    for (gint y = 0; y < H; y++)
      for (gint x = 0; x < W; x++) {
        if (!pixel_changed (before, after, x, y))
          continue;
        changed++;
        fail_unless (dist_to_drawing (x, y) <= reach, "%s: pixel (%d, %d) changed, %.1f px "
            "from the drawing", name, x, y, dist_to_drawing (x, y));
      }
    fail_unless (changed > 20);
    g_free (before);
    g_free (after);
    gst_buffer_unref (out);
    gst_harness_teardown (hrn);
  }
}
GST_END_TEST;

GST_START_TEST (test_nothing_to_draw)
{
  const GstVideoFormat fmt = GST_VIDEO_FORMAT_I420;
  /* no meta at all */
  GstHarness *hrn = overlay_harness (fmt, NULL);
  GstBuffer *in = black_frame (fmt, NULL);
  guint8 *before = to_rgba (in, fmt);
  gst_harness_push (hrn, in);
  GstBuffer *out = gst_harness_pull (hrn);
  guint8 *after = to_rgba (out, fmt);
  fail_unless (memcmp (before, after, W * H * 4) == 0);
  g_free (after);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  /* a meta, but everything switched off / below the confidence threshold */
  hrn = overlay_harness (fmt, "draw-points=false draw-skeleton=false draw-boxes=false");
  in = black_frame (fmt, NULL);
  add_two_points (in);
  gst_harness_push (hrn, in);
  out = gst_harness_pull (hrn);
  after = to_rgba (out, fmt);
  fail_unless (memcmp (before, after, W * H * 4) == 0);
  g_free (after);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  hrn = overlay_harness (fmt, "min-confidence=1.0");
  in = black_frame (fmt, NULL);
  GstLandmarkLayout *layout = two_point_layout ();
  GstLandmarkMeta *meta = gst_buffer_add_landmark_meta (in);
  gst_landmark_meta_add_instance (meta, layout, 0, 0, 10, 10, 0.5f, 1);
  gst_landmark_meta_set_point (meta, 0, 0, P0X, P0Y, 0.99f, 1);
  gst_landmark_meta_set_point (meta, 0, 1, P1X, P1Y, 0.5f, 1);
  gst_landmark_layout_unref (layout);
  gst_harness_push (hrn, in);
  out = gst_harness_pull (hrn);
  after = to_rgba (out, fmt);
  fail_unless (memcmp (before, after, W * H * 4) == 0);
  g_free (after);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
  g_free (before);
}
GST_END_TEST;

/* draw-regions draws an upstream region unless bnnlandmarks rejected it (its "landmarks"
 * parameter has kept=false); draw-rejected-regions=true draws that one too. verdict: -1 no
 * parameter, 0 rejected, 1 kept. Returns how many RGBA bytes the overlay changed. */
static gsize
region_pixels (gint verdict, const gchar * props)
{
  const GstVideoFormat fmt = GST_VIDEO_FORMAT_RGBA;
  GstHarness *hrn = overlay_harness (fmt, props);
  GstBuffer *in = black_frame (fmt, NULL);
  guint8 *before = to_rgba (in, fmt);
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (in, "person", 8, 8, 30, 24);
  if (verdict >= 0)
    gst_video_region_of_interest_meta_add_param (roi, gst_structure_new ("landmarks",
            "score", G_TYPE_DOUBLE, 0.01, "kept", G_TYPE_BOOLEAN, verdict == 1, NULL));
  gst_harness_push (hrn, in);
  GstBuffer *out = gst_harness_pull (hrn);
  guint8 *after = to_rgba (out, fmt);
  gsize diff = 0;
  for (gsize i = 0; i < (gsize) W * H * 4; i++)
    diff += before[i] != after[i];
  g_free (before);
  g_free (after);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
  return diff;
}

GST_START_TEST (test_rejected_regions)
{
  fail_unless_equals_int ((gint) region_pixels (-1, NULL), 0);
  fail_unless (region_pixels (-1, "draw-regions=true") > 50, "no region drawn");
  fail_unless (region_pixels (1, "draw-regions=true") > 50, "kept region not drawn");
  fail_unless_equals_int ((gint) region_pixels (0, "draw-regions=true"), 0);
  fail_unless (region_pixels (0, "draw-regions=true draw-rejected-regions=true") > 50,
      "rejected region not drawn with draw-rejected-regions=true");
}
GST_END_TEST;

GST_START_TEST (test_mask_and_boxes)
{
  const GstVideoFormat fmt = GST_VIDEO_FORMAT_BGRx;
  GstHarness *hrn = overlay_harness (fmt, "mask-alpha=0.8 draw-boxes=true");
  GstBuffer *in = black_frame (fmt, NULL);
  guint8 *before = to_rgba (in, fmt);
  GstLandmarkLayout *layout = two_point_layout ();
  GstLandmarkMeta *meta = gst_buffer_add_landmark_meta (in);
  /* points below the default min-confidence: only the mask and the box show */
  guint i = gst_landmark_meta_add_instance (meta, layout, 40, 30, 20, 15, 1.0f, 1);
  gst_landmark_meta_set_point (meta, i, 0, 5, 5, 0.0f, 0);
  gst_landmark_meta_set_point (meta, i, 1, 6, 6, 0.0f, 0);
  const guint8 cls[4] = { 1, 0, 0, 2 };
  GBytes *bytes = g_bytes_new (cls, 4);
  gst_landmark_meta_set_class_map (meta, i, 2, 2, bytes, 0, 0, 32, 24);
  g_bytes_unref (bytes);
  gst_landmark_layout_unref (layout);

  gst_harness_push (hrn, in);
  GstBuffer *out = gst_harness_pull (hrn);
  guint8 *after = to_rgba (out, fmt);
  fail_unless (pixel_changed (before, after, 8, 6));     /* class 1 */
  fail_unless (!pixel_changed (before, after, 24, 6));   /* class 0: background */
  fail_unless (pixel_changed (before, after, 24, 18));   /* class 2 */
  fail_unless (!pixel_changed (before, after, 8, 18));   /* class 0 */
  /* the two classes have different colours */
  fail_unless (memcmp (after + 4 * (6 * W + 8), after + 4 * (18 * W + 24), 3) != 0);
  fail_unless (pixel_changed (before, after, 40, 38));   /* box edge */
  fail_unless (!pixel_changed (before, after, 50, 38));  /* inside the box */
  g_free (before);
  g_free (after);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
}
GST_END_TEST;

GST_START_TEST (test_labels)
{
  const GstVideoFormat fmt = GST_VIDEO_FORMAT_RGB;
  GstHarness *hrn = overlay_harness (fmt, "draw-labels=true draw-points=false "
      "draw-skeleton=false");
  GstBuffer *in = black_frame (fmt, NULL);
  guint8 *before = to_rgba (in, fmt);
  add_two_points (in);
  gst_harness_push (hrn, in);
  GstBuffer *out = gst_harness_pull (hrn);
  guint8 *after = to_rgba (out, fmt);
  /* the name is written up and to the right of each point */
  gint changed = 0;
  for (gint y = MAX (P0Y - 16, 0); y < P0Y; y++)
    for (gint x = P0X + 1; x < P0X + 20; x++)
      changed += pixel_changed (before, after, x, y);
  fail_unless (changed > 3, "no label near point 0");
  g_free (before);
  g_free (after);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
}
GST_END_TEST;

GST_START_TEST (test_composition_meta_when_downstream_takes_it)
{
  const GstVideoFormat fmt = GST_VIDEO_FORMAT_I420;
  GstHarness *hrn = gst_harness_new ("landmarkoverlay");
  gst_harness_add_propose_allocation_meta (hrn,
      GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
  gchar *caps = test_caps_str (fmt, W, H);
  gst_harness_set_src_caps_str (hrn, caps);
  g_free (caps);
  GstVideoInfo info;
  gst_video_info_set_format (&info, fmt, W, H);
  /* creating a buffer makes the harness run the ALLOCATION query through the overlay */
  GstBuffer *in = black_frame (fmt, gst_harness_create_buffer (hrn, info.size));
  guint8 *before = to_rgba (in, fmt);
  add_two_points (in);
  gst_harness_push (hrn, in);
  GstBuffer *out = gst_harness_pull (hrn);

  GstVideoOverlayCompositionMeta *cm = gst_buffer_get_video_overlay_composition_meta (out);
  fail_unless (cm != NULL, "no overlay composition meta attached");
  guint8 *after = to_rgba (out, fmt);
  fail_unless (memcmp (before, after, W * H * 4) == 0, "pixels were blended anyway");
  g_free (after);

  /* the composition, blended by "the sink", draws at the points */
  GstBuffer *copy = gst_buffer_copy_deep (out);
  GstVideoFrame frame;
  fail_unless (gst_video_frame_map (&frame, &info, copy, GST_MAP_READWRITE));
  fail_unless (gst_video_overlay_composition_blend (cm->overlay, &frame));
  gst_video_frame_unmap (&frame);
  after = to_rgba (copy, fmt);
  fail_unless (pixel_changed (before, after, P0X, P0Y));
  fail_unless (!pixel_changed (before, after, W - 4, 4));
  g_free (after);
  g_free (before);
  gst_buffer_unref (copy);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
}
GST_END_TEST;

GST_START_TEST (test_pipeline_with_estimator)
{
  /* end to end: every frame leaving the overlay differs from its input where the meta
   * has points (drawn on all frames, with or without fresh inference) */
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=6 pattern=black ! "
      "video/x-raw,format=BGRx,width=96,height=72 ! bnnlandmarks model=\"%s\" "
      "min-confidence=0 inference-interval=2 threads=1 ! landmarkoverlay "
      "min-confidence=0 ! appsink name=sink sync=false", FACE_MODEL ());
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  for (gint i = 0; i < 6; i++) {
    GstSample *s = NULL;
    g_signal_emit_by_name (sink, "pull-sample", &s);
    fail_unless (s != NULL);
    GstBuffer *b = gst_sample_get_buffer (s);
    GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (b);
    fail_unless (meta && meta->n_instances == 1, "frame %d without landmarks", i);
    GstMapInfo map;
    gst_buffer_map (b, &map, GST_MAP_READ);
    const GstLandmarkPoint *p = &meta->instances[0].points[0];
    const guint8 *px = map.data + ((gint) (p->y + 0.5f) * 96 + (gint) (p->x + 0.5f)) * 4;
    fail_unless (px[0] + px[1] + px[2] > 100, "frame %d: nothing drawn at point 0", i);
    gst_buffer_unmap (b, &map);
    gst_sample_unref (s);
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* Odd frame sizes and padded strides: a drawing whose dot sits in the last column and
 * row (a chroma block of one pixel), a line, and a part mask at odd coordinates. Every
 * byte of the buffer farther than the drawing's reach stays as it was (padding, 'x'
 * bytes and other planes included), and the pixels of the points change. */
#define OW 321
#define OH 241
static const double odd_points[3][2] = { {5, 7}, {100, 60}, {OW - 1, OH - 1} };
#define MASK_X 200.0
#define MASK_Y 11.0
#define MASK_W 31.0
#define MASK_H 21.0

static void
add_odd_meta (GstBuffer * buf)
{
  const gchar *names[] = { "a", "b", "c" };
  const gint pairs[] = { 0, 1 };
  const gchar *classes[] = { "background", "arm", "leg" };
  GstLandmarkLayout *layout = gst_landmark_layout_new ("body-3-kp", 3, names, 2, pairs,
      3, classes);
  GstLandmarkMeta *meta = gst_buffer_add_landmark_meta (buf);
  guint i = gst_landmark_meta_add_instance (meta, layout, 5, 7, 315, 233, 1.0f, 1);
  for (guint k = 0; k < 3; k++)
    gst_landmark_meta_set_point (meta, i, k, (gfloat) odd_points[k][0],
        (gfloat) odd_points[k][1], 1.0f, GST_LANDMARK_VISIBILITY_VISIBLE);
  const guint8 cls[4] = { 1, 0, 0, 2 };
  GBytes *bytes = g_bytes_new (cls, 4);
  gst_landmark_meta_set_class_map (meta, i, 2, 2, bytes, (gfloat) MASK_X, (gfloat) MASK_Y,
      (gfloat) MASK_W, (gfloat) MASK_H);
  g_bytes_unref (bytes);
  gst_landmark_layout_unref (layout);
}

static double
segment_dist (double px, double py, double ax, double ay, double bx, double by)
{
  const double dx = bx - ax, dy = by - ay;
  double t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy);
  t = CLAMP (t, 0.0, 1.0);
  return hypot (ax + t * dx - px, ay + t * dy - py);
}

/* Whether the drawing may reach pixel (x, y): the line a-b, the dots, and the mask's
 * two coloured quadrants (top left, bottom right), with a pixel of slack. */
static gboolean
odd_near (gint x, gint y)
{
  const double px = x + 0.5, py = y + 0.5;
  if (segment_dist (px, py, odd_points[0][0] + 0.5, odd_points[0][1] + 0.5,
          odd_points[1][0] + 0.5, odd_points[1][1] + 0.5) <= LINE / 2 + 1.0)
    return TRUE;
  for (guint k = 0; k < 3; k++)
    if (hypot (px - odd_points[k][0] - 0.5, py - odd_points[k][1] - 0.5) <= RADIUS + 1.0)
      return TRUE;
  const double hw = MASK_W / 2, hh = MASK_H / 2;
  if (px >= MASK_X - 1 && px <= MASK_X + hw + 1 && py >= MASK_Y - 1
      && py <= MASK_Y + hh + 1)
    return TRUE;
  if (px >= MASK_X + hw - 1 && px <= MASK_X + MASK_W + 1 && py >= MASK_Y + hh - 1
      && py <= MASK_Y + MASK_H + 1)
    return TRUE;
  return FALSE;
}

/* The buffer's layout, from its GstVideoMeta. */
static void
info_from_meta (GstBuffer * buf, GstVideoFormat fmt, GstVideoInfo * info)
{
  GstVideoMeta *vm = gst_buffer_get_video_meta (buf);
  fail_unless (vm != NULL);
  gst_video_info_set_format (info, fmt, OW, OH);
  for (guint p = 0; p < vm->n_planes; p++) {
    info->offset[p] = vm->offset[p];
    info->stride[p] = vm->stride[p];
  }
}

/* Byte offset of component c's sample covering pixel (x, y). */
static gsize
sample_offset (const GstVideoInfo * info, guint c, gint x, gint y)
{
  const GstVideoFormatInfo *fi = info->finfo;
  const guint pl = GST_VIDEO_FORMAT_INFO_PLANE (fi, c);
  return info->offset[pl] + (gsize) (y >> GST_VIDEO_FORMAT_INFO_H_SUB (fi, c)) *
      info->stride[pl] + (gsize) (x >> GST_VIDEO_FORMAT_INFO_W_SUB (fi, c)) *
      GST_VIDEO_FORMAT_INFO_PSTRIDE (fi, c) + GST_VIDEO_FORMAT_INFO_POFFSET (fi, c);
}

GST_START_TEST (test_odd_size_and_strides_touch_only_the_drawing)
{
  guint8 *near = g_malloc (OW * OH);
  for (gint y = 0; y < OH; y++)
    for (gint x = 0; x < OW; x++)
      near[y * OW + x] = odd_near (x, y);

  for (guint f = 0; f < G_N_ELEMENTS (overlay_formats); f++) {
    const GstVideoFormat fmt = overlay_formats[f];
    const gchar *name = gst_video_format_to_string (fmt);
    for (gint pad = 0; pad <= 12; pad += 12) {
      GstHarness *hrn = gst_harness_new_parse ("landmarkoverlay point-radius=3 "
          "line-width=2 mask-alpha=0.6");
      gchar *caps = test_caps_str (fmt, OW, OH);
      gst_harness_set_src_caps_str (hrn, caps);
      g_free (caps);
      GstBuffer *in = test_frame (fmt, OW, OH, pad, 0);
      GstBuffer *before = gst_buffer_copy_deep (in);
      add_odd_meta (in);
      fail_unless_equals_int (gst_harness_push (hrn, in), GST_FLOW_OK);
      GstBuffer *out = gst_harness_pull (hrn);

      GstVideoInfo info;
      info_from_meta (out, fmt, &info);
      const GstVideoFormatInfo *fi = info.finfo;
      GstMapInfo mb, mo;
      fail_unless (gst_buffer_map (before, &mb, GST_MAP_READ));
      fail_unless (gst_buffer_map (out, &mo, GST_MAP_READ));
      fail_unless_equals_int ((gint) mb.size, (gint) mo.size);

      /* the bytes the drawing may change: the samples of pixels near it */
      guint8 *may = g_malloc0 (mo.size);
      for (gint y = 0; y < OH; y++)
        for (gint x = 0; x < OW; x++)
          if (near[y * OW + x])
            for (guint c = 0; c < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (fi); c++)
              may[sample_offset (&info, c, x, y)] = 1;
      gsize o = 0;              /* (one check for the lot: checks are slow) */
      while (o < mo.size && (may[o] || mb.data[o] == mo.data[o]))
        o++;
      fail_unless (o == mo.size, "%s pad %d: byte %" G_GSIZE_FORMAT " changed (%u -> %u), "
          "away from the drawing", name, pad, o, mb.data[MIN (o, mo.size - 1)],
          mo.data[MIN (o, mo.size - 1)]);

      /* the points' own pixels did change (in some colour component) */
      for (guint k = 0; k < 3; k++) {
        const gint x = (gint) odd_points[k][0], y = (gint) odd_points[k][1];
        gint diff = 0;
        for (guint c = 0; c < 3; c++) {
          const gsize o = sample_offset (&info, c, x, y);
          diff = MAX (diff, ABS ((gint) mo.data[o] - (gint) mb.data[o]));
        }
        fail_unless (diff > 20, "%s pad %d: point %u at (%d, %d) not drawn", name, pad, k,
            x, y);
      }
      /* and the mask's coloured quadrant, away from the line */
      {
        const gsize o = sample_offset (&info, 0, (gint) (MASK_X + 5), (gint) (MASK_Y + 4));
        fail_unless (mo.data[o] != mb.data[o], "%s pad %d: mask not drawn", name, pad);
      }
      g_free (may);
      gst_buffer_unmap (before, &mb);
      gst_buffer_unmap (out, &mo);
      gst_buffer_unref (before);
      gst_buffer_unref (out);
      gst_harness_teardown (hrn);
    }
  }
  g_free (near);
}
GST_END_TEST;

static Suite *
landmark_overlay_suite (void)
{
  Suite *s = suite_create ("landmarkoverlay");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_draws_at_points_only);
  tcase_add_test (tc, test_nothing_to_draw);
  tcase_add_test (tc, test_mask_and_boxes);
  tcase_add_test (tc, test_rejected_regions);
  tcase_add_test (tc, test_labels);
  tcase_add_test (tc, test_composition_meta_when_downstream_takes_it);
  tcase_add_test (tc, test_pipeline_with_estimator);
  tcase_add_test (tc, test_odd_size_and_strides_touch_only_the_drawing);
  return s;
}

GST_CHECK_MAIN (landmark_overlay);
