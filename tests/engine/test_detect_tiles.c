/* test_detect_tiles.c: tiled detection: the tile geometry (whole frame first, tiles that
 * overlap and cover the frame, the long-side rule, clamping), which tile detections are left
 * to other crops (cut by an inner tile edge, or larger than half the tile), and the merge of detections from several crops (order, same-class IoU
 * and containment suppression, the cap). */
#include <math.h>

#include "test_util.h"

static int near(float a, float b) { return fabsf(a - b) < 1e-3f; }

/* Every pixel centre of the frame lies in some tile, and each tile's neighbour overlaps it. */
static int covered(const bnn_crop *c, int n, int w, int h) {
  for (int y = 0; y < h; y += 7)
    for (int x = 0; x < w; x += 7) {
      int in = 0;
      for (int i = 1; i < n && !in; i++)
        in = x + 0.5f >= c[i].x0 && x + 0.5f <= c[i].x0 + c[i].side && y + 0.5f >= c[i].y0 &&
             y + 0.5f <= c[i].y0 + c[i].side;
      if (!in) return 0;
    }
  return 1;
}

static void test_geometry(void) {
  bnn_crop c[BNN_DETECT_MAX_CROPS];
  const bnn_crop whole = bnn_crop_for_box(768, 576, NULL, 1.0f, 256);
  /* tiles 1 (and 0): the whole frame only, exactly the untiled crop */
  for (int t = 0; t <= 1; t++) {
    CHECK(bnn_detect_tile_crops(768, 576, t, 256, c, BNN_DETECT_MAX_CROPS) == 1, "tiles %d", t);
    CHECK(c[0].x0 == whole.x0 && c[0].y0 == whole.y0 && c[0].side == whole.side && c[0].size == 256,
          "crop 0 is the letterboxed frame");
  }
  /* 768 x 576, 2: 2 x 2 tiles of 1.25 * 384 = 480 px, from the corners */
  int n = bnn_detect_tile_crops(768, 576, 2, 256, c, BNN_DETECT_MAX_CROPS);
  CHECK(n == 5, "768x576 tiles 2: %d crops", n);
  for (int i = 1; i < n; i++) CHECK(near(c[i].side, 480.0f) && c[i].size == 256, "tile %d side %g", i, c[i].side);
  CHECK(near(c[1].x0, 0) && near(c[1].y0, 0), "first tile at the top left (%g, %g)", c[1].x0, c[1].y0);
  CHECK(near(c[4].x0 + c[4].side, 768) && near(c[4].y0 + c[4].side, 576), "last tile ends at the bottom right");
  CHECK(c[2].x0 < c[1].x0 + c[1].side, "neighbours overlap");
  CHECK(covered(c, n, 768, 576), "the tiles cover the frame");
  /* 3 tiles on 768 x 576: 3 x 3 of 320 px */
  n = bnn_detect_tile_crops(768, 576, 3, 256, c, BNN_DETECT_MAX_CROPS);
  CHECK(n == 10 && near(c[1].side, 320.0f) && covered(c, n, 768, 576), "tiles 3: %d crops, side %g", n, c[1].side);
  /* 1920 x 1080, 2: tiles of 1200 px are taller than the frame: one row, centred */
  n = bnn_detect_tile_crops(1920, 1080, 2, 256, c, BNN_DETECT_MAX_CROPS);
  CHECK(n == 3, "1920x1080 tiles 2: %d crops", n);
  CHECK(near(c[1].y0, -60.0f) && near(c[2].y0, -60.0f), "the row is centred (%g)", c[1].y0);
  CHECK(covered(c, n, 1920, 1080), "the row covers the frame");
  /* a portrait frame tiles along its height */
  n = bnn_detect_tile_crops(480, 640, 2, 256, c, BNN_DETECT_MAX_CROPS);
  CHECK(n == 5 && covered(c, n, 480, 640), "480x640 tiles 2: %d crops", n);
  /* clamped to BNN_DETECT_MAX_TILES, and to max_out */
  n = bnn_detect_tile_crops(768, 576, 99, 256, c, BNN_DETECT_MAX_CROPS);
  CHECK(n == BNN_DETECT_MAX_CROPS, "tiles 99 -> %d crops", n);
  CHECK(bnn_detect_tile_crops(768, 576, 3, 256, c, 4) == 4, "max_out caps the count");
  CHECK(bnn_detect_tile_crops(0, 576, 2, 256, c, BNN_DETECT_MAX_CROPS) == 0, "an empty frame has no crops");
  CHECK(bnn_detect_tile_crops(40, 30, 4, 256, c, BNN_DETECT_MAX_CROPS) == 1, "a 40x30 frame: no 12.5 px tiles");
  n = bnn_detect_tile_crops(4000, 2, 3, 256, c, BNN_DETECT_MAX_CROPS);
  CHECK(n == 4 && near(c[1].y0, 1.0f - 0.5f * c[1].side), "4000x2: one centred row of 3 (%d)", n);
  CHECK(bnn_detect_tile_crops(768, 576, 2, 256, c, 0) == 0, "no room: no crops");
}

static void test_cut(void) {
  bnn_crop c[BNN_DETECT_MAX_CROPS];
  bnn_detect_tile_crops(768, 576, 2, 256, c, BNN_DETECT_MAX_CROPS);
  const bnn_crop *tl = &c[1]; /* x 0..480, y 0..480; its right and bottom edges lie inside */
  const bnn_detection mid = {0, 0.9f, 200, 200, 40, 80};
  const bnn_detection at_right = {0, 0.9f, 440, 200, 39, 80};  /* ends at 479: touches 480 */
  const bnn_detection at_bottom = {0, 0.9f, 200, 420, 40, 70}; /* ends at 490 */
  const bnn_detection at_left = {0, 0.9f, 0, 200, 40, 80};     /* the frame's own border */
  const bnn_detection at_top = {0, 0.9f, 100, 0, 40, 80};
  CHECK(!bnn_tile_drops_detection(&mid, tl, 768, 576), "a box inside the tile is whole");
  CHECK(bnn_tile_drops_detection(&at_right, tl, 768, 576), "a box at an inner right edge is cut");
  CHECK(bnn_tile_drops_detection(&at_bottom, tl, 768, 576), "a box past an inner bottom edge is cut");
  CHECK(!bnn_tile_drops_detection(&at_left, tl, 768, 576), "the frame's left border does not cut");
  CHECK(!bnn_tile_drops_detection(&at_top, tl, 768, 576), "the frame's top border does not cut");
  /* larger than half the tile (240 px), though whole inside it: the whole frame's job */
  const bnn_detection big = {0, 0.9f, 100, 100, 250, 100};
  const bnn_detection just = {0, 0.9f, 100, 100, 200, 239};
  CHECK(bnn_tile_drops_detection(&big, tl, 768, 576), "a box over half the tile is dropped");
  CHECK(!bnn_tile_drops_detection(&just, tl, 768, 576), "a box just under half the tile stays");
  bnn_detection some[3] = {mid, big, at_right};
  CHECK(bnn_tile_keep_detections(some, 3, tl, 768, 576) == 1 && some[0].x == mid.x,
        "keep_detections keeps only the whole, small box");
  const bnn_crop *br = &c[4]; /* x 288..768, y 96..576: its left and top edges lie inside */
  const bnn_detection br_left = {0, 0.9f, 290, 300, 40, 80};
  const bnn_detection br_corner = {0, 0.9f, 700, 500, 68, 76};
  CHECK(bnn_tile_drops_detection(&br_left, br, 768, 576), "the bottom-right tile's left edge cuts");
  CHECK(!bnn_tile_drops_detection(&br_corner, br, 768, 576), "its frame corner does not");
}

static void test_merge(void) {
  bnn_detection d[8] = {
      {0, 0.30f, 100, 100, 40, 100}, /* person, whole-frame pass */
      {1, 0.80f, 110, 100, 20, 20},  /* face inside it: another class, kept */
      {0, 0.60f, 102, 98, 40, 104},  /* the same person from a tile: IoU > 0.45, better */
      {0, 0.50f, 300, 100, 40, 100}, /* another person */
      {0, 0.40f, 305, 110, 20, 40},  /* a small box inside that one (IoU 0.2): contained */
      {0, 0.70f, 500, 100, 40, 100}, /* a third person */
      {0, 0.20f, 600, 100, 40, 100}, /* a fourth, weakest */
      {1, 0.10f, 112, 101, 20, 20},  /* a face duplicate */
  };
  int n = bnn_merge_detections(d, 8, 0.45f, 100);
  CHECK(n == 5, "kept %d of 8", n);
  const float want[5] = {0.80f, 0.70f, 0.60f, 0.50f, 0.20f};
  for (int i = 0; i < n && i < 5; i++) CHECK(near(d[i].score, want[i]), "kept %d: score %g", i, d[i].score);
  CHECK(d[2].x == 102 && d[2].cls == 0, "the tile's box of the first person stays");
  /* the cap keeps the best */
  bnn_detection e[3] = {{0, 0.1f, 0, 0, 10, 10}, {0, 0.9f, 100, 0, 10, 10}, {0, 0.5f, 200, 0, 10, 10}};
  n = bnn_merge_detections(e, 3, 0.45f, 2);
  CHECK(n == 2 && near(e[0].score, 0.9f) && near(e[1].score, 0.5f), "cap 2: %d", n);
  /* max_iou 1 still drops a box wholly inside a better one (the containment rule) */
  bnn_detection f[2] = {{0, 0.9f, 0, 0, 100, 100}, {0, 0.5f, 10, 10, 20, 20}};
  CHECK(bnn_merge_detections(f, 2, 1.0f, 10) == 1, "a contained box goes even at max_iou 1");
  CHECK(bnn_merge_detections(f, 0, 0.45f, 10) == 0, "nothing in, nothing out");
}

int main(void) {
  test_geometry();
  test_cut();
  test_merge();
  return test_result("test_detect_tiles");
}
