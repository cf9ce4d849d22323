/* landmark_export.c: the landmarkexport element: writes each frame's GstLandmarkMeta as
 * one JSON line (docs/json-lines.md) to a file and/or posts it as an element message. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>

#include <glib/gstdio.h>
#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>
#include <json-glib/json-glib.h>

#include "elements.h"
#include "gst/landmark/landmarkmeta.h"

GST_DEBUG_CATEGORY_STATIC (landmark_export_debug);
#define GST_CAT_DEFAULT landmark_export_debug

enum {
  PROP_0,
  PROP_LOCATION,
  PROP_POST_MESSAGES,
};

typedef struct {
  GstBaseTransform parent;
  gchar *location;       /* object lock */
  gboolean post_messages; /* object lock */
  FILE *file;
  gchar *open_location;
  gint width, height;
  guint64 frame;
} GstLandmarkExport;

typedef struct {
  GstBaseTransformClass parent_class;
} GstLandmarkExportClass;

#define GST_TYPE_LANDMARK_EXPORT (gst_landmark_export_get_type ())
#define GST_LANDMARK_EXPORT(obj) ((GstLandmarkExport *) (obj))
GType gst_landmark_export_get_type (void);
G_DEFINE_TYPE (GstLandmarkExport, gst_landmark_export, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (landmarkexport, "landmarkexport", GST_RANK_NONE,
    GST_TYPE_LANDMARK_EXPORT);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

/* Dyadic quantisation keeps the JSON short: 1/64 pixel prints as e.g. 12.328125, not
 * as the 17-digit expansion of a decimal fraction. */
static double
q_coord (float v)
{
  return isfinite (v) ? round ((double) v * 64.0) / 64.0 : 0.0;
}

static double
q_unit (float v)
{
  return isfinite (v) ? round ((double) v * 1024.0) / 1024.0 : 0.0;
}

static void
add_rect (JsonBuilder * b, const char *name, float x, float y, float w, float h)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  json_builder_add_double_value (b, q_coord (x));
  json_builder_add_double_value (b, q_coord (y));
  json_builder_add_double_value (b, q_coord (w));
  json_builder_add_double_value (b, q_coord (h));
  json_builder_end_array (b);
}

static void
add_parts (JsonBuilder * b, const GstLandmarkInstance * in)
{
  gsize size;
  const guint8 *cls = g_bytes_get_data (in->map, &size);
  const gsize n = (gsize) in->map_width * in->map_height;

  json_builder_set_member_name (b, "parts");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, in->map_width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, in->map_height);
  add_rect (b, "rect", in->map_x, in->map_y, in->map_w, in->map_h);
  json_builder_set_member_name (b, "classes");
  json_builder_begin_array (b);
  for (guint c = 0; in->layout && c < gst_landmark_layout_get_n_classes (in->layout); c++)
    json_builder_add_string_value (b, gst_landmark_layout_get_class_name (in->layout, c));
  json_builder_end_array (b);
  /* row-major runs: value, count, value, count, ... */
  json_builder_set_member_name (b, "rle");
  json_builder_begin_array (b);
  for (gsize i = 0; cls && i < n && i < size;) {
    gsize j = i + 1;
    while (j < n && j < size && cls[j] == cls[i])
      j++;
    json_builder_add_int_value (b, cls[i]);
    json_builder_add_int_value (b, (gint64) (j - i));
    i = j;
  }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* The frame's regions of interest (bnndetect's detections, facedetect's faces), when it has
 * any: type, box, the detector's confidence, track id and, for a coasting track, its
 * lost runs ("detection" parameter) and
 * bnnlandmarks' verdict ("landmarks" parameter), each when present. */
static void
add_regions (JsonBuilder * b, GstBuffer * buf)
{
  gpointer state = NULL;
  GstMeta *m;
  gboolean any = FALSE;
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    if (!any) {
      json_builder_set_member_name (b, "regions");
      json_builder_begin_array (b);
      any = TRUE;
    }
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "type");
    json_builder_add_string_value (b, roi->roi_type ? g_quark_to_string (roi->roi_type) : "");
    add_rect (b, "bbox", roi->x, roi->y, roi->w, roi->h);
    GstStructure *det = gst_video_region_of_interest_meta_get_param (roi, "detection");
    gdouble conf;
    gint id;
    if (det && gst_structure_get_double (det, "confidence", &conf)) {
      json_builder_set_member_name (b, "confidence");
      json_builder_add_double_value (b, q_unit (conf));
    }
    if (det && gst_structure_get_int (det, "track-id", &id)) {
      json_builder_set_member_name (b, "track_id");
      json_builder_add_int_value (b, id);
    }
    guint lost;
    if (det && gst_structure_get_uint (det, "lost-runs", &lost) && lost > 0) {
      json_builder_set_member_name (b, "lost_runs");
      json_builder_add_int_value (b, lost);
    }
    GstStructure *v = gst_video_region_of_interest_meta_get_param (roi, "landmarks");
    gboolean kept;
    gdouble score;
    if (v && gst_structure_get_boolean (v, "kept", &kept)) {
      json_builder_set_member_name (b, "kept");
      json_builder_add_boolean_value (b, kept);
      if (gst_structure_get_double (v, "score", &score)) {
        json_builder_set_member_name (b, "landmark_score");
        json_builder_add_double_value (b, q_unit (score));
      }
    }
    json_builder_end_object (b);
  }
  if (any)
    json_builder_end_array (b);
}

static gchar *
frame_to_json (GstLandmarkExport * self, GstBuffer * buf, const GstLandmarkMeta * meta)
{
  JsonBuilder *b = json_builder_new ();
  const GstClockTime pts = GST_BUFFER_PTS (buf);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "pts");
  if (GST_CLOCK_TIME_IS_VALID (pts))
    json_builder_add_int_value (b, (gint64) pts);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "frame");
  json_builder_add_int_value (b, (gint64) self->frame);
  json_builder_set_member_name (b, "width");
  json_builder_add_int_value (b, self->width);
  json_builder_set_member_name (b, "height");
  json_builder_add_int_value (b, self->height);
  json_builder_set_member_name (b, "instances");
  json_builder_begin_array (b);
  for (guint i = 0; meta && i < meta->n_instances; i++) {
    const GstLandmarkInstance *in = &meta->instances[i];
    json_builder_begin_object (b);
    json_builder_set_member_name (b, "task");
    json_builder_add_string_value (b, in->layout ? gst_landmark_layout_get_task (in->layout) : "");
    add_rect (b, "bbox", in->x, in->y, in->w, in->h);
    json_builder_set_member_name (b, "score");
    json_builder_add_double_value (b, q_unit (in->score));
    json_builder_set_member_name (b, "track_id");
    json_builder_add_int_value (b, (gint64) in->track_id);
    json_builder_set_member_name (b, "names");
    json_builder_begin_array (b);
    for (guint k = 0; k < in->n_points; k++) {
      const gchar *name = in->layout ? gst_landmark_layout_get_point_name (in->layout, k) : NULL;
      json_builder_add_string_value (b, name ? name : "");
    }
    json_builder_end_array (b);
    json_builder_set_member_name (b, "points");
    json_builder_begin_array (b);
    for (guint k = 0; k < in->n_points; k++) {
      json_builder_begin_array (b);
      json_builder_add_double_value (b, q_coord (in->points[k].x));
      json_builder_add_double_value (b, q_coord (in->points[k].y));
      json_builder_add_double_value (b, q_unit (in->points[k].confidence));
      json_builder_end_array (b);
    }
    json_builder_end_array (b);
    json_builder_set_member_name (b, "visibility");
    json_builder_begin_array (b);
    for (guint k = 0; k < in->n_points; k++)
      json_builder_add_int_value (b, in->points[k].visibility);
    json_builder_end_array (b);
    json_builder_set_member_name (b, "skeleton");
    json_builder_begin_array (b);
    for (guint j = 0; in->layout && j < gst_landmark_layout_get_n_skeleton_pairs (in->layout); j++) {
      guint a, c;
      gst_landmark_layout_get_skeleton_pair (in->layout, j, &a, &c);
      json_builder_begin_array (b);
      json_builder_add_int_value (b, a);
      json_builder_add_int_value (b, c);
      json_builder_end_array (b);
    }
    json_builder_end_array (b);
    if (in->map)
      add_parts (b, in);
    json_builder_end_object (b);
  }
  json_builder_end_array (b);
  add_regions (b, buf);
  json_builder_end_object (b);

  JsonGenerator *gen = json_generator_new ();
  JsonNode *root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, FALSE);
  gchar *text = json_generator_to_data (gen, NULL);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return text;
}

static GstFlowReturn
gst_landmark_export_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstLandmarkExport *self = GST_LANDMARK_EXPORT (trans);
  gboolean post;

  GST_OBJECT_LOCK (self);
  post = self->post_messages;
  GST_OBJECT_UNLOCK (self);
  if (!self->file && !post) {
    self->frame++;
    return GST_FLOW_OK;
  }

  const GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (buf);
  gchar *line = frame_to_json (self, buf, meta);

  if (self->file) {
    if (fputs (line, self->file) < 0 || fputc ('\n', self->file) == EOF) {
      GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Could not write to \"%s\": %s",
              self->open_location, g_strerror (errno)), (NULL));
      g_free (line);
      return GST_FLOW_ERROR;
    }
  }
  if (post) {
    GstStructure *s = gst_structure_new ("landmarks",
        "json", G_TYPE_STRING, line,
        "frame", G_TYPE_UINT64, self->frame,
        "pts", G_TYPE_UINT64, GST_BUFFER_PTS (buf),
        "n-instances", G_TYPE_UINT, meta ? meta->n_instances : 0u, NULL);
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_element (GST_OBJECT_CAST (self), s));
  }
  g_free (line);
  self->frame++;
  return GST_FLOW_OK;
}

static gboolean
gst_landmark_export_set_caps (GstBaseTransform * trans, GstCaps * incaps, GstCaps * outcaps)
{
  GstLandmarkExport *self = GST_LANDMARK_EXPORT (trans);
  const GstStructure *s = gst_caps_get_structure (incaps, 0);
  (void) outcaps;
  if (!gst_structure_get_int (s, "width", &self->width) ||
      !gst_structure_get_int (s, "height", &self->height)) {
    GST_WARNING_OBJECT (self, "caps without a frame size: %" GST_PTR_FORMAT, incaps);
    self->width = self->height = 0;
  }
  return TRUE;
}

static gboolean
gst_landmark_export_start (GstBaseTransform * trans)
{
  GstLandmarkExport *self = GST_LANDMARK_EXPORT (trans);
  gchar *location;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);
  self->frame = 0;
  if (location && *location) {
    self->file = g_fopen (location, "w");
    if (!self->file) {
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
          ("Could not open \"%s\" for writing: %s", location, g_strerror (errno)), (NULL));
      g_free (location);
      return FALSE;
    }
    self->open_location = location;
  } else {
    g_free (location);
  }
  return TRUE;
}

static gboolean
gst_landmark_export_stop (GstBaseTransform * trans)
{
  GstLandmarkExport *self = GST_LANDMARK_EXPORT (trans);
  if (self->file) {
    if (fclose (self->file) != 0)
      GST_ELEMENT_WARNING (self, RESOURCE, CLOSE, ("Could not close \"%s\": %s",
              self->open_location, g_strerror (errno)), (NULL));
    self->file = NULL;
  }
  g_clear_pointer (&self->open_location, g_free);
  return TRUE;
}

static gboolean
gst_landmark_export_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstLandmarkExport *self = GST_LANDMARK_EXPORT (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->file)
    fflush (self->file);
  return GST_BASE_TRANSFORM_CLASS (gst_landmark_export_parent_class)->sink_event (trans,
      event);
}

static void
gst_landmark_export_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstLandmarkExport *self = GST_LANDMARK_EXPORT (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_POST_MESSAGES:
      self->post_messages = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_landmark_export_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLandmarkExport *self = GST_LANDMARK_EXPORT (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_POST_MESSAGES:
      g_value_set_boolean (value, self->post_messages);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_landmark_export_finalize (GObject * object)
{
  GstLandmarkExport *self = GST_LANDMARK_EXPORT (object);
  if (self->file)
    fclose (self->file);
  g_free (self->open_location);
  g_free (self->location);
  G_OBJECT_CLASS (gst_landmark_export_parent_class)->finalize (object);
}

static void
gst_landmark_export_class_init (GstLandmarkExportClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);

  GST_DEBUG_CATEGORY_INIT (landmark_export_debug, "landmarkexport", 0,
      "landmark JSON-lines exporter");

  gobject_class->set_property = gst_landmark_export_set_property;
  gobject_class->get_property = gst_landmark_export_get_property;
  gobject_class->finalize = gst_landmark_export_finalize;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "File to write, one JSON object per frame and line (none: do not write)",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_POST_MESSAGES,
      g_param_spec_boolean ("post-messages", "Post messages",
          "Post each frame's JSON line on the bus as an element message named "
          "\"landmarks\" (field \"json\")", FALSE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class, "Landmark JSON exporter",
      "Filter/Analyzer/Video",
      "Writes each frame's GstLandmarkMeta as one JSON line (timestamp, frame size, "
      "instances with task, box, score, track id, named points, skeleton, part map) "
      "to a file or the bus; video passes through unchanged",
      "bnnlandmarks developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_landmark_export_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_landmark_export_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_landmark_export_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_landmark_export_sink_event);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_landmark_export_transform_ip);
  trans_class->transform_ip_on_passthrough = TRUE;
}

static void
gst_landmark_export_init (GstLandmarkExport * self)
{
  gst_base_transform_set_passthrough (GST_BASE_TRANSFORM (self), TRUE);
}
