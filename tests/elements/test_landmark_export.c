/* test_landmark_export.c: landmarkexport tests: each frame's JSON line parses with
 * json-glib and matches the meta it came from (points, names, skeleton, class-map RLE);
 * frames without landmarks still get a line; regions of interest with the detector's and
 * bnnlandmarks' parameters; bus messages; unwritable locations. */
#include <glib/gstdio.h>
#include <gst/check/gstharness.h>
#include <json-glib/json-glib.h>

#include "test_util.h"

#include "gst/landmark/landmarkmeta.h"

/* Copies of the metas seen by the exporter, in order. */
typedef struct {
  GPtrArray *buffers;
} Seen;

static GstPadProbeReturn
remember_buffer (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  Seen *seen = user_data;
  (void) pad;
  g_ptr_array_add (seen->buffers, gst_buffer_ref (GST_PAD_PROBE_INFO_BUFFER (info)));
  return GST_PAD_PROBE_OK;
}

static gboolean
drop_meta (GstBuffer * buf, GstMeta ** meta, gpointer user_data)
{
  (void) buf;
  (void) user_data;
  *meta = NULL;
  return TRUE;
}

static GPtrArray *
read_lines (const gchar * path)
{
  gchar *text = NULL;
  fail_unless (g_file_get_contents (path, &text, NULL, NULL));
  fail_unless (g_str_has_suffix (text, "\n"), "the last line is not terminated");
  gchar **lines = g_strsplit (text, "\n", -1);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  for (gchar ** l = lines; *l && **l; l++) {
    GError *err = NULL;
    JsonNode *node = json_from_string (*l, &err);
    fail_unless (node != NULL, "line %u does not parse: %s", out->len, err ? err->message : "");
    fail_unless (JSON_NODE_HOLDS_OBJECT (node));
    g_ptr_array_add (out, node);
  }
  g_strfreev (lines);
  g_free (text);
  return out;
}

static gboolean
near (double a, double b)
{
  return fabs (a - b) <= 1.0 / 64;
}

static void
check_line_matches (JsonObject * o, GstBuffer * buf, gint w, gint h)
{
  fail_unless_equals_int (json_object_get_int_member (o, "width"), w);
  fail_unless_equals_int (json_object_get_int_member (o, "height"), h);
  fail_unless (json_object_has_member (o, "pts"));
  if (GST_BUFFER_PTS_IS_VALID (buf))
    fail_unless_equals_uint64 ((guint64) json_object_get_int_member (o, "pts"),
        GST_BUFFER_PTS (buf));
  JsonArray *insts = json_object_get_array_member (o, "instances");
  fail_unless (insts != NULL);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (buf);
  const guint n = meta ? meta->n_instances : 0;
  fail_unless_equals_int (json_array_get_length (insts), n);
  for (guint i = 0; i < n; i++) {
    const GstLandmarkInstance *in = &meta->instances[i];
    JsonObject *jo = json_array_get_object_element (insts, i);
    fail_unless_equals_string (json_object_get_string_member (jo, "task"),
        gst_landmark_layout_get_task (in->layout));
    fail_unless_equals_uint64 ((guint64) json_object_get_int_member (jo, "track_id"),
        in->track_id);
    fail_unless (fabs (json_object_get_double_member (jo, "score") - in->score) < 1e-3);
    JsonArray *bbox = json_object_get_array_member (jo, "bbox");
    fail_unless_equals_int (json_array_get_length (bbox), 4);
    fail_unless (near (json_array_get_double_element (bbox, 0), in->x));
    fail_unless (near (json_array_get_double_element (bbox, 3), in->h));
    JsonArray *names = json_object_get_array_member (jo, "names");
    JsonArray *pts = json_object_get_array_member (jo, "points");
    fail_unless_equals_int (json_array_get_length (names), in->n_points);
    fail_unless_equals_int (json_array_get_length (pts), in->n_points);
    for (guint k = 0; k < in->n_points; k++) {
      fail_unless_equals_string (json_array_get_string_element (names, k),
          gst_landmark_layout_get_point_name (in->layout, k));
      JsonArray *p = json_array_get_array_element (pts, k);
      fail_unless_equals_int (json_array_get_length (p), 3);
      fail_unless (near (json_array_get_double_element (p, 0), in->points[k].x));
      fail_unless (near (json_array_get_double_element (p, 1), in->points[k].y));
      fail_unless (fabs (json_array_get_double_element (p, 2) - in->points[k].confidence)
          < 1e-3);
    }
    JsonArray *skel = json_object_get_array_member (jo, "skeleton");
    fail_unless_equals_int (json_array_get_length (skel),
        gst_landmark_layout_get_n_skeleton_pairs (in->layout));
    for (guint j = 0; j < json_array_get_length (skel); j++) {
      guint a, b;
      gst_landmark_layout_get_skeleton_pair (in->layout, j, &a, &b);
      JsonArray *pair = json_array_get_array_element (skel, j);
      fail_unless (json_array_get_int_element (pair, 0) == a
          && json_array_get_int_element (pair, 1) == b);
    }
    if (in->map) {
      JsonObject *parts = json_object_get_object_member (jo, "parts");
      fail_unless (parts != NULL, "class map missing from the JSON");
      fail_unless_equals_int (json_object_get_int_member (parts, "width"), in->map_width);
      fail_unless_equals_int (json_object_get_int_member (parts, "height"), in->map_height);
      JsonArray *rect = json_object_get_array_member (parts, "rect");
      fail_unless (near (json_array_get_double_element (rect, 2), in->map_w));
      fail_unless_equals_int (json_array_get_length (json_object_get_array_member (parts,
                  "classes")), gst_landmark_layout_get_n_classes (in->layout));
      /* decode the runs and compare with the map */
      JsonArray *rle = json_object_get_array_member (parts, "rle");
      const guint8 *cls = g_bytes_get_data (in->map, NULL);
      guint pos = 0;
      fail_unless (json_array_get_length (rle) % 2 == 0);
      for (guint r = 0; r < json_array_get_length (rle); r += 2) {
        gint64 v = json_array_get_int_element (rle, r);
        gint64 count = json_array_get_int_element (rle, r + 1);
        fail_unless (count > 0);
        for (gint64 c = 0; c < count; c++, pos++) {
          fail_unless (pos < in->map_width * in->map_height);
          fail_unless_equals_int (cls[pos], v);
        }
      }
      fail_unless_equals_int (pos, in->map_width * in->map_height);
    } else {
      fail_if (json_object_has_member (jo, "parts"));
    }
  }
}

static gchar *
tmp_path (const gchar * name)
{
  gchar *dir = g_dir_make_tmp ("bnnlm-export-XXXXXX", NULL);
  fail_unless (dir != NULL);
  gchar *p = g_build_filename (dir, name, NULL);
  g_free (dir);
  return p;
}

static void
remove_tmp (gchar * path)
{
  g_unlink (path);
  gchar *dir = g_path_get_dirname (path);
  g_rmdir (dir);
  g_free (dir);
  g_free (path);
}

/* Runs desc (with "landmarkexport name=x") to EOS; returns the buffers the exporter saw. */
static GPtrArray *
run_and_record (const gchar * desc)
{
  Seen seen = { g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref) };
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL, "%s", desc);
  GstElement *x = gst_bin_get_by_name (GST_BIN (pipeline), "x");
  GstPad *pad = gst_element_get_static_pad (x, "sink");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, remember_buffer, &seen, NULL);
  gst_object_unref (pad);
  gst_object_unref (x);
  GstMessage *err = run_pipeline (pipeline, 20);
  fail_unless (err == NULL, "pipeline failed");
  gst_object_unref (pipeline);
  return seen.buffers;
}

GST_START_TEST (test_lines_match_meta)
{
  gchar *path = tmp_path ("out.jsonl");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=5 ! "
      "video/x-raw,format=I420,width=96,height=64 ! bnnlandmarks model=\"%s\" "
      "min-confidence=0 threads=1 ! landmarkexport name=x location=\"%s\" ! fakesink",
      BODY_MODEL (), path);
  GPtrArray *bufs = run_and_record (desc);
  g_free (desc);
  GPtrArray *lines = read_lines (path);
  fail_unless_equals_int (lines->len, 5);
  fail_unless_equals_int (bufs->len, 5);
  gboolean had_parts = FALSE;
  for (guint i = 0; i < lines->len; i++) {
    JsonObject *o = json_node_get_object (g_ptr_array_index (lines, i));
    fail_unless_equals_int (json_object_get_int_member (o, "frame"), i);
    check_line_matches (o, g_ptr_array_index (bufs, i), 96, 64);
    JsonArray *insts = json_object_get_array_member (o, "instances");
    fail_unless_equals_int (json_array_get_length (insts), 1);
    had_parts |= json_object_has_member (json_array_get_object_element (insts, 0), "parts");
  }
  fail_unless (had_parts, "the segmentation model's part map was not exported");
  g_ptr_array_unref (lines);
  g_ptr_array_unref (bufs);
  remove_tmp (path);
}
GST_END_TEST;

GST_START_TEST (test_frames_without_landmarks)
{
  gchar *path = tmp_path ("empty.jsonl");
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=3 ! "
      "video/x-raw,width=32,height=24 ! landmarkexport name=x location=\"%s\" ! fakesink",
      path);
  GPtrArray *bufs = run_and_record (desc);
  g_free (desc);
  GPtrArray *lines = read_lines (path);
  fail_unless_equals_int (lines->len, 3);
  for (guint i = 0; i < lines->len; i++) {
    JsonObject *o = json_node_get_object (g_ptr_array_index (lines, i));
    check_line_matches (o, g_ptr_array_index (bufs, i), 32, 24);
    fail_unless_equals_int (json_array_get_length (json_object_get_array_member (o,
                "instances")), 0);
  }
  g_ptr_array_unref (lines);
  g_ptr_array_unref (bufs);
  remove_tmp (path);
}
GST_END_TEST;

/* Regions of interest: a "regions" array with type, box, the detector's confidence,
 * track id and lost runs and bnnlandmarks' verdict when the region has them; none without regions. */
GST_START_TEST (test_regions)
{
  gchar *path = tmp_path ("regions.jsonl");
  gchar *desc = g_strdup_printf ("landmarkexport location=\"%s\"", path);
  GstHarness *hrn = gst_harness_new_parse (desc);
  g_free (desc);
  gst_harness_set_src_caps_str (hrn, "video/x-raw,format=GRAY8,width=64,height=48,"
      "framerate=30/1");
  GstBuffer *b = gst_buffer_new_allocate (NULL, 64 * 48, NULL);
  gst_buffer_memset (b, 0, 0, 64 * 48);
  GstVideoRegionOfInterestMeta *roi =
      gst_buffer_add_video_region_of_interest_meta (b, "person", 4, 6, 20, 30);
  gst_video_region_of_interest_meta_add_param (roi, gst_structure_new ("detection",
          "confidence", G_TYPE_DOUBLE, 0.375, "track-id", G_TYPE_INT, 7,
          "lost-runs", G_TYPE_UINT, 1u, NULL));
  gst_video_region_of_interest_meta_add_param (roi, gst_structure_new ("landmarks",
          "kept", G_TYPE_BOOLEAN, FALSE, "score", G_TYPE_DOUBLE, 0.03125, NULL));
  gst_buffer_add_video_region_of_interest_meta (b, "face", 30, 2, 10, 12);
  GstBuffer *plain = gst_buffer_copy_deep (b);
  gst_buffer_foreach_meta (plain, drop_meta, NULL);
  gst_buffer_unref (gst_harness_push_and_pull (hrn, b));
  gst_buffer_unref (gst_harness_push_and_pull (hrn, plain));
  gst_harness_teardown (hrn);   /* stops the element: the file is closed */

  GPtrArray *lines = read_lines (path);
  fail_unless_equals_int (lines->len, 2);
  JsonObject *o = json_node_get_object (g_ptr_array_index (lines, 0));
  JsonArray *regions = json_object_get_array_member (o, "regions");
  fail_unless (regions && json_array_get_length (regions) == 2);
  JsonObject *r0 = json_array_get_object_element (regions, 0);
  fail_unless_equals_string (json_object_get_string_member (r0, "type"), "person");
  JsonArray *box = json_object_get_array_member (r0, "bbox");
  fail_unless (near (json_array_get_double_element (box, 0), 4)
      && near (json_array_get_double_element (box, 1), 6)
      && near (json_array_get_double_element (box, 2), 20)
      && near (json_array_get_double_element (box, 3), 30));
  fail_unless (json_object_get_double_member (r0, "confidence") == 0.375);
  fail_unless_equals_int (json_object_get_int_member (r0, "track_id"), 7);
  fail_unless_equals_int (json_object_get_int_member (r0, "lost_runs"), 1);
  fail_unless (!json_object_get_boolean_member (r0, "kept"));
  fail_unless (json_object_get_double_member (r0, "landmark_score") == 0.03125);
  JsonObject *r1 = json_array_get_object_element (regions, 1);
  fail_unless_equals_string (json_object_get_string_member (r1, "type"), "face");
  fail_if (json_object_has_member (r1, "confidence") || json_object_has_member (r1, "kept")
      || json_object_has_member (r1, "track_id") || json_object_has_member (r1, "lost_runs"));
  o = json_node_get_object (g_ptr_array_index (lines, 1));
  fail_if (json_object_has_member (o, "regions"), "regions on a frame without any");
  g_ptr_array_unref (lines);
  remove_tmp (path);
}
GST_END_TEST;

GST_START_TEST (test_null_pts)
{
  /* a buffer without a timestamp gives "pts": null */
  gchar *path = tmp_path ("nopts.jsonl");
  gchar *desc = g_strdup_printf ("appsrc name=src caps=video/x-raw,format=GRAY8,width=4,"
      "height=2,framerate=0/1 ! landmarkexport location=\"%s\" ! fakesink", path);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  GstElement *src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  GstBuffer *b = gst_buffer_new_allocate (NULL, 8, NULL);
  gst_buffer_memset (b, 0, 0, 8);
  GstFlowReturn fr;
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  g_signal_emit_by_name (src, "push-buffer", b, &fr);
  g_signal_emit_by_name (src, "end-of-stream", &fr);
  gst_buffer_unref (b);
  gst_object_unref (src);
  GstBus *bus = gst_element_get_bus (pipeline);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, 10 * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg && GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS);
  gst_message_unref (msg);
  gst_object_unref (bus);
  /* flushed at EOS: readable before the pipeline stops */
  GPtrArray *lines = read_lines (path);
  fail_unless_equals_int (lines->len, 1);
  JsonObject *o = json_node_get_object (g_ptr_array_index (lines, 0));
  fail_unless (json_object_get_null_member (o, "pts"));
  g_ptr_array_unref (lines);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  remove_tmp (path);
}
GST_END_TEST;

GST_START_TEST (test_bus_messages)
{
  gchar *desc = g_strdup_printf ("videotestsrc num-buffers=4 ! "
      "video/x-raw,format=RGB,width=48,height=40 ! bnnlandmarks model=\"%s\" "
      "min-confidence=0 threads=1 ! landmarkexport post-messages=true ! fakesink",
      FACE_MODEL ());
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  g_free (desc);
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  guint n = 0;
  for (;;) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, 20 * GST_SECOND,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    fail_unless (msg != NULL);
    fail_if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ERROR);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
      gst_message_unref (msg);
      break;
    }
    const GstStructure *s = gst_message_get_structure (msg);
    if (gst_structure_has_name (s, "landmarks")) {
      JsonNode *node = json_from_string (gst_structure_get_string (s, "json"), NULL);
      fail_unless (node != NULL);
      JsonObject *o = json_node_get_object (node);
      fail_unless_equals_int (json_object_get_int_member (o, "width"), 48);
      JsonArray *insts = json_object_get_array_member (o, "instances");
      fail_unless_equals_int (json_array_get_length (insts), 1);
      JsonObject *in = json_array_get_object_element (insts, 0);
      fail_unless_equals_string (json_object_get_string_member (in, "task"), "face-68-kp");
      fail_unless_equals_int (json_array_get_length (json_object_get_array_member (in,
                  "points")), 68);
      json_node_unref (node);
      n++;
    }
    gst_message_unref (msg);
  }
  fail_unless_equals_int (n, 4);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  gst_object_unref (pipeline);
}
GST_END_TEST;

GST_START_TEST (test_unwritable_location)
{
  GstElement *pipeline = gst_parse_launch ("videotestsrc num-buffers=1 ! landmarkexport "
      "location=/nonexistent-dir/x.jsonl ! fakesink", NULL);
  GstMessage *msg = run_pipeline (pipeline, 10);
  fail_unless (msg != NULL, "no error for an unwritable location");
  GError *err = NULL;
  gst_message_parse_error (msg, &err, NULL);
  fail_unless (err->domain == GST_RESOURCE_ERROR && err->code ==
      GST_RESOURCE_ERROR_OPEN_WRITE);
  fail_unless (strstr (err->message, "/nonexistent-dir/x.jsonl") != NULL);
  g_error_free (err);
  gst_message_unref (msg);
  gst_object_unref (pipeline);
}
GST_END_TEST;

static Suite *
landmark_export_suite (void)
{
  Suite *s = suite_create ("landmarkexport");
  TCase *tc = tcase_create ("general");
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  tcase_add_test (tc, test_lines_match_meta);
  tcase_add_test (tc, test_frames_without_landmarks);
  tcase_add_test (tc, test_null_pts);
  tcase_add_test (tc, test_regions);
  tcase_add_test (tc, test_bus_messages);
  tcase_add_test (tc, test_unwritable_location);
  return s;
}

GST_CHECK_MAIN (landmark_export);
