/* test_util.h: helpers shared by the element tests: test model paths, synthetic frames in
 * any raw format (optionally with padded strides), and pipeline error collection. */
#ifndef BNNLM_TEST_UTIL_H
#define BNNLM_TEST_UTIL_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gst/check/gstcheck.h>
#include <gst/video/video.h>

/* Path of a generated random-weight model, from the environment set by meson. */
static inline const gchar *
test_model (const gchar * env)
{
  const gchar *p = g_getenv (env);
  fail_unless (p != NULL && *p, "%s is not set (run the tests with meson test)", env);
  return p;
}

#define FACE_MODEL() test_model ("BNNLM_TEST_FACE_MODEL")
#define BODY_MODEL() test_model ("BNNLM_TEST_BODY_MODEL")

/* An RGB test picture: a bright disc on a gradient, so that crops see structure. */
static inline guint8
test_pixel (gint x, gint y, gint w, gint h, gint c)
{
  const double cx = 0.45 * w, cy = 0.4 * h, r = 0.25 * MIN (w, h) + 0.5;
  const double d = sqrt ((x - cx) * (x - cx) + (y - cy) * (y - cy));
  if (d < r)
    return (guint8) (c == 0 ? 230 : c == 1 ? 190 : 160);
  return (guint8) ((c == 0 ? 40 : c == 1 ? 90 : 140) + (x * 60) / MAX (w, 1)
      + (y * 40) / MAX (h, 1));
}

/* A frame of the test picture in `format`, w x h; each plane's stride is padded by
 * `pad` bytes (0: GStreamer's default layout) and described by a GstVideoMeta. */
static inline GstBuffer *
test_frame (GstVideoFormat format, gint w, gint h, gint pad, GstClockTime pts)
{
  GstVideoInfo rgb_info, info;
  gst_video_info_set_format (&rgb_info, GST_VIDEO_FORMAT_RGB, w, h);
  gst_video_info_set_format (&info, format, w, h);

  GstBuffer *rgb = gst_buffer_new_allocate (NULL, GST_VIDEO_INFO_SIZE (&rgb_info), NULL);
  GstMapInfo map;
  gst_buffer_map (rgb, &map, GST_MAP_WRITE);
  for (gint y = 0; y < h; y++)
    for (gint x = 0; x < w; x++)
      for (gint c = 0; c < 3; c++)
        map.data[y * GST_VIDEO_INFO_PLANE_STRIDE (&rgb_info, 0) + 3 * x + c] =
            test_pixel (x, y, w, h, c);
  gst_buffer_unmap (rgb, &map);

  /* the layout with padded strides */
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0 };
  gint stride[GST_VIDEO_MAX_PLANES] = { 0 };
  gsize size = 0;
  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
    /* for the formats tested, plane p starts with component p */
    gint rows = GST_VIDEO_FORMAT_INFO_SCALE_HEIGHT (info.finfo, (gint) p, h);
    stride[p] = GST_VIDEO_INFO_PLANE_STRIDE (&info, p) + pad;
    offset[p] = size;
    size += (gsize) stride[p] * rows;
  }
  GstBuffer *buf = gst_buffer_new_allocate (NULL, size + 64, NULL);
  gst_buffer_memset (buf, 0, 0x5a, size + 64);
  gst_buffer_add_video_meta_full (buf, GST_VIDEO_FRAME_FLAG_NONE, format, w, h,
      GST_VIDEO_INFO_N_PLANES (&info), offset, stride);
  for (guint p = 0; p < GST_VIDEO_INFO_N_PLANES (&info); p++) {
    info.offset[p] = offset[p];
    info.stride[p] = stride[p];
  }
  info.size = size;

  GstVideoFrame in, out;
  fail_unless (gst_video_frame_map (&in, &rgb_info, rgb, GST_MAP_READ));
  fail_unless (gst_video_frame_map (&out, &info, buf, GST_MAP_WRITE));
  GstVideoConverter *conv = gst_video_converter_new (&rgb_info, &info, NULL);
  gst_video_converter_frame (conv, &in, &out);
  gst_video_converter_free (conv);
  gst_video_frame_unmap (&out);
  gst_video_frame_unmap (&in);
  gst_buffer_unref (rgb);

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = GST_SECOND / 30;
  return buf;
}

static inline gchar *
test_caps_str (GstVideoFormat format, gint w, gint h)
{
  return g_strdup_printf ("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1",
      gst_video_format_to_string (format), w, h);
}

/* Runs a pipeline to EOS or error; returns the error message (or NULL), which the
 * caller frees. Fails the test after timeout_s seconds. */
static inline GstMessage *
run_pipeline (GstElement * pipeline, guint timeout_s)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstMessage *msg = gst_bus_timed_pop_filtered (bus, timeout_s * GST_SECOND,
      GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  fail_unless (msg != NULL, "pipeline neither finished nor failed in %u s", timeout_s);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_EOS) {
    gst_message_unref (msg);
    return NULL;
  }
  return msg;
}

/* Plays a pipeline whose appsink is named "sink" until it prerolls and returns a reference
 * to the prerolled buffer; the pipeline is back in NULL (the caller still owns it). */
static inline GstBuffer *
preroll_buffer (GstElement * pipeline)
{
  GstElement *sink = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  fail_unless (sink != NULL, "no element named sink");
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  GstSample *s = NULL;
  g_signal_emit_by_name (sink, "pull-preroll", &s);
  fail_unless (s != NULL, "no preroll sample");
  GstBuffer *buf = gst_buffer_ref (gst_sample_get_buffer (s));
  gst_sample_unref (s);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (sink);
  return buf;
}

#endif
