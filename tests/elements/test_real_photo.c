/* test_real_photo.c: trained-model accuracy on Debian-shipped photos against hand-checked
 * positions (face-lite on skimage's astronaut.png, body-lite on OpenCV's messi5.jpg).
 * Skipped (exit 77) while models/face-lite.bnn and models/body-lite.bnn do not exist. */
#include <math.h>

#include "test_util.h"

#include "gst/landmark/landmarkmeta.h"

#define ASTRONAUT "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
#define MESSI "/usr/share/doc/opencv-doc/examples/data/messi5.jpg"

static gchar *face_model, *body_model;

typedef struct {
  guint x, y, w, h;
  const gchar *type;
} Roi;

static GstPadProbeReturn
add_roi (GstPad * pad, GstPadProbeInfo * info, gpointer user_data)
{
  const Roi *roi = user_data;
  (void) pad;
  GstBuffer *buf = gst_buffer_make_writable (GST_PAD_PROBE_INFO_BUFFER (info));
  gst_buffer_add_video_region_of_interest_meta (buf, roi->type, roi->x, roi->y, roi->w,
      roi->h);
  GST_PAD_PROBE_INFO_DATA (info) = buf;
  return GST_PAD_PROBE_OK;
}

/* Decodes `image`, marks `roi`, runs `model`, returns the output buffer. */
static GstBuffer *
run_photo (const gchar * image, const gchar * decoder, const gchar * model, const Roi * roi)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! %s ! videoconvert ! "
      "video/x-raw,format=RGB ! identity name=roi ! bnnlandmarks model=\"%s\" "
      "min-confidence=0 smoothing=false ! appsink name=sink sync=false", image, decoder,
      model);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL, "%s", desc);
  g_free (desc);
  GstElement *id = gst_bin_get_by_name (GST_BIN (pipeline), "roi");
  GstPad *pad = gst_element_get_static_pad (id, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, add_roi, (gpointer) roi, NULL);
  gst_object_unref (pad);
  gst_object_unref (id);
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstSample *s = NULL;
  g_signal_emit_by_name (sink, "pull-preroll", &s);
  fail_unless (s != NULL);
  GstBuffer *buf = gst_buffer_ref (gst_sample_get_buffer (s));
  gst_sample_unref (s);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  gst_object_unref (pipeline);
  return buf;
}

static void
mean_point (const GstLandmarkInstance * in, guint first, guint last, double *x, double *y)
{
  *x = *y = 0;
  for (guint k = first; k <= last; k++) {
    *x += in->points[k].x;
    *y += in->points[k].y;
  }
  *x /= (last - first + 1);
  *y /= (last - first + 1);
}

static void
expect_near (const gchar * what, double x, double y, double ex, double ey, double tol)
{
  const double d = hypot (x - ex, y - ey);
  g_print ("%-16s found (%6.1f, %6.1f) expected (%6.1f, %6.1f): %5.1f px\n", what, x, y,
      ex, ey, d);
  fail_unless (d <= tol, "%s is %.1f px from the hand-checked position (tolerance %.0f)",
      what, d, tol);
}

GST_START_TEST (test_face_astronaut)
{
  /* the face box, hand-checked on the 512 x 512 photo */
  static const Roi roi = { 170, 65, 110, 125, "face" };
  GstBuffer *buf = run_photo (ASTRONAUT, "pngdec", face_model, &roi);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (buf);
  fail_unless (meta && meta->n_instances == 1);
  const GstLandmarkInstance *in = &meta->instances[0];
  fail_unless_equals_int (in->n_points, 68);
  double x, y;
  /* iBUG 300-W order: 36-41 the subject's right eye (image left), 42-47 the left eye,
   * 30 nose tip, 48 / 54 mouth corners, 8 chin */
  mean_point (in, 36, 41, &x, &y);
  expect_near ("right eye", x, y, 203, 102, 6);
  mean_point (in, 42, 47, &x, &y);
  expect_near ("left eye", x, y, 245, 102, 6);
  expect_near ("nose tip", in->points[30].x, in->points[30].y, 222, 128, 8);
  expect_near ("mouth right", in->points[48].x, in->points[48].y, 203, 142, 8);
  expect_near ("mouth left", in->points[54].x, in->points[54].y, 249, 140, 8);
  expect_near ("chin", in->points[8].x, in->points[8].y, 224, 180, 10);
  gst_buffer_unref (buf);
}
GST_END_TEST;

GST_START_TEST (test_body_messi)
{
  /* the player's box, hand-checked on the 548 x 342 photo */
  static const Roi roi = { 60, 55, 400, 285, "person" };
  static const struct {
    const gchar *name;
    double x, y;
  } expected[] = {
    {"head_top", 235, 65}, {"neck", 240, 120}, {"right_shoulder", 170, 120},
    {"left_shoulder", 290, 130}, {"right_hip", 240, 245}, {"left_hip", 300, 232},
    {"right_wrist", 75, 92}, {"left_wrist", 365, 162},
  };
  GstBuffer *buf = run_photo (MESSI, "jpegdec", body_model, &roi);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (buf);
  fail_unless (meta && meta->n_instances == 1);
  const GstLandmarkInstance *in = &meta->instances[0];
  /* A hard pose (a kick, arms spread). 25 px is PCK@0.2 here (torso, left shoulder to
   * right hip, about 125 px). The body models' target is PCK@0.2 >= 65 % (lite) on val,
   * so demanding all 8 would fail a model that meets its target; at least 6 of 8 (75 %)
   * must be within 25 px, and every point within 60 px (nothing wild). Checked against
   * models that must fail: the first binary body-lite (4 of 8), a mid-training
   * checkpoint (0 of 8). */
  guint close = 0;
  GString *report = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++) {
    gint k = gst_landmark_layout_find_point (in->layout, expected[i].name);
    fail_unless (k >= 0, "the model has no point named %s", expected[i].name);
    const double d = hypot (in->points[k].x - expected[i].x,
        in->points[k].y - expected[i].y);
    g_string_append_printf (report, " %s %.1f px;", expected[i].name, d);
    close += d <= 25.0;
    expect_near (expected[i].name, in->points[k].x, in->points[k].y, expected[i].x,
        expected[i].y, 60);
  }
  fail_unless (close >= 6, "only %u of 8 joints within 25 px:%s", close, report->str);
  g_print ("messi5: %u of 8 joints within 25 px:%s\n", close, report->str);
  g_string_free (report, TRUE);
  gst_buffer_unref (buf);
}
GST_END_TEST;

int
main (int argc, char **argv)
{
  const gchar *dir = g_getenv ("BNNLM_MODELS_DIR");
  gst_check_init (&argc, &argv);
  face_model = g_build_filename (dir ? dir : "models", "face-lite.bnn", NULL);
  body_model = g_build_filename (dir ? dir : "models", "body-lite.bnn", NULL);
  const gboolean face = g_file_test (face_model, G_FILE_TEST_IS_REGULAR)
      && g_file_test (ASTRONAUT, G_FILE_TEST_IS_REGULAR);
  const gboolean body = g_file_test (body_model, G_FILE_TEST_IS_REGULAR)
      && g_file_test (MESSI, G_FILE_TEST_IS_REGULAR);
  if (!face && !body) {
    g_print ("SKIP: no trained model (%s, %s) or photo (%s, %s): the hand-checked "
        "positions are tested once trained models ship\n", face_model, body_model,
        ASTRONAUT, MESSI);
    g_free (face_model);
    g_free (body_model);
    return 77;
  }
  Suite *s = suite_create ("real_photo");
  TCase *tc = tcase_create ("photos");
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  if (face)
    tcase_add_test (tc, test_face_astronaut);
  else
    g_print ("SKIP part: %s missing, face test not run\n", face_model);
  if (body)
    tcase_add_test (tc, test_body_messi);
  else
    g_print ("SKIP part: %s missing, body test not run\n", body_model);
  int failed = gst_check_run_suite (s, "real_photo", __FILE__);
  g_free (face_model);
  g_free (body_model);
  return failed;
}
