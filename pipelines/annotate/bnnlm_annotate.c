/* bnnlm_annotate.c: bnnlm-annotate, the recorded-video use: any file GStreamer decodes ->
 * H.264 MP4 with the landmarks drawn in, audio kept, JSON lines beside it, progress shown. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include "bnnlm/bnnlm.h"

/* The pipeline (offline: no sink syncs to the clock, nothing drops or skips a frame):
 *
 *   uridecodebin --video--> queue ! videoconvert [! imagefreeze ! 25 fps, for a still image]
 *       [! bnndetect, with --detect | ! facedetect, with --detect-faces] ! bnnlandmarks ! landmarkexport location=JSON ! landmarkoverlay ! videoconvert
 *       ! I420 ! x264enc ! h264parse ! queue --> mp4mux ! filesink location=OUT
 *                --audio--> queue ! audioconvert ! audioresample ! AAC encoder --------^
 *                --other--> fakesink
 *
 * The input is probed first (GstDiscoverer) so that the audio branch exists exactly when the
 * input has an audio stream: mp4mux waits for every pad it was given.
 *
 * Exit codes: 0 done, 1 bad command line, 2 input cannot be read or has no video,
 * 3 model problem, 4 output cannot be written, 5 other failure, 130 interrupted twice. */

#define PROG "bnnlm-annotate"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_INPUT = 2, EXIT_MODEL = 3, EXIT_OUTPUT = 4,
       EXIT_OTHER = 5 };

typedef struct {
  /* command line */
  gchar *in, *out, *json, *model, *preset, *isa, *detect_model;
  gint threads, quality, interval, still_frames, max_instances, detect_tiles;
  gdouble min_confidence;
  gboolean no_audio, quiet, progress_lines, detect_faces, flip_test, no_detect;
  gint flip_arg; /* -1 --no-flip-test, 1 --flip-test, 0 the default (on with a flip table) */

  /* probe results */
  gchar *uri;
  gboolean has_audio, is_image;
  GstClockTime duration;
  guint n_video, n_audio;

  /* pipeline */
  GstElement *pipeline, *video_in, *audio_in, *landmarks, *detector;
  gboolean video_linked, audio_linked;
  GMainLoop *loop;
  int exit_code;
  gboolean eos_sent;

  /* progress, written by the streaming thread */
  GMutex lock;
  guint64 frames;
  GstClockTime position;   /* stream time of the last frame */
  GstSegment segment;      /* the video's, at the encoder */
  GstSegment in_segment;   /* the video's, where it leaves the decoder */
  GstClockTime last_end;   /* running time of the end of the last decoded video frame */
  GstSegment audio_segment;
  GstClockTime cut;        /* after Ctrl-C: audio from this running time on is dropped */
  gint64 t_start, t_last_report;
  gint last_decile;
  gboolean tty;
  gboolean line_open;
} App;

static void
usage (FILE *f)
{
  fprintf (f,
    "usage: " PROG " [options] IN OUT.mp4\n"
    "Draws body or face landmarks on a video (or image) file IN into an H.264 MP4 OUT and\n"
    "writes them as JSON lines beside it (OUT with .jsonl); an audio track is kept (AAC).\n"
    "options:\n"
    "  --model M             .bnn file or shipped name (body, face, body-lite, face-lite);\n"
    "                        default body-lite\n"
    "  --json FILE           JSON-lines file (default: OUT with .jsonl)\n"
    "  --threads N           network threads (default 0: one per core)\n"
    "  --isa ISA             auto, scalar, avx2, avx512, neon (default auto)\n"
    "  --inference-interval N  run the network on every Nth frame (default 1)\n"
    "  --min-confidence C    points below C are not drawn (default 0.2)\n"
    "  --flip-test           run each crop as it is and mirrored and average: more accurate\n"
    "                        points (face-lite val NME 7.25 -> 6.56 %%), twice the network time;\n"
    "                        the default when the model has a flip table (an offline tool)\n"
    "  --no-flip-test        one network run per crop\n"
    "  --quality Q           x264 constant quality, 0 best .. 51 worst (default 23)\n"
    "  --speed PRESET        x264 speed preset: ultrafast .. veryslow (default veryfast)\n"
    "  --still-frames N      frames made from a still image, at 25 fps (default 25)\n"
    "  --detect              find persons and faces with the project's detector (element\n"
    "                        bnndetect, model detect) and run the model on each one; the\n"
    "                        default when models/detect.bnn is installed\n"
    "  --no-detect           no detector: the model sees the whole frame (one subject,\n"
    "                        followed by its tracker)\n"
    "  --detect-model M      the detector's model (default detect; implies --detect)\n"
    "  --detect-tiles N      the detector also looks at N x N tiles, for people small in\n"
    "                        the frame (bnndetect tiles; 1..4, default 1; implies --detect)\n"
    "  --max-instances N     most subjects per frame, 1..16 (default 4)\n"
    "  --detect-faces        find faces with OpenCV's facedetect (gstreamer1.0-opencv) and\n"
    "                        run a face model on each (else it sees the whole frame)\n"
    "  --no-audio            drop the audio track\n"
    "  --progress-lines      progress as separate lines even on a terminal\n"
    "  --quiet               no progress\n"
    "IN can also be a URI. Ctrl-C finishes the file with what was done so far.\n");
}

static gboolean
parse_int (const char *s, gint lo, gint hi, gint *out)
{
  char *end;
  errno = 0;
  long v = strtol (s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi)
    return FALSE;
  *out = (gint) v;
  return TRUE;
}

/* Returns 0 to go on, 1 after --help, -1 on a bad command line. */
static int
parse_args (App *app, int argc, char **argv)
{
  gchar *positional[2] = { NULL, NULL };
  int npos = 0;
  app->model = g_strdup ("body-lite");
  app->preset = g_strdup ("veryfast");
  app->isa = g_strdup ("auto");
  app->quality = 23;
  app->interval = 1;
  app->still_frames = 25;
  app->min_confidence = 0.2;
  app->max_instances = 4;
  app->detect_tiles = 1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VALUE()                                                    \
    do {                                                                \
      if (!v) {                                                         \
        fprintf (stderr, PROG ": %s needs a value\n", a);               \
        return -1;                                                      \
      }                                                                 \
      i++;                                                              \
    } while (0)
    if (!strcmp (a, "-h") || !strcmp (a, "--help")) {
      usage (stdout);
      return 1;
    } else if (!strcmp (a, "--model")) {
      NEED_VALUE (); g_free (app->model); app->model = g_strdup (v);
    } else if (!strcmp (a, "--json")) {
      NEED_VALUE (); g_free (app->json); app->json = g_strdup (v);
    } else if (!strcmp (a, "--isa")) {
      NEED_VALUE (); g_free (app->isa); app->isa = g_strdup (v);
    } else if (!strcmp (a, "--speed")) {
      NEED_VALUE (); g_free (app->preset); app->preset = g_strdup (v);
    } else if (!strcmp (a, "--threads")) {
      NEED_VALUE ();
      if (!parse_int (v, 0, 64, &app->threads)) goto bad_value;
    } else if (!strcmp (a, "--quality")) {
      NEED_VALUE ();
      if (!parse_int (v, 0, 51, &app->quality)) goto bad_value;
    } else if (!strcmp (a, "--inference-interval")) {
      NEED_VALUE ();
      if (!parse_int (v, 1, 1000, &app->interval)) goto bad_value;
    } else if (!strcmp (a, "--still-frames")) {
      NEED_VALUE ();
      if (!parse_int (v, 1, 100000, &app->still_frames)) goto bad_value;
    } else if (!strcmp (a, "--min-confidence")) {
      NEED_VALUE ();
      char *end;
      app->min_confidence = g_ascii_strtod (v, &end);
      if (end == v || *end || !(app->min_confidence >= 0 && app->min_confidence <= 1))
        goto bad_value;
    } else if (!strcmp (a, "--detect")) {
      if (!app->detect_model)
        app->detect_model = g_strdup ("detect");
    } else if (!strcmp (a, "--detect-model")) {
      NEED_VALUE (); g_free (app->detect_model); app->detect_model = g_strdup (v);
    } else if (!strcmp (a, "--detect-tiles")) {
      NEED_VALUE ();
      if (!parse_int (v, 1, 4, &app->detect_tiles)) goto bad_value;
      if (!app->detect_model)
        app->detect_model = g_strdup ("detect");
    } else if (!strcmp (a, "--max-instances")) {
      NEED_VALUE ();
      if (!parse_int (v, 1, 16, &app->max_instances)) goto bad_value;
    } else if (!strcmp (a, "--detect-faces")) {
      app->detect_faces = TRUE;
    } else if (!strcmp (a, "--no-detect")) {
      app->no_detect = TRUE;
    } else if (!strcmp (a, "--flip-test")) {
      app->flip_arg = 1;
    } else if (!strcmp (a, "--no-flip-test")) {
      app->flip_arg = -1;
    } else if (!strcmp (a, "--no-audio")) {
      app->no_audio = TRUE;
    } else if (!strcmp (a, "--quiet")) {
      app->quiet = TRUE;
    } else if (!strcmp (a, "--progress-lines")) {
      app->progress_lines = TRUE;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf (stderr, PROG ": unknown option %s\n", a);
      return -1;
    } else if (npos < 2) {
      positional[npos++] = (gchar *) a;
    } else {
      fprintf (stderr, PROG ": unexpected argument %s\n", a);
      return -1;
    }
    continue;
  bad_value:
    fprintf (stderr, PROG ": bad value for %s: %s\n", a, v);
    return -1;
#undef NEED_VALUE
  }
  if (npos != 2) {
    usage (stderr);
    return -1;
  }
  if ((app->detect_model != NULL) + app->detect_faces + app->no_detect > 1) {
    fprintf (stderr, PROG ": --detect/--detect-model/--detect-tiles, --detect-faces and "
        "--no-detect exclude each other\n");
    return -1;
  }
  /* The flip test by default when the model can do it: offline, the network's time is
   * small next to decoding and encoding, and the points are better. */
  if (app->flip_arg == 0) {
    char mpath[4096], err[256];
    bnn_model *m = bnn_model_resolve (app->model, mpath, sizeof mpath) == 0
        ? bnn_model_load_file (mpath, err, sizeof err) : NULL;
    app->flip_test = m && bnn_model_get_info (m)->flip != NULL;
    bnn_model_free (m); /* a bad model is the element's to report */
  } else {
    app->flip_test = app->flip_arg > 0;
  }
  /* By default the shipped detector finds every person and face, when it is installed:
   * the landmark models alone see the whole frame, where one subject is small. */
  char found[4096];
  if (!app->detect_model && !app->detect_faces && !app->no_detect
      && bnn_model_resolve ("detect", found, sizeof found) == 0)
    app->detect_model = g_strdup (found);
  app->in = g_strdup (positional[0]);
  app->out = g_strdup (positional[1]);
  if (!app->json) {
    const char *slash = strrchr (app->out, '/');
    const char *dot = strrchr (app->out, '.');
    gsize stem = (dot && (!slash || dot > slash + 1)) ? (gsize) (dot - app->out)
                                                      : strlen (app->out);
    app->json = g_strdup_printf ("%.*s.jsonl", (int) stem, app->out);
  }
  if (!strcmp (app->json, app->out)) {
    fprintf (stderr, PROG ": the JSON-lines file would overwrite the video %s\n", app->out);
    return -1;
  }
  return 0;
}

/* ---- input probe ---------------------------------------------------------------------- */

static int
probe_input (App *app)
{
  GError *err = NULL;
  if (gst_uri_is_valid (app->in)) {
    app->uri = g_strdup (app->in);
  } else {
    if (!g_file_test (app->in, G_FILE_TEST_IS_REGULAR)) {
      fprintf (stderr, PROG ": no such input file: %s\n", app->in);
      return EXIT_INPUT;
    }
    app->uri = gst_filename_to_uri (app->in, &err);
    if (!app->uri) {
      fprintf (stderr, PROG ": %s: %s\n", app->in, err->message);
      g_error_free (err);
      return EXIT_INPUT;
    }
  }

  GstDiscoverer *disc = gst_discoverer_new (30 * GST_SECOND, &err);
  if (!disc) {
    fprintf (stderr, PROG ": cannot probe the input: %s\n", err->message);
    g_error_free (err);
    return EXIT_OTHER;
  }
  GstDiscovererInfo *info = gst_discoverer_discover_uri (disc, app->uri, &err);
  GstDiscovererResult res = info ? gst_discoverer_info_get_result (info)
                                 : GST_DISCOVERER_ERROR;
  int rc = EXIT_OK;
  if (res == GST_DISCOVERER_MISSING_PLUGINS) {
    const gchar **desc = gst_discoverer_info_get_missing_elements_installer_details (info);
    fprintf (stderr, PROG ": %s: GStreamer lacks a plugin to decode it%s%s\n", app->in,
             desc && desc[0] ? ": " : "", desc && desc[0] ? desc[0] : "");
    rc = EXIT_INPUT;
  } else if (res == GST_DISCOVERER_TIMEOUT) {
    fprintf (stderr, PROG ": %s: probing the file timed out\n", app->in);
    rc = EXIT_INPUT;
  } else if (res != GST_DISCOVERER_OK) {
    fprintf (stderr, PROG ": %s: cannot decode it: %s\n", app->in,
             err ? err->message : "unknown error");
    rc = EXIT_INPUT;
  } else {
    GList *vs = gst_discoverer_info_get_video_streams (info);
    GList *as = gst_discoverer_info_get_audio_streams (info);
    app->n_video = g_list_length (vs);
    app->n_audio = g_list_length (as);
    if (vs)
      app->is_image = gst_discoverer_video_info_is_image (GST_DISCOVERER_VIDEO_INFO (vs->data));
    app->duration = gst_discoverer_info_get_duration (info);
    if (app->duration == 0)
      app->duration = GST_CLOCK_TIME_NONE;
    gst_discoverer_stream_info_list_free (vs);
    gst_discoverer_stream_info_list_free (as);
    if (app->n_video == 0) {
      fprintf (stderr, PROG ": %s has no video stream\n", app->in);
      rc = EXIT_INPUT;
    }
    app->has_audio = app->n_audio > 0 && !app->no_audio && !app->is_image;
  }
  g_clear_error (&err);
  if (info)
    gst_discoverer_info_unref (info);
  g_object_unref (disc);
  return rc;
}

/* ---- pipeline --------------------------------------------------------------------------- */

static GstElement *
make (const char *factory, const char *name)
{
  GstElement *e = gst_element_factory_make (factory, name);
  if (!e)
    fprintf (stderr, PROG ": GStreamer element '%s' is missing%s\n", factory,
             !strcmp (factory, "bnnlandmarks") || !strcmp (factory, "landmarkoverlay") ||
             !strcmp (factory, "landmarkexport")
               ? " (set GST_PLUGIN_PATH to the build's plugin/ directory, or install the plugin)"
               : "");
  return e;
}

/* Builds a linked chain of elements from a NULL-terminated list, adds it to the bin. */
static gboolean
add_chain (GstBin *bin, GstElement **chain)
{
  for (int i = 0; chain[i]; i++) {
    gst_bin_add (bin, chain[i]);
    if (i > 0 && !gst_element_link (chain[i - 1], chain[i])) {
      fprintf (stderr, PROG ": cannot link %s to %s\n", GST_ELEMENT_NAME (chain[i - 1]),
               GST_ELEMENT_NAME (chain[i]));
      return FALSE;
    }
  }
  return TRUE;
}

static GstPadProbeReturn
count_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  App *app = user_data;
  (void) pad;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    g_mutex_lock (&app->lock);
    app->frames++;
    if (GST_BUFFER_PTS_IS_VALID (buf)) {
      GstClockTime st = gst_segment_to_stream_time (&app->segment, GST_FORMAT_TIME,
                                                    GST_BUFFER_PTS (buf));
      if (GST_CLOCK_TIME_IS_VALID (st))
        app->position = st;
    }
    g_mutex_unlock (&app->lock);
  } else if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      const GstSegment *seg;
      gst_event_parse_segment (ev, &seg);
      g_mutex_lock (&app->lock);
      if (seg->format == GST_FORMAT_TIME)
        gst_segment_copy_into (seg, &app->segment);
      g_mutex_unlock (&app->lock);
    }
  }
  return GST_PAD_PROBE_OK;
}

/* Where the video leaves the decoder: the end of the last frame the output will have if
 * Ctrl-C comes now (the frames queued behind it are still encoded). */
static GstPadProbeReturn
video_in_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  App *app = user_data;
  (void) pad;
  g_mutex_lock (&app->lock);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      const GstSegment *seg;
      gst_event_parse_segment (ev, &seg);
      if (seg->format == GST_FORMAT_TIME)
        gst_segment_copy_into (seg, &app->in_segment);
    }
  } else {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime rt = GST_BUFFER_PTS_IS_VALID (buf)
        ? gst_segment_to_running_time (&app->in_segment, GST_FORMAT_TIME, GST_BUFFER_PTS (buf))
        : GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (rt))
      app->last_end = rt + (GST_BUFFER_DURATION_IS_VALID (buf) ? GST_BUFFER_DURATION (buf) : 0);
  }
  g_mutex_unlock (&app->lock);
  return GST_PAD_PROBE_OK;
}

/* On the audio encoder's input: after Ctrl-C the audio stops where the video stops. */
static GstPadProbeReturn
audio_cut_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  App *app = user_data;
  (void) pad;
  GstPadProbeReturn ret = GST_PAD_PROBE_OK;
  g_mutex_lock (&app->lock);
  if (info->type & GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM) {
    GstEvent *ev = GST_PAD_PROBE_INFO_EVENT (info);
    if (GST_EVENT_TYPE (ev) == GST_EVENT_SEGMENT) {
      const GstSegment *seg;
      gst_event_parse_segment (ev, &seg);
      if (seg->format == GST_FORMAT_TIME)
        gst_segment_copy_into (seg, &app->audio_segment);
    }
  } else if (GST_CLOCK_TIME_IS_VALID (app->cut)) {
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER (info);
    GstClockTime rt = GST_BUFFER_PTS_IS_VALID (buf)
        ? gst_segment_to_running_time (&app->audio_segment, GST_FORMAT_TIME,
                                       GST_BUFFER_PTS (buf))
        : GST_CLOCK_TIME_NONE;
    if (GST_CLOCK_TIME_IS_VALID (rt) && rt >= app->cut)
      ret = GST_PAD_PROBE_DROP;
  }
  g_mutex_unlock (&app->lock);
  return ret;
}

static void
on_pad_added (GstElement *dec, GstPad *pad, gpointer user_data)
{
  App *app = user_data;
  GstCaps *caps = gst_pad_get_current_caps (pad);
  if (!caps)
    caps = gst_pad_query_caps (pad, NULL);
  const gchar *name = gst_structure_get_name (gst_caps_get_structure (caps, 0));
  GstElement *target = NULL;
  if (g_str_has_prefix (name, "video/x-raw") && !app->video_linked) {
    target = app->video_in;
    app->video_linked = TRUE;
  } else if (g_str_has_prefix (name, "audio/x-raw") && app->audio_in && !app->audio_linked) {
    target = app->audio_in;
    app->audio_linked = TRUE;
  }
  gst_caps_unref (caps);
  if (!target) {
    /* a second video or audio stream, subtitles, ...: consumed and dropped */
    GstElement *sink = gst_element_factory_make ("fakesink", NULL);
    g_object_set (sink, "sync", FALSE, "async", FALSE, NULL);
    gst_bin_add (GST_BIN (app->pipeline), sink);
    gst_element_sync_state_with_parent (sink);
    target = sink;
  }
  GstPad *sinkpad = gst_element_get_static_pad (target, "sink");
  GstPadLinkReturn lr = gst_pad_link (pad, sinkpad);
  if (lr != GST_PAD_LINK_OK)
    GST_ELEMENT_ERROR (dec, CORE, NEGOTIATION, (NULL),
                       ("cannot link decoder pad %s: %s", GST_PAD_NAME (pad),
                        gst_pad_link_get_name (lr)));
  gst_object_unref (sinkpad);
}

static void
on_no_more_pads (GstElement *dec, gpointer user_data)
{
  App *app = user_data;
  (void) dec;
  /* The probe saw audio but the decoder exposed none (e.g. undecodable): end that branch,
   * or the muxer would wait for it forever. */
  if (app->audio_in && !app->audio_linked) {
    fprintf (stderr, PROG ": warning: the audio stream could not be decoded; "
             "the output has no audio\n");
    GstPad *p = gst_element_get_static_pad (app->audio_in, "sink");
    gst_pad_send_event (p, gst_event_new_eos ());
    gst_object_unref (p);
  }
}

static GstElement *
make_aac_encoder (void)
{
  /* gstreamer1.0-libav's avenc_aac, else voaacenc (gstreamer1.0-plugins-bad) */
  static const char *const names[] = { "avenc_aac", "voaacenc", "fdkaacenc", NULL };
  for (int i = 0; names[i]; i++) {
    GstElement *e = gst_element_factory_make (names[i], "aacenc");
    if (e)
      return e;
  }
  fprintf (stderr, PROG ": no AAC encoder (install gstreamer1.0-libav for avenc_aac); "
           "use --no-audio to drop the audio\n");
  return NULL;
}

static gboolean
build_pipeline (App *app)
{
  GstBin *bin;
  app->pipeline = gst_pipeline_new ("annotate");
  bin = GST_BIN (app->pipeline);

  GstElement *dec = make ("uridecodebin", "decode");
  GstElement *mux = make ("mp4mux", "mux");
  GstElement *sink = make ("filesink", "sink");
  if (!dec || !mux || !sink)
    return FALSE;
  g_object_set (dec, "uri", app->uri, NULL);
  g_object_set (sink, "location", app->out, "sync", FALSE, "async", FALSE, NULL);
  /* moov atom at the front (the muxer writes a temporary file), so players can start at once */
  g_object_set (mux, "faststart", TRUE, NULL);
  gst_bin_add_many (bin, dec, mux, sink, NULL);
  if (!gst_element_link (mux, sink))
    return FALSE;

  /* video */
  GstElement *vq = make ("queue", "vqueue");
  GstElement *conv1 = make ("videoconvert", "conv-in");
  GstElement *freeze = NULL, *rate = NULL, *faces = NULL, *detector = NULL;
  GstElement *lm = make ("bnnlandmarks", "landmarks");
  GstElement *exp = make ("landmarkexport", "export");
  GstElement *ovl = make ("landmarkoverlay", "overlay");
  GstElement *conv2 = make ("videoconvert", "conv-out");
  GstElement *i420 = make ("capsfilter", "i420");
  GstElement *enc = make ("x264enc", "h264enc");
  GstElement *parse = make ("h264parse", NULL);
  GstElement *vmq = make ("queue", "vmuxqueue");
  if (!vq || !conv1 || !lm || !exp || !ovl || !conv2 || !i420 || !enc || !parse || !vmq)
    return FALSE;
  if (app->is_image) {
    freeze = make ("imagefreeze", NULL);
    rate = make ("capsfilter", "still-rate");
    if (!freeze || !rate)
      return FALSE;
    g_object_set (freeze, "num-buffers", app->still_frames, NULL);
    GstCaps *rc = gst_caps_from_string ("video/x-raw,framerate=25/1");
    g_object_set (rate, "caps", rc, NULL);
    gst_caps_unref (rc);
  }
  if (app->detect_faces) {
    /* OpenCV complains on stderr about cascades Debian does not ship (nose, mouth, eyes),
     * which facedetect loads by default and this use does not need */
    g_setenv ("OPENCV_LOG_LEVEL", "FATAL", FALSE);
    faces = make ("facedetect", "faces");
    if (!faces) {
      fprintf (stderr, PROG ": --detect-faces needs gstreamer1.0-opencv\n");
      return FALSE;
    }
    /* it attaches a GstVideoRegionOfInterestMeta of type "face" per face found */
    g_object_set (faces, "display", FALSE, "min-size-width", 48, "min-size-height", 48,
                  NULL);
  }
  if (app->detect_model) {
    detector = make ("bnndetect", "detector");
    if (!detector)
      return FALSE;
    /* it attaches a GstVideoRegionOfInterestMeta of type "person" or "face" per find */
    g_object_set (detector, "model", app->detect_model, "threads", app->threads,
                  "tiles", (guint) app->detect_tiles, NULL);
  }
  g_object_set (lm, "model", app->model, "max-instances", (guint) app->max_instances, "threads", app->threads,
                "inference-interval", (guint) app->interval,
                "min-confidence", (gfloat) app->min_confidence, "flip-test", app->flip_test,
                "skip-when-busy", FALSE, "qos", FALSE, NULL);
  gst_util_set_object_arg (G_OBJECT (lm), "isa", app->isa);
  g_object_set (exp, "location", app->json, NULL);
  g_object_set (ovl, "min-confidence", app->min_confidence, NULL);
  GstCaps *caps = gst_caps_from_string ("video/x-raw,format=I420");
  g_object_set (i420, "caps", caps, NULL);
  gst_caps_unref (caps);
  gst_util_set_object_arg (G_OBJECT (enc), "speed-preset", app->preset);
  gst_util_set_object_arg (G_OBJECT (enc), "pass", "qual");
  g_object_set (enc, "quantizer", (guint) app->quality, NULL);
  /* the encoder's look-ahead delays video against audio: the mux queues take the slack */
  g_object_set (vmq, "max-size-buffers", 0u, "max-size-bytes", 0u,
                "max-size-time", (guint64) 0, NULL);
  GstElement *vchain[16];
  int n = 0;
  vchain[n++] = vq;
  vchain[n++] = conv1;
  if (freeze) {
    vchain[n++] = freeze;
    vchain[n++] = rate;
  }
  if (faces)
    vchain[n++] = faces;
  if (detector)
    vchain[n++] = detector;
  vchain[n++] = lm;
  vchain[n++] = exp;
  vchain[n++] = ovl;
  vchain[n++] = conv2;
  vchain[n++] = i420;
  vchain[n++] = enc;
  vchain[n++] = parse;
  vchain[n++] = vmq;
  vchain[n] = NULL;
  if (!add_chain (bin, vchain) || !gst_element_link (vmq, mux))
    return FALSE;
  app->video_in = vq;
  app->landmarks = lm;
  app->detector = detector;

  GstPad *p = gst_element_get_static_pad (enc, "sink");
  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     count_probe, app, NULL);
  gst_object_unref (p);
  p = gst_element_get_static_pad (vq, "sink");
  gst_pad_add_probe (p, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                     video_in_probe, app, NULL);
  gst_object_unref (p);

  /* audio */
  if (app->has_audio) {
    GstElement *aq = make ("queue", "aqueue");
    GstElement *ac = make ("audioconvert", NULL);
    GstElement *ar = make ("audioresample", NULL);
    GstElement *aenc = make_aac_encoder ();
    if (!aq || !ac || !ar || !aenc)
      return FALSE;
    /* the slack for the video encoder's delay: decoded audio waits here, so that it can
     * still be cut where the video stops */
    g_object_set (aq, "max-size-buffers", 0u, "max-size-bytes", 0u,
                  "max-size-time", (guint64) 0, NULL);
    GstElement *achain[] = { aq, ac, ar, aenc, NULL };
    if (!add_chain (bin, achain) || !gst_element_link (aenc, mux))
      return FALSE;
    app->audio_in = aq;
    GstPad *ap = gst_element_get_static_pad (aenc, "sink");
    gst_pad_add_probe (ap, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                       audio_cut_probe, app, NULL);
    gst_object_unref (ap);
  }

  g_signal_connect (dec, "pad-added", G_CALLBACK (on_pad_added), app);
  g_signal_connect (dec, "no-more-pads", G_CALLBACK (on_no_more_pads), app);
  return TRUE;
}

/* ---- progress --------------------------------------------------------------------------- */

static void
format_time (char *buf, size_t n, GstClockTime t)
{
  if (!GST_CLOCK_TIME_IS_VALID (t)) {
    g_strlcpy (buf, "--:--", n);
    return;
  }
  guint64 s = t / GST_SECOND;
  if (s >= 3600)
    g_snprintf (buf, n, "%u:%02u:%02u", (unsigned) (s / 3600), (unsigned) (s / 60 % 60),
                (unsigned) (s % 60));
  else
    g_snprintf (buf, n, "%02u:%02u", (unsigned) (s / 60), (unsigned) (s % 60));
}

static void
report_progress (App *app, gboolean final)
{
  g_mutex_lock (&app->lock);
  guint64 frames = app->frames;
  GstClockTime pos = app->position;
  g_mutex_unlock (&app->lock);
  gint64 now = g_get_monotonic_time ();
  double elapsed = (now - app->t_start) / 1e6;
  double fps = elapsed > 0 ? frames / elapsed : 0;
  char tpos[32], tdur[32], teta[32], pct[16] = "";
  format_time (tpos, sizeof tpos, pos);
  format_time (tdur, sizeof tdur, app->duration);
  double frac = -1;
  if (GST_CLOCK_TIME_IS_VALID (app->duration) && GST_CLOCK_TIME_IS_VALID (pos)) {
    frac = (double) pos / (double) app->duration;
    if (frac > 1)
      frac = 1;
    if (final && !app->eos_sent)
      frac = 1;   /* the last frame's time is one frame short of the duration */
    g_snprintf (pct, sizeof pct, "%3d%% ", (int) (frac * 100));
  }
  teta[0] = '\0';
  if (!final && frac > 0.01 && elapsed > 1) {
    char t[32];
    format_time (t, sizeof t, (GstClockTime) (elapsed * (1 - frac) / frac * GST_SECOND));
    g_snprintf (teta, sizeof teta, ", %s left", t);
  }
  gboolean overwrite = app->tty && !app->progress_lines;
  if (!overwrite && !final) {
    /* a log or a pipe: one line per tenth of the file, or every 10 s when the length is
     * unknown */
    gint decile = frac >= 0 ? (gint) (frac * 10) : (gint) (elapsed / 10);
    if (decile <= app->last_decile)
      return;
    app->last_decile = decile;
  }
  fprintf (stderr, "%s%s%s / %s  %" G_GUINT64_FORMAT " frames  %.1f fps%s%s",
           overwrite ? "\r" : "", pct, tpos, tdur, frames, fps, teta,
           overwrite ? "\033[K" : "\n");
  app->line_open = overwrite;
  if (final && app->line_open) {
    fputc ('\n', stderr);
    app->line_open = FALSE;
  }
  fflush (stderr);
}

static gboolean
on_tick (gpointer user_data)
{
  report_progress (user_data, FALSE);
  return G_SOURCE_CONTINUE;
}

static void
end_progress_line (App *app)
{
  if (app->line_open) {
    fputc ('\n', stderr);
    app->line_open = FALSE;
  }
}

/* ---- bus and signals -------------------------------------------------------------------- */

static int
classify_error (App *app, GstMessage *msg, GError *err)
{
  GstObject *src = GST_MESSAGE_SRC (msg);
  if (err->domain == GST_RESOURCE_ERROR && app->landmarks &&
      (src == GST_OBJECT (app->landmarks) || src == GST_OBJECT (app->detector)))
    return EXIT_MODEL;
  if (err->domain == GST_RESOURCE_ERROR &&
      (err->code == GST_RESOURCE_ERROR_OPEN_WRITE || err->code == GST_RESOURCE_ERROR_WRITE ||
       err->code == GST_RESOURCE_ERROR_NO_SPACE_LEFT))
    return EXIT_OUTPUT;
  if (err->domain == GST_STREAM_ERROR || err->domain == GST_RESOURCE_ERROR)
    return EXIT_INPUT;
  return EXIT_OTHER;
}

static gboolean
on_bus (GstBus *bus, GstMessage *msg, gpointer user_data)
{
  App *app = user_data;
  (void) bus;
  switch (GST_MESSAGE_TYPE (msg)) {
    case GST_MESSAGE_ERROR: {
      GError *err = NULL;
      gchar *dbg = NULL;
      gst_message_parse_error (msg, &err, &dbg);
      end_progress_line (app);
      fprintf (stderr, PROG ": error from %s: %s\n", GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)),
               err->message);
      if (dbg && g_getenv ("BNNLM_DEBUG"))
        fprintf (stderr, "  (%s)\n", dbg);
      if (app->exit_code == EXIT_OK)
        app->exit_code = classify_error (app, msg, err);
      g_error_free (err);
      g_free (dbg);
      g_main_loop_quit (app->loop);
      break;
    }
    case GST_MESSAGE_WARNING: {
      GError *err = NULL;
      gst_message_parse_warning (msg, &err, NULL);
      end_progress_line (app);
      fprintf (stderr, PROG ": warning from %s: %s\n",
               GST_OBJECT_NAME (GST_MESSAGE_SRC (msg)), err->message);
      g_error_free (err);
      break;
    }
    case GST_MESSAGE_EOS:
      g_main_loop_quit (app->loop);
      break;
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

static GstPadProbeReturn
drop_probe (GstPad *pad, GstPadProbeInfo *info, gpointer user_data)
{
  (void) pad;
  (void) info;
  (void) user_data;
  return GST_PAD_PROBE_DROP;
}

/* Ends a branch where it leaves the decoder: what the decoder still has queued (the
 * demuxer may have read the whole file) is dropped, the branch gets EOS at once. */
static void
end_branch (GstElement *branch_in)
{
  GstPad *sinkpad = gst_element_get_static_pad (branch_in, "sink");
  GstPad *peer = gst_pad_get_peer (sinkpad);
  if (peer) {
    gst_pad_add_probe (peer, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, drop_probe, NULL, NULL);
    gst_object_unref (peer);
  }
  gst_pad_send_event (sinkpad, gst_event_new_eos ());
  gst_object_unref (sinkpad);
}

static gboolean
on_sigint (gpointer user_data)
{
  App *app = user_data;
  if (!app->eos_sent) {
    app->eos_sent = TRUE;
    end_progress_line (app);
    fprintf (stderr, PROG ": interrupted: finishing %s with the frames done so far "
             "(Ctrl-C again to abort)\n", app->out);
    end_branch (app->video_in);
    if (app->audio_in) {
      g_mutex_lock (&app->lock);
      app->cut = GST_CLOCK_TIME_IS_VALID (app->last_end) ? app->last_end : 0;
      g_mutex_unlock (&app->lock);
      end_branch (app->audio_in);
    }
    return G_SOURCE_CONTINUE;
  }
  fprintf (stderr, PROG ": aborted; %s is incomplete\n", app->out);
  exit (130);
}

static void
app_clear (App *app)
{
  g_mutex_clear (&app->lock);
  g_free (app->in);
  g_free (app->out);
  g_free (app->json);
  g_free (app->model);
  g_free (app->preset);
  g_free (app->isa);
  g_free (app->detect_model);
  g_free (app->uri);
}

int
main (int argc, char **argv)
{
  App app;
  memset (&app, 0, sizeof app);
  g_mutex_init (&app.lock);
  gst_segment_init (&app.segment, GST_FORMAT_TIME);
  gst_segment_init (&app.audio_segment, GST_FORMAT_TIME);
  gst_segment_init (&app.in_segment, GST_FORMAT_TIME);
  app.last_end = GST_CLOCK_TIME_NONE;
  app.cut = GST_CLOCK_TIME_NONE;
  app.position = GST_CLOCK_TIME_NONE;
  app.duration = GST_CLOCK_TIME_NONE;
  app.last_decile = 0;

  gst_init (NULL, NULL);
  int rc = parse_args (&app, argc, argv);
  if (rc != 0) {
    app_clear (&app);
    return rc > 0 ? EXIT_OK : EXIT_USAGE;
  }
  rc = probe_input (&app);
  if (rc != EXIT_OK) {
    app_clear (&app);
    return rc;
  }
  if (app.n_audio > 0 && !app.has_audio && !app.quiet && app.no_audio)
    fprintf (stderr, PROG ": dropping the audio track (--no-audio)\n");
  if (!build_pipeline (&app)) {
    if (app.pipeline)
      gst_object_unref (app.pipeline);
    app_clear (&app);
    return EXIT_OTHER;
  }

  app.loop = g_main_loop_new (NULL, FALSE);
  GstBus *bus = gst_element_get_bus (app.pipeline);
  guint bus_watch = gst_bus_add_watch (bus, on_bus, &app);
  gst_object_unref (bus);
  guint sig_watch = g_unix_signal_add (SIGINT, on_sigint, &app);
  guint sigterm_watch = g_unix_signal_add (SIGTERM, on_sigint, &app);

  app.tty = isatty (STDERR_FILENO);
  if (!app.quiet) {
    char tdur[32];
    format_time (tdur, sizeof tdur, app.duration);
    fprintf (stderr, PROG ": %s (%s%s, %s) -> %s + %s, model %s%s, %s%s\n", app.in,
             app.is_image ? "still image" : "video",
             app.has_audio ? " + audio" : (app.n_audio ? ", audio dropped" : ", no audio"),
             tdur, app.out, app.json, app.model, app.flip_test ? " (flip test)" : "",
             app.detect_model ? "detector " : app.detect_faces ? "faces by facedetect"
                                                               : "no detector (whole frame)",
             app.detect_model ? app.detect_model : "");
  }
  app.t_start = g_get_monotonic_time ();
  guint tick = app.quiet ? 0 : g_timeout_add (500, on_tick, &app);

  if (gst_element_set_state (app.pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* the error message on the bus says why; collect it */
    GstBus *b = gst_element_get_bus (app.pipeline);
    GstMessage *m = gst_bus_timed_pop_filtered (b, 0, GST_MESSAGE_ERROR);
    if (m) {
      on_bus (b, m, &app);
      gst_message_unref (m);
    } else {
      fprintf (stderr, PROG ": the pipeline failed to start\n");
      app.exit_code = EXIT_OTHER;
    }
    gst_object_unref (b);
  } else {
    g_main_loop_run (app.loop);
  }

  if (tick)
    g_source_remove (tick);
  gst_element_set_state (app.pipeline, GST_STATE_NULL);
  if (!app.quiet && app.exit_code == EXIT_OK) {
    report_progress (&app, TRUE);
    guint64 inferences = 0;
    g_object_get (app.landmarks, "inferences", &inferences, NULL);
    double secs = (g_get_monotonic_time () - app.t_start) / 1e6;
    fprintf (stderr, PROG ": wrote %s (%" G_GUINT64_FORMAT " frames%s) and %s; "
             "%" G_GUINT64_FORMAT " network runs in %.1f s\n", app.out, app.frames,
             app.has_audio ? ", audio" : "", app.json, inferences, secs);
  }
  end_progress_line (&app);
  if (app.exit_code == EXIT_OK && app.frames == 0) {
    fprintf (stderr, PROG ": no video frame was decoded from %s\n", app.in);
    app.exit_code = EXIT_INPUT;
  }

  g_source_remove (bus_watch);
  g_source_remove (sig_watch);
  g_source_remove (sigterm_watch);
  gst_object_unref (app.pipeline);
  g_main_loop_unref (app.loop);
  rc = app.exit_code;
  app_clear (&app);
  /* joins GStreamer's pooled threads, so few threads are left at exit (leak checkers) */
  gst_deinit ();
  return rc;
}
