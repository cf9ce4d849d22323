/* landmarkmeta.h: GstLandmarkMeta, the per-buffer landmark result (instances with a bbox,
 * score, track id, K points, names, skeleton and an optional class map) and its layouts. */
#ifndef GST_LANDMARK_META_H
#define GST_LANDMARK_META_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#ifndef GST_LANDMARK_API
#define GST_LANDMARK_API __attribute__((visibility("default"))) extern
#endif

/**
 * GstLandmarkVisibility:
 * @GST_LANDMARK_VISIBILITY_UNKNOWN: nothing is known (e.g. confidence below threshold)
 * @GST_LANDMARK_VISIBILITY_VISIBLE: the point was found with enough confidence
 * @GST_LANDMARK_VISIBILITY_OCCLUDED: the point is estimated but hidden
 * @GST_LANDMARK_VISIBILITY_CLAMPED: the estimate fell outside the frame and was moved onto
 *   its border
 *
 * Visibility flags of a point. The values of UNKNOWN, VISIBLE and OCCLUDED are those of
 * GstAnalyticsKeypointVisibility (GStreamer 1.28+), so a bridge copies them unchanged.
 */
typedef enum {
  GST_LANDMARK_VISIBILITY_UNKNOWN = 0,
  GST_LANDMARK_VISIBILITY_VISIBLE = (1 << 0),
  GST_LANDMARK_VISIBILITY_OCCLUDED = (1 << 2),
  GST_LANDMARK_VISIBILITY_CLAMPED = (1 << 6)
} GstLandmarkVisibility;

/**
 * GstLandmarkPoint:
 * @x: horizontal position in frame pixels, pixel-centre convention (the centre of the
 *   top-left pixel is 0,0; the frame spans -0.5 .. width - 0.5)
 * @y: vertical position, same convention
 * @confidence: 0..1
 * @visibility: #GstLandmarkVisibility flags
 *
 * One point of an instance.
 */
typedef struct {
  gfloat x;
  gfloat y;
  gfloat confidence;
  guint8 visibility;
} GstLandmarkPoint;

/**
 * GstLandmarkLayout:
 *
 * What the points of an instance mean: the semantic tag (e.g. "body-14-kp",
 * "face-68-kp"), the point names, the skeleton pairs and the class names of the class
 * map. Immutable and reference counted, so every buffer of a stream shares one.
 */
typedef struct _GstLandmarkLayout GstLandmarkLayout;

/**
 * GstLandmarkInstance:
 * @layout: the layout (one reference held by the instance)
 * @x: left edge of the bounding box, frame pixels, edge convention (the frame spans
 *   0 .. width)
 * @y: top edge of the bounding box
 * @w: box width
 * @h: box height
 * @score: instance score, 0..1
 * @track_id: identity kept across frames while the subject is tracked (0: none)
 * @n_points: number of points (the layout's point count)
 * @points: (array length=n_points): the points
 * @map_width: class map width (0 when there is no class map)
 * @map_height: class map height
 * @map: (nullable): @map_width x @map_height class indices, row-major, one byte each
 * @map_x: left edge of the frame rectangle that the class map covers (edge convention)
 * @map_y: top edge of that rectangle
 * @map_w: its width (may extend past the frame)
 * @map_h: its height
 *
 * One subject found in a frame. C code may read these fields directly; bindings use
 * the gst_landmark_meta_get_* accessors.
 */
typedef struct {
  GstLandmarkLayout *layout;
  gfloat x, y, w, h;
  gfloat score;
  guint64 track_id;
  guint n_points;
  GstLandmarkPoint *points;
  guint map_width, map_height;
  GBytes *map;
  gfloat map_x, map_y, map_w, map_h;
} GstLandmarkInstance;

/**
 * GstLandmarkMeta:
 * @meta: parent #GstMeta
 * @n_instances: number of instances
 * @instances: (array length=n_instances): the instances
 *
 * Landmark results of one video frame, in the coordinates of the buffer it is
 * attached to. Copied by tee/queue/videoconvert and scaled by videoscale.
 */
typedef struct {
  GstMeta meta;
  guint n_instances;
  GstLandmarkInstance *instances;
  /*< private >*/
  guint capacity;
  gpointer _gst_reserved[GST_PADDING];
} GstLandmarkMeta;

/* ---- layouts ---- */

GST_LANDMARK_API
GType gst_landmark_layout_get_type (void);
#define GST_TYPE_LANDMARK_LAYOUT (gst_landmark_layout_get_type ())

GST_LANDMARK_API
GstLandmarkLayout *gst_landmark_layout_new (const gchar * task, guint n_points,
    const gchar * const *point_names, guint n_pair_indices, const gint * pairs,
    guint n_classes, const gchar * const *class_names);
GST_LANDMARK_API
GstLandmarkLayout *gst_landmark_layout_ref (GstLandmarkLayout * layout);
GST_LANDMARK_API
void gst_landmark_layout_unref (GstLandmarkLayout * layout);
GST_LANDMARK_API
const gchar *gst_landmark_layout_get_task (const GstLandmarkLayout * layout);
GST_LANDMARK_API
guint gst_landmark_layout_get_n_points (const GstLandmarkLayout * layout);
GST_LANDMARK_API
const gchar *gst_landmark_layout_get_point_name (const GstLandmarkLayout * layout,
    guint k);
GST_LANDMARK_API
gint gst_landmark_layout_find_point (const GstLandmarkLayout * layout,
    const gchar * name);
GST_LANDMARK_API
guint gst_landmark_layout_get_n_skeleton_pairs (const GstLandmarkLayout * layout);
GST_LANDMARK_API
gboolean gst_landmark_layout_get_skeleton_pair (const GstLandmarkLayout * layout,
    guint j, guint * a, guint * b);
GST_LANDMARK_API
guint gst_landmark_layout_get_n_classes (const GstLandmarkLayout * layout);
GST_LANDMARK_API
const gchar *gst_landmark_layout_get_class_name (const GstLandmarkLayout * layout,
    guint c);

/* ---- the meta ---- */

GST_LANDMARK_API
GType gst_landmark_meta_api_get_type (void);
#define GST_LANDMARK_META_API_TYPE (gst_landmark_meta_api_get_type ())

GST_LANDMARK_API
const GstMetaInfo *gst_landmark_meta_get_info (void);
#define GST_LANDMARK_META_INFO (gst_landmark_meta_get_info ())

GST_LANDMARK_API
GstLandmarkMeta *gst_buffer_add_landmark_meta (GstBuffer * buffer);
GST_LANDMARK_API
GstLandmarkMeta *gst_buffer_get_landmark_meta (GstBuffer * buffer);

GST_LANDMARK_API
guint gst_landmark_meta_add_instance (GstLandmarkMeta * meta,
    GstLandmarkLayout * layout, gfloat x, gfloat y, gfloat w, gfloat h,
    gfloat score, guint64 track_id);
GST_LANDMARK_API
gboolean gst_landmark_meta_set_point (GstLandmarkMeta * meta, guint i, guint k,
    gfloat x, gfloat y, gfloat confidence, guint8 visibility);
GST_LANDMARK_API
gboolean gst_landmark_meta_set_class_map (GstLandmarkMeta * meta, guint i,
    guint width, guint height, GBytes * classes, gfloat x, gfloat y, gfloat w,
    gfloat h);
GST_LANDMARK_API
void gst_landmark_meta_scale (GstLandmarkMeta * meta, gdouble sx, gdouble sy);

GST_LANDMARK_API
guint gst_landmark_meta_get_n_instances (const GstLandmarkMeta * meta);
GST_LANDMARK_API
const GstLandmarkInstance *gst_landmark_meta_get_instance (const GstLandmarkMeta * meta,
    guint i);
GST_LANDMARK_API
GstLandmarkLayout *gst_landmark_meta_get_layout (const GstLandmarkMeta * meta, guint i);
GST_LANDMARK_API
const gchar *gst_landmark_meta_get_task (const GstLandmarkMeta * meta, guint i);
GST_LANDMARK_API
gboolean gst_landmark_meta_get_bbox (const GstLandmarkMeta * meta, guint i,
    gfloat * x, gfloat * y, gfloat * w, gfloat * h);
GST_LANDMARK_API
gfloat gst_landmark_meta_get_score (const GstLandmarkMeta * meta, guint i);
GST_LANDMARK_API
guint64 gst_landmark_meta_get_track_id (const GstLandmarkMeta * meta, guint i);
GST_LANDMARK_API
guint gst_landmark_meta_get_n_points (const GstLandmarkMeta * meta, guint i);
GST_LANDMARK_API
gboolean gst_landmark_meta_get_point (const GstLandmarkMeta * meta, guint i, guint k,
    gfloat * x, gfloat * y, gfloat * confidence, guint8 * visibility);
GST_LANDMARK_API
const gchar *gst_landmark_meta_get_point_name (const GstLandmarkMeta * meta, guint i,
    guint k);
GST_LANDMARK_API
guint gst_landmark_meta_get_n_skeleton_pairs (const GstLandmarkMeta * meta, guint i);
GST_LANDMARK_API
gboolean gst_landmark_meta_get_skeleton_pair (const GstLandmarkMeta * meta, guint i,
    guint j, guint * a, guint * b);
GST_LANDMARK_API
guint gst_landmark_meta_get_n_classes (const GstLandmarkMeta * meta, guint i);
GST_LANDMARK_API
const gchar *gst_landmark_meta_get_class_name (const GstLandmarkMeta * meta, guint i,
    guint c);
GST_LANDMARK_API
GBytes *gst_landmark_meta_get_class_map (const GstLandmarkMeta * meta, guint i,
    guint * width, guint * height, gfloat * x, gfloat * y, gfloat * w, gfloat * h);

G_END_DECLS

#endif /* GST_LANDMARK_META_H */
