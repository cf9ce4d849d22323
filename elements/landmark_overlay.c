/* landmark_overlay.c: the landmarkoverlay element: draws each frame's GstLandmarkMeta
 * (see landmark_draw.c) straight into the frame's pixels, only where it draws, or hands
 * it downstream as an overlay composition of the drawn rectangle. */
#include <string.h>

#include <cairo.h>
#include <gst/gst.h>
#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>
#include <gst/video/video-overlay-composition.h>

#include "elements.h"
#include "gst/landmark/landmarkmeta.h"
#include "landmark_draw.h"

GST_DEBUG_CATEGORY_STATIC (landmark_overlay_debug);
#define GST_CAT_DEFAULT landmark_overlay_debug

#define CAPS_FORMATS "{ BGRx, RGBx, xRGB, xBGR, BGRA, RGBA, ARGB, ABGR, RGB, BGR, " \
  "I420, NV12, YUY2 }"

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
#define SURFACE_FORMAT GST_VIDEO_FORMAT_BGRA  /* = CAIRO_FORMAT_ARGB32 in memory */
#else
#define SURFACE_FORMAT GST_VIDEO_FORMAT_ARGB
#endif

#define DEFAULT_POINT_COLOR 0xff00ff00u
#define DEFAULT_LINE_COLOR 0xffffa000u

enum {
  PROP_0,
  PROP_DRAW_SKELETON,
  PROP_DRAW_POINTS,
  PROP_DRAW_LABELS,
  PROP_DRAW_MASK,
  PROP_DRAW_BOXES,
  PROP_LINE_WIDTH,
  PROP_POINT_RADIUS,
  PROP_MIN_CONFIDENCE,
  PROP_POINT_COLOR,
  PROP_LINE_COLOR,
  PROP_MASK_ALPHA,
  PROP_DRAW_REGIONS,
  PROP_DRAW_REJECTED_REGIONS,
};

#define MAX_REGIONS 64

typedef struct {
  GstBaseTransform parent;
  LandmarkDrawConfig cfg; /* object lock */
  gboolean draw_rejected; /* object lock */
  GstVideoInfo info;
  gboolean attach_composition; /* downstream takes GstVideoOverlayCompositionMeta */
  LandmarkCanvas *canvas; /* streaming thread */
} GstLandmarkOverlay;

typedef struct {
  GstBaseTransformClass parent_class;
} GstLandmarkOverlayClass;

#define GST_TYPE_LANDMARK_OVERLAY (gst_landmark_overlay_get_type ())
#define GST_LANDMARK_OVERLAY(obj) ((GstLandmarkOverlay *) (obj))
GType gst_landmark_overlay_get_type (void);
G_DEFINE_TYPE (GstLandmarkOverlay, gst_landmark_overlay, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (landmarkoverlay, "landmarkoverlay", GST_RANK_NONE,
    GST_TYPE_LANDMARK_OVERLAY);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (CAPS_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (CAPS_FORMATS)));

static gboolean
gst_landmark_overlay_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstLandmarkOverlay *self = GST_LANDMARK_OVERLAY (trans);
  (void) outcaps;
  if (!gst_video_info_from_caps (&self->info, incaps))
    return FALSE;
  GST_DEBUG_OBJECT (self, "negotiated %s %dx%d",
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (&self->info)),
      GST_VIDEO_INFO_WIDTH (&self->info), GST_VIDEO_INFO_HEIGHT (&self->info));
  return TRUE;
}

/* In place, basetransform forwards ALLOCATION queries downstream untouched; look at
 * the answer to learn whether the sink can blend an overlay composition itself. */
static gboolean
gst_landmark_overlay_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstLandmarkOverlay *self = GST_LANDMARK_OVERLAY (trans);

  if (GST_QUERY_TYPE (query) == GST_QUERY_ALLOCATION && direction == GST_PAD_SINK) {
    if (!GST_BASE_TRANSFORM_CLASS (gst_landmark_overlay_parent_class)->query (trans,
            direction, query))
      return FALSE;
    gboolean attach = gst_query_find_allocation_meta (query,
        GST_VIDEO_OVERLAY_COMPOSITION_META_API_TYPE, NULL);
    GST_OBJECT_LOCK (self);
    self->attach_composition = attach;
    GST_OBJECT_UNLOCK (self);
    GST_DEBUG_OBJECT (self, "downstream %s overlay composition meta",
        attach ? "takes" : "does not take");
    return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_landmark_overlay_parent_class)->query (trans,
      direction, query);
}

/* Draws into a transparent ARGB32 surface covering only the touched rectangle and hands
 * it over as an overlay composition: attached as meta, or blended into the frame (only
 * for a frame format the canvas does not handle, which none of the caps' formats is). */
static GstFlowReturn
draw_composition (GstLandmarkOverlay * self, GstBuffer * buf, const GstLandmarkMeta * meta,
    const LandmarkRegion * regions, guint n_regions,
    const LandmarkDrawConfig * cfg, gboolean attach, int ex, int ey, int ew, int eh)
{
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, ew, eh);
  if (cairo_surface_status (surface) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy (surface);
    GST_ELEMENT_ERROR (self, RESOURCE, NO_SPACE_LEFT, (NULL), ("cairo surface failed"));
    return GST_FLOW_ERROR;
  }
  cairo_surface_flush (surface);
  const int stride = cairo_image_surface_get_stride (surface);
  landmark_canvas_draw_argb (self->canvas, cairo_image_surface_get_data (surface), stride,
      GST_VIDEO_INFO_WIDTH (&self->info), GST_VIDEO_INFO_HEIGHT (&self->info), meta,
      regions, n_regions, cfg, ex, ey, ew, eh);
  cairo_surface_mark_dirty (surface);

  const gsize size = (gsize) stride * eh;
  gsize offset[GST_VIDEO_MAX_PLANES] = { 0, };
  gint strides[GST_VIDEO_MAX_PLANES] = { stride, };
  GstBuffer *sbuf = gst_buffer_new_wrapped_full (0, cairo_image_surface_get_data (surface),
      size, 0, size, surface, (GDestroyNotify) cairo_surface_destroy);
  gst_buffer_add_video_meta_full (sbuf, GST_VIDEO_FRAME_FLAG_NONE, SURFACE_FORMAT,
      ew, eh, 1, offset, strides);
  GstVideoOverlayRectangle *rect = gst_video_overlay_rectangle_new_raw (sbuf, ex, ey,
      (guint) ew, (guint) eh, GST_VIDEO_OVERLAY_FORMAT_FLAG_PREMULTIPLIED_ALPHA);
  gst_buffer_unref (sbuf);

  GstFlowReturn ret = GST_FLOW_OK;
  if (attach) {
    GstVideoOverlayCompositionMeta *old =
        gst_buffer_get_video_overlay_composition_meta (buf);
    GstVideoOverlayComposition *comp;
    if (old) {
      comp = gst_video_overlay_composition_copy (old->overlay);
      gst_video_overlay_composition_add_rectangle (comp, rect);
      gst_buffer_remove_video_overlay_composition_meta (buf, old);
    } else {
      comp = gst_video_overlay_composition_new (rect);
    }
    gst_buffer_add_video_overlay_composition_meta (buf, comp);
    gst_video_overlay_composition_unref (comp);
  } else {
    GstVideoFrame frame;
    if (gst_video_frame_map (&frame, &self->info, buf,
            (GstMapFlags) (GST_MAP_READWRITE | GST_VIDEO_FRAME_MAP_FLAG_NO_REF))) {
      GstVideoOverlayComposition *comp = gst_video_overlay_composition_new (rect);
      if (!gst_video_overlay_composition_blend (comp, &frame))
        GST_WARNING_OBJECT (self, "blending failed");
      gst_video_overlay_composition_unref (comp);
      gst_video_frame_unmap (&frame);
    } else {
      GST_ELEMENT_WARNING (self, STREAM, FAILED, (NULL), ("could not map frame"));
    }
  }
  gst_video_overlay_rectangle_unref (rect);
  return ret;
}

/* bnnlandmarks' verdict on an upstream region: its "landmarks" parameter says kept=false */
static gboolean
region_rejected (GstVideoRegionOfInterestMeta * roi)
{
  GstStructure *v = gst_video_region_of_interest_meta_get_param (roi, "landmarks");
  gboolean kept = TRUE;
  return v && gst_structure_get_boolean (v, "kept", &kept) && !kept;
}

static GstFlowReturn
gst_landmark_overlay_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  GstLandmarkOverlay *self = GST_LANDMARK_OVERLAY (trans);
  LandmarkDrawConfig cfg;
  gboolean attach;
  int ex, ey, ew, eh;
  const int W = GST_VIDEO_INFO_WIDTH (&self->info), H = GST_VIDEO_INFO_HEIGHT (&self->info);

  GstLandmarkMeta *meta = gst_buffer_get_landmark_meta (buf);
  if (meta && meta->n_instances == 0)
    meta = NULL;

  GST_OBJECT_LOCK (self);
  cfg = self->cfg;
  attach = self->attach_composition;
  const gboolean draw_rejected = self->draw_rejected;
  GST_OBJECT_UNLOCK (self);

  /* upstream regions of interest (bnndetect's detections), drawn under the landmarks */
  LandmarkRegion regions[MAX_REGIONS];
  guint n_regions = 0;
  if (cfg.draw_regions) {
    gpointer state = NULL;
    GstMeta *m;
    while (n_regions < MAX_REGIONS && (m = gst_buffer_iterate_meta_filtered (buf, &state,
                GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
      GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
      if (!draw_rejected && region_rejected (roi))
        continue;
      LandmarkRegion *r = &regions[n_regions++];
      r->x = roi->x;
      r->y = roi->y;
      r->w = roi->w;
      r->h = roi->h;
      r->label = roi->roi_type ? g_quark_to_string (roi->roi_type) : NULL;
      r->score = -1.0;
      GstStructure *det = gst_video_region_of_interest_meta_get_param (roi, "detection");
      if (det)
        gst_structure_get_double (det, "confidence", &r->score);
    }
  }
  if (!meta && n_regions == 0)
    return GST_FLOW_OK;

  if (!landmark_draw_extent_regions (meta, regions, n_regions, &cfg, W, H, &ex, &ey, &ew,
          &eh))
    return GST_FLOW_OK;
  GST_LOG_OBJECT (self, "drawing %u instance(s), %u region(s) in %dx%d+%d+%d (%s)",
      meta ? meta->n_instances : 0, n_regions, ew, eh, ex, ey,
      attach ? "composition meta" : "in place");

  if (!attach) {
    GstVideoFrame frame;
    if (!gst_video_frame_map (&frame, &self->info, buf,
            (GstMapFlags) (GST_MAP_READWRITE | GST_VIDEO_FRAME_MAP_FLAG_NO_REF))) {
      GST_ELEMENT_WARNING (self, STREAM, FAILED, (NULL), ("could not map frame"));
      return GST_FLOW_OK;
    }
    const gboolean drawn = landmark_canvas_draw_frame (self->canvas, &frame, meta, regions,
        n_regions, &cfg, ex, ey, ew, eh);
    gst_video_frame_unmap (&frame);
    if (drawn)
      return GST_FLOW_OK;
  }
  return draw_composition (self, buf, meta, regions, n_regions, &cfg, attach, ex, ey, ew,
      eh);
}

static void
gst_landmark_overlay_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstLandmarkOverlay *self = GST_LANDMARK_OVERLAY (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DRAW_SKELETON:
      self->cfg.draw_skeleton = g_value_get_boolean (value);
      break;
    case PROP_DRAW_POINTS:
      self->cfg.draw_points = g_value_get_boolean (value);
      break;
    case PROP_DRAW_LABELS:
      self->cfg.draw_labels = g_value_get_boolean (value);
      break;
    case PROP_DRAW_MASK:
      self->cfg.draw_mask = g_value_get_boolean (value);
      break;
    case PROP_DRAW_BOXES:
      self->cfg.draw_boxes = g_value_get_boolean (value);
      break;
    case PROP_LINE_WIDTH:
      self->cfg.line_width = g_value_get_double (value);
      break;
    case PROP_POINT_RADIUS:
      self->cfg.point_radius = g_value_get_double (value);
      break;
    case PROP_MIN_CONFIDENCE:
      self->cfg.min_conf = g_value_get_float (value);
      break;
    case PROP_POINT_COLOR:
      self->cfg.point_color = g_value_get_uint (value);
      break;
    case PROP_LINE_COLOR:
      self->cfg.line_color = g_value_get_uint (value);
      break;
    case PROP_MASK_ALPHA:
      self->cfg.mask_alpha = g_value_get_double (value);
      break;
    case PROP_DRAW_REGIONS:
      self->cfg.draw_regions = g_value_get_boolean (value);
      break;
    case PROP_DRAW_REJECTED_REGIONS:
      self->draw_rejected = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_landmark_overlay_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLandmarkOverlay *self = GST_LANDMARK_OVERLAY (object);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_DRAW_SKELETON:
      g_value_set_boolean (value, self->cfg.draw_skeleton);
      break;
    case PROP_DRAW_POINTS:
      g_value_set_boolean (value, self->cfg.draw_points);
      break;
    case PROP_DRAW_LABELS:
      g_value_set_boolean (value, self->cfg.draw_labels);
      break;
    case PROP_DRAW_MASK:
      g_value_set_boolean (value, self->cfg.draw_mask);
      break;
    case PROP_DRAW_BOXES:
      g_value_set_boolean (value, self->cfg.draw_boxes);
      break;
    case PROP_LINE_WIDTH:
      g_value_set_double (value, self->cfg.line_width);
      break;
    case PROP_POINT_RADIUS:
      g_value_set_double (value, self->cfg.point_radius);
      break;
    case PROP_MIN_CONFIDENCE:
      g_value_set_float (value, self->cfg.min_conf);
      break;
    case PROP_POINT_COLOR:
      g_value_set_uint (value, self->cfg.point_color);
      break;
    case PROP_LINE_COLOR:
      g_value_set_uint (value, self->cfg.line_color);
      break;
    case PROP_MASK_ALPHA:
      g_value_set_double (value, self->cfg.mask_alpha);
      break;
    case PROP_DRAW_REGIONS:
      g_value_set_boolean (value, self->cfg.draw_regions);
      break;
    case PROP_DRAW_REJECTED_REGIONS:
      g_value_set_boolean (value, self->draw_rejected);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The canvas's scratch buffers (up to the frame's size) are not kept while stopped. */
static gboolean
gst_landmark_overlay_stop (GstBaseTransform * trans)
{
  GstLandmarkOverlay *self = GST_LANDMARK_OVERLAY (trans);
  landmark_canvas_free (self->canvas);
  self->canvas = landmark_canvas_new ();
  return TRUE;
}

static void
gst_landmark_overlay_finalize (GObject * object)
{
  GstLandmarkOverlay *self = GST_LANDMARK_OVERLAY (object);
  landmark_canvas_free (self->canvas);
  self->canvas = NULL;
  G_OBJECT_CLASS (gst_landmark_overlay_parent_class)->finalize (object);
}

static void
gst_landmark_overlay_class_init (GstLandmarkOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_PLAYING;

  GST_DEBUG_CATEGORY_INIT (landmark_overlay_debug, "landmarkoverlay", 0,
      "landmark overlay");

  gobject_class->set_property = gst_landmark_overlay_set_property;
  gobject_class->get_property = gst_landmark_overlay_get_property;

  g_object_class_install_property (gobject_class, PROP_DRAW_SKELETON,
      g_param_spec_boolean ("draw-skeleton", "Draw skeleton",
          "Draw lines between the skeleton's point pairs", TRUE, rw));
  g_object_class_install_property (gobject_class, PROP_DRAW_POINTS,
      g_param_spec_boolean ("draw-points", "Draw points", "Draw a dot at each point",
          TRUE, rw));
  g_object_class_install_property (gobject_class, PROP_DRAW_LABELS,
      g_param_spec_boolean ("draw-labels", "Draw labels",
          "Write each point's name next to it", FALSE, rw));
  g_object_class_install_property (gobject_class, PROP_DRAW_MASK,
      g_param_spec_boolean ("draw-mask", "Draw part mask",
          "Tint each body/face part of the class map (when the model has one)", TRUE,
          rw));
  g_object_class_install_property (gobject_class, PROP_DRAW_BOXES,
      g_param_spec_boolean ("draw-boxes", "Draw boxes",
          "Draw each instance's bounding box", FALSE, rw));
  g_object_class_install_property (gobject_class, PROP_LINE_WIDTH,
      g_param_spec_double ("line-width", "Line width",
          "Width of skeleton and box lines, pixels", 0.0, 100.0, 2.0, rw));
  g_object_class_install_property (gobject_class, PROP_POINT_RADIUS,
      g_param_spec_double ("point-radius", "Point radius", "Radius of the dots, pixels",
          0.0, 100.0, 3.0, rw));
  g_object_class_install_property (gobject_class, PROP_MIN_CONFIDENCE,
      g_param_spec_float ("min-confidence", "Minimum confidence",
          "Points below this confidence (and lines touching them) are not drawn",
          0.0f, 1.0f, 0.2f, rw));
  g_object_class_install_property (gobject_class, PROP_POINT_COLOR,
      g_param_spec_uint ("point-color", "Point colour",
          "Colour of the dots, 0xAARRGGBB", 0, G_MAXUINT32, DEFAULT_POINT_COLOR, rw));
  g_object_class_install_property (gobject_class, PROP_LINE_COLOR,
      g_param_spec_uint ("line-color", "Line colour",
          "Colour of skeleton and box lines, 0xAARRGGBB", 0, G_MAXUINT32,
          DEFAULT_LINE_COLOR, rw));
  g_object_class_install_property (gobject_class, PROP_MASK_ALPHA,
      g_param_spec_double ("mask-alpha", "Mask opacity",
          "Opacity of the part-mask tint (0: invisible, 1: opaque)", 0.0, 1.0, 0.4, rw));
  g_object_class_install_property (gobject_class, PROP_DRAW_REGIONS,
      g_param_spec_boolean ("draw-regions", "Draw regions",
          "Draw the upstream regions of interest (GstVideoRegionOfInterestMeta, e.g. "
          "bnndetect's persons and faces) under the landmarks, labelled with type and "
          "confidence", FALSE, rw));
  g_object_class_install_property (gobject_class, PROP_DRAW_REJECTED_REGIONS,
      g_param_spec_boolean ("draw-rejected-regions", "Draw rejected regions",
          "With draw-regions: also draw the regions that bnnlandmarks rejected (its "
          "landmark model did not verify the detection: the region's \"landmarks\" "
          "parameter has kept=false)", FALSE, rw));

  gst_element_class_set_static_metadata (element_class, "Landmark overlay",
      "Filter/Editor/Video",
      "Draws the landmarks of GstLandmarkMeta (skeleton, points, labels, part masks, "
      "boxes) onto the video with Cairo, or attaches them as an overlay composition",
      "bnnlandmarks developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  gobject_class->finalize = gst_landmark_overlay_finalize;
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_landmark_overlay_set_caps);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_landmark_overlay_transform_ip);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_landmark_overlay_query);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_landmark_overlay_stop);
}

static void
gst_landmark_overlay_init (GstLandmarkOverlay * self)
{
  self->cfg.draw_skeleton = TRUE;
  self->cfg.draw_points = TRUE;
  self->cfg.draw_labels = FALSE;
  self->cfg.draw_mask = TRUE;
  self->cfg.draw_boxes = FALSE;
  self->cfg.line_width = 2.0;
  self->cfg.point_radius = 3.0;
  self->cfg.min_conf = 0.2f;
  self->cfg.point_color = DEFAULT_POINT_COLOR;
  self->cfg.line_color = DEFAULT_LINE_COLOR;
  self->cfg.mask_alpha = 0.4;
  self->cfg.draw_regions = FALSE;
  self->draw_rejected = FALSE;
  self->attach_composition = FALSE;
  self->canvas = landmark_canvas_new ();
  gst_video_info_init (&self->info);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
