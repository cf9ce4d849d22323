/* test_bnnlandmarks.c: bnnlandmarks element tests with generated random-weight models:
 * formats and odd sizes, strides, regions of interest, interval, worker thread, QoS,
 * latency, class maps, model errors and repeated state changes. */
#include <unistd.h>

#include <glib/gstdio.h>
#include <gst/check/gstharness.h>

#include "test_util.h"

#include "bnnlm/bnnlm.h"
#include "gst/landmark/landmarkmeta.h"

static const GstVideoFormat all_formats[] = {
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_BGRx,
  GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA,
  GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_GRAY8,
};

static GstHarness *
new_harness (const gchar * model, const gchar * extra, GstVideoFormat format, gint w, gint h)
{
  gchar *desc = g_strdup_printf ("bnnlandmarks name=f model=\"%s\" min-confidence=0 "
      "smoothing=false threads=1 %s", model, extra ? extra : "");
  GstHarness *hrn = gst_harness_new_parse (desc);
  g_free (desc);
  gchar *caps = test_caps_str (format, w, h);
  gst_harness_set_src_caps_str (hrn, caps);
  g_free (caps);
  return hrn;
}

/* Meta checks every output must pass: K points inside the frame, finite, confidences in
 * 0..1, boxes inside the frame. */
static void
check_meta_sane (GstBuffer * buf, gint w, gint h, guint expect_instances)
{
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (buf);
  fail_unless (meta != NULL, "no GstLandmarkMeta on the output buffer");
  fail_unless_equals_int (meta->n_instances, expect_instances);
  for (guint i = 0; i < meta->n_instances; i++) {
    const GstLandmarkInstance *in = &meta->instances[i];
    fail_unless (in->n_points > 0);
    fail_unless (in->track_id > 0);
    fail_unless (in->score >= 0.0f && in->score <= 1.0f);
    fail_unless (in->x >= 0 && in->y >= 0 && in->w > 0 && in->h > 0
        && in->x + in->w <= w + 1e-3f && in->y + in->h <= h + 1e-3f,
        "bbox %f %f %f %f outside %dx%d", in->x, in->y, in->w, in->h, w, h);
    for (guint k = 0; k < in->n_points; k++) {
      const GstLandmarkPoint *p = &in->points[k];
      fail_unless (isfinite (p->x) && isfinite (p->y));
      fail_unless (p->x >= 0.0f && p->x <= w - 1.0f && p->y >= 0.0f && p->y <= h - 1.0f,
          "point %u (%f, %f) outside %dx%d", k, p->x, p->y, w, h);
      fail_unless (p->confidence >= 0.0f && p->confidence <= 1.0f);
    }
  }
}

static GstBuffer *
push_pull (GstHarness * hrn, GstBuffer * in)
{
  fail_unless_equals_int (gst_harness_push (hrn, in), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (hrn);
  fail_unless (out != NULL);
  return out;
}

GST_START_TEST (test_formats_and_sizes)
{
  const gint sizes[][2] = { {321, 241}, {2, 2}, {1, 1}, {63, 17} };
  for (guint f = 0; f < G_N_ELEMENTS (all_formats); f++) {
    for (guint s = 0; s < G_N_ELEMENTS (sizes); s++) {
      const gint w = sizes[s][0], h = sizes[s][1];
      GstHarness *hrn = new_harness (FACE_MODEL (), NULL, all_formats[f], w, h);
      GstBuffer *in = test_frame (all_formats[f], w, h, 0, 0);
      GstMapInfo a, b;
      GstBuffer *ref = gst_buffer_copy_deep (in);
      GstBuffer *out = push_pull (hrn, in);
      check_meta_sane (out, w, h, 1);
      fail_unless_equals_int (gst_landmark_meta_get_n_points (
              gst_buffer_get_landmark_meta (out), 0), 68);
      /* pixels pass unchanged */
      gst_buffer_map (ref, &a, GST_MAP_READ);
      gst_buffer_map (out, &b, GST_MAP_READ);
      fail_unless (a.size == b.size && memcmp (a.data, b.data, a.size) == 0,
          "%s %dx%d: pixels changed", gst_video_format_to_string (all_formats[f]), w, h);
      gst_buffer_unmap (ref, &a);
      gst_buffer_unmap (out, &b);
      gst_buffer_unref (ref);
      gst_buffer_unref (out);
      gst_harness_teardown (hrn);
    }
  }
}
GST_END_TEST;

GST_START_TEST (test_caps_negotiation_pipeline)
{
  /* real negotiation through videotestsrc for every format at an odd size */
  for (guint f = 0; f < G_N_ELEMENTS (all_formats); f++) {
    gchar *desc = g_strdup_printf ("videotestsrc num-buffers=2 ! "
        "video/x-raw,format=%s,width=33,height=21 ! bnnlandmarks model=\"%s\" "
        "threads=1 ! fakesink", gst_video_format_to_string (all_formats[f]), FACE_MODEL ());
    GstElement *pipeline = gst_parse_launch (desc, NULL);
    fail_unless (pipeline != NULL);
    GstMessage *err = run_pipeline (pipeline, 20);
    fail_unless (err == NULL, "%s failed", desc);
    gst_object_unref (pipeline);
    g_free (desc);
  }
}
GST_END_TEST;

static void
collect_points (GstBuffer * out, gfloat * xy, guint n)
{
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta && meta->n_instances == 1 && meta->instances[0].n_points == n);
  for (guint k = 0; k < n; k++) {
    xy[2 * k] = meta->instances[0].points[k].x;
    xy[2 * k + 1] = meta->instances[0].points[k].y;
  }
}

GST_START_TEST (test_strides_and_channel_orders)
{
  const gint w = 97, h = 71;
  gfloat ref[2 * 68], got[2 * 68];

  /* packed RGB orders all feed the same pixels to the network: identical points */
  GstHarness *hrn = new_harness (FACE_MODEL (), NULL, GST_VIDEO_FORMAT_RGB, w, h);
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0));
  collect_points (out, ref, 68);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  for (guint f = 0; f < G_N_ELEMENTS (all_formats); f++) {
    const GstVideoFormat fmt = all_formats[f];
    /* YUV and grey frames hold other pixels than the RGB picture */
    const gboolean not_rgb = !GST_VIDEO_FORMAT_INFO_IS_RGB (gst_video_format_get_info (fmt));
    gfloat base[2 * 68];
    for (gint pad = 0; pad <= 24; pad += 24) {
      hrn = new_harness (FACE_MODEL (), NULL, fmt, w, h);
      out = push_pull (hrn, test_frame (fmt, w, h, pad, 0));
      collect_points (out, got, 68);
      gst_buffer_unref (out);
      gst_harness_teardown (hrn);
      if (pad == 0)
        memcpy (base, got, sizeof base);
      /* padded strides change nothing */
      fail_unless (memcmp (base, got, sizeof base) == 0, "%s: stride padding changed "
          "the points", gst_video_format_to_string (fmt));
      if (!not_rgb)
        fail_unless (memcmp (ref, got, sizeof ref) == 0, "%s differs from RGB",
            gst_video_format_to_string (fmt));
    }
  }
}
GST_END_TEST;

/* A GRAY8 frame (a monochrome camera) is its luma in R, G and B: the same points as the
 * same grey picture delivered in RGB, and other points than the colour picture. */
GST_START_TEST (test_gray8_is_luma_in_rgb)
{
  const gint w = 97, h = 71;
  gfloat grey[2 * 68], as_rgb[2 * 68], colour[2 * 68];
  GstBuffer *g = test_frame (GST_VIDEO_FORMAT_GRAY8, w, h, 0, 0);

  GstVideoInfo rgb_info;
  gst_video_info_set_format (&rgb_info, GST_VIDEO_FORMAT_RGB, w, h);
  GstBuffer *rgb = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&rgb_info), NULL);
  GstVideoMeta *vm = gst_buffer_get_video_meta (g);
  GstMapInfo gm, rm;
  fail_unless (vm != NULL);
  gst_buffer_map (g, &gm, GST_MAP_READ);
  gst_buffer_map (rgb, &rm, GST_MAP_WRITE);
  guint distinct = 0;
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++) {
      const guint8 v = gm.data[vm->offset[0] + (gsize) y * vm->stride[0] + x];
      distinct += x > 0 && v != gm.data[vm->offset[0] + (gsize) y * vm->stride[0] + x - 1];
      for (gint c = 0; c < 3; c++)
        rm.data[y * GST_VIDEO_INFO_PLANE_STRIDE (&rgb_info, 0) + 3 * x + c] = v;
    }
  gst_buffer_unmap (rgb, &rm);
  gst_buffer_unmap (g, &gm);
  fail_unless (distinct > 50, "the grey test picture is flat");

  GstHarness *hrn = new_harness (FACE_MODEL (), NULL, GST_VIDEO_FORMAT_GRAY8, w, h);
  GstBuffer *out = push_pull (hrn, g);
  check_meta_sane (out, w, h, 1);
  collect_points (out, grey, 68);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  hrn = new_harness (FACE_MODEL (), NULL, GST_VIDEO_FORMAT_RGB, w, h);
  out = push_pull (hrn, rgb);
  collect_points (out, as_rgb, 68);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  hrn = new_harness (FACE_MODEL (), NULL, GST_VIDEO_FORMAT_RGB, w, h);
  out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0));
  collect_points (out, colour, 68);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  fail_unless (memcmp (grey, as_rgb, sizeof grey) == 0,
      "GRAY8 differs from its luma delivered as RGB");
  fail_unless (memcmp (grey, colour, sizeof grey) != 0,
      "GRAY8 gave the colour picture's points: the frame was not read as grey");
}
GST_END_TEST;

static void
add_roi (GstBuffer * buf, const gchar * type, guint x, guint y, guint w, guint h)
{
  gst_buffer_add_video_region_of_interest_meta (buf, type, x, y, w, h);
}

GST_START_TEST (test_regions_of_interest)
{
  const gint w = 160, h = 120;
  GstHarness *hrn = new_harness (FACE_MODEL (), NULL, GST_VIDEO_FORMAT_RGB, w, h);

  /* two faces: two instances, each inside the crop of its region */
  GstBuffer *in = test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0);
  add_roi (in, "face", 10, 10, 40, 40);
  add_roi (in, "face", 100, 50, 50, 60);
  add_roi (in, "car", 60, 0, 20, 20);   /* not a face: ignored */
  GstBuffer *out = push_pull (hrn, in);
  check_meta_sane (out, w, h, 2);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta->instances[0].track_id != meta->instances[1].track_id);
  /* instances come in the regions' order, each inside its region's crop (a square
   * around the box centre, at most twice the box side for crop_scale <= 2) */
  for (guint k = 0; k < meta->instances[0].n_points; k++) {
    fail_unless (meta->instances[0].points[k].x <= 30 + 40);
    fail_unless (meta->instances[1].points[k].x >= 125 - 60);
  }
  guint64 id0 = meta->instances[0].track_id, id1 = meta->instances[1].track_id;
  gst_buffer_unref (out);

  /* the same regions again: the same subjects keep their track ids */
  in = test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, GST_SECOND / 30);
  add_roi (in, "face", 10, 10, 40, 40);
  add_roi (in, "face", 100, 50, 50, 60);
  out = push_pull (hrn, in);
  meta = gst_buffer_get_landmark_meta (out);
  fail_unless_equals_int (meta->n_instances, 2);
  fail_unless (meta->instances[0].track_id == id0 && meta->instances[1].track_id == id1);
  gst_buffer_unref (out);

  /* only regions of another kind: the whole frame */
  in = test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 2 * GST_SECOND / 30);
  add_roi (in, "person", 10, 10, 40, 40);
  out = push_pull (hrn, in);
  check_meta_sane (out, w, h, 1);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  /* a body model takes "person" regions, and at most max-instances of them */
  hrn = new_harness (BODY_MODEL (), "max-instances=2", GST_VIDEO_FORMAT_I420, w, h);
  in = test_frame (GST_VIDEO_FORMAT_I420, w, h, 0, 0);
  add_roi (in, "person", 0, 0, 50, 100);
  add_roi (in, "person", 50, 0, 50, 100);
  add_roi (in, "person", 100, 0, 50, 100);
  add_roi (in, "face", 10, 10, 20, 20);
  out = push_pull (hrn, in);
  check_meta_sane (out, w, h, 2);
  /* the verdicts: the two person regions run have a score, the third (over max-instances)
   * is not kept and has none, the face region is not this model's and has no verdict */
  gpointer state = NULL;
  GstMeta *m;
  guint i = 0;
  while ((m = gst_buffer_iterate_meta_filtered (out, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstStructure *v = gst_video_region_of_interest_meta_get_param (
        (GstVideoRegionOfInterestMeta *) m, "landmarks");
    gboolean kept = FALSE;
    if (i < 2)
      fail_unless (v && gst_structure_has_field (v, "score")
          && gst_structure_get_boolean (v, "kept", &kept), "region %u: no verdict", i);
    else if (i == 2)
      fail_unless (v && !gst_structure_has_field (v, "score")
          && gst_structure_get_boolean (v, "kept", &kept) && !kept, "region 2's verdict");
    else
      fail_unless (v == NULL, "a verdict on the face region");
    i++;
  }
  fail_unless_equals_int (i, 4);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
}
GST_END_TEST;

static void
add_tracked_roi (GstBuffer * buf, guint x, guint y, guint w, guint h, gint track)
{
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (buf, "face", x, y, w, h);
  gst_video_region_of_interest_meta_add_param (roi, gst_structure_new ("detection",
          "confidence", G_TYPE_DOUBLE, 0.9, "track-id", G_TYPE_INT, track, NULL));
}

/* A detector's track id ("detection" track-id) decides the instance's identity: two
 * subjects that swap places keep their ids (overlap matching would swap them), and a
 * region whose detector track comes back gets its old id. */
GST_START_TEST (test_detector_track_ids)
{
  const gint w = 160, h = 120;
  GstHarness *hrn = new_harness (FACE_MODEL (), "min-region-score=0",
      GST_VIDEO_FORMAT_RGB, w, h);
  GstBuffer *in = test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0);
  add_tracked_roi (in, 10, 10, 40, 40, 7);
  add_tracked_roi (in, 100, 50, 50, 60, 9);
  GstBuffer *out = push_pull (hrn, in);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta && meta->n_instances == 2);
  const guint64 id7 = meta->instances[0].track_id, id9 = meta->instances[1].track_id;
  fail_unless (id7 != id9 && id7 > 0 && id9 > 0);
  gst_buffer_unref (out);

  /* swapped places */
  in = test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, GST_SECOND / 30);
  add_tracked_roi (in, 100, 50, 50, 60, 7);
  add_tracked_roi (in, 10, 10, 40, 40, 9);
  out = push_pull (hrn, in);
  meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta && meta->n_instances == 2);
  fail_unless (meta->instances[0].track_id == id7 && meta->instances[1].track_id == id9,
      "ids %" G_GUINT64_FORMAT " %" G_GUINT64_FORMAT ", expected %" G_GUINT64_FORMAT " %"
      G_GUINT64_FORMAT, meta->instances[0].track_id, meta->instances[1].track_id, id7, id9);
  gst_buffer_unref (out);

  /* track 9 missing for a frame, then back elsewhere: its id again; a new track: a new id */
  in = test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 2 * GST_SECOND / 30);
  add_tracked_roi (in, 100, 50, 50, 60, 7);
  gst_buffer_unref (push_pull (hrn, in));
  in = test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 3 * GST_SECOND / 30);
  add_tracked_roi (in, 60, 20, 40, 40, 9);
  add_tracked_roi (in, 0, 60, 40, 40, 11);
  out = push_pull (hrn, in);
  meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta && meta->n_instances == 2);
  fail_unless (meta->instances[0].track_id == id9);
  fail_unless (meta->instances[1].track_id != id7 && meta->instances[1].track_id != id9);
  gst_buffer_unref (out);

  /* the same detector id on two regions of one frame: two different instance ids */
  in = test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 4 * GST_SECOND / 30);
  add_tracked_roi (in, 10, 10, 40, 40, 12);
  add_tracked_roi (in, 100, 50, 50, 60, 12);
  out = push_pull (hrn, in);
  meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta && meta->n_instances == 2);
  fail_unless (meta->instances[0].track_id != meta->instances[1].track_id);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
}
GST_END_TEST;

static guint64
get_inferences (GstHarness * hrn)
{
  guint64 n = 0;
  GstElement *f = gst_bin_get_by_name (GST_BIN (hrn->element), "f");
  fail_unless (f != NULL);
  g_object_get (f, "inferences", &n, NULL);
  gst_object_unref (f);
  return n;
}

/* WARNING messages posted by a 6-frame run of `src ! bnnlandmarks model=... ! fakesink` */
static guint
count_warnings (const gchar * src, const gchar * model)
{
  gchar *desc = g_strdup_printf ("%s num-buffers=6 ! video/x-raw,width=160,height=120 ! "
      "bnnlandmarks model=\"%s\" threads=1 ! fakesink", src, model);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipeline != NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  guint warnings = 0;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_WARNING);
    fail_unless (msg != NULL, "no EOS in 20 s");
    const GstMessageType type = GST_MESSAGE_TYPE (msg);
    if (type == GST_MESSAGE_WARNING) {
      GError *err = NULL;
      gst_message_parse_warning (msg, &err, NULL);
      fail_unless (strstr (err->message, "whole") != NULL, "warning: %s", err->message);
      g_error_free (err);
      warnings++;
    }
    gst_message_unref (msg);
    fail_if (type == GST_MESSAGE_ERROR);
    if (type != GST_MESSAGE_WARNING)
      break;
  }
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return warnings;
}

/* a face model without face regions: one warning per run, not one per frame; none for
 * a body model (whole frames are its documented default) */
/* An instance needs a mean point confidence of min-confidence on the whole frame; in an
 * upstream region its score, the region's detection confidence times that mean, needs
 * min-region-score. Its points below min-confidence are not visible. confidence < 0: the
 * region has no "detection" parameter (as opencv's facedetect attaches them). */
static GstLandmarkMeta *
run_with_roi (const gchar * model, const gchar * extra, gdouble confidence, GstBuffer ** out)
{
  GstHarness *hrn = new_harness (model, extra, GST_VIDEO_FORMAT_RGB, 160, 120);
  GstBuffer *in = test_frame (GST_VIDEO_FORMAT_RGB, 160, 120, 0, 0);
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (in, "face", 20, 30, 50, 60);
  if (confidence >= 0.0)
    gst_video_region_of_interest_meta_add_param (roi, gst_structure_new ("detection",
            "confidence", G_TYPE_DOUBLE, confidence, NULL));
  *out = push_pull (hrn, in);
  gst_harness_teardown (hrn);
  return gst_buffer_get_landmark_meta (*out);
}

GST_START_TEST (test_min_confidence_regions)
{
  /* the random model's points are all confident (mean about 0.8), but not 1: at
   * min-confidence 1 the whole frame's instance goes, the region's stays (its bar is
   * min-region-score, by default the face task's 0.10) with its box and no visible point */
  GstHarness *hrn = new_harness (FACE_MODEL (), "min-confidence=1", GST_VIDEO_FORMAT_RGB,
      160, 120);
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, 160, 120, 0, 0));
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->n_instances, 0);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  /* the same random face model with META region_score 0.99 (above its mean point
   * confidence): the file's bar rejects the region, an explicit min-region-score wins */
  meta = run_with_roi (test_model ("BNNLM_TEST_BAR_MODEL"), "", -1.0, &out);
  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->n_instances, 0);
  gst_buffer_unref (out);
  meta = run_with_roi (test_model ("BNNLM_TEST_BAR_MODEL"), "min-region-score=0.5", -1.0, &out);
  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->n_instances, 1);
  gst_buffer_unref (out);
  meta = run_with_roi (FACE_MODEL (), "", -1.0, &out);
  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->n_instances, 1);
  gst_buffer_unref (out);

  meta = run_with_roi (FACE_MODEL (), "min-confidence=1", -1.0, &out);
  fail_unless (meta != NULL);
  fail_unless_equals_int (meta->n_instances, 1);
  const GstLandmarkInstance *inst = &meta->instances[0];
  fail_unless (inst->score >= 0.5f && inst->score < 1.0f, "mean confidence %f", inst->score);
  fail_unless (inst->x == 20 && inst->y == 30 && inst->w == 50 && inst->h == 60,
      "the instance keeps its region's box (%f %f %f %f)", inst->x, inst->y, inst->w, inst->h);
  for (guint k = 0; k < inst->n_points; k++)
    fail_unless (inst->points[k].visibility != GST_LANDMARK_VISIBILITY_VISIBLE,
        "point %u is visible below min-confidence", k);
  gst_buffer_unref (out);

  /* the region's bar itself, with the shipped face-lite, whose confidences on this
   * synthetic frame are low: without a detection confidence the score is the mean point
   * confidence m, kept at min-region-score 0.9 m, dropped at 1.1 m */
  const gchar *dir = g_getenv ("BNNLM_MODELS_DIR");
  gchar *face = g_build_filename (dir ? dir : "models", "face-lite.bnn", NULL);
  if (!g_file_test (face, G_FILE_TEST_IS_REGULAR)) {
    g_print ("no shipped face-lite.bnn: the region bar's edge is not tested\n");
    g_free (face);
    return;
  }
  meta = run_with_roi (face, "min-region-score=0", -1.0, &out);
  fail_unless (meta != NULL && meta->n_instances == 1);
  const float m = meta->instances[0].score;
  gst_buffer_unref (out);
  fail_unless (m > 0.0f && m < 0.45f, "face-lite's mean confidence %f", m);
  struct { gdouble conf, bar; guint n; } cases[] = {
    { -1.0, 0.9 * m, 1 }, { -1.0, 1.1 * m, 0 },
    /* a detector's confidence of 0.5 halves the score: 0.5 m */
    { 0.5, 0.45 * m, 1 }, { 0.5, 0.55 * m, 0 },
    /* out of range confidences are clamped to 0..1 */
    { 7.0, 0.9 * m, 1 }, { 7.0, 1.1 * m, 0 },
  };
  for (guint c = 0; c < G_N_ELEMENTS (cases); c++) {
    gchar *extra = g_strdup_printf ("min-region-score=%f", cases[c].bar);
    meta = run_with_roi (face, extra, cases[c].conf, &out);
    g_free (extra);
    fail_unless (meta != NULL);
    fail_unless_equals_int (meta->n_instances, cases[c].n);
    /* the verdict on the region, for landmarkoverlay */
    GstVideoRegionOfInterestMeta *roi = gst_buffer_get_video_region_of_interest_meta (out);
    GstStructure *v = roi ? gst_video_region_of_interest_meta_get_param (roi, "landmarks") :
        NULL;
    gboolean kept = !cases[c].n;
    gdouble vs = -1.0;
    fail_unless (v && gst_structure_get_boolean (v, "kept", &kept)
        && gst_structure_get_double (v, "score", &vs), "no landmarks verdict on the region");
    fail_unless (kept == (cases[c].n == 1));
    fail_unless (fabs (vs - (cases[c].conf < 0 ? 1.0 : MIN (cases[c].conf, 1.0)) * m)
        <= 1e-6 * m, "verdict score %f, mean %f", vs, m);
    gst_buffer_unref (out);
  }
  meta = run_with_roi (face, "min-region-score=0", 0.5, &out);
  fail_unless (meta != NULL && meta->n_instances == 1);
  fail_unless (fabsf (meta->instances[0].score - 0.5f * m) <= 1e-6f * m,
      "score %f, expected 0.5 x %f", meta->instances[0].score, m);
  gst_buffer_unref (out);
  /* min-confidence no longer bars regions: only the points' visibility */
  meta = run_with_roi (face, "min-confidence=1 min-region-score=0", -1.0, &out);
  fail_unless (meta != NULL && meta->n_instances == 1);
  gst_buffer_unref (out);
  g_free (face);
}
GST_END_TEST;

/* One frame with one tracked face region of this detection confidence, through hrn:
 * whether the element kept the region's instance (its verdict on the region). */
static gboolean
kept_at_lost (GstHarness * hrn, gint frame, gint track, gdouble confidence, guint lost_runs)
{
  GstBuffer *in = test_frame (GST_VIDEO_FORMAT_RGB, 160, 120, 0, frame * GST_SECOND / 30);
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (in, "face", 20, 30, 50, 60);
  gst_video_region_of_interest_meta_add_param (roi, gst_structure_new ("detection",
          "confidence", G_TYPE_DOUBLE, confidence, "track-id", G_TYPE_INT, track,
          "lost-runs", G_TYPE_UINT, lost_runs, NULL));
  GstBuffer *out = push_pull (hrn, in);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
  roi = gst_buffer_get_video_region_of_interest_meta (out);
  GstStructure *v = roi ? gst_video_region_of_interest_meta_get_param (roi, "landmarks") :
      NULL;
  gboolean kept = FALSE;
  fail_unless (v && gst_structure_get_boolean (v, "kept", &kept));
  fail_unless (meta && meta->n_instances == (kept ? 1u : 0u));
  gst_buffer_unref (out);
  return kept;
}

static gboolean
kept_at (GstHarness * hrn, gint frame, gint track, gdouble confidence)
{
  return kept_at_lost (hrn, frame, track, confidence, 0);
}

/* region-hold: a subject kept by the previous inference stays kept down to hold x the
 * bar; one that was not, or a new track, needs the whole bar. With the shipped face-lite
 * (mean point confidence m on the synthetic frame) and min-region-score 0.5 m, the score
 * is the detection confidence times m. */
GST_START_TEST (test_region_hold)
{
  const gchar *dir = g_getenv ("BNNLM_MODELS_DIR");
  gchar *face = g_build_filename (dir ? dir : "models", "face-lite.bnn", NULL);
  if (!g_file_test (face, G_FILE_TEST_IS_REGULAR)) {
    g_print ("no shipped face-lite.bnn: region-hold is not tested\n");
    g_free (face);
    return;
  }
  GstBuffer *out;
  GstLandmarkMeta *meta = run_with_roi (face, "min-region-score=0", -1.0, &out);
  fail_unless (meta != NULL && meta->n_instances == 1);
  const float m = meta->instances[0].score;
  gst_buffer_unref (out);
  fail_unless (m > 0.0f && m < 0.45f, "face-lite's mean confidence %f", m);

  gchar *extra = g_strdup_printf ("min-region-score=%f", 0.5 * m);  /* hold 0.7: 0.35 m */
  GstHarness *hrn = new_harness (face, extra, GST_VIDEO_FORMAT_RGB, 160, 120);
  fail_unless (kept_at (hrn, 0, 7, 0.6), "0.6 m reaches the bar 0.5 m");
  fail_unless (kept_at (hrn, 1, 7, 0.4), "0.4 m, kept before: held (bar 0.35 m)");
  fail_unless (kept_at (hrn, 2, 7, 0.4), "0.4 m, held again");
  fail_unless (!kept_at (hrn, 3, 7, 0.3), "0.3 m is below the held bar 0.35 m");
  fail_unless (!kept_at (hrn, 4, 7, 0.4), "0.4 m, rejected before: the whole bar");
  fail_unless (kept_at (hrn, 5, 7, 0.6));
  fail_unless (!kept_at (hrn, 6, 8, 0.4), "a new track needs the whole bar");
  /* a box the detector only predicts (lost-runs > 0, bnndetect coast-runs) is no evidence
   * of its own: it needs the whole bar even when its subject was kept */
  fail_unless (kept_at (hrn, 7, 7, 0.6));
  fail_unless (!kept_at_lost (hrn, 8, 7, 0.4, 1), "a coasting region is not held");
  fail_unless (kept_at (hrn, 9, 7, 0.6));
  fail_unless (kept_at_lost (hrn, 10, 7, 0.55, 1), "a coasting region at the whole bar");
  gst_harness_teardown (hrn);
  g_free (extra);

  /* region-hold=1: no hold */
  extra = g_strdup_printf ("min-region-score=%f region-hold=1", 0.5 * m);
  hrn = new_harness (face, extra, GST_VIDEO_FORMAT_RGB, 160, 120);
  fail_unless (kept_at (hrn, 0, 7, 0.6));
  fail_unless (!kept_at (hrn, 1, 7, 0.4), "0.4 m with region-hold=1");
  gst_harness_teardown (hrn);
  g_free (extra);
  g_free (face);
}
GST_END_TEST;

GST_START_TEST (test_whole_frame_face_warning)
{
  fail_unless_equals_int (count_warnings ("videotestsrc", FACE_MODEL ()), 1);
  fail_unless_equals_int (count_warnings ("videotestsrc", BODY_MODEL ()), 0);
}
GST_END_TEST;

GST_START_TEST (test_inference_interval)
{
  const gint w = 64, h = 48;
  GstHarness *hrn = new_harness (FACE_MODEL (), "inference-interval=3",
      GST_VIDEO_FORMAT_BGRx, w, h);
  for (guint i = 0; i < 7; i++) {
    GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_BGRx, w, h, 0,
            i * GST_SECOND / 30));
    /* every frame carries a result, inferred or not */
    check_meta_sane (out, w, h, 1);
    gst_buffer_unref (out);
    fail_unless_equals_int (get_inferences (hrn), i / 3 + 1);
  }
  gst_harness_teardown (hrn);
}
GST_END_TEST;

GST_START_TEST (test_skip_when_busy)
{
  const gint w = 64, h = 48;
  GstHarness *hrn = new_harness (BODY_MODEL (), "skip-when-busy=true",
      GST_VIDEO_FORMAT_NV12, w, h);
  guint n = 0;
  for (; n < 20; n++) {
    GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_NV12, w, h, 0,
            n * GST_SECOND / 30));
    GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
    fail_unless (meta != NULL, "frame %u has no meta", n);
    fail_unless (meta->n_instances <= 1);
    gst_buffer_unref (out);
  }
  /* the worker finishes its job on its own */
  for (gint t = 0; t < 2000 && get_inferences (hrn) == 0; t++)
    g_usleep (5000);
  fail_unless (get_inferences (hrn) >= 1 && get_inferences (hrn) <= n);
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_NV12, w, h, 0,
          n * GST_SECOND / 30));
  check_meta_sane (out, w, h, 1);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
}
GST_END_TEST;

GST_START_TEST (test_qos_skips_inference_not_frames)
{
  const gint w = 64, h = 48;
  GstHarness *hrn = new_harness (FACE_MODEL (), NULL, GST_VIDEO_FORMAT_RGB, w, h);
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0));
  gst_buffer_unref (out);
  fail_unless_equals_int (get_inferences (hrn), 1);
  /* downstream says: frames before 10 s are late */
  fail_unless (gst_harness_push_upstream_event (hrn, gst_event_new_qos (GST_QOS_TYPE_UNDERFLOW,
              2.0, 5 * GST_SECOND, 0)));
  out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, GST_SECOND));
  check_meta_sane (out, w, h, 1);      /* still delivered, with the carried result */
  gst_buffer_unref (out);
  fail_unless_equals_int (get_inferences (hrn), 1);
  out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 11 * GST_SECOND));
  gst_buffer_unref (out);
  fail_unless_equals_int (get_inferences (hrn), 2);
  gst_harness_teardown (hrn);
}
GST_END_TEST;

GST_START_TEST (test_class_map)
{
  const gint w = 80, h = 60;
  GstHarness *hrn = new_harness (BODY_MODEL (), NULL, GST_VIDEO_FORMAT_YUY2, w, h);
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_YUY2, w, h, 0, 0));
  check_meta_sane (out, w, h, 1);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
  guint mw, mh, nc = gst_landmark_meta_get_n_classes (meta, 0);
  gfloat x, y, rw, rh;
  GBytes *map = gst_landmark_meta_get_class_map (meta, 0, &mw, &mh, &x, &y, &rw, &rh);
  fail_unless (map != NULL, "the segmentation model gave no class map");
  fail_unless (nc >= 2);
  fail_unless (mw > 0 && mw == mh && g_bytes_get_size (map) == (gsize) mw * mh);
  fail_unless (rw > 0 && rw == rh);   /* the square crop */
  /* the whole-frame crop covers the frame */
  fail_unless (x <= 0 && y <= 0 && x + rw >= w && y + rh >= h);
  const guint8 *c = g_bytes_get_data (map, NULL);
  for (guint i = 0; i < mw * mh; i++)
    fail_unless (c[i] < nc);
  fail_unless_equals_string (gst_landmark_meta_get_task (meta, 0), "body-14-kp");
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
}
GST_END_TEST;

GST_START_TEST (test_latency)
{
  gchar *desc = g_strdup_printf ("videotestsrc is-live=true num-buffers=8 ! "
      "video/x-raw,format=RGB,width=160,height=120,framerate=30/1 ! "
      "bnnlandmarks name=f model=\"%s\" threads=1 ! fakesink name=sink sync=false",
      BODY_MODEL ());
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  gboolean latency_msg = FALSE;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_LATENCY);
    fail_unless (msg != NULL);
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_LATENCY
        && g_strcmp0 (GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), "f") == 0)
      latency_msg = TRUE;
    gboolean eos = GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS;
    gst_message_unref (msg);
    if (eos)
      break;
  }
  fail_unless (latency_msg, "no latency message from bnnlandmarks");

  GstElement *f = gst_bin_get_by_name (GST_BIN (pipeline), "f");
  guint64 proc = 0;
  g_object_get (f, "processing-time", &proc, NULL);
  fail_unless (proc > 0);
  GstPad *src = gst_element_get_static_pad (f, "src");
  GstPad *sink = gst_element_get_static_pad (f, "sink");
  GstQuery *q_up = gst_query_new_latency ();
  GstQuery *q = gst_query_new_latency ();
  fail_unless (gst_pad_peer_query (sink, q_up));
  fail_unless (gst_pad_query (src, q));
  gboolean live_up, live;
  GstClockTime min_up, max_up, min, max;
  gst_query_parse_latency (q_up, &live_up, &min_up, &max_up);
  gst_query_parse_latency (q, &live, &min, &max);
  fail_unless (live && live_up);
  fail_unless (min > min_up, "bnnlandmarks added no latency (%" GST_TIME_FORMAT " vs %"
      GST_TIME_FORMAT ")", GST_TIME_ARGS (min), GST_TIME_ARGS (min_up));
  /* what it adds is its measured processing time, give or take the smoothing */
  fail_unless (min - min_up <= 4 * proc + GST_MSECOND);
  gst_query_unref (q_up);
  gst_query_unref (q);
  gst_object_unref (src);
  gst_object_unref (sink);
  gst_object_unref (f);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}
GST_END_TEST;

/* The error message of a pipeline whose bnnlandmarks has model=`model`. */
static GstMessage *
error_for_model (const gchar * model, gboolean flip_test)
{
  GstElement *pipeline = gst_pipeline_new (NULL);
  GstElement *src = gst_element_factory_make ("videotestsrc", NULL);
  GstElement *f = gst_element_factory_make ("bnnlandmarks", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  fail_unless (src && f && sink);
  g_object_set (f, "model", model, "flip-test", flip_test, NULL); /* NULL: unset it */
  gst_bin_add_many (GST_BIN (pipeline), src, f, sink, NULL);
  fail_unless (gst_element_link_many (src, f, sink, NULL));
  GstBus *bus = gst_element_get_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message on the bus");
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
  return msg;
}

static void
check_error (GstMessage * msg, GQuark domain, gint code, const gchar * must_contain)
{
  GError *err = NULL;
  gchar *dbg = NULL;
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (err->domain == domain && err->code == code, "unexpected error %s (%d)",
      err->message, err->code);
  fail_unless (strstr (err->message, must_contain) != NULL, "\"%s\" does not name \"%s\"",
      err->message, must_contain);
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
}

/* Without a model property the element runs the shipped face model (docs/elements.md). */
GST_START_TEST (test_default_model)
{
  GstElement *e = gst_element_factory_make ("bnnlandmarks", NULL);
  gchar *model = NULL;
  g_object_get (e, "model", &model, NULL);
  fail_unless_equals_string (model, "face");
  g_free (model);
  gst_object_unref (e);

  const gchar *dir = g_getenv ("BNNLM_MODELS_DIR");
  gchar *face = g_build_filename (dir ? dir : "models", "face-lite.bnn", NULL);
  const gboolean shipped = g_file_test (face, G_FILE_TEST_IS_REGULAR);
  g_free (face);
  if (!shipped) {
    g_print ("no shipped face-lite.bnn: the default model's run is not tested\n");
    return;
  }
  GstHarness *hrn = gst_harness_new_parse ("bnnlandmarks threads=1 min-confidence=0");
  gst_harness_set_src_caps_str (hrn, "video/x-raw,format=RGB,width=96,height=64,"
      "framerate=30/1");
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, 96, 64, 0, 0));
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta != NULL && meta->n_instances == 1);
  fail_unless_equals_int (meta->instances[0].n_points, 68);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
}
GST_END_TEST;

GST_START_TEST (test_model_errors)
{
  /* missing file */
  check_error (error_for_model ("/nonexistent/dir/nomodel.bnn", FALSE), GST_RESOURCE_ERROR,
      GST_RESOURCE_ERROR_NOT_FOUND, "/nonexistent/dir/nomodel.bnn");

  /* no model at all (the default, "face", unset) */
  check_error (error_for_model (NULL, FALSE), GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_FOUND,
      "model");

  /* a file that is not a model */
  gchar *path = NULL;
  gint fd = g_file_open_tmp ("bnnlm-bad-XXXXXX.bnn", &path, NULL);
  fail_unless (fd >= 0);
  fail_unless (write (fd, "this is not a model file, just some text\n", 41) == 41);
  close (fd);
  check_error (error_for_model (path, FALSE), GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_FAILED, path);

  /* a truncated real model */
  gchar *data = NULL;
  gsize len = 0;
  fail_unless (g_file_get_contents (FACE_MODEL (), &data, &len, NULL));
  fail_unless (g_file_set_contents (path, data, (gssize) (len / 2), NULL));
  GstMessage *msg = error_for_model (path, FALSE);
  GError *err = NULL;
  gst_message_parse_error (msg, &err, NULL);
  /* the engine's reason follows the file name */
  fail_unless (strstr (err->message, path) && strlen (err->message) > strlen (path) + 30,
      "%s", err->message);
  g_error_free (err);
  gst_message_unref (msg);
  g_free (data);
  g_unlink (path);
  g_free (path);
}
GST_END_TEST;

/* The 68 points (x, y) the face model gives on the test picture with extra properties. */
static void
face_points_with (const gchar * extra, gint w, gint h, gfloat * xy)
{
  GstHarness *hrn = new_harness (FACE_MODEL (), extra, GST_VIDEO_FORMAT_RGB, w, h);
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0));
  check_meta_sane (out, w, h, 1);
  collect_points (out, xy, 68);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
}

GST_START_TEST (test_flip_test)
{
  /* flip-test=true runs (random weights: the averaged maps give other points than one pass),
   * keeps the meta sane, and is refused with a clear error for a model without a flip table */
  const gint w = 64, h = 48;
  gfloat a[2 * 68], b[2 * 68];
  face_points_with ("flip-test=false", w, h, a);
  GstHarness *hrn = new_harness (FACE_MODEL (), "flip-test=true", GST_VIDEO_FORMAT_RGB, w, h);
  gboolean on = FALSE;
  GstElement *el = gst_harness_find_element (hrn, "bnnlandmarks");
  fail_unless (el != NULL);
  g_object_get (el, "flip-test", &on, NULL);
  gst_object_unref (el);
  gst_harness_teardown (hrn);
  fail_unless (on);
  face_points_with ("flip-test=true", w, h, b);
  guint differ = 0;
  for (guint i = 0; i < 2 * 68; i++)
    differ += fabsf (a[i] - b[i]) > 0.01f;
  fail_unless (differ > 0, "flip-test=true gave the same points as one pass");

  /* a face model without a flip table: the state change fails with a message naming it */
  const gchar *noflip = test_model ("BNNLM_TEST_NOFLIP_MODEL");
  GstMessage *msg = error_for_model (noflip, TRUE);
  GError *err = NULL;
  gchar *dbg = NULL;
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (strstr (err->message, "flip-test") && strstr (err->message, noflip),
      "%s", err->message);
  fail_unless (dbg && strstr (dbg, "flip table"), "%s", dbg ? dbg : "(no debug)");
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
}
GST_END_TEST;

GST_START_TEST (test_state_changes)
{
  for (gint async = 0; async < 2; async++) {
    gchar *desc = g_strdup_printf ("videotestsrc is-live=true ! "
        "video/x-raw,format=I420,width=64,height=48,framerate=60/1 ! bnnlandmarks "
        "model=\"%s\" threads=2 skip-when-busy=%s ! fakesink sync=false", FACE_MODEL (),
        async ? "true" : "false");
    GstElement *pipeline = gst_parse_launch (desc, NULL);
    g_free (desc);
    fail_unless (pipeline != NULL);
    for (gint i = 0; i < 20; i++) {
      fail_if (gst_element_set_state (pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE);
      GstState state;
      fail_unless_equals_int (gst_element_get_state (pipeline, &state, NULL,
              5 * GST_SECOND), GST_STATE_CHANGE_SUCCESS);
      fail_unless_equals_int (state, GST_STATE_PLAYING);
      g_usleep (i % 4 == 0 ? 30000 : 1000);
      fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_NULL),
          GST_STATE_CHANGE_SUCCESS);
    }
    gst_object_unref (pipeline);
  }
}
GST_END_TEST;

GST_START_TEST (test_isa_property)
{
  /* scalar always runs and gives the same points as auto */
  const gint w = 64, h = 48;
  gfloat a[2 * 68], b[2 * 68];
  face_points_with ("isa=scalar", w, h, a);
  face_points_with ("isa=auto", w, h, b);
  for (guint i = 0; i < 2 * 68; i++)
    fail_unless (fabsf (a[i] - b[i]) < 0.01f, "scalar and auto differ at %u: %f %f", i,
        a[i], b[i]);
}
GST_END_TEST;

GST_START_TEST (test_bf16_property)
{
  /* bf16=true with isa=scalar: refused at start on every machine, the message says why */
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 ! video/x-raw,width=64,height=48 "
      "! bnnlandmarks model=\"%s\" isa=scalar bf16=true ! fakesink", FACE_MODEL ());
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipeline != NULL);
  GstBus *bus = gst_element_get_bus (pipeline);
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_FAILURE);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 5 * GST_SECOND, GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "no error message on the bus");
  GError *err = NULL;
  gchar *dbg = NULL;
  gst_message_parse_error (msg, &err, &dbg);
  fail_unless (strstr (err->message, "bf16=true") && strstr (err->message, "AVX512-BF16"),
      "%s", err->message);
  fail_unless (dbg && strstr (dbg, "scalar"), "%s", dbg ? dbg : "(no debug)");
  g_error_free (err);
  g_free (dbg);
  gst_message_unref (msg);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);

  if (!bnn_bf16_supported ()) {
    g_print ("test_bf16_property: this CPU has no AVX512-BF16: only the refusal was tested\n");
    return;
  }
  /* With AVX512-BF16 it runs and reads back. The test model's random weights make the
   * points chaotic (a bf16 rounding moves them by pixels), so closeness to fp32 is checked on
   * the trained models, in test_real_photo. */
  const gint w = 64, h = 48;
  gfloat xy[2 * 68];
  face_points_with ("bf16=true", w, h, xy);
  GstHarness *hrn = new_harness (FACE_MODEL (), "bf16=true", GST_VIDEO_FORMAT_RGB, w, h);
  gboolean on = FALSE;
  GstElement *el = gst_harness_find_element (hrn, "bnnlandmarks");
  g_object_get (el, "bf16", &on, NULL);
  gst_object_unref (el);
  gst_harness_teardown (hrn);
  fail_unless (on);
}
GST_END_TEST;

GST_START_TEST (test_smoothing_reduces_jitter)
{
  /* the same picture, shifted by one pixel back and forth: smoothed points move less */
  const gint w = 96, h = 72;
  gdouble motion[2] = { 0, 0 };
  for (gint smooth = 0; smooth < 2; smooth++) {
    GstHarness *hrn = new_harness (FACE_MODEL (), smooth ? "smoothing=true min-cutoff=0.5 "
        "beta=0" : NULL, GST_VIDEO_FORMAT_RGB, w, h);
    gfloat prev[2 * 68], cur[2 * 68];
    for (gint i = 0; i < 6; i++) {
      GstBuffer *in = test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, i * GST_SECOND / 30);
      add_roi (in, "face", 20 + (i % 2) * 6, 10, 48, 48);
      GstBuffer *out = push_pull (hrn, in);
      collect_points (out, cur, 68);
      gst_buffer_unref (out);
      if (i > 0)
        for (guint k = 0; k < 2 * 68; k++)
          motion[smooth] += fabsf (cur[k] - prev[k]);
      memcpy (prev, cur, sizeof prev);
    }
    gst_harness_teardown (hrn);
  }
  fail_unless (motion[0] > 0.0);
  fail_unless (motion[1] < 0.5 * motion[0], "smoothed %f vs raw %f", motion[1], motion[0]);
}
GST_END_TEST;

static Suite *
bnnlandmarks_suite (void)
{
  Suite *s = suite_create ("bnnlandmarks");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 60);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_formats_and_sizes);
  tcase_add_test (tc, test_caps_negotiation_pipeline);
  tcase_add_test (tc, test_strides_and_channel_orders);
  tcase_add_test (tc, test_gray8_is_luma_in_rgb);
  tcase_add_test (tc, test_regions_of_interest);
  tcase_add_test (tc, test_detector_track_ids);
  tcase_add_test (tc, test_min_confidence_regions);
  tcase_add_test (tc, test_region_hold);
  tcase_add_test (tc, test_whole_frame_face_warning);
  tcase_add_test (tc, test_inference_interval);
  tcase_add_test (tc, test_skip_when_busy);
  tcase_add_test (tc, test_qos_skips_inference_not_frames);
  tcase_add_test (tc, test_class_map);
  tcase_add_test (tc, test_latency);
  tcase_add_test (tc, test_default_model);
  tcase_add_test (tc, test_model_errors);
  tcase_add_test (tc, test_flip_test);
  tcase_add_test (tc, test_state_changes);
  tcase_add_test (tc, test_isa_property);
  tcase_add_test (tc, test_bf16_property);
  tcase_add_test (tc, test_smoothing_reduces_jitter);
  return s;
}

GST_CHECK_MAIN (bnnlandmarks);
