/* image_io.h: the CLI's image files: load JPEG or PNG (by content) as 8-bit RGB, and write
 * PNG / JPEG (used by tests to make inputs). libjpeg + libpng; never crashes on bad files. */
#ifndef BNN_IMAGE_IO_H
#define BNN_IMAGE_IO_H

#include <stddef.h>

typedef struct {
  int w, h;
  unsigned char *rgb; /* w * h * 3, rows packed */
} bnn_image;

/* 0 on success; -1 with a message in err. Images above 2^28 pixels are refused. */
int bnn_image_load(const char *path, bnn_image *img, char *err, size_t errlen);
void bnn_image_free(bnn_image *img);

int bnn_image_write_png(const char *path, const unsigned char *rgb, int w, int h);
int bnn_image_write_jpeg(const char *path, const unsigned char *rgb, int w, int h, int quality);

#endif
