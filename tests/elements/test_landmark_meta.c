/* test_landmark_meta.c: GstLandmarkMeta library tests: accessors, layouts, copies, and
 * points staying right through tee/queue/videoconvert/videoscale (and dropped by flips). */
#include "test_util.h"

#include "gst/landmark/landmarkmeta.h"

static GstLandmarkLayout *
make_layout (void)
{
  const gchar *names[] = { "nose", "left_eye", "right_eye" };
  const gint pairs[] = { 0, 1, 0, 2, 1, 7 };  /* the last pair is invalid and dropped */
  const gchar *classes[] = { "background", "face" };
  return gst_landmark_layout_new ("face-3-kp", 3, names, 6, pairs, 2, classes);
}

/* One instance: box (4, 6, 20, 30), points (10, 20) (11.5, 21) (0, 0), a 2x2 map over
 * (2, 3, 40, 50). */
static void
fill_meta (GstLandmarkMeta * meta, GstLandmarkLayout * layout)
{
  guint i = gst_landmark_meta_add_instance (meta, layout, 4, 6, 20, 30, 0.75f, 42);
  fail_unless_equals_int (i, meta->n_instances - 1);
  fail_unless (gst_landmark_meta_set_point (meta, i, 0, 10, 20, 0.9f,
          GST_LANDMARK_VISIBILITY_VISIBLE));
  fail_unless (gst_landmark_meta_set_point (meta, i, 1, 11.5f, 21, 0.5f,
          GST_LANDMARK_VISIBILITY_VISIBLE));
  fail_unless (gst_landmark_meta_set_point (meta, i, 2, 0, 0, 0.1f, 0));
  const guint8 cls[4] = { 0, 1, 1, 0 };
  GBytes *bytes = g_bytes_new (cls, 4);
  fail_unless (gst_landmark_meta_set_class_map (meta, i, 2, 2, bytes, 2, 3, 40, 50));
  g_bytes_unref (bytes);
}

GST_START_TEST (test_accessors)
{
  GstLandmarkLayout *layout = make_layout ();
  GstBuffer *buf = gst_buffer_new ();
  fail_unless (gst_buffer_get_landmark_meta (buf) == NULL);
  GstLandmarkMeta *meta = gst_buffer_add_landmark_meta (buf);
  fail_unless (meta != NULL);
  fail_unless (gst_buffer_get_landmark_meta (buf) == meta);
  fail_unless_equals_int (gst_landmark_meta_get_n_instances (meta), 0);
  fill_meta (meta, layout);
  gst_landmark_layout_unref (layout);   /* the meta keeps its own reference */

  fail_unless_equals_int (gst_landmark_meta_get_n_instances (meta), 1);
  fail_unless_equals_string (gst_landmark_meta_get_task (meta, 0), "face-3-kp");
  fail_unless_equals_int (gst_landmark_meta_get_n_points (meta, 0), 3);
  fail_unless_equals_string (gst_landmark_meta_get_point_name (meta, 0, 1), "left_eye");
  fail_unless (gst_landmark_meta_get_point_name (meta, 0, 3) == NULL);
  fail_unless_equals_int (gst_landmark_meta_get_n_skeleton_pairs (meta, 0), 2);
  guint a, b;
  fail_unless (gst_landmark_meta_get_skeleton_pair (meta, 0, 1, &a, &b));
  fail_unless (a == 0 && b == 2);
  fail_if (gst_landmark_meta_get_skeleton_pair (meta, 0, 2, &a, &b));
  fail_unless_equals_int (gst_landmark_meta_get_n_classes (meta, 0), 2);
  fail_unless_equals_string (gst_landmark_meta_get_class_name (meta, 0, 1), "face");
  fail_unless_equals_int (gst_landmark_layout_find_point (
          gst_landmark_meta_get_layout (meta, 0), "right_eye"), 2);
  fail_unless_equals_int (gst_landmark_layout_find_point (
          gst_landmark_meta_get_layout (meta, 0), "chin"), -1);

  gfloat x, y, w, h, c;
  guint8 vis;
  fail_unless (gst_landmark_meta_get_bbox (meta, 0, &x, &y, &w, &h));
  fail_unless (x == 4 && y == 6 && w == 20 && h == 30);
  fail_unless (gst_landmark_meta_get_score (meta, 0) == 0.75f);
  fail_unless (gst_landmark_meta_get_track_id (meta, 0) == 42);
  fail_unless (gst_landmark_meta_get_point (meta, 0, 1, &x, &y, &c, &vis));
  fail_unless (x == 11.5f && y == 21 && c == 0.5f && vis == GST_LANDMARK_VISIBILITY_VISIBLE);
  fail_if (gst_landmark_meta_get_point (meta, 0, 3, &x, &y, &c, &vis));
  fail_if (gst_landmark_meta_get_point (meta, 1, 0, &x, &y, &c, &vis));

  guint mw, mh;
  GBytes *map = gst_landmark_meta_get_class_map (meta, 0, &mw, &mh, &x, &y, &w, &h);
  fail_unless (map != NULL);
  fail_unless (mw == 2 && mh == 2 && x == 2 && y == 3 && w == 40 && h == 50);
  fail_unless_equals_int (((const guint8 *) g_bytes_get_data (map, NULL))[1], 1);

  /* a class map of the wrong size is refused */
  GBytes *bad = g_bytes_new ("abc", 3);
  fail_if (gst_landmark_meta_set_class_map (meta, 0, 2, 2, bad, 0, 0, 1, 1));
  g_bytes_unref (bad);

  /* the C view */
  const GstLandmarkInstance *in = gst_landmark_meta_get_instance (meta, 0);
  fail_unless (in->points[0].x == 10 && in->points[0].confidence == 0.9f);
  fail_unless (gst_landmark_meta_get_instance (meta, 1) == NULL);

  gst_buffer_unref (buf);
}
GST_END_TEST;

GST_START_TEST (test_copy_and_scale)
{
  GstLandmarkLayout *layout = make_layout ();
  GstBuffer *buf = gst_buffer_new_allocate (NULL, 16, NULL);
  fill_meta (gst_buffer_add_landmark_meta (buf), layout);
  gst_landmark_layout_unref (layout);

  GstBuffer *copy = gst_buffer_copy (buf);
  GstLandmarkMeta *m0 = gst_buffer_get_landmark_meta (buf);
  GstLandmarkMeta *m1 = gst_buffer_get_landmark_meta (copy);
  fail_unless (m1 != NULL && m1 != m0);
  fail_unless_equals_int (m1->n_instances, 1);
  fail_unless (m1->instances[0].points != m0->instances[0].points);
  fail_unless (m1->instances[0].points[1].x == 11.5f);
  fail_unless (m1->instances[0].map == m0->instances[0].map);   /* shared, refcounted */
  fail_unless (m1->instances[0].layout == m0->instances[0].layout);

  gst_landmark_meta_scale (m1, 2.0, 0.5);
  /* pixel centres: (x + 0.5) * s - 0.5; edges: x * s */
  fail_unless (m1->instances[0].points[0].x == 20.5f);
  fail_unless (m1->instances[0].points[0].y == 9.75f);
  fail_unless (m1->instances[0].x == 8 && m1->instances[0].w == 40);
  fail_unless (m1->instances[0].y == 3 && m1->instances[0].h == 15);
  fail_unless (m1->instances[0].map_x == 4 && m1->instances[0].map_h == 25);
  /* the original is untouched */
  fail_unless (m0->instances[0].points[0].x == 10);
  gst_buffer_unref (copy);
  gst_buffer_unref (buf);
}
GST_END_TEST;

static GstPadProbeReturn
attach_known_meta (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  GstLandmarkLayout *layout = user_data;
  (void) pad;
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  fill_meta (gst_buffer_add_landmark_meta (buf), layout);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

/* Runs `desc` (which must contain "identity name=tag" and end in "appsink name=sink"),
 * attaching the known meta at the identity, and returns the first output buffer. */
static GstBuffer *
run_with_known_meta (const gchar * desc)
{
  GstLandmarkLayout *layout = make_layout ();
  GError *err = NULL;
  GstElement *pipeline = gst_parse_launch (desc, &err);
  fail_unless (pipeline != NULL, "parse: %s", err ? err->message : "?");
  GstElement *tag = gst_bin_get_by_name (GST_BIN (pipeline), "tag");
  GstPad *pad = gst_element_get_static_pad (tag, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, attach_known_meta,
      gst_landmark_layout_ref (layout), (GDestroyNotify) gst_landmark_layout_unref);
  gst_object_unref (pad);
  gst_object_unref (tag);

  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless_equals_int (gst_element_set_state (pipeline, GST_STATE_PLAYING),
      GST_STATE_CHANGE_ASYNC);
  GstSample *sample = NULL;
  g_signal_emit_by_name (sink, "pull-sample", &sample);
  fail_unless (sample != NULL, "no buffer reached the sink");
  GstBuffer *out = gst_buffer_ref (gst_sample_get_buffer (sample));
  gst_sample_unref (sample);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  gst_landmark_layout_unref (layout);
  return out;
}

GST_START_TEST (test_through_tee_convert_scale)
{
  GstBuffer *out = run_with_known_meta ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=RGB,width=160,height=120 ! identity name=tag ! tee ! queue ! "
      "videoconvert ! video/x-raw,format=I420 ! videoscale ! "
      "video/x-raw,width=320,height=240 ! appsink name=sink sync=false");
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta != NULL, "the meta did not survive tee/queue/videoconvert/videoscale");
  fail_unless_equals_int (meta->n_instances, 1);
  const GstLandmarkInstance *in = &meta->instances[0];
  fail_unless (fabsf (in->points[0].x - 20.5f) < 1e-4f, "x %f", in->points[0].x);
  fail_unless (fabsf (in->points[0].y - 40.5f) < 1e-4f, "y %f", in->points[0].y);
  fail_unless (fabsf (in->points[1].x - 23.5f) < 1e-4f);
  fail_unless (in->x == 8 && in->y == 12 && in->w == 40 && in->h == 60);
  fail_unless (in->map_x == 4 && in->map_y == 6 && in->map_w == 80 && in->map_h == 100);
  fail_unless (in->track_id == 42 && in->score == 0.75f);
  fail_unless_equals_string (gst_landmark_layout_get_task (in->layout), "face-3-kp");
  gst_buffer_unref (out);
}
GST_END_TEST;

GST_START_TEST (test_same_size_convert_keeps_values)
{
  GstBuffer *out = run_with_known_meta ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=I420,width=64,height=48 ! identity name=tag ! "
      "videoconvert ! video/x-raw,format=BGRx ! appsink name=sink sync=false");
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (out);
  fail_unless (meta != NULL);
  fail_unless (meta->instances[0].points[0].x == 10 && meta->instances[0].points[0].y == 20);
  gst_buffer_unref (out);
}
GST_END_TEST;

GST_START_TEST (test_flip_drops_meta)
{
  /* an orientation change is a transform the meta does not implement: it must be
   * dropped, not carried with wrong coordinates */
  GstBuffer *out = run_with_known_meta ("videotestsrc num-buffers=2 ! "
      "video/x-raw,format=RGBx,width=64,height=48 ! identity name=tag ! "
      "videoflip video-direction=horiz ! appsink name=sink sync=false");
  fail_unless (gst_buffer_get_landmark_meta (out) == NULL);
  gst_buffer_unref (out);
}
GST_END_TEST;

GST_START_TEST (test_api_tags)
{
  fail_unless (gst_meta_api_type_has_tag (GST_LANDMARK_META_API_TYPE,
          g_quark_from_string (GST_META_TAG_VIDEO_STR)));
  fail_unless (gst_meta_api_type_has_tag (GST_LANDMARK_META_API_TYPE,
          g_quark_from_string (GST_META_TAG_VIDEO_SIZE_STR)));
  fail_unless (gst_meta_api_type_has_tag (GST_LANDMARK_META_API_TYPE,
          g_quark_from_string (GST_META_TAG_VIDEO_ORIENTATION_STR)));
  fail_unless (g_type_is_a (GST_TYPE_LANDMARK_LAYOUT, G_TYPE_BOXED));
}
GST_END_TEST;

static Suite *
landmark_meta_suite (void)
{
  Suite *s = suite_create ("landmarkmeta");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_accessors);
  tcase_add_test (tc, test_copy_and_scale);
  tcase_add_test (tc, test_through_tee_convert_scale);
  tcase_add_test (tc, test_same_size_convert_keeps_values);
  tcase_add_test (tc, test_flip_drops_meta);
  tcase_add_test (tc, test_api_tags);
  return s;
}

GST_CHECK_MAIN (landmark_meta);
