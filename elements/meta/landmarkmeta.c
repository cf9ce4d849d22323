/* landmarkmeta.c: the GstLandmarkMeta API type and implementation (init, free, copy and
 * video-scale transforms) and the reference-counted GstLandmarkLayout. */
#include "gst/landmark/landmarkmeta.h"

#include <string.h>

/* ---- GstLandmarkLayout ---- */

struct _GstLandmarkLayout {
  gint refcount;
  gchar *task;
  guint n_points;
  gchar **point_names; /* n_points + NULL */
  guint n_pairs;
  guint *pairs;        /* 2 * n_pairs */
  guint n_classes;
  gchar **class_names; /* n_classes + NULL */
};

G_DEFINE_BOXED_TYPE (GstLandmarkLayout, gst_landmark_layout,
    gst_landmark_layout_ref, gst_landmark_layout_unref);

static gchar **
copy_names (guint n, const gchar * const *names, const gchar * prefix)
{
  gchar **out = g_new0 (gchar *, n + 1);
  for (guint i = 0; i < n; i++) {
    if (names && names[i])
      out[i] = g_strdup (names[i]);
    else
      out[i] = g_strdup_printf ("%s%u", prefix, i);
  }
  return out;
}

/**
 * gst_landmark_layout_new:
 * @task: the semantic tag, e.g. "body-14-kp"
 * @n_points: number of points
 * @point_names: (array length=n_points) (nullable): point names; NULL gives "p0", "p1"...
 * @n_pair_indices: length of @pairs: twice the number of skeleton pairs
 * @pairs: (array length=n_pair_indices) (nullable): the skeleton, flattened: a0, b0,
 *   a1, b1, ... (point indices)
 * @n_classes: number of class-map classes (0: none)
 * @class_names: (array length=n_classes) (nullable): class names
 *
 * Pairs naming a point >= @n_points are dropped, as is an odd last index.
 *
 * Returns: (transfer full): a new layout
 */
GstLandmarkLayout *
gst_landmark_layout_new (const gchar * task, guint n_points,
    const gchar * const *point_names, guint n_pair_indices, const gint * pairs,
    guint n_classes, const gchar * const *class_names)
{
  const guint n_pairs = n_pair_indices / 2;
  GstLandmarkLayout *l = g_new0 (GstLandmarkLayout, 1);
  l->refcount = 1;
  l->task = g_strdup (task ? task : "");
  l->n_points = n_points;
  l->point_names = copy_names (n_points, point_names, "p");
  l->pairs = g_new0 (guint, 2 * (gsize) n_pairs + 2);
  for (guint j = 0; pairs && j < n_pairs; j++) {
    gint a = pairs[2 * j], b = pairs[2 * j + 1];
    if (a < 0 || b < 0 || (guint) a >= n_points || (guint) b >= n_points)
      continue;
    l->pairs[2 * l->n_pairs] = (guint) a;
    l->pairs[2 * l->n_pairs + 1] = (guint) b;
    l->n_pairs++;
  }
  l->n_classes = n_classes;
  l->class_names = copy_names (n_classes, class_names, "class");
  return l;
}

/**
 * gst_landmark_layout_ref:
 * @layout: a layout
 *
 * Returns: (transfer full): @layout
 */
GstLandmarkLayout *
gst_landmark_layout_ref (GstLandmarkLayout * layout)
{
  g_return_val_if_fail (layout != NULL, NULL);
  g_atomic_int_inc (&layout->refcount);
  return layout;
}

/**
 * gst_landmark_layout_unref:
 * @layout: (transfer full): a layout
 */
void
gst_landmark_layout_unref (GstLandmarkLayout * layout)
{
  g_return_if_fail (layout != NULL);
  if (!g_atomic_int_dec_and_test (&layout->refcount))
    return;
  g_free (layout->task);
  g_strfreev (layout->point_names);
  g_free (layout->pairs);
  g_strfreev (layout->class_names);
  g_free (layout);
}

/**
 * gst_landmark_layout_get_task:
 * @layout: a layout
 *
 * Returns: the semantic tag, e.g. "face-68-kp"
 */
const gchar *
gst_landmark_layout_get_task (const GstLandmarkLayout * layout)
{
  g_return_val_if_fail (layout != NULL, NULL);
  return layout->task;
}

/**
 * gst_landmark_layout_get_n_points:
 * @layout: a layout
 *
 * Returns: the number of points
 */
guint
gst_landmark_layout_get_n_points (const GstLandmarkLayout * layout)
{
  g_return_val_if_fail (layout != NULL, 0);
  return layout->n_points;
}

/**
 * gst_landmark_layout_get_point_name:
 * @layout: a layout
 * @k: point index
 *
 * Returns: (nullable): the name of point @k, NULL when out of range
 */
const gchar *
gst_landmark_layout_get_point_name (const GstLandmarkLayout * layout, guint k)
{
  g_return_val_if_fail (layout != NULL, NULL);
  return k < layout->n_points ? layout->point_names[k] : NULL;
}

/**
 * gst_landmark_layout_find_point:
 * @layout: a layout
 * @name: a point name
 *
 * Returns: the index of the point called @name, or -1
 */
gint
gst_landmark_layout_find_point (const GstLandmarkLayout * layout, const gchar * name)
{
  g_return_val_if_fail (layout != NULL && name != NULL, -1);
  for (guint k = 0; k < layout->n_points; k++)
    if (strcmp (layout->point_names[k], name) == 0)
      return (gint) k;
  return -1;
}

/**
 * gst_landmark_layout_get_n_skeleton_pairs:
 * @layout: a layout
 *
 * Returns: the number of skeleton pairs
 */
guint
gst_landmark_layout_get_n_skeleton_pairs (const GstLandmarkLayout * layout)
{
  g_return_val_if_fail (layout != NULL, 0);
  return layout->n_pairs;
}

/**
 * gst_landmark_layout_get_skeleton_pair:
 * @layout: a layout
 * @j: pair index
 * @a: (out): first point index
 * @b: (out): second point index
 *
 * Returns: FALSE when @j is out of range
 */
gboolean
gst_landmark_layout_get_skeleton_pair (const GstLandmarkLayout * layout, guint j,
    guint * a, guint * b)
{
  g_return_val_if_fail (layout != NULL, FALSE);
  if (j >= layout->n_pairs)
    return FALSE;
  if (a)
    *a = layout->pairs[2 * j];
  if (b)
    *b = layout->pairs[2 * j + 1];
  return TRUE;
}

/**
 * gst_landmark_layout_get_n_classes:
 * @layout: a layout
 *
 * Returns: the number of class-map classes (0: the model has no class map)
 */
guint
gst_landmark_layout_get_n_classes (const GstLandmarkLayout * layout)
{
  g_return_val_if_fail (layout != NULL, 0);
  return layout->n_classes;
}

/**
 * gst_landmark_layout_get_class_name:
 * @layout: a layout
 * @c: class index
 *
 * Returns: (nullable): the class name, NULL when out of range
 */
const gchar *
gst_landmark_layout_get_class_name (const GstLandmarkLayout * layout, guint c)
{
  g_return_val_if_fail (layout != NULL, NULL);
  return c < layout->n_classes ? layout->class_names[c] : NULL;
}

/* ---- GstLandmarkMeta ---- */

GType
gst_landmark_meta_api_get_type (void)
{
  static GType type = 0;
  static const gchar *tags[] = { GST_META_TAG_VIDEO_STR,
    GST_META_TAG_VIDEO_ORIENTATION_STR, GST_META_TAG_VIDEO_SIZE_STR, NULL
  };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("GstLandmarkMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

static gboolean
landmark_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  GstLandmarkMeta *m = (GstLandmarkMeta *) meta;
  (void) params;
  (void) buffer;
  m->n_instances = 0;
  m->instances = NULL;
  m->capacity = 0;
  return TRUE;
}

static void
instance_clear (GstLandmarkInstance * in)
{
  if (in->layout)
    gst_landmark_layout_unref (in->layout);
  g_free (in->points);
  if (in->map)
    g_bytes_unref (in->map);
  memset (in, 0, sizeof (*in));
}

static void
landmark_meta_free (GstMeta * meta, GstBuffer * buffer)
{
  GstLandmarkMeta *m = (GstLandmarkMeta *) meta;
  (void) buffer;
  for (guint i = 0; i < m->n_instances; i++)
    instance_clear (&m->instances[i]);
  g_free (m->instances);
  m->instances = NULL;
  m->n_instances = m->capacity = 0;
}

static GstLandmarkInstance *
append_instance (GstLandmarkMeta * m)
{
  if (m->n_instances == m->capacity) {
    m->capacity = m->capacity ? 2 * m->capacity : 2;
    m->instances = g_renew (GstLandmarkInstance, m->instances, m->capacity);
  }
  GstLandmarkInstance *in = &m->instances[m->n_instances++];
  memset (in, 0, sizeof (*in));
  return in;
}

static void
copy_into (GstLandmarkMeta * dst, const GstLandmarkMeta * src)
{
  for (guint i = 0; i < src->n_instances; i++) {
    const GstLandmarkInstance *s = &src->instances[i];
    GstLandmarkInstance *d = append_instance (dst);
    *d = *s;
    d->layout = s->layout ? gst_landmark_layout_ref (s->layout) : NULL;
    d->points = s->n_points ? g_memdup2 (s->points,
        sizeof (GstLandmarkPoint) * s->n_points) : NULL;
    d->map = s->map ? g_bytes_ref (s->map) : NULL;
  }
}

static gboolean
landmark_meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * buffer,
    GQuark type, gpointer data)
{
  GstLandmarkMeta *src = (GstLandmarkMeta *) meta;
  (void) buffer;

  if (GST_META_TRANSFORM_IS_COPY (type)) {
    GstMetaTransformCopy *copy = data;
    /* a sub-region copy (e.g. a byte range) has no frame geometry: drop the meta */
    if (copy && copy->region)
      return FALSE;
    GstLandmarkMeta *dst = gst_buffer_add_landmark_meta (dest);
    if (!dst)
      return FALSE;
    copy_into (dst, src);
    return TRUE;
  }
  if (GST_VIDEO_META_TRANSFORM_IS_SCALE (type)) {
    GstVideoMetaTransform *vt = data;
    gint iw = GST_VIDEO_INFO_WIDTH (vt->in_info), ih = GST_VIDEO_INFO_HEIGHT (vt->in_info);
    gint ow = GST_VIDEO_INFO_WIDTH (vt->out_info), oh = GST_VIDEO_INFO_HEIGHT (vt->out_info);
    if (iw <= 0 || ih <= 0 || ow <= 0 || oh <= 0)
      return FALSE;
    GstLandmarkMeta *dst = gst_buffer_add_landmark_meta (dest);
    if (!dst)
      return FALSE;
    copy_into (dst, src);
    gst_landmark_meta_scale (dst, (gdouble) ow / iw, (gdouble) oh / ih);
    return TRUE;
  }
  /* other transforms (flips, rotations...) are not supported: drop the meta */
  return FALSE;
}

const GstMetaInfo *
gst_landmark_meta_get_info (void)
{
  static const GstMetaInfo *info = NULL;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (GST_LANDMARK_META_API_TYPE,
        "GstLandmarkMeta", sizeof (GstLandmarkMeta), landmark_meta_init,
        landmark_meta_free, landmark_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

/**
 * gst_buffer_add_landmark_meta:
 * @buffer: a writable #GstBuffer
 *
 * Returns: (transfer none): a new, empty #GstLandmarkMeta on @buffer
 */
GstLandmarkMeta *
gst_buffer_add_landmark_meta (GstBuffer * buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  return (GstLandmarkMeta *) gst_buffer_add_meta (buffer, GST_LANDMARK_META_INFO, NULL);
}

/**
 * gst_buffer_get_landmark_meta:
 * @buffer: a #GstBuffer
 *
 * Returns: (transfer none) (nullable): the #GstLandmarkMeta of @buffer, or NULL
 */
GstLandmarkMeta *
gst_buffer_get_landmark_meta (GstBuffer * buffer)
{
  g_return_val_if_fail (GST_IS_BUFFER (buffer), NULL);
  return (GstLandmarkMeta *) gst_buffer_get_meta (buffer, GST_LANDMARK_META_API_TYPE);
}

/**
 * gst_landmark_meta_add_instance:
 * @meta: a #GstLandmarkMeta
 * @layout: the instance's layout (a reference is taken)
 * @x: bbox left edge (frame pixels)
 * @y: bbox top edge
 * @w: bbox width
 * @h: bbox height
 * @score: 0..1
 * @track_id: track identity, 0 for none
 *
 * Adds an instance with the layout's number of points, all zero.
 *
 * Returns: the index of the new instance
 */
guint
gst_landmark_meta_add_instance (GstLandmarkMeta * meta, GstLandmarkLayout * layout,
    gfloat x, gfloat y, gfloat w, gfloat h, gfloat score, guint64 track_id)
{
  g_return_val_if_fail (meta != NULL && layout != NULL, G_MAXUINT);
  GstLandmarkInstance *in = append_instance (meta);
  in->layout = gst_landmark_layout_ref (layout);
  in->x = x;
  in->y = y;
  in->w = w;
  in->h = h;
  in->score = score;
  in->track_id = track_id;
  in->n_points = layout->n_points;
  in->points = in->n_points ? g_new0 (GstLandmarkPoint, in->n_points) : NULL;
  return meta->n_instances - 1;
}

/**
 * gst_landmark_meta_set_point:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 * @k: point index
 * @x: x, frame pixels (pixel-centre convention)
 * @y: y
 * @confidence: 0..1
 * @visibility: #GstLandmarkVisibility flags
 *
 * Returns: FALSE when @i or @k is out of range
 */
gboolean
gst_landmark_meta_set_point (GstLandmarkMeta * meta, guint i, guint k, gfloat x,
    gfloat y, gfloat confidence, guint8 visibility)
{
  g_return_val_if_fail (meta != NULL, FALSE);
  if (i >= meta->n_instances || k >= meta->instances[i].n_points)
    return FALSE;
  GstLandmarkPoint *p = &meta->instances[i].points[k];
  p->x = x;
  p->y = y;
  p->confidence = confidence;
  p->visibility = visibility;
  return TRUE;
}

/**
 * gst_landmark_meta_set_class_map:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 * @width: map width
 * @height: map height
 * @classes: (transfer none): @width x @height class indices (a reference is taken)
 * @x: left edge of the frame rectangle the map covers (edge convention)
 * @y: top edge
 * @w: rectangle width
 * @h: rectangle height
 *
 * Returns: FALSE when @i is out of range or @classes has the wrong size
 */
gboolean
gst_landmark_meta_set_class_map (GstLandmarkMeta * meta, guint i, guint width,
    guint height, GBytes * classes, gfloat x, gfloat y, gfloat w, gfloat h)
{
  g_return_val_if_fail (meta != NULL && classes != NULL, FALSE);
  if (i >= meta->n_instances || g_bytes_get_size (classes) != (gsize) width * height)
    return FALSE;
  GstLandmarkInstance *in = &meta->instances[i];
  if (in->map)
    g_bytes_unref (in->map);
  in->map = g_bytes_ref (classes);
  in->map_width = width;
  in->map_height = height;
  in->map_x = x;
  in->map_y = y;
  in->map_w = w;
  in->map_h = h;
  return TRUE;
}

/**
 * gst_landmark_meta_scale:
 * @meta: a #GstLandmarkMeta
 * @sx: horizontal factor (new width / old width)
 * @sy: vertical factor
 *
 * Rescales every point, box and class-map rectangle, as when the frame is resized.
 */
void
gst_landmark_meta_scale (GstLandmarkMeta * meta, gdouble sx, gdouble sy)
{
  g_return_if_fail (meta != NULL);
  for (guint i = 0; i < meta->n_instances; i++) {
    GstLandmarkInstance *in = &meta->instances[i];
    in->x = (gfloat) (in->x * sx);
    in->y = (gfloat) (in->y * sy);
    in->w = (gfloat) (in->w * sx);
    in->h = (gfloat) (in->h * sy);
    in->map_x = (gfloat) (in->map_x * sx);
    in->map_y = (gfloat) (in->map_y * sy);
    in->map_w = (gfloat) (in->map_w * sx);
    in->map_h = (gfloat) (in->map_h * sy);
    for (guint k = 0; k < in->n_points; k++) {
      /* pixel centres: centre c spans edges [c, c+1) shifted by 0.5 */
      in->points[k].x = (gfloat) ((in->points[k].x + 0.5) * sx - 0.5);
      in->points[k].y = (gfloat) ((in->points[k].y + 0.5) * sy - 0.5);
    }
  }
}

/**
 * gst_landmark_meta_get_n_instances:
 * @meta: a #GstLandmarkMeta
 *
 * Returns: the number of instances
 */
guint
gst_landmark_meta_get_n_instances (const GstLandmarkMeta * meta)
{
  g_return_val_if_fail (meta != NULL, 0);
  return meta->n_instances;
}

/**
 * gst_landmark_meta_get_instance: (skip)
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 *
 * Returns: (nullable): instance @i, NULL when out of range
 */
const GstLandmarkInstance *
gst_landmark_meta_get_instance (const GstLandmarkMeta * meta, guint i)
{
  g_return_val_if_fail (meta != NULL, NULL);
  return i < meta->n_instances ? &meta->instances[i] : NULL;
}

/**
 * gst_landmark_meta_get_layout:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 *
 * Returns: (transfer none) (nullable): the layout of instance @i
 */
GstLandmarkLayout *
gst_landmark_meta_get_layout (const GstLandmarkMeta * meta, guint i)
{
  g_return_val_if_fail (meta != NULL, NULL);
  return i < meta->n_instances ? meta->instances[i].layout : NULL;
}

/**
 * gst_landmark_meta_get_task:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 *
 * Returns: (nullable): the semantic tag of instance @i ("body-14-kp", "face-68-kp", ...)
 */
const gchar *
gst_landmark_meta_get_task (const GstLandmarkMeta * meta, guint i)
{
  GstLandmarkLayout *l = gst_landmark_meta_get_layout (meta, i);
  return l ? l->task : NULL;
}

/**
 * gst_landmark_meta_get_bbox:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 * @x: (out): left edge, frame pixels
 * @y: (out): top edge
 * @w: (out): width
 * @h: (out): height
 *
 * Returns: FALSE when @i is out of range
 */
gboolean
gst_landmark_meta_get_bbox (const GstLandmarkMeta * meta, guint i, gfloat * x,
    gfloat * y, gfloat * w, gfloat * h)
{
  g_return_val_if_fail (meta != NULL, FALSE);
  if (i >= meta->n_instances)
    return FALSE;
  const GstLandmarkInstance *in = &meta->instances[i];
  if (x)
    *x = in->x;
  if (y)
    *y = in->y;
  if (w)
    *w = in->w;
  if (h)
    *h = in->h;
  return TRUE;
}

/**
 * gst_landmark_meta_get_score:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 *
 * Returns: the score of instance @i (0 when out of range)
 */
gfloat
gst_landmark_meta_get_score (const GstLandmarkMeta * meta, guint i)
{
  g_return_val_if_fail (meta != NULL, 0.0f);
  return i < meta->n_instances ? meta->instances[i].score : 0.0f;
}

/**
 * gst_landmark_meta_get_track_id:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 *
 * Returns: the track id of instance @i (0: none)
 */
guint64
gst_landmark_meta_get_track_id (const GstLandmarkMeta * meta, guint i)
{
  g_return_val_if_fail (meta != NULL, 0);
  return i < meta->n_instances ? meta->instances[i].track_id : 0;
}

/**
 * gst_landmark_meta_get_n_points:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 *
 * Returns: the number of points of instance @i
 */
guint
gst_landmark_meta_get_n_points (const GstLandmarkMeta * meta, guint i)
{
  g_return_val_if_fail (meta != NULL, 0);
  return i < meta->n_instances ? meta->instances[i].n_points : 0;
}

/**
 * gst_landmark_meta_get_point:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 * @k: point index
 * @x: (out): x in frame pixels (pixel-centre convention)
 * @y: (out): y
 * @confidence: (out): 0..1
 * @visibility: (out): #GstLandmarkVisibility flags
 *
 * Returns: FALSE when @i or @k is out of range
 */
gboolean
gst_landmark_meta_get_point (const GstLandmarkMeta * meta, guint i, guint k,
    gfloat * x, gfloat * y, gfloat * confidence, guint8 * visibility)
{
  g_return_val_if_fail (meta != NULL, FALSE);
  if (i >= meta->n_instances || k >= meta->instances[i].n_points)
    return FALSE;
  const GstLandmarkPoint *p = &meta->instances[i].points[k];
  if (x)
    *x = p->x;
  if (y)
    *y = p->y;
  if (confidence)
    *confidence = p->confidence;
  if (visibility)
    *visibility = p->visibility;
  return TRUE;
}

/**
 * gst_landmark_meta_get_point_name:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 * @k: point index
 *
 * Returns: (nullable): the name of point @k of instance @i
 */
const gchar *
gst_landmark_meta_get_point_name (const GstLandmarkMeta * meta, guint i, guint k)
{
  GstLandmarkLayout *l = gst_landmark_meta_get_layout (meta, i);
  return l ? gst_landmark_layout_get_point_name (l, k) : NULL;
}

/**
 * gst_landmark_meta_get_n_skeleton_pairs:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 *
 * Returns: the number of skeleton pairs of instance @i
 */
guint
gst_landmark_meta_get_n_skeleton_pairs (const GstLandmarkMeta * meta, guint i)
{
  GstLandmarkLayout *l = gst_landmark_meta_get_layout (meta, i);
  return l ? l->n_pairs : 0;
}

/**
 * gst_landmark_meta_get_skeleton_pair:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 * @j: pair index
 * @a: (out): first point index
 * @b: (out): second point index
 *
 * Returns: FALSE when @i or @j is out of range
 */
gboolean
gst_landmark_meta_get_skeleton_pair (const GstLandmarkMeta * meta, guint i, guint j,
    guint * a, guint * b)
{
  GstLandmarkLayout *l = gst_landmark_meta_get_layout (meta, i);
  return l ? gst_landmark_layout_get_skeleton_pair (l, j, a, b) : FALSE;
}

/**
 * gst_landmark_meta_get_n_classes:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 *
 * Returns: the number of class-map classes of instance @i
 */
guint
gst_landmark_meta_get_n_classes (const GstLandmarkMeta * meta, guint i)
{
  GstLandmarkLayout *l = gst_landmark_meta_get_layout (meta, i);
  return l ? l->n_classes : 0;
}

/**
 * gst_landmark_meta_get_class_name:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 * @c: class index
 *
 * Returns: (nullable): the name of class @c
 */
const gchar *
gst_landmark_meta_get_class_name (const GstLandmarkMeta * meta, guint i, guint c)
{
  GstLandmarkLayout *l = gst_landmark_meta_get_layout (meta, i);
  return l ? gst_landmark_layout_get_class_name (l, c) : NULL;
}

/**
 * gst_landmark_meta_get_class_map:
 * @meta: a #GstLandmarkMeta
 * @i: instance index
 * @width: (out): map width
 * @height: (out): map height
 * @x: (out): left edge of the frame rectangle it covers
 * @y: (out): top edge
 * @w: (out): rectangle width
 * @h: (out): rectangle height
 *
 * Returns: (transfer none) (nullable): the class indices (@width x @height bytes,
 *   row-major), or NULL when the instance has no class map
 */
GBytes *
gst_landmark_meta_get_class_map (const GstLandmarkMeta * meta, guint i, guint * width,
    guint * height, gfloat * x, gfloat * y, gfloat * w, gfloat * h)
{
  g_return_val_if_fail (meta != NULL, NULL);
  const GstLandmarkInstance *in =
      i < meta->n_instances && meta->instances[i].map ? &meta->instances[i] : NULL;
  if (!in) {
    if (width)
      *width = 0;
    if (height)
      *height = 0;
    if (x)
      *x = 0;
    if (y)
      *y = 0;
    if (w)
      *w = 0;
    if (h)
      *h = 0;
    return NULL;
  }
  if (width)
    *width = in->map_width;
  if (height)
    *height = in->map_height;
  if (x)
    *x = in->map_x;
  if (y)
    *y = in->map_y;
  if (w)
    *w = in->map_w;
  if (h)
    *h = in->map_h;
  return in->map;
}
