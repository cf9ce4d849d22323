/* test_real_photo.c: trained-model accuracy on Debian-shipped photos against hand-checked
 * positions (the face models on skimage's astronaut.png, the body models on OpenCV's
 * basketball1.png). Each shipped model of the task is checked: face-lite and face,
 * body-lite and body, those of them that exist in models/. Skipped (exit 77) while none
 * exists. On CPUs with AVX512-BF16 each is checked again with bf16=true (the same
 * tolerances), and its points are compared with the fp32 run's. With the shipped detector,
 * the face models' verdicts on bnndetect's face regions of basketball1/2.png: the left
 * player's face is kept, the detector's false faces (hands, ball, the right player's collar)
 * are rejected (docs/detector.md, "Verified by the landmark model"). */
#include <math.h>

#include "test_util.h"

#include "bnnlm/bnnlm.h"

#include "gst/landmark/landmarkmeta.h"

#define ASTRONAUT "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
#define BASKETBALL "/usr/share/doc/opencv-doc/examples/data/basketball1.png"
#define BASKETBALL2 "/usr/share/doc/opencv-doc/examples/data/basketball2.png"

/* the shipped models of each task that exist, lite first */
static gchar *face_models[2], *body_models[2];
static gint n_face, n_body;
static gint n_precisions = 1; /* 2: also bf16=true */
static gchar *detector;      /* models/detect.bnn, when shipped */

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
run_photo (const gchar * image, const gchar * decoder, const gchar * model, gboolean bf16,
    const Roi * roi)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! %s ! videoconvert ! "
      "video/x-raw,format=RGB ! identity name=roi ! bnnlandmarks model=\"%s\" bf16=%s "
      "min-confidence=0 smoothing=false ! appsink name=sink sync=false", image, decoder,
      model, bf16 ? "true" : "false");
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL, "%s", desc);
  g_free (desc);
  GstElement *id = gst_bin_get_by_name (GST_BIN (pipeline), "roi");
  GstPad *pad = gst_element_get_static_pad (id, "src");
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, add_roi, (gpointer) roi, NULL);
  gst_object_unref (pad);
  gst_object_unref (id);
  GstBuffer *buf = preroll_buffer (pipeline);
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

/* The loop index of a test: model m of its task, bf16 or not (fp32 runs come first). */
static void
which_run (gint i, gint n_models, const gchar * const *models, gint * m, gboolean * bf16)
{
  *m = i % n_models;
  *bf16 = i >= n_models;
  g_print ("%s%s\n", models[*m], *bf16 ? " (bf16=true)" : "");
}

/* Prints how far a bf16 run's points are from the same model's fp32 run on the same photo.
 * Not asserted: the bf16 run is held to the same hand-checked positions as fp32 (below),
 * which a broken bf16 path fails. A bf16 rounding can flip a binarization threshold and move
 * a point whose heatmap has two similar peaks (a body model's wrist) far; on the val sets the
 * accuracy is the same (docs/engine.md, "bfloat16 real-valued layers"). */
static void
compare_fp32 (const GstLandmarkInstance * in, const gchar * image, const gchar * model,
    const Roi * roi)
{
  GstBuffer *ref = run_photo (image, "pngdec", model, FALSE, roi);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (ref);
  fail_unless (meta && meta->n_instances == 1 && meta->instances[0].n_points == in->n_points);
  const GstLandmarkPoint *fp32 = meta->instances[0].points;
  double sum = 0, worst = 0;
  for (guint k = 0; k < in->n_points; k++) {
    const double d = hypot (in->points[k].x - fp32[k].x, in->points[k].y - fp32[k].y);
    sum += d;
    worst = MAX (worst, d);
  }
  g_print ("bf16 against fp32: mean %.2f px, worst %.1f px over %u points\n",
      sum / in->n_points, worst, in->n_points);
  gst_buffer_unref (ref);
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
  gint m;
  gboolean bf16;
  which_run (__i__, n_face, (const gchar * const *) face_models, &m, &bf16);
  GstBuffer *buf = run_photo (ASTRONAUT, "pngdec", face_models[m], bf16, &roi);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (buf);
  fail_unless (meta && meta->n_instances == 1);
  const GstLandmarkInstance *in = &meta->instances[0];
  fail_unless_equals_int (in->n_points, 68);
  if (bf16)
    compare_fp32 (in, ASTRONAUT, face_models[m], &roi);
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

GST_START_TEST (test_body_basketball)
{
  /* The left player of basketball1.png (640 x 480, upright, holding a ball at his chest),
   * his box and joints hand-checked on a 2x zoom (docs/predict-body-lite-basketball1.png). */
  static const Roi roi = { 35, 80, 125, 400, "person" };
  static const struct {
    const gchar *name;
    double x, y;
  } trunk[] = {
    {"head_top", 80, 85}, {"neck", 87, 137}, {"right_shoulder", 52, 147},
    {"left_shoulder", 120, 150}, {"right_hip", 60, 285}, {"left_hip", 115, 285},
  };
  gint m;
  gboolean bf16;
  which_run (__i__, n_body, (const gchar * const *) body_models, &m, &bf16);
  GstBuffer *buf = run_photo (BASKETBALL, "pngdec", body_models[m], bf16, &roi);
  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (buf);
  fail_unless (meta && meta->n_instances == 1);
  const GstLandmarkInstance *in = &meta->instances[0];
  fail_unless_equals_int (in->n_points, 14);
  if (bf16)
    compare_fp32 (in, BASKETBALL, body_models[m], &roi);
  /* Head and trunk, each within PCK@0.2 of this torso (left shoulder to right hip, about
   * 148 px: 30 px). This is the element's check (crop, letterbox and the way back to
   * frame pixels), not the accuracy bar: body-lite is below its val target (models/
   * README.md, measured by training/evaluate.py) and its arms are the weak part, so the
   * wrists and elbows are held only to the sanity bound below. Checked against cases that
   * must fail: the first-cycle body-lite (neck 33 px off), and the shipped model with the
   * box moved by a third of its width either way (a hip or shoulder 38-83 px off). */
  GString *report = g_string_new (NULL);
  for (guint i = 0; i < G_N_ELEMENTS (trunk); i++) {
    gint k = gst_landmark_layout_find_point (in->layout, trunk[i].name);
    fail_unless (k >= 0, "the model has no point named %s", trunk[i].name);
    g_string_append_printf (report, " %s %.1f px;", trunk[i].name,
        hypot (in->points[k].x - trunk[i].x, in->points[k].y - trunk[i].y));
    expect_near (trunk[i].name, in->points[k].x, in->points[k].y, trunk[i].x, trunk[i].y,
        30);
  }
  g_print ("basketball1: trunk joints off by%s\n", report->str);
  g_string_free (report, TRUE);
  /* Every point on the player: inside his box grown by half its size on each side. */
  for (guint k = 0; k < in->n_points; k++) {
    fail_unless (in->points[k].x >= roi.x - roi.w / 2.0
        && in->points[k].x <= roi.x + 1.5 * roi.w
        && in->points[k].y >= roi.y - roi.h / 2.0
        && in->points[k].y <= roi.y + 1.5 * roi.h, "point %u (%.1f, %.1f) is off the player",
        k, in->points[k].x, in->points[k].y);
  }
  gst_buffer_unref (buf);
}
GST_END_TEST;

/* `bnndetect classes=face ! bnnlandmarks model=face_model` on a photo (defaults otherwise):
 * the verdict of each face region. The left player's head, hand-checked on both frames,
 * spans about x 55-115, y 80-140; a region centred there is his face. */
static void
face_verdicts (const gchar * image, const gchar * face_model, guint * kept_face,
    guint * rejected_other, double *face_score, double *best_other)
{
  gchar *desc = g_strdup_printf ("filesrc location=\"%s\" ! pngdec ! videoconvert ! "
      "bnndetect model=\"%s\" classes=face ! bnnlandmarks model=\"%s\" ! "
      "appsink name=sink sync=false", image, detector, face_model);
  GstElement *pipeline = gst_parse_launch (desc, NULL);
  fail_unless (pipeline != NULL, "%s", desc);
  g_free (desc);
  GstBuffer *buf = preroll_buffer (pipeline);
  *kept_face = *rejected_other = 0;
  *face_score = *best_other = -1.0;
  gpointer state = NULL;
  GstMeta *m;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    GstStructure *v = gst_video_region_of_interest_meta_get_param (roi, "landmarks");
    gboolean kept = FALSE;
    gdouble score = -1.0;
    fail_unless (v && gst_structure_get_boolean (v, "kept", &kept)
        && gst_structure_get_double (v, "score", &score), "a face region without verdict");
    const double cx = roi->x + roi->w / 2.0, cy = roi->y + roi->h / 2.0;
    const gboolean face = cx >= 50 && cx <= 120 && cy >= 70 && cy <= 150;
    g_print ("%s: region %u,%u %ux%u %s, score %.3f, %s\n", image, roi->x, roi->y, roi->w,
        roi->h, face ? "(his face)" : "(not a face)", score, kept ? "kept" : "rejected");
    if (face) {
      *kept_face += kept;
      *face_score = MAX (*face_score, score);
    } else {
      *rejected_other += !kept;
      *best_other = MAX (*best_other, score);
      fail_if (kept, "a false face region is kept");
    }
  }
  gst_buffer_unref (buf);
  gst_object_unref (pipeline);
}

GST_START_TEST (test_face_regions_verified)
{
  const gchar *model = face_models[__i__];
  g_print ("%s\n", model);
  guint kept, rejected;
  double face, other;
  /* basketball2: the detector finds his face (0.45), the ball (0.27) and the collar (0.27) */
  face_verdicts (BASKETBALL2, model, &kept, &rejected, &face, &other);
  fail_unless_equals_int (kept, 1);
  fail_unless (rejected >= 2, "%u false faces rejected, expected the ball and the collar",
      rejected);
  /* basketball1: his face scores highest; the false ones are rejected (above) */
  face_verdicts (BASKETBALL, model, &kept, &rejected, &face, &other);
  fail_unless (face > other && rejected >= 1, "face %.3f, best other %.3f", face, other);
}
GST_END_TEST;

/* Appends dir/name to models[] when it is a file; returns the new count. */
static gint
add_model (gchar ** models, gint n, const gchar * dir, const gchar * name)
{
  gchar *path = g_build_filename (dir, name, NULL);
  if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
    models[n++] = path;
  else {
    g_print ("not shipped (not checked): %s\n", path);
    g_free (path);
  }
  return n;
}

int
main (int argc, char **argv)
{
  const gchar *dir = g_getenv ("BNNLM_MODELS_DIR");
  if (!dir)
    dir = "models";
  gst_check_init (&argc, &argv);
  if (g_file_test (ASTRONAUT, G_FILE_TEST_IS_REGULAR)) {
    n_face = add_model (face_models, n_face, dir, "face-lite.bnn");
    n_face = add_model (face_models, n_face, dir, "face.bnn");
  }
  if (g_file_test (BASKETBALL, G_FILE_TEST_IS_REGULAR)) {
    n_body = add_model (body_models, n_body, dir, "body-lite.bnn");
    n_body = add_model (body_models, n_body, dir, "body.bnn");
  }
  gchar *det = g_build_filename (dir, "detect.bnn", NULL);
  if (g_file_test (det, G_FILE_TEST_IS_REGULAR) && g_file_test (BASKETBALL2,
          G_FILE_TEST_IS_REGULAR))
    detector = det;
  else
    g_free (det);
  if (n_face == 0 && n_body == 0) {
    g_print ("SKIP: no trained model in %s or no photo (%s, %s): the hand-checked "
        "positions are tested once trained models ship\n", dir, ASTRONAUT, BASKETBALL);
    return 77;
  }
  if (bnn_bf16_supported ())
    n_precisions = 2;
  else
    g_print ("this CPU has no AVX512-BF16: bf16=true not checked\n");
  Suite *s = suite_create ("real_photo");
  TCase *tc = tcase_create ("photos");
  tcase_set_timeout (tc, 30);
  suite_add_tcase (s, tc);
  if (n_face > 0)
    tcase_add_loop_test (tc, test_face_astronaut, 0, n_face * n_precisions);
  else
    g_print ("SKIP part: no face model or no astronaut.png, face test not run\n");
  if (n_face > 0 && detector)
    tcase_add_loop_test (tc, test_face_regions_verified, 0, n_face);
  else
    g_print ("SKIP part: no face model, detect.bnn or basketball2.png: verdicts not tested\n");
  if (n_body > 0)
    tcase_add_loop_test (tc, test_body_basketball, 0, n_body * n_precisions);
  else
    g_print ("SKIP part: no body model or no basketball1.png, body test not run\n");
  int failed = gst_check_run_suite (s, "real_photo", __FILE__);
  for (gint i = 0; i < n_face; i++)
    g_free (face_models[i]);
  for (gint i = 0; i < n_body; i++)
    g_free (body_models[i]);
  g_free (detector);
  return failed;
}
