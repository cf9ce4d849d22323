/* bnn_detect.c: the bnndetect element: runs a binary CenterNet detector (persons, faces) on the
 * letterboxed whole frame and attaches one GstVideoRegionOfInterestMeta per detection. */
#include <string.h>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include "bnnlm/bnnlm.h"
#include "element_model.h"
#include "elements.h"
#include "video_frame_input.h"

GST_DEBUG_CATEGORY_STATIC (bnn_detect_debug);
#define GST_CAT_DEFAULT bnn_detect_debug

#define MAX_DET_LIMIT 256
#define MAX_CLASSES 16
#define MATCH_IOU 0.3f
#define MAX_CARRY_SECONDS 0.5
/* A track that a run does not find is remembered (not reported) for this many runs, at most
 * LOST_TRACK_SECONDS of stream time, so a detection that dips under the threshold for a few
 * frames keeps its id when it comes back (docs/detector.md, "Track ids"). */
#define LOST_TRACK_RUNS 15
#define LOST_TRACK_SECONDS 1.0

#define DEFAULT_MODEL "detect"
#define DEFAULT_THREADS 1
#define DEFAULT_THRESHOLD 0.2f
#define DEFAULT_MAX_DETECTIONS 20
#define DEFAULT_CLASSES NULL /* every class of the model */
#define DEFAULT_INTERVAL 1
#define DEFAULT_TILES 1
/* coast-runs: a lost track is still reported for this many runs at its predicted box, its
 * confidence times COAST_DECAY per missed run (docs/detector.md, "Coasting") */
#define DEFAULT_COAST_RUNS 1
#define COAST_DECAY 0.6f
#define COAST_MIN_HITS 3 /* only tracks found in at least this many runs coast */

#define CAPS_FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, I420, NV12, YUY2, GRAY8 }"

enum {
  PROP_0,
  PROP_MODEL,
  PROP_THREADS,
  PROP_THRESHOLD,
  PROP_PERSON_THRESHOLD,
  PROP_FACE_THRESHOLD,
  PROP_MAX_DETECTIONS,
  PROP_IOU_THRESHOLD,
  PROP_CLASSES,
  PROP_INFERENCE_INTERVAL,
  PROP_TILES,
  PROP_COAST_RUNS,
  PROP_INFERENCES,
};

typedef struct {
  gint cls;
  gfloat score;
  gfloat box[4];  /* edges x, y, w, h in frame pixels */
  gfloat vx, vy;  /* centre speed, pixels per second */
  gint track_id;
  guint missed;   /* lost tracks: runs since it was last found */
  guint hits;     /* runs that found it */
  GstClockTime seen_pts; /* lost tracks: when it was last found */
} Track;

typedef struct {
  GstVideoFilter parent;

  /* properties, under the object lock */
  gchar *model_prop;
  gint threads;
  gfloat threshold, person_threshold, face_threshold;
  guint max_detections;
  gfloat iou_threshold;
  gchar *classes_prop;
  guint interval;
  guint tiles;
  guint coast_runs;
  guint64 inferences;

  /* set up in start(), freed in stop() */
  gchar *model_path;
  bnn_model *model;
  const bnn_model_info *info;
  bnn_net *net;
  gint out_idx[3];
  gint n_cls;
  GQuark cls_quark[MAX_CLASSES];
  gboolean cls_wanted[MAX_CLASSES];
  bnn_detection *dets; /* MAX_DET_LIMIT per crop, BNN_DETECT_MAX_CROPS crops */

  /* streaming state */
  Track tracks[MAX_DET_LIMIT];
  Track next[MAX_DET_LIMIT];
  Track lost[MAX_DET_LIMIT]; /* tracks not found lately, newest first */
  Track lost_next[MAX_DET_LIMIT];
  guint n_lost;
  guint n_tracks;
  gint next_track_id;
  GstClockTime tracks_pts;
  gint tracks_w, tracks_h;
  guint64 frame_count;
} GstBnnDetect;

typedef struct {
  GstVideoFilterClass parent_class;
} GstBnnDetectClass;

#define GST_TYPE_BNN_DETECT (gst_bnn_detect_get_type ())
#define GST_BNN_DETECT(obj) ((GstBnnDetect *) (obj))
GType gst_bnn_detect_get_type (void);
G_DEFINE_TYPE (GstBnnDetect, gst_bnn_detect, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (bnndetect, "bnndetect", GST_RANK_NONE, GST_TYPE_BNN_DETECT);

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (CAPS_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (CAPS_FORMATS)));

/* ---- helpers ---- */

/* The threshold of class c (a per-class property < 0 falls back to `threshold`). */
static gfloat
class_threshold (GstBnnDetect * self, gint c)
{
  gfloat t = self->threshold;
  const gchar *name = g_quark_to_string (self->cls_quark[c]);
  if (g_strcmp0 (name, "person") == 0 && self->person_threshold >= 0.0f)
    t = self->person_threshold;
  else if (g_strcmp0 (name, "face") == 0 && self->face_threshold >= 0.0f)
    t = self->face_threshold;
  return t;
}

/* ---- GstBaseTransform / GstVideoFilter ---- */

static void
free_state (GstBnnDetect * self)
{
  g_clear_pointer (&self->dets, g_free);
  g_clear_pointer (&self->net, bnn_net_free);
  g_clear_pointer (&self->model, bnn_model_free);
  g_clear_pointer (&self->model_path, g_free);
  self->info = NULL;
  self->n_cls = 0;
}

static void
reset_tracking (GstBnnDetect * self)
{
  self->n_tracks = 0;
  self->n_lost = 0;
  self->tracks_pts = GST_CLOCK_TIME_NONE;
  self->tracks_w = self->tracks_h = 0;
}

static gboolean
gst_bnn_detect_start (GstBaseTransform * trans)
{
  GstBnnDetect *self = GST_BNN_DETECT (trans);
  gchar *prop, *classes;
  gint threads;

  GST_OBJECT_LOCK (self);
  prop = g_strdup (self->model_prop);
  classes = g_strdup (self->classes_prop);
  threads = self->threads;
  self->inferences = 0;
  GST_OBJECT_UNLOCK (self);

  if (!bnn_element_open_model (GST_ELEMENT (self), prop, "detect", threads, BNN_ISA_AUTO,
          &self->model_path, &self->model, &self->net))
    goto fail;
  self->info = bnn_model_get_info (self->model);
  self->out_idx[0] = bnn_net_find_output (self->net, BNN_OUT_DET_CENTER);
  self->out_idx[1] = bnn_net_find_output (self->net, BNN_OUT_DET_SIZE);
  self->out_idx[2] = bnn_net_find_output (self->net, BNN_OUT_DET_OFFSET);
  if (self->out_idx[0] < 0 || self->out_idx[1] < 0 || self->out_idx[2] < 0
      || self->info->n_det_classes <= 0 || self->info->n_det_classes > MAX_CLASSES) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Model file \"%s\" is not a detector (task \"%s\", %d detection classes).",
            self->model_path, self->info->task, self->info->n_det_classes), (NULL));
    goto fail;
  }
  self->n_cls = self->info->n_det_classes;
  const gboolean all = !classes || !*classes;
  gchar **want = g_strsplit (all ? "" : classes, ",", -1);
  for (gint c = 0; c < self->n_cls; c++) {
    self->cls_quark[c] = g_quark_from_string (self->info->det_class_names[c]);
    self->cls_wanted[c] = all;
  }
  for (gchar ** w = want; *w; w++) {
    gchar *name = g_strstrip (*w);
    if (!*name)
      continue;
    gboolean found = FALSE;
    for (gint c = 0; c < self->n_cls; c++)
      if (g_ascii_strcasecmp (name, self->info->det_class_names[c]) == 0)
        found = self->cls_wanted[c] = TRUE;
    if (!found)
      GST_ELEMENT_WARNING (self, RESOURCE, SETTINGS,
          ("Class \"%s\" is not one of the classes of model \"%s\".", name,
              self->model_path), (NULL));
  }
  g_strfreev (want);
  self->dets = g_new0 (bnn_detection, MAX_DET_LIMIT * BNN_DETECT_MAX_CROPS);
  self->next_track_id = 0;
  self->frame_count = 0;
  reset_tracking (self);

  GST_INFO_OBJECT (self, "loaded %s: %dx%d input, %d classes, isa %s, %d thread(s)",
      self->model_path, self->info->input_size, self->info->input_size, self->n_cls,
      bnn_isa_name (bnn_net_isa (self->net)), threads);
  g_free (prop);
  g_free (classes);
  return TRUE;

fail:
  g_free (prop);
  g_free (classes);
  free_state (self);
  return FALSE;
}

static gboolean
gst_bnn_detect_stop (GstBaseTransform * trans)
{
  GstBnnDetect *self = GST_BNN_DETECT (trans);
  free_state (self);
  return TRUE;
}

/* The lost track of class cls whose box, moved by its speed to pts, overlaps box best (IoU
 * >= MATCH_IOU, not yet taken); -1 if none. */
static gint
match_lost (GstBnnDetect * self, gint cls, const gfloat * box, GstClockTime pts,
    const gboolean * taken)
{
  gint best = -1;
  float best_iou = MATCH_IOU;
  for (guint p = 0; p < self->n_lost; p++) {
    const Track *q = &self->lost[p];
    if (taken[p] || q->cls != cls)
      continue;
    float dt = 0.0f;
    if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (q->seen_pts)
        && pts > q->seen_pts) {
      const double age = (double) (pts - q->seen_pts) / GST_SECOND;
      if (age > LOST_TRACK_SECONDS)
        continue;
      dt = (float) age;
    }
    const float moved[4] = { q->box[0] + q->vx * dt, q->box[1] + q->vy * dt, q->box[2],
      q->box[3]
    };
    const float v = bnn_box_iou (box, moved);
    if (v >= best_iou) {
      best_iou = v;
      best = (gint) p;
    }
  }
  return best;
}

/* Tracks of the previous run that this run did not find, and lost ones not found again,
 * become the lost list (newest first) until they are LOST_TRACK_RUNS runs or
 * LOST_TRACK_SECONDS old. */
static void
update_lost (GstBnnDetect * self, const gboolean * used, const gboolean * lost_taken,
    GstClockTime pts)
{
  guint k = 0;
  for (guint p = 0; p < self->n_tracks && k < MAX_DET_LIMIT; p++) {
    if (used[p])
      continue;
    Track *t = &self->lost_next[k++];
    *t = self->tracks[p];
    t->missed = 1;
    t->seen_pts = self->tracks_pts;
  }
  for (guint p = 0; p < self->n_lost && k < MAX_DET_LIMIT; p++) {
    const Track *q = &self->lost[p];
    if (lost_taken[p] || q->missed + 1 > LOST_TRACK_RUNS)
      continue;
    if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (q->seen_pts)
        && pts > q->seen_pts && (double) (pts - q->seen_pts) / GST_SECOND > LOST_TRACK_SECONDS)
      continue;
    Track *t = &self->lost_next[k++];
    *t = *q;
    t->missed++;
  }
  memcpy (self->lost, self->lost_next, k * sizeof (Track));
  self->n_lost = k;
}

/* Runs the network on the letterboxed frame; the kept detections become the new tracks,
 * each taking the id (and giving a speed) of the previous track it overlaps best, else of
 * the lost track it overlaps best. */
static gboolean
detect (GstBnnDetect * self, const GstVideoFrame * frame, GstClockTime pts)
{
  const gint W = GST_VIDEO_FRAME_WIDTH (frame), H = GST_VIDEO_FRAME_HEIGHT (frame);
  gfloat thr[MAX_CLASSES];
  guint max_det;
  gfloat max_iou;

  GST_OBJECT_LOCK (self);
  gfloat tmin = 1.0f;
  for (gint c = 0; c < self->n_cls; c++) {
    thr[c] = class_threshold (self, c);
    if (self->cls_wanted[c])
      tmin = MIN (tmin, thr[c]);
  }
  max_det = MIN (self->max_detections, MAX_DET_LIMIT);
  max_iou = self->iou_threshold;
  const guint tiles = self->tiles;
  GST_OBJECT_UNLOCK (self);

  /* the whole frame, letterboxed; with tiles > 1 also the overlapping tiles */
  bnn_crop crops[BNN_DETECT_MAX_CROPS];
  const int n_crops = bnn_detect_tile_crops (W, H, (int) tiles, self->info->input_size,
      crops, BNN_DETECT_MAX_CROPS);
  int n = 0;
  for (int c = 0; c < n_crops; c++) {
    bnn_video_frame_to_input (self->model, frame, &crops[c], bnn_net_input (self->net));
    if (bnn_net_run (self->net) != 0)
      return FALSE;
    bnn_output o[3];
    for (gint k = 0; k < 3; k++)
      if (bnn_net_output (self->net, self->out_idx[k], &o[k]) != 0)
        return FALSE;
    bnn_detection *d = self->dets + n;
    const int m = bnn_decode_detections (&o[0], &o[1], &o[2], self->info->output_stride,
        &crops[c], tmin, max_iou, d, MAX_DET_LIMIT);
    n += c == 0 ? m : bnn_tile_keep_detections (d, m, &crops[c], W, H);
  }
  if (n_crops > 1)
    n = bnn_merge_detections (self->dets, n, max_iou, MAX_DET_LIMIT * BNN_DETECT_MAX_CROPS);

  double dt = 0.0;
  const gboolean same_size = self->tracks_w == W && self->tracks_h == H;
  if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (self->tracks_pts)
      && pts > self->tracks_pts)
    dt = (double) (pts - self->tracks_pts) / GST_SECOND;
  gboolean used[MAX_DET_LIMIT] = { FALSE };
  gboolean lost_taken[MAX_DET_LIMIT] = { FALSE };
  if (!same_size)
    self->n_lost = 0;
  guint m = 0;
  for (int i = 0; i < n && m < max_det; i++) {
    const bnn_detection *d = &self->dets[i];
    if (d->cls < 0 || d->cls >= self->n_cls || !self->cls_wanted[d->cls]
        || !(d->score >= thr[d->cls]))
      continue;
    /* the box, clipped to the frame */
    const float x0 = CLAMP (d->x, 0.0f, (float) W), y0 = CLAMP (d->y, 0.0f, (float) H);
    const float x1 = CLAMP (d->x + d->w, 0.0f, (float) W);
    const float y1 = CLAMP (d->y + d->h, 0.0f, (float) H);
    if (x1 - x0 < 1.0f || y1 - y0 < 1.0f)
      continue;
    Track *t = &self->next[m++];
    t->cls = d->cls;
    t->score = d->score;
    t->box[0] = x0;
    t->box[1] = y0;
    t->box[2] = x1 - x0;
    t->box[3] = y1 - y0;
    t->vx = t->vy = 0.0f;
    t->missed = 0;
    t->hits = 1;
    t->seen_pts = pts;
    gint best = -1;
    float best_iou = MATCH_IOU;
    for (guint p = 0; p < self->n_tracks && same_size; p++) {
      const Track *q = &self->tracks[p];
      if (used[p] || q->cls != t->cls)
        continue;
      const float v = bnn_box_iou (t->box, q->box);
      if (v >= best_iou) {
        best_iou = v;
        best = (gint) p;
      }
    }
    if (best >= 0) {
      const Track *q = &self->tracks[best];
      used[best] = TRUE;
      t->track_id = q->track_id;
      t->hits = q->hits + 1;
      if (dt > 0.0) {
        t->vx = (float) (((t->box[0] + 0.5f * t->box[2]) - (q->box[0] + 0.5f * q->box[2])) / dt);
        t->vy = (float) (((t->box[1] + 0.5f * t->box[3]) - (q->box[1] + 0.5f * q->box[3])) / dt);
      }
    } else if ((best = match_lost (self, t->cls, t->box, pts, lost_taken)) >= 0) {
      const Track *q = &self->lost[best];
      lost_taken[best] = TRUE;
      t->track_id = q->track_id;
      t->hits = q->hits + 1;
      t->vx = q->vx;
      t->vy = q->vy;
    } else {
      t->track_id = ++self->next_track_id;
      if (self->next_track_id == G_MAXINT)
        self->next_track_id = 0;
    }
  }
  if (same_size)
    update_lost (self, used, lost_taken, pts);
  memcpy (self->tracks, self->next, m * sizeof (Track));
  self->n_tracks = m;
  self->tracks_pts = pts;
  self->tracks_w = W;
  self->tracks_h = H;
  GST_LOG_OBJECT (self, "%d peaks, %u detections kept", n, m);
  return TRUE;
}

/* The box of track t moved by its speed for dt seconds, in whole pixels inside the frame:
 * x0, y0, x1, y1. */
static void
moved_box (const Track * t, float dt, gint W, gint H, gint * b)
{
  const float dx = t->vx * dt, dy = t->vy * dt;
  b[0] = (gint) CLAMP (t->box[0] + dx + 0.5f, 0.0f, (float) W - 1.0f);
  b[1] = (gint) CLAMP (t->box[1] + dy + 0.5f, 0.0f, (float) H - 1.0f);
  b[2] = (gint) CLAMP (t->box[0] + t->box[2] + dx + 0.5f, (float) b[0] + 1.0f, (float) W);
  b[3] = (gint) CLAMP (t->box[1] + t->box[3] + dy + 0.5f, (float) b[1] + 1.0f, (float) H);
}

typedef struct {
  const Track *t;
  gint box[4];          /* x0, y0, x1, y1 */
  gfloat confidence;
  guint lost_runs;
} Report;

/* Seconds from `from` to pts, at most MAX_CARRY_SECONDS (0 when unknown). */
static float
carry_seconds (GstClockTime from, GstClockTime pts)
{
  if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (from) && pts > from)
    return (float) MIN ((double) (pts - from) / GST_SECOND, MAX_CARRY_SECONDS);
  return 0.0f;
}

/* One region-of-interest meta per track; on frames without their own inference the boxes
 * move with their tracked speed (for at most MAX_CARRY_SECONDS). Tracks found in at least
 * COAST_MIN_HITS runs and lost for at most coast-runs runs follow at their predicted boxes,
 * with a decayed confidence and their lost-runs count, unless a found track of their class
 * covers them (IoU >= MATCH_IOU). Best first, at most max-detections in all. */
static void
attach_tracks (GstBnnDetect * self, GstBuffer * buf, gint W, gint H, GstClockTime pts)
{
  if (self->tracks_w != W || self->tracks_h != H)
    return;
  GST_OBJECT_LOCK (self);
  const guint coast = self->coast_runs;
  const guint max_det = MIN (self->max_detections, MAX_DET_LIMIT);
  GST_OBJECT_UNLOCK (self);
  Report rep[2 * MAX_DET_LIMIT];
  guint n = 0;
  const float dt = carry_seconds (self->tracks_pts, pts);
  for (guint i = 0; i < self->n_tracks; i++) {
    Report *r = &rep[n++];
    r->t = &self->tracks[i];
    moved_box (r->t, dt, W, H, r->box);
    r->confidence = r->t->score;
    r->lost_runs = 0;
  }
  const guint n_found = n;
  for (guint p = 0; p < self->n_lost; p++) {
    const Track *q = &self->lost[p];
    if (q->missed > coast || q->hits < COAST_MIN_HITS || !self->cls_wanted[q->cls])
      continue;
    Report *r = &rep[n];
    r->t = q;
    moved_box (q, carry_seconds (q->seen_pts, pts), W, H, r->box);
    const float qb[4] = { (float) r->box[0], (float) r->box[1],
      (float) (r->box[2] - r->box[0]), (float) (r->box[3] - r->box[1])
    };
    gboolean covered = FALSE;
    for (guint i = 0; i < n_found && !covered; i++) {
      const gint *f = rep[i].box;
      const float fb[4] = { (float) f[0], (float) f[1], (float) (f[2] - f[0]),
        (float) (f[3] - f[1])
      };
      covered = rep[i].t->cls == q->cls && bnn_box_iou (qb, fb) >= MATCH_IOU;
    }
    if (covered)
      continue;
    r->confidence = q->score;
    for (guint k = 0; k < q->missed; k++)
      r->confidence *= COAST_DECAY;
    r->lost_runs = q->missed;
    /* best first, as the found ones are: insert it behind those at least as confident */
    const Report add = *r;
    guint k = n;
    for (; k > 0 && rep[k - 1].confidence < add.confidence; k--)
      rep[k] = rep[k - 1];
    rep[k] = add;
    n++;
  }
  /* at most max-detections in all */
  for (guint i = 0; i < MIN (n, max_det); i++) {
    const Report *r = &rep[i];
    GstVideoRegionOfInterestMeta *roi =
        gst_buffer_add_video_region_of_interest_meta_id (buf, self->cls_quark[r->t->cls],
        (guint) r->box[0], (guint) r->box[1], (guint) (r->box[2] - r->box[0]),
        (guint) (r->box[3] - r->box[1]));
    roi->id = r->t->track_id;
    gst_video_region_of_interest_meta_add_param (roi, gst_structure_new ("detection",
            "confidence", G_TYPE_DOUBLE, (gdouble) r->confidence,
            "track-id", G_TYPE_INT, r->t->track_id,
            "lost-runs", G_TYPE_UINT, r->lost_runs, NULL));
  }
}

static GstFlowReturn
gst_bnn_detect_transform_frame_ip (GstVideoFilter * filter, GstVideoFrame * frame)
{
  GstBnnDetect *self = GST_BNN_DETECT (filter);
  GstBuffer *buf = frame->buffer;
  const gint W = GST_VIDEO_FRAME_WIDTH (frame), H = GST_VIDEO_FRAME_HEIGHT (frame);
  const GstClockTime pts = GST_BUFFER_PTS (buf);
  guint interval;

  GST_OBJECT_LOCK (self);
  interval = MAX (self->interval, 1u);
  GST_OBJECT_UNLOCK (self);

  const gboolean want = (self->frame_count % interval) == 0
      || self->tracks_w != W || self->tracks_h != H;
  self->frame_count++;
  if (want) {
    if (!detect (self, frame, pts)) {
      GST_ELEMENT_ERROR (self, STREAM, FAILED, ("The detector network failed to run."),
          (NULL));
      return GST_FLOW_ERROR;
    }
    GST_OBJECT_LOCK (self);
    self->inferences++;
    GST_OBJECT_UNLOCK (self);
  }
  attach_tracks (self, buf, W, H, pts);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_bnn_detect_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  return bnn_element_transform_ip_readonly (trans, buf, gst_bnn_detect_transform_frame_ip);
}

static gboolean
gst_bnn_detect_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstBnnDetect *self = GST_BNN_DETECT (trans);
  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP
      || GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START)
    reset_tracking (self);
  return GST_BASE_TRANSFORM_CLASS (gst_bnn_detect_parent_class)->sink_event (trans, event);
}

static gboolean
gst_bnn_detect_set_info (GstVideoFilter * filter, GstCaps * incaps, GstVideoInfo * in_info,
    GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstBnnDetect *self = GST_BNN_DETECT (filter);
  (void) incaps;
  (void) outcaps;
  (void) out_info;
  GST_DEBUG_OBJECT (self, "negotiated %s %dx%d",
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info)),
      GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info));
  reset_tracking (self);
  return TRUE;
}

/* ---- GObject ---- */

static void
gst_bnn_detect_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstBnnDetect *self = GST_BNN_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_prop);
      self->model_prop = g_value_dup_string (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    case PROP_THRESHOLD:
      self->threshold = g_value_get_float (value);
      break;
    case PROP_PERSON_THRESHOLD:
      self->person_threshold = g_value_get_float (value);
      break;
    case PROP_FACE_THRESHOLD:
      self->face_threshold = g_value_get_float (value);
      break;
    case PROP_MAX_DETECTIONS:
      self->max_detections = g_value_get_uint (value);
      break;
    case PROP_IOU_THRESHOLD:
      self->iou_threshold = g_value_get_float (value);
      break;
    case PROP_CLASSES:
      g_free (self->classes_prop);
      self->classes_prop = g_value_dup_string (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->interval = g_value_get_uint (value);
      break;
    case PROP_TILES:
      self->tiles = g_value_get_uint (value);
      break;
    case PROP_COAST_RUNS:
      self->coast_runs = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_bnn_detect_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstBnnDetect *self = GST_BNN_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_prop);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    case PROP_THRESHOLD:
      g_value_set_float (value, self->threshold);
      break;
    case PROP_PERSON_THRESHOLD:
      g_value_set_float (value, self->person_threshold);
      break;
    case PROP_FACE_THRESHOLD:
      g_value_set_float (value, self->face_threshold);
      break;
    case PROP_MAX_DETECTIONS:
      g_value_set_uint (value, self->max_detections);
      break;
    case PROP_IOU_THRESHOLD:
      g_value_set_float (value, self->iou_threshold);
      break;
    case PROP_CLASSES:
      g_value_set_string (value, self->classes_prop);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_TILES:
      g_value_set_uint (value, self->tiles);
      break;
    case PROP_COAST_RUNS:
      g_value_set_uint (value, self->coast_runs);
      break;
    case PROP_INFERENCES:
      g_value_set_uint64 (value, self->inferences);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_bnn_detect_finalize (GObject * object)
{
  GstBnnDetect *self = GST_BNN_DETECT (object);
  free_state (self);
  g_free (self->model_prop);
  g_free (self->classes_prop);
  G_OBJECT_CLASS (gst_bnn_detect_parent_class)->finalize (object);
}

static void
gst_bnn_detect_class_init (GstBnnDetectClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (bnn_detect_debug, "bnndetect", 0,
      "binary person and face detector");

  gobject_class->set_property = gst_bnn_detect_set_property;
  gobject_class->get_property = gst_bnn_detect_get_property;
  gobject_class->finalize = gst_bnn_detect_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Detector model file (.bnn path) or shipped model name (detect)", DEFAULT_MODEL,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Threads running the network (0: one per CPU core)", 0, 64, DEFAULT_THREADS,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_THRESHOLD,
      g_param_spec_float ("threshold", "Threshold",
          "Minimum confidence of a reported detection, every class (see "
          "person-threshold, face-threshold)", 0.0f, 1.0f, DEFAULT_THRESHOLD,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_PERSON_THRESHOLD,
      g_param_spec_float ("person-threshold", "Person threshold",
          "Minimum confidence of a person (-1: use 'threshold')", -1.0f, 1.0f, -1.0f,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_FACE_THRESHOLD,
      g_param_spec_float ("face-threshold", "Face threshold",
          "Minimum confidence of a face (-1: use 'threshold')", -1.0f, 1.0f, -1.0f,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_DETECTIONS,
      g_param_spec_uint ("max-detections", "Maximum detections",
          "Most regions reported per frame (best first)", 1, MAX_DET_LIMIT,
          DEFAULT_MAX_DETECTIONS, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_IOU_THRESHOLD,
      g_param_spec_float ("iou-threshold", "IoU threshold",
          "Overlap suppression: a detection whose box overlaps a better-scored detection "
          "of the same class by more than this intersection-over-union is dropped "
          "(1: keep every peak)", 0.0f, 1.0f, BNN_DETECT_DEFAULT_IOU,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CLASSES,
      g_param_spec_string ("classes", "Classes",
          "Comma-separated classes to report, e.g. \"person,face\" (empty: every class "
          "of the model)",
          DEFAULT_CLASSES, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Run the network on every Nth frame; the frames in between carry the last "
          "boxes, moved with their tracked speed", 1, 1000, DEFAULT_INTERVAL,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_COAST_RUNS,
      g_param_spec_uint ("coast-runs", "Coasting runs",
          "A track found in at least 3 runs that a run no longer finds is still reported "
          "for up to this many runs, at its box moved by its speed, its confidence times "
          "0.6 per missed run and \"lost-runs\" > 0 in its detection parameter, unless a "
          "found box of its class covers it (max-detections counts both): a detection "
          "that dips for a frame does not blink (0: report only what each run finds)", 0, LOST_TRACK_RUNS, DEFAULT_COAST_RUNS,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_TILES,
      g_param_spec_uint ("tiles", "Tiles",
          "Also run the network on N x N overlapping tiles along the long side of the "
          "frame, for people and faces small in the frame (1: the whole frame only; N: "
          "1 + N*N network runs per frame)", 1, BNN_DETECT_MAX_TILES, DEFAULT_TILES,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_INFERENCES,
      g_param_spec_uint64 ("inferences", "Inferences",
          "Number of network runs since start (read-only statistics)", 0, G_MAXUINT64,
          0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Binary person and face detector", "Filter/Analyzer/Video",
      "Finds persons and faces with a binary CenterNet network and attaches one "
      "GstVideoRegionOfInterestMeta per detection (roi_type person or face, a "
      "'detection' structure with confidence and track-id)", "bnnlandmarks developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_bnn_detect_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_bnn_detect_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_bnn_detect_transform_ip);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_bnn_detect_sink_event);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_bnn_detect_set_info);
  filter_class->transform_frame_ip = GST_DEBUG_FUNCPTR (gst_bnn_detect_transform_frame_ip);
}

static void
gst_bnn_detect_init (GstBnnDetect * self)
{
  self->model_prop = g_strdup (DEFAULT_MODEL);
  self->classes_prop = g_strdup (DEFAULT_CLASSES);
  self->threads = DEFAULT_THREADS;
  self->threshold = DEFAULT_THRESHOLD;
  self->person_threshold = self->face_threshold = -1.0f;
  self->max_detections = DEFAULT_MAX_DETECTIONS;
  self->iou_threshold = BNN_DETECT_DEFAULT_IOU;
  self->interval = DEFAULT_INTERVAL;
  self->tiles = DEFAULT_TILES;
  self->coast_runs = DEFAULT_COAST_RUNS;
  self->tracks_pts = GST_CLOCK_TIME_NONE;
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
