/* test_bnndetect.c: GstHarness tests of the bnndetect element: formats, region-of-interest
 * metas (types, coordinates, params), max-detections, classes, tiles, thresholds, videoscale,
 * inference-interval tracking, bad models; the trained models/detect.bnn when present. */
#include "test_util.h"

#include "gst/landmark/landmarkmeta.h"

#include <glib/gstdio.h>
#include <math.h>
#include <gst/check/gstharness.h>

#define BASKETBALL "/usr/share/doc/opencv-doc/examples/data/basketball1.png"

/* The random test model's classes (bnnlm-genmodel names them object0, object1). */
#define DET_MODEL() test_model ("BNNLM_TEST_DETECT_MODEL")

static const GstVideoFormat all_formats[] = {
  GST_VIDEO_FORMAT_RGB, GST_VIDEO_FORMAT_BGR, GST_VIDEO_FORMAT_RGBx, GST_VIDEO_FORMAT_BGRx,
  GST_VIDEO_FORMAT_xRGB, GST_VIDEO_FORMAT_xBGR, GST_VIDEO_FORMAT_RGBA, GST_VIDEO_FORMAT_BGRA,
  GST_VIDEO_FORMAT_ARGB, GST_VIDEO_FORMAT_ABGR, GST_VIDEO_FORMAT_I420, GST_VIDEO_FORMAT_NV12,
  GST_VIDEO_FORMAT_YUY2, GST_VIDEO_FORMAT_GRAY8,
};

static GstHarness *
new_harness (const gchar * model, const gchar * extra, GstVideoFormat format, gint w, gint h)
{
  gchar *desc = g_strdup_printf ("bnndetect name=d model=\"%s\" threads=1 %s", model,
      extra ? extra : "");
  GstHarness *hrn = gst_harness_new_parse (desc);
  g_free (desc);
  gchar *caps = test_caps_str (format, w, h);
  gst_harness_set_src_caps_str (hrn, caps);
  g_free (caps);
  return hrn;
}

static GstBuffer *
push_pull (GstHarness * hrn, GstBuffer * in)
{
  fail_unless_equals_int (gst_harness_push (hrn, in), GST_FLOW_OK);
  GstBuffer *out = gst_harness_pull (hrn);
  fail_unless (out != NULL);
  return out;
}

#define MAX_ROIS 256
typedef struct {
  guint n;
  GstVideoRegionOfInterestMeta *r[MAX_ROIS];
} Rois;

static void
get_rois (GstBuffer * buf, Rois * out)
{
  gpointer state = NULL;
  GstMeta *m;
  out->n = 0;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) && out->n < 256)
    out->r[out->n++] = (GstVideoRegionOfInterestMeta *) m;
}

/* Every region: a known type, inside the frame, a "detection" param with a confidence in
 * [min_conf, 1] and a positive track id equal to the meta's id; best first. min_conf < 0:
 * the params are not checked. */
static void
check_rois (GstBuffer * buf, gint w, gint h, const gchar * const *types, double min_conf,
    Rois * rois)
{
  get_rois (buf, rois);
  double prev = 2.0;
  for (guint i = 0; i < rois->n; i++) {
    const GstVideoRegionOfInterestMeta *r = rois->r[i];
    const gchar *t = g_quark_to_string (r->roi_type);
    gboolean known = FALSE;
    for (const gchar * const *k = types; *k; k++)
      known |= g_strcmp0 (*k, t) == 0;
    fail_unless (known, "unexpected roi_type %s", t);
    fail_unless (r->w >= 1 && r->h >= 1 && r->x + r->w <= (guint) w
        && r->y + r->h <= (guint) h, "region %u,%u %ux%u outside %dx%d", r->x, r->y, r->w,
        r->h, w, h);
    GstStructure *s = gst_video_region_of_interest_meta_get_param (
        (GstVideoRegionOfInterestMeta *) r, "detection");
    if (min_conf < 0.0) {
      /* GStreamer 1.22's ROI meta transform (videoscale) copies the box, not the params */
      continue;
    }
    fail_unless (s != NULL, "no 'detection' param");
    double conf;
    gint id;
    fail_unless (gst_structure_get_double (s, "confidence", &conf));
    fail_unless (gst_structure_get_int (s, "track-id", &id));
    fail_unless (conf >= min_conf && conf <= 1.0, "confidence %f", conf);
    fail_unless (conf <= prev + 1e-9, "regions are not best first");
    prev = conf;
    fail_unless (id > 0 && id == r->id, "track id %d, meta id %d", id, r->id);
  }
}

static const gchar *const rand_types[] = { "object0", "object1", NULL };

GST_START_TEST (test_formats_meta)
{
  const gint w = 160, h = 120;
  for (guint f = 0; f < G_N_ELEMENTS (all_formats); f++) {
    GstHarness *hrn = new_harness (DET_MODEL (), "threshold=0 max-detections=50",
        all_formats[f], w, h);
    GstBuffer *out = push_pull (hrn, test_frame (all_formats[f], w, h, f % 2 ? 12 : 0, 0));
    Rois rois;
    check_rois (out, w, h, rand_types, 0.0, &rois);
    fail_unless (rois.n > 0 && rois.n <= 50, "%s: %u regions",
        gst_video_format_to_string (all_formats[f]), rois.n);
    gst_buffer_unref (out);
    gst_harness_teardown (hrn);
  }
}

GST_END_TEST;

GST_START_TEST (test_negotiation_pipeline)
{
  /* formats the element does not take are converted upstream by videoconvert */
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! video/x-raw,format=Y444,"
      "width=96,height=72 ! videoconvert ! bnndetect model=\"%s\" threshold=0 ! fakesink",
      DET_MODEL ());
  GstElement *pipe = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipe != NULL);
  GstMessage *err = run_pipeline (pipe, 60);
  fail_unless (err == NULL, "pipeline failed");
  gst_object_unref (pipe);
}

GST_END_TEST;

GST_START_TEST (test_max_detections_and_classes)
{
  const gint w = 128, h = 96;
  GstHarness *hrn = new_harness (DET_MODEL (), "threshold=0 max-detections=3",
      GST_VIDEO_FORMAT_RGB, w, h);
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0));
  Rois rois;
  check_rois (out, w, h, rand_types, 0.0, &rois);
  fail_unless_equals_int (rois.n, 3);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  static const gchar *const only1[] = { "object1", NULL };
  hrn = new_harness (DET_MODEL (), "threshold=0 max-detections=100 classes=object1",
      GST_VIDEO_FORMAT_I420, w, h);
  out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_I420, w, h, 0, 0));
  check_rois (out, w, h, only1, 0.0, &rois);
  fail_unless (rois.n > 0);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);

  /* per-class threshold: object0 filtered out completely by a threshold of 1 */
  GstHarness *h2 = new_harness (DET_MODEL (), "threshold=0 max-detections=100",
      GST_VIDEO_FORMAT_RGB, w, h);
  out = push_pull (h2, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0));
  Rois all;
  check_rois (out, w, h, rand_types, 0.0, &all);
  guint n1 = 0;
  for (guint i = 0; i < all.n; i++)
    n1 += all.r[i]->roi_type == g_quark_from_string ("object1");
  fail_unless (n1 > 0 && n1 < all.n, "both classes expected at threshold 0");
  gst_buffer_unref (out);
  gst_harness_teardown (h2);
}

GST_END_TEST;

/* tiles: the extra crops find more peaks (a random model has peaks everywhere), the merged
 * regions stay valid (inside the frame, best first, ids), every format's path works. */
GST_START_TEST (test_tiles)
{
  const gint w = 320, h = 240;
  guint counts[2];
  for (gint i = 0; i < 2; i++) {
    GstHarness *hrn = new_harness (DET_MODEL (), i ? "threshold=0 max-detections=256 tiles=3"
        : "threshold=0 max-detections=256", GST_VIDEO_FORMAT_NV12, w, h);
    GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_NV12, w, h, 0, 0));
    Rois rois;
    check_rois (out, w, h, rand_types, 0.0, &rois);
    counts[i] = rois.n;
    guint tiles = 0;
    GstElement *d = gst_harness_find_element (hrn, "bnndetect");
    g_object_get (d, "tiles", &tiles, NULL);
    gst_object_unref (d);
    fail_unless_equals_int (tiles, i ? 3 : 1);
    gst_buffer_unref (out);
    gst_harness_teardown (hrn);
  }
  fail_unless (counts[1] > counts[0], "tiles=3 gave %u regions, the whole frame %u",
      counts[1], counts[0]);

  /* odd, tiny and very wide frames with the most tiles: valid regions, no crash */
  static const gint sizes[][2] = { {33, 17}, {1, 1}, {2000, 3}, {7, 900} };
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++) {
    GstHarness *hrn = new_harness (DET_MODEL (), "threshold=0 max-detections=256 tiles=4",
        GST_VIDEO_FORMAT_RGB, sizes[i][0], sizes[i][1]);
    GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, sizes[i][0],
            sizes[i][1], 0, 0));
    Rois rois;
    check_rois (out, sizes[i][0], sizes[i][1], rand_types, 0.0, &rois);
    gst_buffer_unref (out);
    gst_harness_teardown (hrn);
  }
}

GST_END_TEST;

GST_START_TEST (test_threshold_one_and_empty_frame)
{
  const gint w = 128, h = 96;
  GstHarness *hrn = new_harness (DET_MODEL (), "threshold=1.0", GST_VIDEO_FORMAT_RGB, w, h);
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0));
  Rois rois;
  get_rois (out, &rois);
  fail_unless_equals_int (rois.n, 0);
  gst_buffer_unref (out);
  /* a black frame passes through unchanged, with no region either */
  GstBuffer *black = gst_harness_create_buffer (hrn, (gsize) w * h * 3);
  gst_buffer_memset (black, 0, 0, (gsize) w * h * 3);
  out = push_pull (hrn, gst_buffer_ref (black));
  get_rois (out, &rois);
  fail_unless_equals_int (rois.n, 0);
  fail_unless (gst_buffer_memcmp (out, 0, "\0\0\0\0\0\0", 6) == 0);
  gst_buffer_unref (out);
  gst_buffer_unref (black);
  gst_harness_teardown (hrn);
}

GST_END_TEST;

/* Regions survive videoscale with the scale applied (the meta's transform function). */
GST_START_TEST (test_coordinates_after_videoscale)
{
  const gint w = 160, h = 120;
  GstHarness *ref = new_harness (DET_MODEL (), "threshold=0 max-detections=8",
      GST_VIDEO_FORMAT_RGB, w, h);
  GstBuffer *a = push_pull (ref, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0));
  gchar *desc = g_strdup_printf ("bnndetect model=\"%s\" threads=1 threshold=0 "
      "max-detections=8 ! videoscale ! capsfilter caps=video/x-raw,width=%d,height=%d", DET_MODEL (), 2 * w,
      3 * h);
  GstHarness *hrn = gst_harness_new_parse (desc);
  g_free (desc);
  gchar *caps = test_caps_str (GST_VIDEO_FORMAT_RGB, w, h);
  gst_harness_set_src_caps_str (hrn, caps);
  g_free (caps);
  GstBuffer *b = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0, 0));
  Rois ra, rb;
  check_rois (a, w, h, rand_types, 0.0, &ra);
  check_rois (b, 2 * w, 3 * h, rand_types, -1.0, &rb);
  fail_unless (ra.n > 0);
  fail_unless_equals_int (rb.n, ra.n);
  for (guint i = 0; i < ra.n; i++) {
    const GstVideoRegionOfInterestMeta *p = ra.r[i], *q = rb.r[i];
    fail_unless_equals_int (p->roi_type, q->roi_type);
    fail_unless (abs ((gint) q->x - 2 * (gint) p->x) <= 2
        && abs ((gint) q->w - 2 * (gint) p->w) <= 2
        && abs ((gint) q->y - 3 * (gint) p->y) <= 3
        && abs ((gint) q->h - 3 * (gint) p->h) <= 3,
        "region %u,%u %ux%u became %u,%u %ux%u after 2x3 scaling", p->x, p->y, p->w, p->h,
        q->x, q->y, q->w, q->h);
  }
  gst_buffer_unref (a);
  gst_buffer_unref (b);
  gst_harness_teardown (hrn);
  gst_harness_teardown (ref);
}

GST_END_TEST;

/* inference-interval=3: one network run per 3 frames, the same boxes and track ids carried
 * in between; a second run on the same picture keeps the track ids. */
GST_START_TEST (test_interval_and_track_ids)
{
  const gint w = 128, h = 96;
  GstHarness *hrn = new_harness (DET_MODEL (), "threshold=0 max-detections=5 "
      "inference-interval=3", GST_VIDEO_FORMAT_RGB, w, h);
  Rois r0 = { 0 };
  gint ids[5];
  GstBuffer *keep = NULL;
  for (guint i = 0; i < 4; i++) {
    GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, w, h, 0,
            i * GST_SECOND / 30));
    Rois r;
    check_rois (out, w, h, rand_types, 0.0, &r);
    if (i == 0) {
      fail_unless_equals_int (r.n, 5);
      for (guint k = 0; k < r.n; k++)
        ids[k] = r.r[k]->id;
      r0 = r;
      keep = out;
      continue;
    }
    fail_unless_equals_int (r.n, r0.n);
    for (guint k = 0; k < r.n; k++) {
      fail_unless_equals_int (r.r[k]->id, ids[k]);
      fail_unless_equals_int (r.r[k]->x, r0.r[k]->x);
      fail_unless_equals_int (r.r[k]->w, r0.r[k]->w);
    }
    gst_buffer_unref (out);
  }
  guint64 runs = 0;
  GstElement *d = gst_harness_find_element (hrn, "bnndetect");
  g_object_get (d, "inferences", &runs, NULL);
  gst_object_unref (d);
  fail_unless_equals_int ((gint) runs, 2);
  gst_buffer_unref (keep);
  gst_harness_teardown (hrn);
}

GST_END_TEST;

/* Per region of the frame pushed at pts with threshold thr: track id, confidence and
 * lost-runs, in meta order; returns the count. */
static guint
reports_at (GstHarness * hrn, gfloat thr, GstClockTime pts, gint * ids, gdouble * conf,
    guint * lost)
{
  GstElement *d = gst_harness_find_element (hrn, "bnndetect");
  g_object_set (d, "threshold", thr, NULL);
  gst_object_unref (d);
  GstBuffer *out = push_pull (hrn, test_frame (GST_VIDEO_FORMAT_RGB, 128, 96, 0, pts));
  Rois r;
  check_rois (out, 128, 96, rand_types, 0.0, &r);
  for (guint k = 0; k < r.n; k++) {
    GstStructure *s = gst_video_region_of_interest_meta_get_param (r.r[k], "detection");
    ids[k] = r.r[k]->id;
    fail_unless (gst_structure_get_double (s, "confidence", &conf[k]));
    fail_unless (gst_structure_get_uint (s, "lost-runs", &lost[k]));
  }
  gst_buffer_unref (out);
  return r.n;
}

/* The track ids of one frame pushed at `pts` with detection threshold `thr` (1: none). */
static guint
ids_at (GstHarness * hrn, gfloat thr, GstClockTime pts, gint * ids)
{
  gdouble conf[MAX_ROIS];
  guint lost[MAX_ROIS];
  return reports_at (hrn, thr, pts, ids, conf, lost);
}

/* A track that one run misses keeps its id when it comes back, within 15 runs and 1 s;
 * after that it is forgotten and comes back with a new id. */
GST_START_TEST (test_lost_tracks_keep_ids)
{
  GstHarness *hrn = new_harness (DET_MODEL (), "max-detections=4 coast-runs=0",
      GST_VIDEO_FORMAT_RGB, 128, 96);
  const GstClockTime f = GST_SECOND / 30;
  gint a[4], b[4], c[4];
  fail_unless_equals_int (ids_at (hrn, 0.0f, 0, a), 4);
  fail_unless_equals_int (ids_at (hrn, 1.0f, f, b), 0);      /* missed once */
  fail_unless_equals_int (ids_at (hrn, 0.0f, 2 * f, b), 4);
  for (guint k = 0; k < 4; k++)
    fail_unless_equals_int (b[k], a[k]);
  /* missed for 15 runs (0.5 s): still remembered */
  for (guint i = 0; i < 15; i++)
    fail_unless_equals_int (ids_at (hrn, 1.0f, (3 + i) * f, c), 0);
  fail_unless_equals_int (ids_at (hrn, 0.0f, 18 * f, c), 4);
  for (guint k = 0; k < 4; k++)
    fail_unless_equals_int (c[k], a[k]);
  /* missed for 16 runs: forgotten */
  for (guint i = 0; i < 16; i++)
    fail_unless_equals_int (ids_at (hrn, 1.0f, (19 + i) * f, c), 0);
  fail_unless_equals_int (ids_at (hrn, 0.0f, 35 * f, c), 4);
  for (guint k = 0; k < 4; k++)
    fail_unless (c[k] > a[3] && c[k] > a[0], "id %d reused after 16 missed runs", c[k]);
  /* missed once, but for more than a second: forgotten */
  fail_unless_equals_int (ids_at (hrn, 1.0f, 36 * f, b), 0);
  fail_unless_equals_int (ids_at (hrn, 0.0f, 36 * f + 2 * GST_SECOND, b), 4);
  for (guint k = 0; k < 4; k++)
    for (guint j = 0; j < 4; j++)
      fail_unless (b[k] != c[j], "id %d reused after 2 s", b[k]);
  gst_harness_teardown (hrn);
}

GST_END_TEST;

/* coast-runs: a track found in 3 runs that a run misses is still reported for coast-runs
 * runs, at its box, with lost-runs > 0 and its confidence x 0.6 per missed run; a track
 * found in fewer runs is not; coast-runs=0 reports only what a run finds. */
GST_START_TEST (test_coasting)
{
  const GstClockTime f = GST_SECOND / 30;
  gint a[4], b[4];
  gdouble ca[4], cb[4];
  guint la[4], lb[4];
  for (guint coast = 0; coast <= 2; coast++) {
    gchar *extra = g_strdup_printf ("max-detections=4 coast-runs=%u", coast);
    GstHarness *hrn = new_harness (DET_MODEL (), extra, GST_VIDEO_FORMAT_RGB, 128, 96);
    g_free (extra);
    /* two runs, then a miss: too young to coast */
    fail_unless_equals_int (reports_at (hrn, 0.0f, 0, a, ca, la), 4);
    fail_unless_equals_int (reports_at (hrn, 0.0f, f, a, ca, la), 4);
    fail_unless_equals_int (reports_at (hrn, 1.0f, 2 * f, b, cb, lb), 0);
    /* back (third run), then missed runs: coasting for coast runs */
    fail_unless_equals_int (reports_at (hrn, 0.0f, 3 * f, a, ca, la), 4);
    for (guint k = 0; k < 4; k++)
      fail_unless_equals_int (la[k], 0);
    for (guint miss = 1; miss <= 3; miss++) {
      const guint n = reports_at (hrn, 1.0f, (3 + miss) * f, b, cb, lb);
      fail_unless_equals_int (n, miss <= coast ? 4 : 0);
      for (guint k = 0; k < n; k++) {
        fail_unless_equals_int (b[k], a[k]);
        fail_unless_equals_int (lb[k], miss);
        fail_unless (fabs (cb[k] - ca[k] * pow (0.6, miss)) < 1e-5,
            "coasting confidence %f, found %f, %u missed", cb[k], ca[k], miss);
      }
    }
    gst_harness_teardown (hrn);
  }

  /* max-detections caps what is reported in all: 2 found and 2 coasting give 2 */
  GstHarness *hrn = new_harness (DET_MODEL (), "max-detections=4", GST_VIDEO_FORMAT_RGB,
      128, 96);
  for (guint i = 0; i < 3; i++)
    fail_unless_equals_int (reports_at (hrn, 0.0f, i * f, a, ca, la), 4);
  GstElement *d = gst_harness_find_element (hrn, "bnndetect");
  g_object_set (d, "max-detections", 2, NULL);
  gst_object_unref (d);
  fail_unless_equals_int (reports_at (hrn, 0.0f, 3 * f, b, cb, lb), 2);
  gst_harness_teardown (hrn);
}

GST_END_TEST;

/* landmarkoverlay draw-regions=true draws the detections (and only then changes pixels). */
static gsize
changed_bytes (gboolean draw)
{
  const gint w = 160, h = 120;
  gchar *desc = g_strdup_printf ("bnndetect model=\"%s\" threads=1 threshold=0 "
      "max-detections=3 ! landmarkoverlay draw-regions=%s", DET_MODEL (),
      draw ? "true" : "false");
  GstHarness *hrn = gst_harness_new_parse (desc);
  g_free (desc);
  gchar *caps = test_caps_str (GST_VIDEO_FORMAT_BGRx, w, h);
  gst_harness_set_src_caps_str (hrn, caps);
  g_free (caps);
  GstBuffer *in = test_frame (GST_VIDEO_FORMAT_BGRx, w, h, 0, 0);
  GstBuffer *copy = gst_buffer_copy_deep (in);
  GstBuffer *out = push_pull (hrn, in);
  GstMapInfo a, b;
  fail_unless (gst_buffer_map (copy, &a, GST_MAP_READ));
  fail_unless (gst_buffer_map (out, &b, GST_MAP_READ));
  fail_unless_equals_int (a.size, b.size);
  gsize diff = 0;
  for (gsize i = 0; i < a.size; i++)
    diff += a.data[i] != b.data[i];
  gst_buffer_unmap (copy, &a);
  gst_buffer_unmap (out, &b);
  gst_buffer_unref (copy);
  gst_buffer_unref (out);
  gst_harness_teardown (hrn);
  return diff;
}

GST_START_TEST (test_overlay_draws_regions)
{
  fail_unless_equals_int ((gint) changed_bytes (FALSE), 0);
  fail_unless (changed_bytes (TRUE) > 100, "no boxes drawn");
}

GST_END_TEST;

static gchar *
error_of (const gchar * model)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=1 ! bnndetect model=\"%s\" ! "
      "fakesink", model);
  GstElement *pipe = gst_parse_launch (desc, NULL);
  g_free (desc);
  fail_unless (pipe != NULL);
  GstMessage *msg = run_pipeline (pipe, 30);
  gst_object_unref (pipe);
  fail_unless (msg != NULL, "model %s: no error", model);
  GError *e = NULL;
  gst_message_parse_error (msg, &e, NULL);
  gchar *text = g_strdup (e->message);
  g_error_free (e);
  gst_message_unref (msg);
  return text;
}

GST_START_TEST (test_bad_models)
{
  gchar *t = error_of ("/nonexistent/dir/detector.bnn");
  fail_unless (strstr (t, "/nonexistent/dir/detector.bnn") != NULL, "%s", t);
  g_free (t);
  t = error_of ("no-such-model-name");
  fail_unless (strstr (t, "no-such-model-name") != NULL, "%s", t);
  g_free (t);
  /* a landmark model is no detector */
  t = error_of (FACE_MODEL ());
  fail_unless (strstr (t, FACE_MODEL ()) != NULL && strstr (t, "not a detector") != NULL,
      "%s", t);
  g_free (t);
  /* a file that is not a model */
  gchar *tmp = g_build_filename (g_get_tmp_dir (), "bnndetect-not-a-model.bnn", NULL);
  fail_unless (g_file_set_contents (tmp, "hello", 5, NULL));
  t = error_of (tmp);
  fail_unless (strstr (t, tmp) != NULL, "%s", t);
  g_free (t);
  g_unlink (tmp);
  g_free (tmp);
}

GST_END_TEST;

/* ---- the trained model (skipped while models/detect.bnn does not exist) ---- */

static gchar *trained;

static GstBuffer *
run_trained (const gchar * src, const gchar * after)
{
  gchar *desc = g_strdup_printf ("%s ! videoconvert ! video/x-raw,format=RGB ! "
      "bnndetect model=\"%s\" threads=1 %s ! appsink name=sink sync=false", src, trained,
      after ? after : "");
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL, "%s", desc);
  g_free (desc);
  GstBuffer *buf = preroll_buffer (pipeline);
  gst_object_unref (pipeline);
  return buf;
}

static const gchar *const det_types[] = { "person", "face", NULL };

GST_START_TEST (test_trained_black_frame)
{
  GstBuffer *b = run_trained ("videotestsrc num-buffers=1 pattern=black ! "
      "video/x-raw,width=640,height=480", NULL);
  Rois r;
  check_rois (b, 640, 480, det_types, 0.0, &r);
  fail_unless_equals_int (r.n, 0);
  gst_buffer_unref (b);
}

GST_END_TEST;

GST_START_TEST (test_trained_basketball)
{
  if (!g_file_test (BASKETBALL, G_FILE_TEST_EXISTS)) {
    g_print ("%s missing: skipped\n", BASKETBALL);
    return;
  }
  /* bnnlandmarks (a random body model: plumbing only) runs one instance per person region */
  gchar *after = g_strdup_printf ("! bnnlandmarks model=\"%s\" max-instances=16 "
      "min-confidence=0 smoothing=false threads=1", BODY_MODEL ());
  GstBuffer *b = run_trained ("filesrc location=" BASKETBALL " ! pngdec", after);
  g_free (after);
  Rois r;
  GstVideoMeta *vm = gst_buffer_get_video_meta (b);
  gint w = vm ? (gint) vm->width : 640, h = vm ? (gint) vm->height : 480;
  check_rois (b, w, h, det_types, 0.0, &r);
  guint persons = 0;
  for (guint i = 0; i < r.n; i++) {
    g_print ("basketball1: %s %u,%u %ux%u\n", g_quark_to_string (r.r[i]->roi_type),
        r.r[i]->x, r.r[i]->y, r.r[i]->w, r.r[i]->h);
    persons += r.r[i]->roi_type == g_quark_from_string ("person");
  }
  fail_unless (persons >= 1, "no person found on basketball1.png");
  GstLandmarkMeta *lm = gst_buffer_get_landmark_meta (b);
  fail_unless (lm != NULL);
  fail_unless_equals_int (lm->n_instances, persons);
  gst_buffer_unref (b);
}

GST_END_TEST;

static Suite *
bnndetect_suite (void)
{
  Suite *s = suite_create ("bnndetect");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 120);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_formats_meta);
  tcase_add_test (tc, test_negotiation_pipeline);
  tcase_add_test (tc, test_max_detections_and_classes);
  tcase_add_test (tc, test_tiles);
  tcase_add_test (tc, test_threshold_one_and_empty_frame);
  tcase_add_test (tc, test_coordinates_after_videoscale);
  tcase_add_test (tc, test_interval_and_track_ids);
  tcase_add_test (tc, test_lost_tracks_keep_ids);
  tcase_add_test (tc, test_coasting);
  tcase_add_test (tc, test_bad_models);
  tcase_add_test (tc, test_overlay_draws_regions);

  const gchar *dir = g_getenv ("BNNLM_MODELS_DIR");
  trained = dir ? g_build_filename (dir, "detect.bnn", NULL) : NULL;
  if (trained && g_file_test (trained, G_FILE_TEST_IS_REGULAR)) {
    TCase *tt = tcase_create ("trained");
    tcase_set_timeout (tt, 120);
    suite_add_tcase (s, tt);
    tcase_add_test (tt, test_trained_black_frame);
    tcase_add_test (tt, test_trained_basketball);
  } else {
    g_print ("models/detect.bnn not found: trained-model tests skipped\n");
  }
  return s;
}

GST_CHECK_MAIN (bnndetect);
