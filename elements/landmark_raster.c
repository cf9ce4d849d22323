/* landmark_raster.c: LandmarkCanvas, the overlay's per-frame renderer: rasterises skeleton
 * lines, dots and part masks itself and blends them straight into the video frame.
 *
 * Why it exists: measured on a 640x480 frame with a 68-point face, stroking with Cairo
 * and blending the result with gst_video_blend cost 6-9 ms a frame; this path costs
 * about 1 ms, because its work follows the pixels drawn, not the frame size. Cairo's
 * picture (landmark_draw_cairo in landmark_draw.c) stays the reference this one is
 * tested against (tests/elements/test_landmark_draw.c).
 *
 * How: lines and dots are antialiased by distance (coverage = radius + 1/2 - distance of
 * the pixel centre, clamped to [0, 1]); each path's coverage is unioned like Cairo's
 * single fill, then composited in premultiplied ARGB into the frame's planes (packed RGB
 * with or without alpha, 8-bit YUV of any layout up to 2x2 subsampling) or into an ARGB
 * image, only where something was drawn. The rarer labels, boxes and regions are drawn
 * with Cairo (landmark_draw.c) into a scratch layer that is blended the same way. */
#include "landmark_draw.h"
#include "landmark_draw_internal.h"

#include <math.h>
#include <string.h>

/* round (a * b / 255) for a, b in 0..255 (exact, as pixman's MUL_UN8) */
static inline guint32
mul_un8 (guint32 a, guint32 b)
{
  const guint32 t = a * b + 128;
  return (t + (t >> 8)) >> 8;
}

/* every channel of a premultiplied ARGB word times k / 255 */
static inline guint32
word_scale (guint32 w, guint32 k)
{
  return mul_un8 (w >> 24, k) << 24 | mul_un8 ((w >> 16) & 0xff, k) << 16 |
      mul_un8 ((w >> 8) & 0xff, k) << 8 | mul_un8 (w & 0xff, k);
}

/* src OVER dst, premultiplied; no channel carries into the next because src's colour
 * channels never exceed its alpha */
static inline guint32
word_over (guint32 src, guint32 dst)
{
  const guint32 ia = 255 - (src >> 24);
  if (ia == 0 || dst == 0)
    return src;
  return src + word_scale (dst, ia);
}

/* 0xAARRGGBB (straight alpha) to a premultiplied ARGB word */
static guint32
premultiply (guint32 argb)
{
  const guint32 a = argb >> 24;
  return a << 24 | mul_un8 ((argb >> 16) & 0xff, a) << 16 |
      mul_un8 ((argb >> 8) & 0xff, a) << 8 | mul_un8 (argb & 0xff, a);
}

/* floor / ceil of v as an int clamped to [lo, hi] (v may be huge or infinite) */
static inline int
floor_clamp (double v, int lo, int hi)
{
  v = floor (v);
  return v <= lo ? lo : v >= hi ? hi : (int) v;
}

static inline int
ceil_clamp (double v, int lo, int hi)
{
  v = ceil (v);
  return v <= lo ? lo : v >= hi ? hi : (int) v;
}

/* A colour in the forms the targets need: the premultiplied ARGB word, and for YUV
 * GStreamer's blending matrix (BT.709, limited range) applied to it: a sample d becomes
 * (k + d m + 32640) / 65280 with k = 255 M rgb + 256 o a (o: 16 for Y, 128 for U and
 * V) and m = 256 (255 - a). */
typedef struct {
  guint32 w;
  guint32 a, y, u, v, m;
} Colour;

static void
colour_set (Colour * c, guint32 w)
{
  const gint32 a = (gint32) (w >> 24), r = (gint32) ((w >> 16) & 0xff),
      g = (gint32) ((w >> 8) & 0xff), b = (gint32) (w & 0xff);
  c->w = w;
  c->a = (guint32) a;
  c->y = (guint32) MAX (255 * (47 * r + 157 * g + 16 * b) + 4096 * a, 0);
  c->u = (guint32) MAX (255 * (-26 * r - 87 * g + 112 * b) + 32768 * a, 0);
  c->v = (guint32) MAX (255 * (112 * r - 102 * g - 10 * b) + 32768 * a, 0);
  c->m = (guint32) (255 - a) * 256;
}

static inline guint8
yuv_blend (guint32 k, guint32 m, guint32 d)
{
  return (guint8) ((k + d * m + 32640) / 65280);
}

/* what one sample value becomes */
typedef guint8 SampleTable[256];

/* 256 colours indexed by a pixel's byte: a path's colour at each coverage, or the part
 * mask's class colours; entry 0 is transparent */
typedef struct {
  Colour c[256];
  guint32 key;          /* what it was computed for */
  gboolean valid;
  /* per entry, built when first needed: each Y, U and V sample value blended with the
   * entry (the inside of a mask part or of a line is one entry); each RGB(A) sample
   * value times (255 - alpha) / 255 */
  SampleTable (*table)[4];
  guint8 table_ok[256];         /* bits: 1 YUV, 2 RGB */
} Palette;

static void
palette_reset (Palette * p, guint32 key)
{
  p->key = key;
  p->valid = TRUE;
  memset (p->table_ok, 0, sizeof p->table_ok);
}

static const SampleTable *
palette_table (Palette * p, guint v, gboolean yuv)
{
  if (!p->table)
    p->table = g_malloc (256 * sizeof *p->table);
  const Colour *c = &p->c[v];
  if (yuv && !(p->table_ok[v] & 1)) {
    for (guint d = 0; d < 256; d++) {
      p->table[v][0][d] = yuv_blend (c->y, c->m, d);
      p->table[v][1][d] = yuv_blend (c->u, c->m, d);
      p->table[v][2][d] = yuv_blend (c->v, c->m, d);
    }
    p->table_ok[v] |= 1;
  }
  if (!yuv && !(p->table_ok[v] & 2)) {
    for (guint d = 0; d < 256; d++)
      p->table[v][3][d] = (guint8) mul_un8 (d, 255 - c->a);
    p->table_ok[v] |= 2;
  }
  return (const SampleTable *) p->table[v];
}

struct _LandmarkCanvas {
  guint32 *layer;       /* Cairo's scratch layer, premultiplied ARGB; kept zero */
  gsize layer_px;
  guint8 *cov;          /* coverage of the path being drawn, 0..255; kept zero */
  gsize cov_px;
  int *spans;           /* per extent row: layer x0, x1, coverage x0, x1 */
  gsize span_rows;
  int *col_src;         /* part mask: source column of each extent column */
  guint8 *mask_rows;    /*   two rows of class indices */
  gsize cols;
  Palette line, point, mask;
};

typedef enum {
  TARGET_ARGB,          /* a premultiplied ARGB32 image of the extent */
  TARGET_RGB,           /* a packed 8-bit RGB(A) frame */
  TARGET_YUV,           /* an 8-bit YUV frame */
} TargetKind;

typedef struct {
  TargetKind kind;
  int ex, ey, ew, eh;   /* the extent, frame pixels */
  int width, height;    /* the frame */
  /* TARGET_ARGB */
  guint32 *img;
  int img_stride;       /* words */
  /* TARGET_RGB: R, G, B, A; TARGET_YUV: Y, U, V; at frame pixel (0, 0) */
  guint8 *comp[4];
  int cstride[4], cpstride[4];
  gboolean has_alpha;
  int wsub, hsub;       /* log2 chroma subsampling */
} Target;

typedef struct {
  LandmarkCanvas *c;
  Target t;
  guint32 *layer;       /* where Cairo draws: the image (TARGET_ARGB), or the canvas's */
  int lstride;          /* scratch layer (NULL until needed), blended in by layer_flush */
  gboolean scratch;
  int *ldx0, *ldx1, ldy0, ldy1;  /* layer rows / columns drawn on since the last flush */
  int *cdx0, *cdx1, cdy0, cdy1;  /* coverage rows / columns of the current path */
  cairo_surface_t *cs;
  cairo_t *cr;
} Ctx;

LandmarkCanvas *
landmark_canvas_new (void)
{
  return g_new0 (LandmarkCanvas, 1);
}

void
landmark_canvas_free (LandmarkCanvas * c)
{
  if (!c)
    return;
  g_free (c->layer);
  g_free (c->cov);
  g_free (c->spans);
  g_free (c->col_src);
  g_free (c->mask_rows);
  g_free (c->line.table);
  g_free (c->point.table);
  g_free (c->mask.table);
  g_free (c);
}

/* Grows the buffers to an extent of w x h (the zero buffers start zeroed). */
static void
canvas_reserve (LandmarkCanvas * c, int w, int h)
{
  const gsize px = (gsize) w * h;
  if (c->cov_px < px) {
    g_free (c->cov);
    c->cov = g_new0 (guint8, px);
    c->cov_px = px;
  }
  if (c->span_rows < (gsize) h) {
    g_free (c->spans);
    c->spans = g_new (int, 4 * (gsize) h);
    c->span_rows = h;
  }
  if (c->cols < (gsize) w) {
    g_free (c->col_src);
    g_free (c->mask_rows);
    c->col_src = g_new (int, w);
    c->mask_rows = g_new (guint8, 2 * (gsize) w);
    c->cols = w;
  }
}

static void
ctx_init (Ctx * s, LandmarkCanvas * c, const Target * t)
{
  memset (s, 0, sizeof *s);
  s->c = c;
  s->t = *t;
  if (t->kind == TARGET_ARGB) {
    s->layer = t->img;
    s->lstride = t->img_stride;
  } else {
    s->scratch = TRUE;  /* the layer is allocated when Cairo first draws */
  }
  s->ldx0 = c->spans;
  s->ldx1 = c->spans + t->eh;
  s->cdx0 = c->spans + 2 * (gsize) t->eh;
  s->cdx1 = c->spans + 3 * (gsize) t->eh;
  for (int j = 0; j < t->eh; j++) {
    s->ldx0[j] = s->cdx0[j] = t->ew;
    s->ldx1[j] = s->cdx1[j] = 0;
  }
  s->ldy0 = s->cdy0 = t->eh;
  s->ldy1 = s->cdy1 = 0;
}

static inline void
span_add (int *x0, int *x1, int *y0, int *y1, int j, int a, int b)
{
  x0[j] = MIN (x0[j], a);
  x1[j] = MAX (x1[j], b);
  *y0 = MIN (*y0, j);
  *y1 = MAX (*y1, j + 1);
}

/* -- compositing rows of pixels into the target -- */

/* Blends columns [x0, x1) of `rows` into the target. rows[k] holds extent row j + k
 * (NULL: nothing there, or outside the extent or the frame), indexed by extent column;
 * frame row ey + j starts a chroma block (2^hsub rows). With a palette the rows are
 * bytes indexing it, else premultiplied ARGB words. Zero pixels are skipped. */
static inline G_ALWAYS_INLINE void
blend_rows (const Target * t, int j, const void *const *rows, Palette * pal, int x0,
    int x1)
{
  Colour cache;                 /* the last word's colour (word rows) */
  colour_set (&cache, 0);
#define PIXEL(row, x) (pal ? (guint32) ((const guint8 *) (row))[x] : \
    ((const guint32 *) (row))[x])
#define COLOUR(v) (pal ? &pal->c[v] : ((v) == cache.w ? &cache : \
      (colour_set (&cache, (v)), &cache)))

  if (t->kind == TARGET_ARGB) {
    if (!rows[0])
      return;
    guint32 *d = t->img + (gsize) j * t->img_stride;
    for (int x = x0; x < x1; x++) {
      const guint32 v = PIXEL (rows[0], x);
      if (v)
        d[x] = word_over (COLOUR (v)->w, d[x]);
    }
    return;
  }

  if (t->kind == TARGET_RGB) {
    if (!rows[0])
      return;
    const gsize fy = (gsize) (t->ey + j);
    guint8 *r = t->comp[0] + fy * t->cstride[0], *g = t->comp[1] + fy * t->cstride[1];
    guint8 *b = t->comp[2] + fy * t->cstride[2];
    guint8 *a = t->has_alpha ? t->comp[3] + fy * t->cstride[3] : NULL;
    const int ps = t->cpstride[0];
    for (int x = x0; x < x1; x++) {
      const guint32 v = PIXEL (rows[0], x);
      if (!v)
        continue;
      const guint32 w = COLOUR (v)->w;
      if (pal) {
        const guint8 *m = palette_table (pal, v, FALSE)[3];
        const gsize o = (gsize) (t->ex + x) * ps;
        r[o] = (guint8) (((w >> 16) & 0xff) + m[r[o]]);
        g[o] = (guint8) (((w >> 8) & 0xff) + m[g[o]]);
        b[o] = (guint8) ((w & 0xff) + m[b[o]]);
        if (a)
          a[o] = (guint8) ((w >> 24) + m[a[o]]);
        continue;
      }
      const gsize o = (gsize) (t->ex + x) * ps;
      const guint32 ia = 255 - (w >> 24);
      r[o] = (guint8) (((w >> 16) & 0xff) + mul_un8 (r[o], ia));
      g[o] = (guint8) (((w >> 8) & 0xff) + mul_un8 (g[o], ia));
      b[o] = (guint8) ((w & 0xff) + mul_un8 (b[o], ia));
      if (a)
        a[o] = (guint8) ((w >> 24) + mul_un8 (a[o], ia));
    }
    return;
  }

  /* YUV: one pass over the chroma blocks, each pixel's luma blended as it is read */
  const int bh = 1 << t->hsub, bw = 1 << t->wsub;
  const int fyb = t->ey + j;
  const int nrows = MIN (bh, t->height - fyb);
  const gsize cy = (gsize) (fyb >> t->hsub);
  guint8 *yr[2] = { NULL, NULL };
  for (int k = 0; k < bh; k++)
    if (rows[k])
      yr[k] = t->comp[0] + (gsize) (fyb + k) * t->cstride[0];
  guint8 *ur = t->comp[1] + cy * t->cstride[1], *vr = t->comp[2] + cy * t->cstride[2];
  const int yps = t->cpstride[0], ups = t->cpstride[1], vps = t->cpstride[2];
  const gboolean quad = bh == 2 && bw == 2 && rows[0] && rows[1] && nrows == 2;
  const int cx0 = (t->ex + x0) >> t->wsub, cx1 = ((t->ex + x1 - 1) >> t->wsub) + 1;
  for (int cx = cx0; cx < cx1; cx++) {
    const int fx = cx << t->wsub;
    const int ncols = MIN (bw, t->width - fx);
    const int xs = fx - t->ex, xa = MAX (xs, x0), xb = MIN (xs + ncols, x1);
    guint8 *du = ur + (gsize) cx * ups, *dv = vr + (gsize) cx * vps;

    if (quad && pal && xa == xs && xs + 8 <= x1) {
      /* four empty blocks in a row: skip them */
      guint64 r0, r1;
      memcpy (&r0, (const guint8 *) rows[0] + xa, sizeof r0);
      memcpy (&r1, (const guint8 *) rows[1] + xa, sizeof r1);
      if (!(r0 | r1)) {
        cx += 3;
        continue;
      }
    }
    if (quad && xa == xs && xb == xs + 2) {
      /* a whole 2x2 block: nothing, or (inside a mask part or a line) one colour */
      const guint32 v00 = PIXEL (rows[0], xa), v01 = PIXEL (rows[0], xa + 1);
      const guint32 v10 = PIXEL (rows[1], xa), v11 = PIXEL (rows[1], xa + 1);
      if (!(v00 | v01 | v10 | v11))
        continue;
      if (v00 == v01 && v00 == v10 && v00 == v11 && pal) {
        const SampleTable *tab = palette_table (pal, v00, TRUE);
        guint8 *d0 = yr[0] + (gsize) (t->ex + xa) * yps;
        guint8 *d1 = yr[1] + (gsize) (t->ex + xa) * yps;
        d0[0] = tab[0][d0[0]];
        d0[yps] = tab[0][d0[yps]];
        d1[0] = tab[0][d1[0]];
        d1[yps] = tab[0][d1[yps]];
        *du = tab[1][*du];
        *dv = tab[2][*dv];
        continue;
      }
      if (v00 == v01 && v00 == v10 && v00 == v11) {
        const Colour *c = COLOUR (v00);
        guint8 *d0 = yr[0] + (gsize) (t->ex + xa) * yps;
        guint8 *d1 = yr[1] + (gsize) (t->ex + xa) * yps;
        d0[0] = yuv_blend (c->y, c->m, d0[0]);
        d0[yps] = yuv_blend (c->y, c->m, d0[yps]);
        d1[0] = yuv_blend (c->y, c->m, d1[0]);
        d1[yps] = yuv_blend (c->y, c->m, d1[yps]);
        *du = yuv_blend (c->u, c->m, *du);
        *dv = yuv_blend (c->v, c->m, *dv);
        continue;
      }
    }

    guint32 us = 0, vs = 0, as = 0;
    for (int k = 0; k < bh; k++) {
      if (!rows[k])
        continue;
      for (int x = xa; x < xb; x++) {
        const guint32 v = PIXEL (rows[k], x);
        if (!v)
          continue;
        const Colour *c = COLOUR (v);
        guint8 *d = yr[k] + (gsize) (t->ex + x) * yps;
        *d = yuv_blend (c->y, c->m, *d);
        us += c->u;
        vs += c->v;
        as += c->a;
      }
    }
    if (as == 0)
      continue;
    /* the block's mean (pixels outside the extent add nothing), scaled to 4 samples */
    const guint32 n = (guint32) (ncols * nrows), f = n == 1 ? 4 : n == 2 ? 2 : 1;
    us *= f;
    vs *= f;
    as *= f;
    *du = (guint8) ((us + *du * (1020 - as) * 256 + 130560) / 261120u);
    *dv = (guint8) ((vs + *dv * (1020 - as) * 256 + 130560) / 261120u);
  }
#undef PIXEL
#undef COLOUR
}

static void
blend_words (const Target * t, int j, const void *const *rows, int x0, int x1)
{
  blend_rows (t, j, rows, NULL, x0, x1);
}

static void
blend_indexed (const Target * t, int j, const void *const *rows, Palette * pal, int x0,
    int x1)
{
  blend_rows (t, j, rows, pal, x0, x1);
}

/* What was drawn since the last flush: extent rows [*y0, *y1) of a buffer (elem bytes per
 * pixel, stride pixels per row), and in each row j the columns [x0[j], x1[j]). */
typedef struct
{
  guint8 *buf;
  gsize elem, stride;
  int *x0, *x1, *y0, *y1;
} Dirty;

/* Blends the dirty rows into the target one chroma block row at a time (palette NULL: ARGB
 * words, else palette indices; blend FALSE: clear only), then clears them and the spans. */
static void
dirty_flush (const Target * t, const Dirty * d, Palette * pal, gboolean blend)
{
  const int bh = 1 << t->hsub;
  for (int fyb = ((t->ey + *d->y0) >> t->hsub) << t->hsub; fyb < t->ey + *d->y1;
      fyb += bh) {
    const void *rows[2] = { NULL, NULL };
    int x0 = t->ew, x1 = 0;
    for (int k = 0; k < bh; k++) {
      const int j = fyb + k - t->ey;
      if (j < *d->y0 || j >= *d->y1 || fyb + k >= t->height || d->x0[j] >= d->x1[j])
        continue;
      rows[k] = d->buf + (gsize) j * d->stride * d->elem;
      x0 = MIN (x0, d->x0[j]);
      x1 = MAX (x1, d->x1[j]);
    }
    if (x0 >= x1)
      continue;
    if (blend && pal)
      blend_indexed (t, fyb - t->ey, rows, pal, x0, x1);
    else if (blend)
      blend_words (t, fyb - t->ey, rows, x0, x1);
    for (int k = 0; k < bh; k++) {
      const int j = fyb + k - t->ey;
      if (!rows[k])
        continue;
      memset ((guint8 *) rows[k] + (gsize) d->x0[j] * d->elem, 0,
          (gsize) (d->x1[j] - d->x0[j]) * d->elem);
      d->x0[j] = t->ew;
      d->x1[j] = 0;
    }
  }
  *d->y0 = t->eh;
  *d->y1 = 0;
}

/* Blends what Cairo drew on the scratch layer into the frame and clears it. */
static void
layer_flush (Ctx * s)
{
  if (!s->scratch || s->ldy0 >= s->ldy1)
    return;
  const Dirty d = { (guint8 *) s->layer, sizeof (guint32), (gsize) s->lstride,
    s->ldx0, s->ldx1, &s->ldy0, &s->ldy1
  };
  dirty_flush (&s->t, &d, NULL, TRUE);
}

/* -- Cairo on the layer (regions, boxes, labels) -- */

static cairo_t *
ctx_cairo_begin (Ctx * s)
{
  if (!s->cr) {
    if (s->scratch) {
      LandmarkCanvas *c = s->c;
      const gsize px = (gsize) s->t.ew * s->t.eh;
      if (c->layer_px < px) {
        g_free (c->layer);
        c->layer = g_new0 (guint32, px);
        c->layer_px = px;
      }
      s->layer = c->layer;
      s->lstride = s->t.ew;
    }
    s->cs = cairo_image_surface_create_for_data ((guint8 *) s->layer, CAIRO_FORMAT_ARGB32,
        s->t.ew, s->t.eh, s->lstride * 4);
    s->cr = cairo_create (s->cs);
    cairo_translate (s->cr, -s->t.ex, -s->t.ey);
  } else {
    cairo_surface_mark_dirty (s->cs);   /* the layer was written without Cairo */
  }
  return s->cr;
}

/* After Cairo drew: it may have touched any pixel of the extent. */
static void
ctx_cairo_end (Ctx * s)
{
  cairo_surface_flush (s->cs);
  for (int j = 0; j < s->t.eh; j++)
    span_add (s->ldx0, s->ldx1, &s->ldy0, &s->ldy1, j, 0, s->t.ew);
}

static void
ctx_finish (Ctx * s)
{
  layer_flush (s);
  if (s->cr) {
    cairo_destroy (s->cr);
    cairo_surface_finish (s->cs);
    cairo_surface_destroy (s->cs);
  }
}

/* -- paths: coverage of lines and dots, unioned, then composited in one colour -- */

/* Narrows [*lo, *hi] to the X with vlo <= k X + c <= vhi; ik = 1 / k, or 0 when k is
 * (nearly) 0. */
static inline void
interval_lin (double ik, double c, double vlo, double vhi, double *lo, double *hi)
{
  if (ik == 0.0) {
    if (c < vlo || c > vhi) {
      *lo = 1.0;
      *hi = 0.0;
    }
    return;
  }
  double a = (vlo - c) * ik, b = (vhi - c) * ik;
  if (a > b) {
    const double tmp = a;
    a = b;
    b = tmp;
  }
  *lo = MAX (*lo, a);
  *hi = MIN (*hi, b);
}

/* Adds the coverage of the capsule of radius r around segment a-b (extent pixel
 * coordinates: pixel (i, j) covers [i, i+1) x [j, j+1)); a dot when a == b. */
static void
raster_capsule (Ctx * s, double ax, double ay, double bx, double by, double r)
{
  const double R = r + 0.5;     /* coverage reaches 0 there */
  const double R2 = R * R, Rin2 = R >= 1.0 ? (R - 1.0) * (R - 1.0) : -1.0;
  const double dx = bx - ax, dy = by - ay, len = sqrt (dx * dx + dy * dy);
  const double ux = len > 0 ? dx / len : 0, uy = len > 0 ? dy / len : 0;
  const double iux = fabs (ux) > 1e-9 ? 1.0 / ux : 0.0;
  const double iuy = fabs (uy) > 1e-9 ? -1.0 / uy : 0.0;
  const int ew = s->t.ew, eh = s->t.eh;
  const int j0 = floor_clamp (MIN (ay, by) - R - 0.5, 0, eh);
  const int j1 = ceil_clamp (MAX (ay, by) + R - 0.5, -1, eh - 1);

  for (int j = j0; j <= j1; j++) {
    const double yc = j + 0.5, py = yc - ay;
    double lo = G_MAXDOUBLE, hi = -G_MAXDOUBLE;
    /* the row's chord: the two end discs and the band between them (convex: one run) */
    if (fabs (py) < R) {
      const double h = sqrt (R2 - py * py);
      lo = MIN (lo, ax - h);
      hi = MAX (hi, ax + h);
    }
    if (fabs (yc - by) < R) {
      const double h = sqrt (R2 - (yc - by) * (yc - by));
      lo = MIN (lo, bx - h);
      hi = MAX (hi, bx + h);
    }
    if (len > 0) {
      double blo = -G_MAXDOUBLE, bhi = G_MAXDOUBLE;
      interval_lin (iux, py * uy, 0.0, len, &blo, &bhi);
      interval_lin (iuy, py * ux, -R, R, &blo, &bhi);
      if (blo <= bhi) {
        lo = MIN (lo, ax + blo);
        hi = MAX (hi, ax + bhi);
      }
    }
    if (lo > hi)
      continue;
    const int i0 = ceil_clamp (lo - 0.5, 0, ew), i1 = floor_clamp (hi - 0.5, -1, ew - 1);
    if (i0 > i1)
      continue;
    guint8 *row = s->c->cov + (gsize) j * ew;
    for (int i = i0; i <= i1; i++) {
      const double px = i + 0.5 - ax, along = px * ux + py * uy;
      double cv;
      if (along > 0.0 && along < len) {
        cv = R - fabs (py * ux - px * uy);      /* beside the segment */
      } else {
        /* beyond an end: the distance to that end point */
        const double qx = along > 0.0 ? px - dx : px, qy = along > 0.0 ? py - dy : py;
        const double d2 = qx * qx + qy * qy;
        if (d2 >= R2)
          continue;
        cv = d2 <= Rin2 ? 1.0 : R - sqrt (d2);
      }
      if (cv <= 0.0)
        continue;
      const guint v = cv >= 1.0 ? 255 : (guint) (cv * 255.0 + 0.5);
      if (v > row[i])
        row[i] = (guint8) v;
    }
    span_add (s->cdx0, s->cdx1, &s->cdy0, &s->cdy1, j, i0, i1 + 1);
  }
}

/* The palette of a path of colour argb (0xAARRGGBB): entry v at coverage v / 255. */
static Palette *
path_palette (Palette * p, guint32 argb)
{
  if (!p->valid || p->key != argb) {
    const guint32 src = premultiply (argb);
    for (guint v = 0; v < 256; v++)
      colour_set (&p->c[v], word_scale (src, v));
    palette_reset (p, argb);
  }
  return p;
}

/* Composites the path's coverage in one colour into the target; clears it. */
static void
path_fill (Ctx * s, Palette * pal, guint32 argb)
{
  if (s->cdy0 >= s->cdy1)
    return;
  Palette *p = path_palette (pal, argb);
  layer_flush (s);              /* what Cairo drew before goes under the path */
  const Dirty d = { s->c->cov, 1, (gsize) s->t.ew, s->cdx0, s->cdx1, &s->cdy0, &s->cdy1 };
  dirty_flush (&s->t, &d, p, p->c[255].w != 0);
}

/* -- the part mask: the class map scaled to its rectangle (nearest neighbour, pixel
 * centres inside the rectangle), blended straight into the target -- */

static void
fast_draw_mask (Ctx * s, const GstLandmarkInstance * in, double alpha)
{
  gsize size;
  const guint8 *cls = g_bytes_get_data (in->map, &size);
  const int mw = (int) in->map_width, mh = (int) in->map_height;
  if (!cls || mw <= 0 || mh <= 0 || size < (gsize) mw * mh || !(in->map_w > 0)
      || !(in->map_h > 0))
    return;
  LandmarkCanvas *c = s->c;
  const Target *t = &s->t;
  const guint32 a = (guint32) CLAMP (alpha * 255.0 + 0.5, 0.0, 255.0);
  if (a == 0)
    return;
  Palette *pal = &c->mask;
  if (!pal->valid || pal->key != a) {
    colour_set (&pal->c[0], 0);
    for (guint k = 1; k < 256; k++)
      colour_set (&pal->c[k], premultiply (a << 24 | landmark_draw_class_color (k)));
    palette_reset (pal, a);
  }

  /* the map's rectangle in extent pixels; the columns and rows whose centres it holds */
  const double rx0 = in->map_x - t->ex, ry0 = in->map_y - t->ey;
  const double rx1 = rx0 + in->map_w, ry1 = ry0 + in->map_h;
  const int i0 = ceil_clamp (rx0 - 0.5, 0, t->ew), i1 = ceil_clamp (rx1 - 0.5, 0, t->ew);
  const int j0 = ceil_clamp (ry0 - 0.5, 0, t->eh), j1 = ceil_clamp (ry1 - 0.5, 0, t->eh);
  if (i0 >= i1 || j0 >= j1)
    return;
  /* sampled at pixel centres, rounding down like pixman's nearest filter */
  const double sxs = mw / in->map_w, sys = mh / in->map_h;
  for (int i = i0; i < i1; i++)
    c->col_src[i] = floor_clamp ((i + 0.5 - rx0) * sxs - 1.0 / 65536, 0, mw - 1);

  layer_flush (s);              /* what Cairo drew before goes under the mask */
  const int bh = 1 << t->hsub;
  int cached = -1;              /* source row in mask_rows[0] */
  for (int fyb = ((t->ey + j0) >> t->hsub) << t->hsub; fyb < t->ey + j1; fyb += bh) {
    const void *rows[2] = { NULL, NULL };
    int prev = -1;
    for (int k = 0; k < bh; k++) {
      const int j = fyb + k - t->ey;
      if (j < j0 || j >= j1 || fyb + k >= t->height)
        continue;
      const int sy = floor_clamp ((j + 0.5 - ry0) * sys - 1.0 / 65536, 0, mh - 1);
      if (sy == prev) {         /* the block's rows often sample one source row */
        rows[k] = rows[k - 1];
        continue;
      }
      guint8 *row = c->mask_rows + (k == 0 || sy == cached ? 0 : c->cols);
      if (row != c->mask_rows || sy != cached) {
        const guint8 *src = cls + (gsize) sy * mw;
        for (int i = i0; i < i1; i++)
          row[i] = src[c->col_src[i]];
        if (row == c->mask_rows)
          cached = sy;
      }
      rows[k] = row;
      prev = sy;
    }
    blend_indexed (t, fyb - t->ey, rows, pal, i0, i1);
  }
}

/* -- one frame -- */

static void
fast_draw (Ctx * s, const GstLandmarkMeta * meta, const LandmarkRegion * regions,
    guint n_regions, const LandmarkDrawConfig * cfg)
{
  const double ox = 0.5 - s->t.ex, oy = 0.5 - s->t.ey;  /* frame point -> extent centre */

  if (n_regions > 0) {
    landmark_draw_regions (ctx_cairo_begin (s), regions, n_regions, cfg);
    ctx_cairo_end (s);
  }
  for (guint i = 0; meta && i < meta->n_instances; i++) {
    const GstLandmarkInstance *in = &meta->instances[i];

    if (cfg->draw_mask && in->map && cfg->mask_alpha > 0.0)
      fast_draw_mask (s, in, cfg->mask_alpha);

    if (box_drawn (in, cfg)) {
      landmark_draw_box (ctx_cairo_begin (s), in, cfg);
      ctx_cairo_end (s);
    }

    if (cfg->draw_skeleton && in->layout && cfg->line_width > 0) {
      const guint np = gst_landmark_layout_get_n_skeleton_pairs (in->layout);
      for (guint j = 0; j < np; j++) {
        const GstLandmarkPoint *pa, *pb;
        if (skeleton_pair (in, j, cfg->min_conf, &pa, &pb))
          raster_capsule (s, pa->x + ox, pa->y + oy, pb->x + ox, pb->y + oy,
              cfg->line_width / 2.0);
      }
      path_fill (s, &s->c->line, cfg->line_color);
    }

    if (cfg->draw_points && cfg->point_radius > 0) {
      for (guint k = 0; k < in->n_points; k++) {
        const GstLandmarkPoint *p = &in->points[k];
        if (point_shown (p, cfg->min_conf))
          raster_capsule (s, p->x + ox, p->y + oy, p->x + ox, p->y + oy, cfg->point_radius);
      }
      path_fill (s, &s->c->point, cfg->point_color);
    }

    if (cfg->draw_labels && in->layout) {
      landmark_draw_labels (ctx_cairo_begin (s), in, cfg);
      ctx_cairo_end (s);
    }
  }
  ctx_finish (s);
}

gboolean
landmark_canvas_draw_frame (LandmarkCanvas * canvas, GstVideoFrame * frame,
    const GstLandmarkMeta * meta, const LandmarkRegion * regions, guint n_regions,
    const LandmarkDrawConfig * cfg, int x, int y, int w, int h)
{
  const GstVideoFormatInfo *fi = frame->info.finfo;
  const int width = GST_VIDEO_FRAME_WIDTH (frame), height = GST_VIDEO_FRAME_HEIGHT (frame);
  Target t;
  memset (&t, 0, sizeof t);

  if (GST_VIDEO_FORMAT_INFO_HAS_PALETTE (fi) || GST_VIDEO_FORMAT_INFO_IS_TILED (fi)
      || GST_VIDEO_FORMAT_INFO_N_COMPONENTS (fi) < 3)
    return FALSE;
  for (guint k = 0; k < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (fi); k++)
    if (GST_VIDEO_FORMAT_INFO_DEPTH (fi, k) != 8
        || GST_VIDEO_FORMAT_INFO_SHIFT (fi, k) != 0)
      return FALSE;
  if (GST_VIDEO_FORMAT_INFO_IS_RGB (fi)) {
    t.kind = TARGET_RGB;
    t.has_alpha = GST_VIDEO_FORMAT_INFO_HAS_ALPHA (fi);
    /* packed: every component in one plane, one pixel stride */
    for (guint k = 1; k < GST_VIDEO_FORMAT_INFO_N_COMPONENTS (fi); k++)
      if (GST_VIDEO_FORMAT_INFO_PLANE (fi, k) != GST_VIDEO_FORMAT_INFO_PLANE (fi, 0)
          || GST_VIDEO_FORMAT_INFO_PSTRIDE (fi, k) != GST_VIDEO_FORMAT_INFO_PSTRIDE (fi, 0))
        return FALSE;
  } else if (GST_VIDEO_FORMAT_INFO_IS_YUV (fi)) {
    t.kind = TARGET_YUV;
    const guint ws = GST_VIDEO_FORMAT_INFO_W_SUB (fi, 1);
    const guint hs = GST_VIDEO_FORMAT_INFO_H_SUB (fi, 1);
    if (ws > 1 || hs > 1 || GST_VIDEO_FORMAT_INFO_W_SUB (fi, 2) != ws
        || GST_VIDEO_FORMAT_INFO_H_SUB (fi, 2) != hs
        || GST_VIDEO_FORMAT_INFO_W_SUB (fi, 0) || GST_VIDEO_FORMAT_INFO_H_SUB (fi, 0))
      return FALSE;
    t.wsub = (int) ws;
    t.hsub = (int) hs;
  } else {
    return FALSE;
  }
  const guint ncomp = t.kind == TARGET_RGB && t.has_alpha ? 4 : 3;
  for (guint k = 0; k < ncomp; k++) {
    t.comp[k] = GST_VIDEO_FRAME_COMP_DATA (frame, k);
    t.cstride[k] = GST_VIDEO_FRAME_COMP_STRIDE (frame, k);
    t.cpstride[k] = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, k);
  }
  if (x < 0 || y < 0 || w <= 0 || h <= 0 || x + w > width || y + h > height)
    return FALSE;
  t.ex = x;
  t.ey = y;
  t.ew = w;
  t.eh = h;
  t.width = width;
  t.height = height;

  canvas_reserve (canvas, w, h);
  Ctx s;
  ctx_init (&s, canvas, &t);
  fast_draw (&s, meta, regions, n_regions, cfg);
  return TRUE;
}

void
landmark_canvas_draw_argb (LandmarkCanvas * canvas, guint8 * data, int stride,
    int frame_width, int frame_height, const GstLandmarkMeta * meta,
    const LandmarkRegion * regions, guint n_regions, const LandmarkDrawConfig * cfg, int x,
    int y, int w, int h)
{
  g_return_if_fail (stride % 4 == 0 && stride >= 4 * w && w > 0 && h > 0);
  Target t;
  memset (&t, 0, sizeof t);
  t.kind = TARGET_ARGB;
  t.img = (guint32 *) data;
  t.img_stride = stride / 4;
  t.ex = x;
  t.ey = y;
  t.ew = w;
  t.eh = h;
  t.width = MAX (frame_width, x + w);
  t.height = MAX (frame_height, y + h);

  canvas_reserve (canvas, w, h);
  Ctx s;
  ctx_init (&s, canvas, &t);
  fast_draw (&s, meta, regions, n_regions, cfg);
}
