/* bnn_landmarks.c: the bnnlandmarks element: runs a binarized landmark network on the
 * subject regions of each video frame and attaches GstLandmarkMeta; pixels pass unchanged. */
#include <string.h>

#include <gst/gst.h>
#include <gst/video/video.h>
#include <gst/video/gstvideofilter.h>

#include "bnnlm/bnnlm.h"
#include "element_model.h"
#include "elements.h"
#include "gst/landmark/landmarkmeta.h"
#include "one_euro.h"
#include "video_frame_input.h"

GST_DEBUG_CATEGORY_STATIC (bnn_landmarks_debug);
#define GST_CAT_DEFAULT bnn_landmarks_debug

#define MAX_INSTANCES_LIMIT 16
#define MATCH_IOU 0.3f
#define MAX_CARRY_SECONDS 0.5

/* The best shipped model, and what a webcam mostly sees (docs/elements.md) */
#define DEFAULT_MODEL "face"
#define DEFAULT_THREADS 0
#define DEFAULT_INTERVAL 1
#define DEFAULT_SKIP_WHEN_BUSY FALSE
#define DEFAULT_FLIP_TEST FALSE
#define DEFAULT_BF16 FALSE
#define DEFAULT_MIN_CONFIDENCE 0.2f
#define DEFAULT_MIN_REGION_SCORE -1.0f
/* region-hold: a subject kept in the previous inference needs only this fraction of the
 * region bar (vtest.avi, bnndetect tiles=2: verdict changes 279 -> 183, short dropouts
 * 65 -> 30, kept +2.7 %; docs/detector.md, "Holding a verdict") */
#define DEFAULT_REGION_HOLD 0.7f
/* min-region-score=-1 resolves to the model file's META region_score; a file without one
 * (the shipped models) gets its task's bar, from the scores of the shipped detector's boxes
 * (at its default threshold 0.2) times the shipped landmark models' mean point confidence
 * on the data/detect train split (docs/detector.md "Verified by the landmark model"):
 * body: F1 is flat (0.47) from 0.02 to 0.04; face: F1 peaks at 0.12-0.13 (0.77), 0.10
 * keeps 3 % more faces for an F1 of 0.74 (recall first, as bnndetect's threshold). */
#define AUTO_REGION_SCORE_BODY 0.03f
#define AUTO_REGION_SCORE_FACE 0.10f
#define DEFAULT_MAX_INSTANCES 4
#define DET_TRACK_MAP 64 /* detector track ids remembered (the least recently seen go) */
#define DEFAULT_SMOOTHING TRUE
#define DEFAULT_MIN_CUTOFF 1.0
#define DEFAULT_BETA 0.05
#define DEFAULT_D_CUTOFF 1.0

#define CAPS_FORMATS "{ RGB, BGR, RGBx, BGRx, xRGB, xBGR, RGBA, BGRA, ARGB, ABGR, I420, NV12, YUY2, GRAY8 }"

enum {
  PROP_0,
  PROP_MODEL,
  PROP_THREADS,
  PROP_INFERENCE_INTERVAL,
  PROP_SKIP_WHEN_BUSY,
  PROP_MIN_CONFIDENCE,
  PROP_MIN_REGION_SCORE,
  PROP_REGION_HOLD,
  PROP_MAX_INSTANCES,
  PROP_SMOOTHING,
  PROP_MIN_CUTOFF,
  PROP_BETA,
  PROP_D_CUTOFF,
  PROP_ISA,
  PROP_FLIP_TEST,
  PROP_BF16,
  PROP_INFERENCES,
  PROP_PROCESSING_TIME,
};

/* Where a crop comes from. */
typedef enum { REGION_WHOLE = 0, REGION_TRACKED, REGION_ROI } RegionKind;

typedef struct {
  RegionKind kind;
  float box[4]; /* subject box, edges (for WHOLE: the frame) */
  float confidence; /* ROI: the detector's confidence ("detection" parameter), else 1 */
  gint det_track;   /* ROI: the detector's track id ("detection" track-id), else 0 */
  guint lost_runs;  /* ROI: > 0 when the detector predicts a track it did not find */
  GstVideoRegionOfInterestMeta *roi; /* ROI, streaming thread, this frame only; else NULL */
  bnn_crop crop;
} Region;

typedef struct {
  float bbox[4];
  float score;
  guint64 track_id;
  bnn_point *pts; /* K */
  guint8 *vis;    /* K */
  GBytes *classmap;
  bnn_crop crop;
  float vx, vy; /* bbox-centre speed, pixels per second */
  RegionKind kind;
  gboolean kept; /* score reached its bar (finish_inference) */
} InstResult;

typedef struct {
  guint n;
  InstResult *inst; /* max_inst */
  GstClockTime pts;
  gint width, height;
  guint64 seq;
} Result;

/* An upstream detector's track id and the instance track id it was given. */
typedef struct {
  gint det_track; /* 0: free */
  guint64 track_id;
  guint64 last_seq;
} DetTrack;

typedef struct {
  guint64 track_id; /* 0: free */
  guint64 last_seq;
  GstClockTime last_pts;
  OneEuroFilter *f; /* 2 K */
} SmoothSlot;

typedef struct {
  GstVideoFilter parent;

  /* properties, under the object lock */
  gchar *model_prop;
  gint threads;
  guint interval;
  gboolean skip_when_busy;
  gboolean flip_test;
  gboolean bf16;
  gfloat min_conf;
  gfloat min_region_score; /* -1: the task's default */
  gfloat region_hold; /* fraction of the bar for a subject kept last time */
  guint max_instances;
  gboolean smoothing;
  OneEuroParams euro;
  bnn_isa isa;

  /* set up in start(), freed in stop() */
  gchar *model_path;
  bnn_model *model;
  const bnn_model_info *info;
  bnn_net *net;
  GstLandmarkLayout *layout;
  gint S, K, heat_idx, seg_idx, seg_w, seg_h;
  guint max_inst;
  gboolean async;
  gfloat auto_region_score; /* min-region-score -1 for this model's task */
  guint8 *classmap_scratch;
  Region *regions; /* max_inst, streaming thread */
  Result work;     /* written by the inferring thread only */
  Result published; /* written by the inferring thread under result_lock */
  gboolean track_valid; /* under result_lock */
  float track_box[4];
  guint64 next_track_id;
  DetTrack det_tracks[DET_TRACK_MAP]; /* inferring thread */
  gboolean warned_whole_face; /* streaming thread: the whole-frame face warning was posted */
  SmoothSlot *slots; /* max_inst, inferring thread */
  guint64 inferences; /* atomic-ish, read by the property getter under object lock */

  GMutex result_lock;

  /* async inference (skip-when-busy) */
  GThread *worker;
  GMutex job_lock;
  GCond job_cond;
  gboolean job_pending, job_running, worker_quit;
  float *staging; /* max_inst * S * S * 3 */
  Region *job_regions; /* max_inst */
  guint job_n;
  GstClockTime job_pts;
  gint job_w, job_h;

  /* streaming state */
  guint64 frame_count;
  GstClockTime earliest_time; /* QoS, object lock */
  guint64 qos_skipped;
  GstClockTime proc_ema; /* object lock */
  GstClockTime reported_latency; /* object lock */
  gint64 latency_posted_at;      /* object lock, monotonic us */
} GstBnnLandmarks;

typedef struct {
  GstVideoFilterClass parent_class;
} GstBnnLandmarksClass;

#define GST_TYPE_BNN_LANDMARKS (gst_bnn_landmarks_get_type ())
#define GST_BNN_LANDMARKS(obj) ((GstBnnLandmarks *) (obj))
GType gst_bnn_landmarks_get_type (void);
G_DEFINE_TYPE (GstBnnLandmarks, gst_bnn_landmarks, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (bnnlandmarks, "bnnlandmarks", GST_RANK_NONE,
    GST_TYPE_BNN_LANDMARKS);

#define GST_TYPE_BNN_LANDMARKS_ISA (gst_bnn_landmarks_isa_get_type ())
static GType
gst_bnn_landmarks_isa_get_type (void)
{
  static GType type = 0;
  static const GEnumValue values[] = {
    {BNN_ISA_AUTO, "Best the CPU supports", "auto"},
    {BNN_ISA_SCALAR, "Portable C reference kernels", "scalar"},
    {BNN_ISA_AVX2, "x86-64 AVX2", "avx2"},
    {BNN_ISA_AVX512, "x86-64 AVX-512 (F, BW, VPOPCNTDQ)", "avx512"},
    {BNN_ISA_NEON, "ARM NEON", "neon"},
    {0, NULL, NULL}
  };
  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstBnnLandmarksIsa", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (CAPS_FORMATS)));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (GST_VIDEO_CAPS_MAKE (CAPS_FORMATS)));

/* ---- model name resolution ---- */

/* ---- results ---- */

static void
result_alloc (Result * r, guint max_inst, gint K)
{
  r->n = 0;
  r->pts = GST_CLOCK_TIME_NONE;
  r->seq = 0;
  r->width = r->height = 0;
  r->inst = g_new0 (InstResult, max_inst);
  for (guint i = 0; i < max_inst; i++) {
    r->inst[i].pts = g_new0 (bnn_point, MAX (K, 1));
    r->inst[i].vis = g_new0 (guint8, MAX (K, 1));
  }
}

static void
result_free (Result * r, guint max_inst)
{
  if (!r->inst)
    return;
  for (guint i = 0; i < max_inst; i++) {
    g_free (r->inst[i].pts);
    g_free (r->inst[i].vis);
    if (r->inst[i].classmap)
      g_bytes_unref (r->inst[i].classmap);
  }
  g_free (r->inst);
  r->inst = NULL;
  r->n = 0;
}

static void
reset_tracking (GstBnnLandmarks * self)
{
  g_mutex_lock (&self->result_lock);
  self->published.n = 0;
  self->published.pts = GST_CLOCK_TIME_NONE;
  self->track_valid = FALSE;
  g_mutex_unlock (&self->result_lock);
  for (guint i = 0; self->slots && i < self->max_inst; i++)
    self->slots[i].track_id = 0;
  self->frame_count = 0;
}

/* Box (edges) of the points with confidence >= min_conf; FALSE when fewer than two. */
static gboolean
points_box (const bnn_point * p, gint K, float min_conf, gint W, gint H, float *box)
{
  float x0 = G_MAXFLOAT, y0 = G_MAXFLOAT, x1 = -G_MAXFLOAT, y1 = -G_MAXFLOAT;
  gint n = 0;
  for (gint k = 0; k < K; k++) {
    if (p[k].conf < min_conf)
      continue;
    x0 = MIN (x0, p[k].x);
    y0 = MIN (y0, p[k].y);
    x1 = MAX (x1, p[k].x);
    y1 = MAX (y1, p[k].y);
    n++;
  }
  if (n < 2)
    return FALSE;
  /* pixel centres -> edges, clipped to the frame */
  x0 = CLAMP (x0, 0.0f, (float) W - 1.0f);
  y0 = CLAMP (y0, 0.0f, (float) H - 1.0f);
  x1 = CLAMP (x1 + 1.0f, x0 + 1.0f, (float) W);
  y1 = CLAMP (y1 + 1.0f, y0 + 1.0f, (float) H);
  box[0] = x0;
  box[1] = y0;
  box[2] = x1 - x0;
  box[3] = y1 - y0;
  return TRUE;
}

static SmoothSlot *
find_slot (GstBnnLandmarks * self, guint64 track_id)
{
  SmoothSlot *oldest = NULL;
  for (guint i = 0; i < self->max_inst; i++) {
    SmoothSlot *s = &self->slots[i];
    if (s->track_id == track_id)
      return s;
    if (!oldest || s->track_id == 0 || (oldest->track_id != 0 && s->last_seq < oldest->last_seq))
      oldest = s;
  }
  oldest->track_id = track_id;
  oldest->last_pts = GST_CLOCK_TIME_NONE;
  for (gint k = 0; k < 2 * self->K; k++)
    one_euro_reset (&oldest->f[k]);
  return oldest;
}

/* The instance track id of an upstream detector's track: the same for as long as the
 * detector keeps its id (even across frames where the instance was rejected), a new one
 * for a track not seen before. */
static guint64
det_track_instance (GstBnnLandmarks * self, gint det_track, guint64 seq)
{
  DetTrack *slot = NULL;
  for (guint i = 0; i < DET_TRACK_MAP; i++) {
    DetTrack *d = &self->det_tracks[i];
    if (d->det_track == det_track) {
      d->last_seq = seq;
      return d->track_id;
    }
    if (!slot || d->det_track == 0 || (slot->det_track != 0 && d->last_seq < slot->last_seq))
      slot = d;
  }
  slot->det_track = det_track;
  slot->track_id = ++self->next_track_id;
  slot->last_seq = seq;
  return slot->track_id;
}

/* The score an instance needs to be kept. Its score is the mean point confidence, times
 * the detector's confidence for an upstream region: the landmark model verifies the
 * detection (person AP@0.5 on data/detect val 0.31 -> 0.39, face 0.58 -> 0.65, paired 95 %
 * intervals above 0; docs/detector.md). Regions need min-region-score; the whole frame and
 * the tracker's box need min-confidence. */
static float
instance_bar (RegionKind kind, float min_conf, float region_score, gboolean held,
    float hold)
{
  return kind == REGION_ROI ? (held ? hold * region_score : region_score) : min_conf;
}

/* After the network ran for every region (points decoded into self->work): boxes,
 * scores, track ids, smoothing, and publication. Runs in the inferring thread. */
static void
finish_inference (GstBnnLandmarks * self, const Region * regions, guint n,
    GstClockTime pts, gint W, gint H)
{
  gfloat min_conf, region_score, hold;
  gboolean smoothing;
  OneEuroParams euro;
  const gint K = self->K;

  GST_OBJECT_LOCK (self);
  min_conf = self->min_conf;
  region_score = self->min_region_score >= 0.0f ? self->min_region_score
      : self->auto_region_score;
  hold = self->region_hold;
  smoothing = self->smoothing;
  euro = self->euro;
  GST_OBJECT_UNLOCK (self);

  Result *w = &self->work;
  const Result *prev = &self->published; /* only this thread writes it */
  gboolean matched[MAX_INSTANCES_LIMIT] = { FALSE };
  guint kept = 0;
  const guint64 seq = prev->seq + 1;

  for (guint r = 0; r < n; r++) {
    InstResult *in = &w->inst[r];
    float sum = 0.0f;
    for (gint k = 0; k < K; k++)
      sum += in->pts[k].conf;
    in->score = K > 0 ? sum / (float) K : 0.0f;
    in->kind = regions[r].kind;
    if (in->kind == REGION_ROI)
      in->score *= regions[r].confidence;
    if (!points_box (in->pts, K, min_conf, W, H, in->bbox))
      memcpy (in->bbox, regions[r].box, sizeof in->bbox);

    /* the same subject as before? A detector's track id says so; otherwise the best
     * overlap with a previous instance */
    gint best = -1;
    gboolean by_detector = in->kind == REGION_ROI && regions[r].det_track > 0;
    for (guint q = 0; q < r && by_detector; q++)  /* one id per frame, else by overlap */
      by_detector = regions[q].det_track != regions[r].det_track;
    if (by_detector)
      in->track_id = det_track_instance (self, regions[r].det_track, seq);
    float best_iou = MATCH_IOU;
    for (guint p = 0; p < prev->n && prev->width == W && prev->height == H; p++) {
      if (matched[p])
        continue;
      if (by_detector) {
        if (prev->inst[p].track_id == in->track_id)
          best = (gint) p;
        continue;
      }
      const float o = bnn_box_iou (in->bbox, prev->inst[p].bbox);
      if (o >= best_iou) {
        best = (gint) p;
        best_iou = o;
      }
    }
    in->vx = in->vy = 0.0f;
    if (best >= 0)
      matched[best] = TRUE;
    if (!by_detector)
      in->track_id = best >= 0 ? prev->inst[best].track_id : ++self->next_track_id;

    if (smoothing && K > 0) {
      SmoothSlot *s = find_slot (self, in->track_id);
      double dt = 0.0;
      if (GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (s->last_pts)
          && pts > s->last_pts)
        dt = (double) (pts - s->last_pts) / (double) GST_SECOND;
      for (gint k = 0; k < K; k++) {
        in->pts[k].x = (float) one_euro_filter (&s->f[2 * k], &euro, in->pts[k].x, dt);
        in->pts[k].y = (float) one_euro_filter (&s->f[2 * k + 1], &euro, in->pts[k].y, dt);
      }
      s->last_pts = pts;
      s->last_seq = seq;
      if (!points_box (in->pts, K, min_conf, W, H, in->bbox))
        memcpy (in->bbox, regions[r].box, sizeof in->bbox);
    }

    /* speed of the (smoothed) box centre since the subject's previous result: frames
     * without their own inference are moved by it */
    if (best >= 0 && GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (prev->pts)
        && pts > prev->pts) {
      const InstResult *pi = &prev->inst[best];
      const float dt = (float) (pts - prev->pts) / (float) GST_SECOND;
      const float lim = 4.0f * (float) MAX (W, H);
      in->vx = CLAMP ((in->bbox[0] + in->bbox[2] / 2 - pi->bbox[0] - pi->bbox[2] / 2) / dt,
          -lim, lim);
      in->vy = CLAMP ((in->bbox[1] + in->bbox[3] / 2 - pi->bbox[1] - pi->bbox[3] / 2) / dt,
          -lim, lim);
    }

    /* points stay inside the frame; visibility from the confidence */
    for (gint k = 0; k < K; k++) {
      bnn_point *p = &in->pts[k];
      guint8 vis = p->conf >= min_conf ? GST_LANDMARK_VISIBILITY_VISIBLE : 0;
      const float cx = CLAMP (p->x, 0.0f, (float) W - 1.0f);
      const float cy = CLAMP (p->y, 0.0f, (float) H - 1.0f);
      if (cx != p->x || cy != p->y || p->x != p->x || p->y != p->y)
        vis = GST_LANDMARK_VISIBILITY_CLAMPED;
      p->x = p->x == p->x ? cx : 0.0f;
      p->y = p->y == p->y ? cy : 0.0f;
      in->vis[k] = vis;
    }
    /* best >= 0: the same subject was kept (published) by the previous inference, so a
     * region holds its verdict down to a fraction of the bar (no flicker at the edge) */
    in->kept = in->score >= instance_bar (in->kind, min_conf, region_score,
        best >= 0 && regions[r].lost_runs == 0, hold);
    kept += in->kept;
  }

  /* next crop: the box of the tracked subject while it is confidently found */
  gboolean track_valid = FALSE;
  float track_box[4] = { 0 };
  if (n == 1 && regions[0].kind != REGION_ROI && w->inst[0].score >= min_conf) {
    gint confident = 0;
    for (gint k = 0; k < K; k++)
      confident += w->inst[0].pts[k].conf >= min_conf;
    if (confident >= MAX (2, K / 3)) {
      track_valid = TRUE;
      memcpy (track_box, w->inst[0].bbox, sizeof track_box);
    }
  }

  g_mutex_lock (&self->result_lock);
  Result *pub = &self->published;
  guint o = 0;
  for (guint r = 0; r < n; r++) {
    InstResult *in = &w->inst[r];
    if (!in->kept) {
      if (in->classmap)
        g_bytes_unref (in->classmap);
      in->classmap = NULL;
      continue;
    }
    InstResult *d = &pub->inst[o++];
    bnn_point *dp = d->pts;
    guint8 *dv = d->vis;
    GBytes *old_map = d->classmap;
    *d = *in;
    d->pts = dp;
    d->vis = dv;
    memcpy (d->pts, in->pts, sizeof (bnn_point) * K);
    memcpy (d->vis, in->vis, K);
    in->classmap = NULL; /* moved */
    if (old_map)
      g_bytes_unref (old_map);
  }
  for (guint r = o; r < pub->n; r++) {
    if (pub->inst[r].classmap)
      g_bytes_unref (pub->inst[r].classmap);
    pub->inst[r].classmap = NULL;
  }
  pub->n = o;
  pub->pts = pts;
  pub->width = W;
  pub->height = H;
  pub->seq = seq;
  self->track_valid = track_valid;
  memcpy (self->track_box, track_box, sizeof track_box);
  g_mutex_unlock (&self->result_lock);

  GST_OBJECT_LOCK (self);
  self->inferences++;
  GST_OBJECT_UNLOCK (self);

  GST_LOG_OBJECT (self, "inference %" G_GUINT64_FORMAT ": %u region(s), %u instance(s)"
      " kept, pts %" GST_TIME_FORMAT ", tracking %s", seq, n, kept, GST_TIME_ARGS (pts),
      track_valid ? "on" : "off");
}

/* The verdict on an upstream region, for downstream (landmarkoverlay draws rejected
 * regions only with draw-rejected-regions=true): a "landmarks" parameter structure with
 * whether the region became an instance ("kept", boolean) and its "score" (double; none for
 * a region over max-instances or smaller than a pixel, which is not run). */
static void
set_verdict (GstVideoRegionOfInterestMeta * roi, gboolean kept, gboolean has_score,
    float score)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (roi, "landmarks");
  if (!s) {
    s = gst_structure_new_empty ("landmarks");
    gst_video_region_of_interest_meta_add_param (roi, s); /* takes it; still valid */
    s = gst_video_region_of_interest_meta_get_param (roi, "landmarks");
  }
  gst_structure_set (s, "kept", G_TYPE_BOOLEAN, kept, NULL);
  if (has_score)
    gst_structure_set (s, "score", G_TYPE_DOUBLE, (gdouble) score, NULL);
  else
    gst_structure_remove_field (s, "score");
}

/* The verdicts on the regions run for this frame (only frames whose own regions were run
 * synchronously get them). */
static void
mark_regions (GstBnnLandmarks * self, const Region * regions, guint n)
{
  for (guint r = 0; r < n; r++) {
    if (regions[r].kind == REGION_ROI && regions[r].roi)
      set_verdict (regions[r].roi, self->work.inst[r].kept, TRUE, self->work.inst[r].score);
  }
}

/* Runs the network on the input already in place and decodes region r into work. */
static gboolean
run_and_decode (GstBnnLandmarks * self, guint r, const Region * region)
{
  InstResult *in = &self->work.inst[r];
  bnn_output heat, seg;

  if (bnn_net_run (self->net) != 0) {
    GST_WARNING_OBJECT (self, "network run failed");
    return FALSE;
  }
  if (bnn_net_output (self->net, self->heat_idx, &heat) != 0)
    return FALSE;
  bnn_decode_points (&heat, self->info->output_stride, &region->crop, in->pts);
  in->crop = region->crop;
  if (in->classmap)
    g_bytes_unref (in->classmap);
  in->classmap = NULL;
  if (self->seg_idx >= 0 && bnn_net_output (self->net, self->seg_idx, &seg) == 0) {
    bnn_decode_classmap (&seg, self->classmap_scratch);
    in->classmap = g_bytes_new (self->classmap_scratch, (gsize) seg.w * seg.h);
  }
  return TRUE;
}

/* What a detector said of the region, from its "detection" parameter (bnndetect's, and
 * GstAnalytics' convention): the "confidence", clamped to 0..1, 1 when there is none
 * (opencv's facedetect, hand-made regions); the "track-id", 0 when there is none; the
 * "lost-runs" of a box the detector only predicts (bnndetect coast-runs), else 0. */
static void
region_detection (GstVideoRegionOfInterestMeta * roi, float *confidence, gint * track,
    guint * lost_runs)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (roi, "detection");
  gdouble c;
  gint id;
  *confidence = s && gst_structure_get_double (s, "confidence", &c) && c == c ?
      (float) CLAMP (c, 0.0, 1.0) : 1.0f;
  *track = s && gst_structure_get_int (s, "track-id", &id) && id > 0 ? id : 0;
  if (!s || !gst_structure_get_uint (s, "lost-runs", lost_runs))
    *lost_runs = 0;
}

static gboolean
roi_type_matches (const gchar * task, GQuark roi_type)
{
  if (roi_type == 0)
    return TRUE;
  const gchar *t = g_quark_to_string (roi_type);
  if (g_strcmp0 (task, "face") == 0)
    return g_ascii_strcasecmp (t, "face") == 0;
  if (g_strcmp0 (task, "body") == 0)
    return g_ascii_strcasecmp (t, "person") == 0 || g_ascii_strcasecmp (t, "body") == 0
        || g_ascii_strcasecmp (t, "pedestrian") == 0
        || g_ascii_strcasecmp (t, "fullbody") == 0;
  return TRUE;
}

/* The subject regions of this frame: upstream ROIs of the model's kind, else the
 * tracked subject, else the whole frame. */
static guint
gather_regions (GstBnnLandmarks * self, GstBuffer * buf, gint W, gint H, Region * out)
{
  guint n = 0;
  gpointer state = NULL;
  GstMeta *m;

  /* metas iterate in the order they were added (detectors add their best first); those
   * past max-instances are not run, and say so */
  while ((m = gst_buffer_iterate_meta_filtered (buf, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) m;
    if (!roi_type_matches (self->info->task, roi->roi_type))
      continue;
    float x0 = CLAMP ((float) roi->x, 0.0f, (float) W);
    float y0 = CLAMP ((float) roi->y, 0.0f, (float) H);
    float x1 = CLAMP ((float) roi->x + (float) roi->w, 0.0f, (float) W);
    float y1 = CLAMP ((float) roi->y + (float) roi->h, 0.0f, (float) H);
    if (n >= self->max_inst || x1 - x0 < 1.0f || y1 - y0 < 1.0f) {
      set_verdict (roi, FALSE, FALSE, 0.0f);
      continue;
    }
    Region *r = &out[n++];
    r->kind = REGION_ROI;
    region_detection (roi, &r->confidence, &r->det_track, &r->lost_runs);
    r->roi = roi;
    r->box[0] = x0;
    r->box[1] = y0;
    r->box[2] = x1 - x0;
    r->box[3] = y1 - y0;
    r->crop = bnn_crop_for_box (W, H, r->box, self->info->crop_scale, self->S);
  }
  if (n > 0)
    return n;

  Region *r = &out[0];
  r->confidence = 1.0f;
  r->det_track = 0;
  r->lost_runs = 0;
  r->roi = NULL;
  g_mutex_lock (&self->result_lock);
  gboolean tracked = self->track_valid && self->published.width == W
      && self->published.height == H;
  if (tracked)
    memcpy (r->box, self->track_box, sizeof r->box);
  g_mutex_unlock (&self->result_lock);
  if (tracked) {
    r->kind = REGION_TRACKED;
    r->crop = bnn_crop_for_box (W, H, r->box, self->info->crop_scale, self->S);
  } else {
    r->kind = REGION_WHOLE;
    r->box[0] = r->box[1] = 0.0f;
    r->box[2] = (float) W;
    r->box[3] = (float) H;
    r->crop = bnn_crop_for_box (W, H, NULL, self->info->crop_scale, self->S);
  }
  return 1;
}

/* Copies the latest result onto buf; on frames without their own inference the result
 * is moved by each instance's speed (bounded) so it follows the subject. */
static void
attach_result (GstBnnLandmarks * self, GstBuffer * buf, gint W, gint H,
    GstClockTime pts, gboolean carried)
{
  GstLandmarkMeta *meta = gst_buffer_add_landmark_meta (buf);

  g_mutex_lock (&self->result_lock);
  const Result *pub = &self->published;
  if (pub->width == W && pub->height == H) {
    float dt = 0.0f;
    if (carried && GST_CLOCK_TIME_IS_VALID (pts) && GST_CLOCK_TIME_IS_VALID (pub->pts)
        && pts > pub->pts)
      dt = (float) MIN ((double) (pts - pub->pts) / GST_SECOND, MAX_CARRY_SECONDS);
    for (guint i = 0; i < pub->n; i++) {
      const InstResult *in = &pub->inst[i];
      const float dx = in->vx * dt, dy = in->vy * dt;
      /* the moved box stays inside the frame, at least one pixel wide */
      const float x0 = CLAMP (in->bbox[0] + dx, 0.0f, (float) W - 1.0f);
      const float y0 = CLAMP (in->bbox[1] + dy, 0.0f, (float) H - 1.0f);
      const float x1 = CLAMP (in->bbox[0] + in->bbox[2] + dx, x0 + 1.0f, (float) W);
      const float y1 = CLAMP (in->bbox[1] + in->bbox[3] + dy, y0 + 1.0f, (float) H);
      guint idx = gst_landmark_meta_add_instance (meta, self->layout, x0, y0, x1 - x0,
          y1 - y0, in->score, in->track_id);
      for (gint k = 0; k < self->K; k++) {
        float x = in->pts[k].x + dx, y = in->pts[k].y + dy;
        guint8 vis = in->vis[k];
        if (x < 0.0f || y < 0.0f || x > (float) W - 1.0f || y > (float) H - 1.0f) {
          x = CLAMP (x, 0.0f, (float) W - 1.0f);
          y = CLAMP (y, 0.0f, (float) H - 1.0f);
          vis = GST_LANDMARK_VISIBILITY_CLAMPED;
        }
        gst_landmark_meta_set_point (meta, idx, k, x, y, in->pts[k].conf, vis);
      }
      if (in->classmap)
        gst_landmark_meta_set_class_map (meta, idx, self->seg_w, self->seg_h,
            in->classmap, in->crop.x0 + dx, in->crop.y0 + dy, in->crop.side,
            in->crop.side);
    }
  }
  g_mutex_unlock (&self->result_lock);
}

/* ---- async inference ---- */

static gpointer
worker_main (gpointer data)
{
  GstBnnLandmarks *self = data;
  const size_t in_floats = (size_t) self->S * self->S * 3;

  g_mutex_lock (&self->job_lock);
  for (;;) {
    while (!self->job_pending && !self->worker_quit)
      g_cond_wait (&self->job_cond, &self->job_lock);
    if (self->worker_quit)
      break;
    self->job_pending = FALSE;
    self->job_running = TRUE;
    const guint n = self->job_n;
    g_mutex_unlock (&self->job_lock);

    gboolean ok = TRUE;
    for (guint r = 0; r < n && ok; r++) {
      memcpy (bnn_net_input (self->net), self->staging + r * in_floats,
          in_floats * sizeof (float));
      ok = run_and_decode (self, r, &self->job_regions[r]);
    }
    if (ok)
      finish_inference (self, self->job_regions, n, self->job_pts, self->job_w,
          self->job_h);

    g_mutex_lock (&self->job_lock);
    self->job_running = FALSE;
  }
  g_mutex_unlock (&self->job_lock);
  return NULL;
}

static void
stop_worker (GstBnnLandmarks * self)
{
  if (!self->worker)
    return;
  g_mutex_lock (&self->job_lock);
  self->worker_quit = TRUE;
  g_cond_signal (&self->job_cond);
  g_mutex_unlock (&self->job_lock);
  g_thread_join (self->worker);
  self->worker = NULL;
}

/* ---- GstBaseTransform / GstVideoFilter ---- */

static void
free_state (GstBnnLandmarks * self)
{
  stop_worker (self);
  result_free (&self->work, self->max_inst);
  result_free (&self->published, self->max_inst);
  if (self->slots) {
    for (guint i = 0; i < self->max_inst; i++)
      g_free (self->slots[i].f);
    g_free (self->slots);
    self->slots = NULL;
  }
  g_clear_pointer (&self->regions, g_free);
  g_clear_pointer (&self->job_regions, g_free);
  g_clear_pointer (&self->staging, g_free);
  g_clear_pointer (&self->classmap_scratch, g_free);
  g_clear_pointer (&self->layout, gst_landmark_layout_unref);
  g_clear_pointer (&self->net, bnn_net_free);
  g_clear_pointer (&self->model, bnn_model_free);
  g_clear_pointer (&self->model_path, g_free);
  self->info = NULL;
  self->max_inst = 0;
}

static gboolean
gst_bnn_landmarks_start (GstBaseTransform * trans)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (trans);
  gchar *prop;
  gint threads;
  bnn_isa isa;
  gboolean flip, bf16;
  char err[BNN_ERR_LEN];

  GST_OBJECT_LOCK (self);
  prop = g_strdup (self->model_prop);
  threads = self->threads;
  isa = self->isa;
  flip = self->flip_test;
  bf16 = self->bf16;
  self->max_inst = self->max_instances;
  self->async = self->skip_when_busy;
  GST_OBJECT_UNLOCK (self);
  self->warned_whole_face = FALSE;

  if (!bnn_element_open_model (GST_ELEMENT (self), prop,
          "body, face, body-lite, face-lite", threads, isa, &self->model_path,
          &self->model, &self->net)) {
    g_free (prop);
    free_state (self);
    return FALSE;
  }
  g_free (prop);
  self->info = bnn_model_get_info (self->model);
  self->heat_idx = bnn_net_find_output (self->net, BNN_OUT_HEATMAP);
  if (self->heat_idx < 0 || self->info->n_points <= 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, FAILED,
        ("Model file \"%s\" has no landmark head (task \"%s\").", self->model_path,
            self->info->task), (NULL));
    free_state (self);
    return FALSE;
  }
  if (flip && bnn_net_set_flip_test (self->net, 1, err, sizeof err) != 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("flip-test=true is not possible with model file \"%s\".", self->model_path),
        ("%s", err));
    free_state (self);
    return FALSE;
  }
  if (bf16 && bnn_net_set_bf16 (self->net, 1, err, sizeof err) != 0) {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("bf16=true is not possible on this machine: it needs a CPU with AVX512-BF16 "
            "and isa=auto or isa=avx512."), ("%s", err));
    free_state (self);
    return FALSE;
  }
  self->S = self->info->input_size;
  self->K = self->info->n_points;
  /* the model's own bar (META region_score), else its task's */
  self->auto_region_score = self->info->region_score >= 0.0f ? self->info->region_score :
      g_strcmp0 (self->info->task, "face") == 0 ? AUTO_REGION_SCORE_FACE :
      AUTO_REGION_SCORE_BODY;
  self->seg_idx = self->info->n_classes > 0 ?
      bnn_net_find_output (self->net, BNN_OUT_SEGMENTATION) : -1;
  self->seg_w = self->seg_h = 0;
  if (self->seg_idx >= 0) {
    bnn_output o;
    if (bnn_net_output (self->net, self->seg_idx, &o) == 0 && o.w > 0 && o.h > 0) {
      self->seg_w = o.w;
      self->seg_h = o.h;
      self->classmap_scratch = g_malloc ((gsize) o.w * o.h);
    } else {
      self->seg_idx = -1;
    }
  }

  gchar *tag = g_strdup_printf ("%s-%d-kp", self->info->task, self->K);
  gint *pairs = g_new0 (gint, 2 * (gsize) self->info->n_skeleton + 2);
  for (gint j = 0; j < 2 * self->info->n_skeleton; j++)
    pairs[j] = self->info->skeleton[j];
  self->layout = gst_landmark_layout_new (tag, (guint) self->K, self->info->point_names,
      2 * (guint) self->info->n_skeleton, pairs,
      self->seg_idx >= 0 ? (guint) self->info->n_classes : 0, self->info->class_names);
  g_free (pairs);
  g_free (tag);

  result_alloc (&self->work, self->max_inst, self->K);
  result_alloc (&self->published, self->max_inst, self->K);
  self->slots = g_new0 (SmoothSlot, self->max_inst);
  for (guint i = 0; i < self->max_inst; i++)
    self->slots[i].f = g_new0 (OneEuroFilter, 2 * (gsize) self->K);
  self->regions = g_new0 (Region, self->max_inst);
  self->next_track_id = 0;
  memset (self->det_tracks, 0, sizeof self->det_tracks);
  self->track_valid = FALSE;
  self->frame_count = 0;
  self->qos_skipped = 0;
  GST_OBJECT_LOCK (self);
  self->inferences = 0;
  self->earliest_time = GST_CLOCK_TIME_NONE;
  self->proc_ema = 0;
  self->reported_latency = 0;
  self->latency_posted_at = 0;
  GST_OBJECT_UNLOCK (self);

  if (self->async) {
    self->staging = g_new (float, (gsize) self->max_inst * self->S * self->S * 3);
    self->job_regions = g_new0 (Region, self->max_inst);
    self->job_pending = self->job_running = self->worker_quit = FALSE;
    self->worker = g_thread_new ("bnnlandmarks-worker", worker_main, self);
  }

  GST_INFO_OBJECT (self, "loaded %s: task %s, %dx%d input, %d points, %d classes, "
      "isa %s, %d thread(s), %s", self->model_path, self->info->task, self->S, self->S,
      self->K, self->seg_idx >= 0 ? self->info->n_classes : 0,
      bnn_isa_name (bnn_net_isa (self->net)), threads,
      self->async ? "asynchronous (skip-when-busy)" : "synchronous");
  if (flip)
    GST_INFO_OBJECT (self, "flip test on: each crop runs twice (image and mirror)");
  if (bf16)
    GST_INFO_OBJECT (self, "bfloat16 stem and skips (AVX512-BF16)");
  return TRUE;
}

static gboolean
gst_bnn_landmarks_stop (GstBaseTransform * trans)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (trans);
  GST_DEBUG_OBJECT (self, "stopping after %" G_GUINT64_FORMAT " inferences, %"
      G_GUINT64_FORMAT " skipped for QoS", self->inferences, self->qos_skipped);
  free_state (self);
  return TRUE;
}

static gboolean
gst_bnn_landmarks_set_info (GstVideoFilter * filter, GstCaps * incaps,
    GstVideoInfo * in_info, GstCaps * outcaps, GstVideoInfo * out_info)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (filter);
  (void) incaps;
  (void) outcaps;
  (void) out_info;
  GST_DEBUG_OBJECT (self, "negotiated %s %dx%d",
      gst_video_format_to_string (GST_VIDEO_INFO_FORMAT (in_info)),
      GST_VIDEO_INFO_WIDTH (in_info), GST_VIDEO_INFO_HEIGHT (in_info));
  return TRUE;
}

/* Smooths the processing time; posts a latency message when it is first known and
 * then when it moved by more than a quarter (and 1 ms), at most every 2 seconds. */
static void
update_latency (GstBnnLandmarks * self, GstClockTime spent)
{
  gboolean post = FALSE;
  const gint64 now = g_get_monotonic_time ();
  GST_OBJECT_LOCK (self);
  self->proc_ema = self->proc_ema ? (7 * self->proc_ema + spent) / 8 : spent;
  const GstClockTime rep = self->reported_latency;
  const GstClockTime diff = self->proc_ema > rep ? self->proc_ema - rep : rep - self->proc_ema;
  if ((rep == 0 && self->proc_ema > 0) || (diff > MAX (rep / 4, GST_MSECOND)
          && now - self->latency_posted_at >= 2 * G_USEC_PER_SEC)) {
    self->reported_latency = self->proc_ema;
    self->latency_posted_at = now;
    post = TRUE;
  }
  GST_OBJECT_UNLOCK (self);
  if (post) {
    GST_DEBUG_OBJECT (self, "processing time now %" GST_TIME_FORMAT ", posting latency",
        GST_TIME_ARGS (self->reported_latency));
    gst_element_post_message (GST_ELEMENT_CAST (self),
        gst_message_new_latency (GST_OBJECT_CAST (self)));
  }
}

static GstFlowReturn
gst_bnn_landmarks_transform_frame_ip (GstVideoFilter * filter, GstVideoFrame * frame)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (filter);
  GstBaseTransform *trans = GST_BASE_TRANSFORM (filter);
  GstBuffer *buf = frame->buffer;
  const gint W = GST_VIDEO_FRAME_WIDTH (frame), H = GST_VIDEO_FRAME_HEIGHT (frame);
  const GstClockTime pts = GST_BUFFER_PTS (buf);
  const gint64 t0 = g_get_monotonic_time ();
  guint interval;
  GstClockTime earliest;

  GST_OBJECT_LOCK (self);
  interval = MAX (self->interval, 1u);
  earliest = self->earliest_time;
  GST_OBJECT_UNLOCK (self);

  gboolean want = (self->frame_count % interval) == 0;
  self->frame_count++;
  if (want && GST_CLOCK_TIME_IS_VALID (earliest) && GST_CLOCK_TIME_IS_VALID (pts)) {
    GstClockTime rt = gst_segment_to_running_time (&trans->segment, GST_FORMAT_TIME, pts);
    if (GST_CLOCK_TIME_IS_VALID (rt) && rt < earliest) {
      /* late: keep the frame, skip the network, carry the last result */
      want = FALSE;
      self->qos_skipped++;
      GST_LOG_OBJECT (self, "late by %" GST_TIME_FORMAT ", skipping inference",
          GST_TIME_ARGS (earliest - rt));
    }
  }

  gboolean carried = TRUE;
  if (want) {
    const guint n = gather_regions (self, buf, W, H, self->regions);
    if (self->regions[0].kind == REGION_WHOLE && !self->warned_whole_face
        && g_strcmp0 (self->info->task, "face") == 0) {
      /* a face model sees a face crop; on a whole frame it only works when the face
       * fills it. Once per start: the tracker takes over after the first result. */
      self->warned_whole_face = TRUE;
      GST_ELEMENT_WARNING (self, STREAM, FAILED,
          ("Face model \"%s\" runs on the whole %dx%d frame: no face region upstream.",
              self->model_path, W, H),
          ("The face models expect a face crop. Put a face detector in front "
              "(bnndetect classes=face, or facedetect) so that each face gets a "
              "region; on whole frames the points are right only when the face "
              "fills the frame."));
    }
    if (self->async) {
      g_mutex_lock (&self->job_lock);
      if (!self->job_pending && !self->job_running) {
        const size_t in_floats = (size_t) self->S * self->S * 3;
        for (guint r = 0; r < n; r++) {
          bnn_video_frame_to_input (self->model, frame, &self->regions[r].crop,
              self->staging + r * in_floats);
          self->job_regions[r] = self->regions[r];
          self->job_regions[r].roi = NULL; /* the worker outlives this frame */
        }
        self->job_n = n;
        self->job_pts = pts;
        self->job_w = W;
        self->job_h = H;
        self->job_pending = TRUE;
        g_cond_signal (&self->job_cond);
      } else {
        GST_LOG_OBJECT (self, "worker busy, frame carries the latest result");
      }
      g_mutex_unlock (&self->job_lock);
    } else {
      gboolean ok = TRUE;
      for (guint r = 0; r < n && ok; r++) {
        bnn_video_frame_to_input (self->model, frame, &self->regions[r].crop,
            bnn_net_input (self->net));
        ok = run_and_decode (self, r, &self->regions[r]);
      }
      if (ok) {
        finish_inference (self, self->regions, n, pts, W, H);
        mark_regions (self, self->regions, n);
        carried = FALSE;
      }
    }
  }

  attach_result (self, buf, W, H, pts, carried);

  if (want)
    update_latency (self, (GstClockTime) (g_get_monotonic_time () - t0) * GST_USECOND);
  return GST_FLOW_OK;
}

static GstFlowReturn
gst_bnn_landmarks_transform_ip (GstBaseTransform * trans, GstBuffer * buf)
{
  return bnn_element_transform_ip_readonly (trans, buf,
      gst_bnn_landmarks_transform_frame_ip);
}

static gboolean
gst_bnn_landmarks_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (trans);

  if (GST_QUERY_TYPE (query) == GST_QUERY_LATENCY && direction == GST_PAD_SRC) {
    gboolean live;
    GstClockTime min, max, ours;
    if (!GST_BASE_TRANSFORM_CLASS (gst_bnn_landmarks_parent_class)->query (trans,
            direction, query))
      return FALSE;
    gst_query_parse_latency (query, &live, &min, &max);
    GST_OBJECT_LOCK (self);
    ours = self->reported_latency;
    GST_OBJECT_UNLOCK (self);
    min += ours;
    if (GST_CLOCK_TIME_IS_VALID (max))
      max += ours;
    GST_DEBUG_OBJECT (self, "latency: adding %" GST_TIME_FORMAT " -> min %"
        GST_TIME_FORMAT, GST_TIME_ARGS (ours), GST_TIME_ARGS (min));
    gst_query_set_latency (query, live, min, max);
    return TRUE;
  }
  return GST_BASE_TRANSFORM_CLASS (gst_bnn_landmarks_parent_class)->query (trans,
      direction, query);
}

/* QoS: never drop a frame (the video must stay whole); skip the network on late frames
 * instead, and let the QoS event continue upstream. */
static gboolean
gst_bnn_landmarks_src_event (GstBaseTransform * trans, GstEvent * event)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_QOS) {
    GstQOSType type;
    gdouble proportion;
    GstClockTimeDiff diff;
    GstClockTime timestamp;
    gst_event_parse_qos (event, &type, &proportion, &diff, &timestamp);
    GST_OBJECT_LOCK (self);
    if (diff > 0)
      self->earliest_time = timestamp + 2 * (GstClockTime) diff;
    else
      self->earliest_time = timestamp + diff;
    GST_OBJECT_UNLOCK (self);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_bnn_landmarks_parent_class)->src_event (trans,
      event);
}

static gboolean
gst_bnn_landmarks_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP
      || GST_EVENT_TYPE (event) == GST_EVENT_STREAM_START) {
    if (self->model) {
      if (self->async) {
        /* let a running job finish so that it does not publish into the new stream */
        g_mutex_lock (&self->job_lock);
        self->job_pending = FALSE;
        while (self->job_running) {
          g_mutex_unlock (&self->job_lock);
          g_usleep (1000);
          g_mutex_lock (&self->job_lock);
        }
        g_mutex_unlock (&self->job_lock);
      }
      reset_tracking (self);
    }
    GST_OBJECT_LOCK (self);
    self->earliest_time = GST_CLOCK_TIME_NONE;
    GST_OBJECT_UNLOCK (self);
  }
  return GST_BASE_TRANSFORM_CLASS (gst_bnn_landmarks_parent_class)->sink_event (trans,
      event);
}

/* ---- GObject ---- */

static void
gst_bnn_landmarks_set_property (GObject * object, guint prop_id, const GValue * value,
    GParamSpec * pspec)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model_prop);
      self->model_prop = g_value_dup_string (value);
      break;
    case PROP_THREADS:
      self->threads = g_value_get_int (value);
      break;
    case PROP_INFERENCE_INTERVAL:
      self->interval = g_value_get_uint (value);
      break;
    case PROP_FLIP_TEST:
      self->flip_test = g_value_get_boolean (value);
      break;
    case PROP_BF16:
      self->bf16 = g_value_get_boolean (value);
      break;
    case PROP_SKIP_WHEN_BUSY:
      self->skip_when_busy = g_value_get_boolean (value);
      break;
    case PROP_MIN_CONFIDENCE:
      self->min_conf = g_value_get_float (value);
      break;
    case PROP_MIN_REGION_SCORE:
      self->min_region_score = g_value_get_float (value);
      break;
    case PROP_REGION_HOLD:
      self->region_hold = g_value_get_float (value);
      break;
    case PROP_MAX_INSTANCES:
      self->max_instances = g_value_get_uint (value);
      break;
    case PROP_SMOOTHING:
      self->smoothing = g_value_get_boolean (value);
      break;
    case PROP_MIN_CUTOFF:
      self->euro.min_cutoff = g_value_get_double (value);
      break;
    case PROP_BETA:
      self->euro.beta = g_value_get_double (value);
      break;
    case PROP_D_CUTOFF:
      self->euro.d_cutoff = g_value_get_double (value);
      break;
    case PROP_ISA:
      self->isa = (bnn_isa) g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_bnn_landmarks_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model_prop);
      break;
    case PROP_THREADS:
      g_value_set_int (value, self->threads);
      break;
    case PROP_INFERENCE_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_FLIP_TEST:
      g_value_set_boolean (value, self->flip_test);
      break;
    case PROP_BF16:
      g_value_set_boolean (value, self->bf16);
      break;
    case PROP_SKIP_WHEN_BUSY:
      g_value_set_boolean (value, self->skip_when_busy);
      break;
    case PROP_MIN_CONFIDENCE:
      g_value_set_float (value, self->min_conf);
      break;
    case PROP_MIN_REGION_SCORE:
      g_value_set_float (value, self->min_region_score);
      break;
    case PROP_REGION_HOLD:
      g_value_set_float (value, self->region_hold);
      break;
    case PROP_MAX_INSTANCES:
      g_value_set_uint (value, self->max_instances);
      break;
    case PROP_SMOOTHING:
      g_value_set_boolean (value, self->smoothing);
      break;
    case PROP_MIN_CUTOFF:
      g_value_set_double (value, self->euro.min_cutoff);
      break;
    case PROP_BETA:
      g_value_set_double (value, self->euro.beta);
      break;
    case PROP_D_CUTOFF:
      g_value_set_double (value, self->euro.d_cutoff);
      break;
    case PROP_ISA:
      g_value_set_enum (value, self->isa);
      break;
    case PROP_INFERENCES:
      g_value_set_uint64 (value, self->inferences);
      break;
    case PROP_PROCESSING_TIME:
      g_value_set_uint64 (value, self->proc_ema);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_bnn_landmarks_finalize (GObject * object)
{
  GstBnnLandmarks *self = GST_BNN_LANDMARKS (object);
  free_state (self);
  g_free (self->model_prop);
  g_mutex_clear (&self->result_lock);
  g_mutex_clear (&self->job_lock);
  g_cond_clear (&self->job_cond);
  G_OBJECT_CLASS (gst_bnn_landmarks_parent_class)->finalize (object);
}

static void
gst_bnn_landmarks_class_init (GstBnnLandmarksClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  GST_DEBUG_CATEGORY_INIT (bnn_landmarks_debug, "bnnlandmarks", 0,
      "binarized landmark network filter");

  gobject_class->set_property = gst_bnn_landmarks_set_property;
  gobject_class->get_property = gst_bnn_landmarks_get_property;
  gobject_class->finalize = gst_bnn_landmarks_finalize;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Model file (.bnn path) or shipped model name: body, face, body-lite, "
          "face-lite (body and face fall back to their lite models when no full model "
          "is installed)", DEFAULT_MODEL, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_THREADS,
      g_param_spec_int ("threads", "Threads",
          "Threads running the network (0: one per CPU core)", 0, 64, DEFAULT_THREADS,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INFERENCE_INTERVAL,
      g_param_spec_uint ("inference-interval", "Inference interval",
          "Run the network on every Nth frame; the frames in between carry the last "
          "result, moved with the subject's tracked speed", 1, 1000, DEFAULT_INTERVAL,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SKIP_WHEN_BUSY,
      g_param_spec_boolean ("skip-when-busy", "Skip when busy",
          "Run the network in a worker thread (for live sources): the streaming "
          "thread never waits for it, and frames arriving while it is busy carry "
          "the latest result", DEFAULT_SKIP_WHEN_BUSY, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_FLIP_TEST,
      g_param_spec_boolean ("flip-test", "Flip test",
          "Run each crop twice, as it is and mirrored, and average the two results "
          "(left and right points swapped back): more accurate points for twice the "
          "network time; for recorded video more than for live use", DEFAULT_FLIP_TEST,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_BF16,
      g_param_spec_boolean ("bf16", "bfloat16 real-valued layers",
          "Run the network's real-valued stem and 1x1 skips in bfloat16 (CPUs with "
          "AVX512-BF16; start fails elsewhere): about 15 % less network time, same "
          "accuracy on the validation sets, but not bit-identical to the trainer",
          DEFAULT_BF16, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_MIN_CONFIDENCE,
      g_param_spec_float ("min-confidence", "Minimum confidence",
          "Points below this confidence are marked not visible; on the whole frame "
          "and the tracked subject, instances whose mean point confidence is below it "
          "are dropped (upstream regions use min-region-score)", 0.0f, 1.0f,
          DEFAULT_MIN_CONFIDENCE, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MIN_REGION_SCORE,
      g_param_spec_float ("min-region-score", "Minimum region score",
          "An upstream region of interest's instance is kept when its score, the "
          "detector's confidence (1 if the region has none) times the mean point "
          "confidence, reaches this: the landmark model verifies the detection. "
          "-1: the model file's region_score, else its task's default (body 0.03, face "
          "0.10)", -1.0f, 1.0f,
          DEFAULT_MIN_REGION_SCORE, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_REGION_HOLD,
      g_param_spec_float ("region-hold", "Region verdict hold",
          "A region whose subject was kept by the previous inference (the same "
          "detector track id, else an overlapping instance) needs only this fraction of "
          "min-region-score to stay kept: no flicker when a score hovers at the bar. "
          "Not for a box the detector only predicts (lost-runs > 0). 1: no hold", 0.0f, 1.0f, DEFAULT_REGION_HOLD, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_INSTANCES,
      g_param_spec_uint ("max-instances", "Maximum instances",
          "Most subjects (upstream regions of interest) processed per frame", 1,
          MAX_INSTANCES_LIMIT, DEFAULT_MAX_INSTANCES, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SMOOTHING,
      g_param_spec_boolean ("smoothing", "Smoothing",
          "Smooth the points of each tracked subject over time with a One Euro filter "
          "(removes jitter)", DEFAULT_SMOOTHING, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MIN_CUTOFF,
      g_param_spec_double ("min-cutoff", "One Euro minimum cutoff",
          "One Euro filter cutoff frequency at rest, Hz (lower: smoother but laggier)",
          0.001, 100.0, DEFAULT_MIN_CUTOFF, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_BETA,
      g_param_spec_double ("beta", "One Euro beta",
          "One Euro filter speed coefficient, Hz per pixel/s (higher: less lag on fast "
          "motion)", 0.0, 100.0, DEFAULT_BETA, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_D_CUTOFF,
      g_param_spec_double ("d-cutoff", "One Euro derivative cutoff",
          "One Euro filter cutoff frequency of the speed estimate, Hz", 0.001, 100.0,
          DEFAULT_D_CUTOFF, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_ISA,
      g_param_spec_enum ("isa", "Instruction set",
          "Kernel instruction set (start fails if the CPU lacks it)",
          GST_TYPE_BNN_LANDMARKS_ISA, BNN_ISA_AUTO, rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_INFERENCES,
      g_param_spec_uint64 ("inferences", "Inferences",
          "Number of network runs since start (read-only statistics)", 0, G_MAXUINT64,
          0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_PROCESSING_TIME,
      g_param_spec_uint64 ("processing-time", "Processing time",
          "Smoothed time the streaming thread spends on a frame that runs the "
          "network, ns (the latency this element adds)", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Binarized landmark estimator", "Filter/Analyzer/Video",
      "Finds body or face landmarks (and part masks) with a binarized hourglass "
      "network and attaches them to each frame as GstLandmarkMeta",
      "bnnlandmarks developers");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_bnn_landmarks_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_bnn_landmarks_stop);
  trans_class->transform_ip = GST_DEBUG_FUNCPTR (gst_bnn_landmarks_transform_ip);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_bnn_landmarks_query);
  trans_class->src_event = GST_DEBUG_FUNCPTR (gst_bnn_landmarks_src_event);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_bnn_landmarks_sink_event);
  filter_class->set_info = GST_DEBUG_FUNCPTR (gst_bnn_landmarks_set_info);
  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_bnn_landmarks_transform_frame_ip);

  gst_type_mark_as_plugin_api (GST_TYPE_BNN_LANDMARKS_ISA, 0);
}

static void
gst_bnn_landmarks_init (GstBnnLandmarks * self)
{
  self->model_prop = g_strdup (DEFAULT_MODEL);
  self->threads = DEFAULT_THREADS;
  self->interval = DEFAULT_INTERVAL;
  self->skip_when_busy = DEFAULT_SKIP_WHEN_BUSY;
  self->flip_test = DEFAULT_FLIP_TEST;
  self->bf16 = DEFAULT_BF16;
  self->min_conf = DEFAULT_MIN_CONFIDENCE;
  self->min_region_score = DEFAULT_MIN_REGION_SCORE;
  self->region_hold = DEFAULT_REGION_HOLD;
  self->max_instances = DEFAULT_MAX_INSTANCES;
  self->smoothing = DEFAULT_SMOOTHING;
  self->euro.min_cutoff = DEFAULT_MIN_CUTOFF;
  self->euro.beta = DEFAULT_BETA;
  self->euro.d_cutoff = DEFAULT_D_CUTOFF;
  self->isa = BNN_ISA_AUTO;
  self->seg_idx = self->heat_idx = -1;
  self->earliest_time = GST_CLOCK_TIME_NONE;
  g_mutex_init (&self->result_lock);
  g_mutex_init (&self->job_lock);
  g_cond_init (&self->job_cond);
  /* frames are never dropped for QoS: late frames skip the network instead */
  gst_base_transform_set_qos_enabled (GST_BASE_TRANSFORM (self), FALSE);
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}
