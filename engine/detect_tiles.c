/* detect_tiles.c: tiled detection for small subjects. The detector sees the whole frame
 * letterboxed into S pixels, so a person 90 px tall in a 768 px frame is 30 px there, under
 * what it learnt. Running it again on overlapping tiles shows such people 2-3x larger; this
 * file holds the tile geometry and the merge of the per-crop detections. */
#include <math.h>
#include <string.h>

#include "model.h"

/* Start of tile i of n along an axis of length len, tiles of length side, evenly spread so
 * the first starts at 0 and the last ends at len; a single tile is centred. */
static float tile_start(int i, int n, float len, float side) {
  if (n <= 1) return 0.5f * (len - side);
  return (float)i * (len - side) / (float)(n - 1);
}

int bnn_detect_tile_crops(int img_w, int img_h, int tiles, int size, bnn_crop *out, int max_out) {
  if (max_out < 1 || img_w < 1 || img_h < 1) return 0;
  int n = 0;
  out[n++] = bnn_crop_for_box(img_w, img_h, NULL, 1.0f, size);
  if (tiles <= 1) return n;
  if (tiles > BNN_DETECT_MAX_TILES) tiles = BNN_DETECT_MAX_TILES;
  const int longest = img_w > img_h ? img_w : img_h;
  /* each tile a quarter longer than its share of the long side: neighbours overlap */
  const float side = 1.25f * (float)longest / (float)tiles;
  if (side < BNN_DETECT_MIN_TILE) return n; /* nothing in so small a tile that the frame misses */
  const int nx = (float)img_w > side ? tiles : 1, ny = (float)img_h > side ? tiles : 1;
  for (int j = 0; j < ny; j++)
    for (int i = 0; i < nx && n < max_out; i++) {
      bnn_crop c;
      c.x0 = tile_start(i, nx, (float)img_w, side);
      c.y0 = tile_start(j, ny, (float)img_h, side);
      c.side = side;
      c.size = size;
      out[n++] = c;
    }
  return n;
}

int bnn_tile_drops_detection(const bnn_detection *d, const bnn_crop *tile, int img_w, int img_h) {
  /* larger than half the tile: the whole frame sees it at a scale the net knows better
   * (val AP: keeping them costs 0.04 person AP, session 5, docs/detector.md) */
  if ((d->w > d->h ? d->w : d->h) > BNN_TILE_MAX_BOX * tile->side) return 1;
  const float m = 0.02f * tile->side; /* a box this close to an edge touches it */
  const float x1 = tile->x0 + tile->side, y1 = tile->y0 + tile->side;
  /* only the edges inside the frame cut: past the frame's border there is nothing to see */
  return (tile->x0 > 0.5f && d->x < tile->x0 + m) || (x1 < img_w - 0.5f && d->x + d->w > x1 - m) ||
         (tile->y0 > 0.5f && d->y < tile->y0 + m) || (y1 < img_h - 0.5f && d->y + d->h > y1 - m);
}

int bnn_tile_keep_detections(bnn_detection *d, int n, const bnn_crop *tile, int img_w, int img_h) {
  int kept = 0;
  for (int i = 0; i < n; i++)
    if (!bnn_tile_drops_detection(&d[i], tile, img_w, img_h)) d[kept++] = d[i];
  return kept;
}

/* Intersection over the smaller box's area: a box from one crop half inside a box of the
 * same class from another crop is the same subject seen at another scale (the whole-frame
 * pass tends to give a small box around the upper body, a tile the whole person). */
static float overlap_of_smaller(const bnn_detection *a, const bnn_detection *b) {
  const float ix = fminf(a->x + a->w, b->x + b->w) - fmaxf(a->x, b->x);
  const float iy = fminf(a->y + a->h, b->y + b->h) - fmaxf(a->y, b->y);
  const float smaller = fminf(a->w * a->h, b->w * b->h);
  if (!(ix > 0.0f && iy > 0.0f && smaller > 0.0f)) return 0.0f;
  return ix * iy / smaller;
}

int bnn_merge_detections(bnn_detection *d, int n, float max_iou, int max_det) {
  /* insertion sort, best score first; equal scores keep their order (stable) */
  for (int i = 1; i < n; i++) {
    const bnn_detection t = d[i];
    int j = i;
    for (; j > 0 && d[j - 1].score < t.score; j--) d[j] = d[j - 1];
    d[j] = t;
  }
  int kept = 0;
  for (int i = 0; i < n && kept < max_det; i++) {
    int suppressed = 0;
    for (int k = 0; k < kept && !suppressed; k++)
      suppressed = d[k].cls == d[i].cls && (bnn_detection_iou(&d[k], &d[i]) > max_iou ||
                                             overlap_of_smaller(&d[k], &d[i]) > BNN_MERGE_MAX_CONTAINED);
    if (!suppressed) d[kept++] = d[i];
  }
  return kept;
}
