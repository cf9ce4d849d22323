/* make_test_image.c: writes small synthetic test images (a PNG and a JPEG, plus a truncated JPEG)
 * for the CLI test. Usage: make_test_image OUT.png OUT.jpg OUT_BAD.jpg */
#include <stdio.h>
#include <stdlib.h>

#include "image_io.h"

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: make_test_image OUT.png OUT.jpg OUT_BAD.jpg\n");
    return 2;
  }
  enum { W = 50, H = 40 };
  static unsigned char rgb[H][W][3];
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      int d = (x - 25) * (x - 25) + (y - 18) * (y - 18);
      rgb[y][x][0] = (unsigned char)(d < 80 ? 230 : 5 * x);
      rgb[y][x][1] = (unsigned char)(6 * y);
      rgb[y][x][2] = (unsigned char)(d < 80 ? 40 : 120);
    }
  if (bnn_image_write_png(argv[1], &rgb[0][0][0], W, H) != 0) return 1;
  if (bnn_image_write_jpeg(argv[2], &rgb[0][0][0], W, H, 90) != 0) return 1;
  /* the JPEG cut in half */
  FILE *f = fopen(argv[2], "rb");
  if (f == NULL) return 1;
  unsigned char buf[65536];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  f = fopen(argv[3], "wb");
  if (f == NULL || fwrite(buf, 1, n / 2, f) != n / 2) return 1;
  fclose(f);
  /* the images read back as written (PNG exactly) */
  bnn_image img;
  char err[256];
  if (bnn_image_load(argv[1], &img, err, sizeof err) != 0 || img.w != W || img.h != H ||
      img.rgb[(7 * W + 9) * 3 + 1] != rgb[7][9][1]) {
    fprintf(stderr, "PNG read-back failed: %s\n", err);
    return 1;
  }
  bnn_image_free(&img);
  if (bnn_image_load(argv[2], &img, err, sizeof err) != 0 || img.w != W || img.h != H) {
    fprintf(stderr, "JPEG read-back failed: %s\n", err);
    return 1;
  }
  bnn_image_free(&img);
  return 0;
}
