/* image_io.c: JPEG (libjpeg) and PNG (libpng) reading into 8-bit RGB and writing, with
 * setjmp error recovery so that a corrupt file gives a message, never a crash. */
#include "image_io.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

#define MAX_PIXELS ((size_t)1 << 28)

void bnn_image_free(bnn_image *img) {
  if (img == NULL) return;
  free(img->rgb);
  img->rgb = NULL;
  img->w = img->h = 0;
}

/* ------------------------------------------------------------------ JPEG */

typedef struct {
  struct jpeg_error_mgr pub;
  jmp_buf jb;
  char msg[JMSG_LENGTH_MAX];
} jerr_t;

static void jpeg_fail(j_common_ptr c) {
  jerr_t *e = (jerr_t *)c->err;
  c->err->format_message(c, e->msg);
  longjmp(e->jb, 1);
}

static void jpeg_quiet(j_common_ptr c, int level) {
  (void)c;
  (void)level;
}

static int load_jpeg(FILE *f, const char *path, bnn_image *img, char *err, size_t errlen) {
  struct jpeg_decompress_struct ci;
  jerr_t je;
  unsigned char *volatile data = NULL;
  memset(&ci, 0, sizeof ci);
  ci.err = jpeg_std_error(&je.pub);
  je.pub.error_exit = jpeg_fail;
  je.pub.emit_message = jpeg_quiet;
  je.msg[0] = '\0';
  if (setjmp(je.jb)) {
    snprintf(err, errlen, "%s: bad JPEG: %s", path, je.msg);
    jpeg_destroy_decompress(&ci);
    free(data);
    return -1;
  }
  jpeg_create_decompress(&ci);
  jpeg_stdio_src(&ci, f);
  jpeg_read_header(&ci, TRUE);
  if (ci.jpeg_color_space == JCS_CMYK || ci.jpeg_color_space == JCS_YCCK) {
    snprintf(err, errlen, "%s: CMYK JPEG is not supported", path);
    jpeg_destroy_decompress(&ci);
    return -1;
  }
  ci.out_color_space = JCS_RGB;
  jpeg_start_decompress(&ci);
  size_t w = ci.output_width, h = ci.output_height;
  if (w == 0 || h == 0 || w * h > MAX_PIXELS || ci.output_components != 3) {
    snprintf(err, errlen, "%s: unsupported JPEG (%zux%zu, %d components)", path, w, h, ci.output_components);
    jpeg_destroy_decompress(&ci);
    return -1;
  }
  data = malloc(w * h * 3);
  if (data == NULL) {
    snprintf(err, errlen, "%s: out of memory", path);
    jpeg_destroy_decompress(&ci);
    return -1;
  }
  while (ci.output_scanline < ci.output_height) {
    JSAMPROW row = data + (size_t)ci.output_scanline * w * 3;
    jpeg_read_scanlines(&ci, &row, 1);
  }
  jpeg_finish_decompress(&ci);
  jpeg_destroy_decompress(&ci);
  img->w = (int)w;
  img->h = (int)h;
  img->rgb = data;
  return 0;
}

/* ------------------------------------------------------------------ PNG */

typedef struct {
  jmp_buf jb;
  char msg[128];
} perr_t;

static void png_fail(png_structp p, png_const_charp msg) {
  perr_t *e = png_get_error_ptr(p);
  snprintf(e->msg, sizeof e->msg, "%s", msg);
  longjmp(e->jb, 1);
}

static void png_quiet(png_structp p, png_const_charp msg) {
  (void)p;
  (void)msg;
}

static int load_png(FILE *f, const char *path, bnn_image *img, char *err, size_t errlen) {
  perr_t pe;
  pe.msg[0] = '\0';
  png_structp p = png_create_read_struct(PNG_LIBPNG_VER_STRING, &pe, png_fail, png_quiet);
  if (p == NULL) {
    snprintf(err, errlen, "%s: out of memory", path);
    return -1;
  }
  png_infop info = png_create_info_struct(p);
  unsigned char *volatile data = NULL;
  png_bytep *volatile rows = NULL;
  if (info == NULL || setjmp(pe.jb)) {
    snprintf(err, errlen, "%s: bad PNG: %s", path, pe.msg[0] ? pe.msg : "out of memory");
    png_destroy_read_struct(&p, info ? &info : NULL, NULL);
    free(data);
    free(rows);
    return -1;
  }
  png_set_user_limits(p, 65535, 65535);
  png_init_io(p, f);
  png_read_info(p, info);
  png_set_expand(p);
  png_set_strip_16(p);
  png_set_strip_alpha(p);
  png_set_gray_to_rgb(p);
  png_set_interlace_handling(p);
  png_read_update_info(p, info);
  size_t w = png_get_image_width(p, info), h = png_get_image_height(p, info);
  if (w == 0 || h == 0 || w * h > MAX_PIXELS || png_get_rowbytes(p, info) != w * 3) {
    snprintf(err, errlen, "%s: unsupported PNG (%zux%zu)", path, w, h);
    png_destroy_read_struct(&p, &info, NULL);
    return -1;
  }
  data = malloc(w * h * 3);
  rows = malloc(sizeof(png_bytep) * h);
  if (data == NULL || rows == NULL) {
    snprintf(err, errlen, "%s: out of memory", path);
    png_destroy_read_struct(&p, &info, NULL);
    free(data);
    free(rows);
    return -1;
  }
  for (size_t y = 0; y < h; y++) rows[y] = data + y * w * 3;
  png_read_image(p, rows);
  png_read_end(p, NULL);
  png_destroy_read_struct(&p, &info, NULL);
  free(rows);
  img->w = (int)w;
  img->h = (int)h;
  img->rgb = data;
  return 0;
}

int bnn_image_load(const char *path, bnn_image *img, char *err, size_t errlen) {
  img->w = img->h = 0;
  img->rgb = NULL;
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    snprintf(err, errlen, "%s: cannot open the image", path);
    return -1;
  }
  unsigned char sig[8] = {0};
  size_t n = fread(sig, 1, 8, f);
  rewind(f);
  int r;
  if (n == 8 && png_sig_cmp(sig, 0, 8) == 0) r = load_png(f, path, img, err, errlen);
  else if (n >= 3 && sig[0] == 0xff && sig[1] == 0xd8 && sig[2] == 0xff) r = load_jpeg(f, path, img, err, errlen);
  else {
    snprintf(err, errlen, "%s: not a JPEG or PNG file", path);
    r = -1;
  }
  fclose(f);
  return r;
}

/* ------------------------------------------------------------------ writers */

int bnn_image_write_png(const char *path, const unsigned char *rgb, int w, int h) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) return -1;
  perr_t pe;
  png_structp p = png_create_write_struct(PNG_LIBPNG_VER_STRING, &pe, png_fail, png_quiet);
  png_infop info = p ? png_create_info_struct(p) : NULL;
  if (p == NULL || info == NULL || setjmp(pe.jb)) {
    png_destroy_write_struct(&p, info ? &info : NULL);
    fclose(f);
    return -1;
  }
  png_init_io(p, f);
  png_set_IHDR(p, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(p, info);
  for (int y = 0; y < h; y++) png_write_row(p, rgb + (size_t)y * w * 3);
  png_write_end(p, NULL);
  png_destroy_write_struct(&p, &info);
  return fclose(f) == 0 ? 0 : -1;
}

int bnn_image_write_jpeg(const char *path, const unsigned char *rgb, int w, int h, int quality) {
  FILE *f = fopen(path, "wb");
  if (f == NULL) return -1;
  struct jpeg_compress_struct ci;
  jerr_t je;
  memset(&ci, 0, sizeof ci);
  ci.err = jpeg_std_error(&je.pub);
  je.pub.error_exit = jpeg_fail;
  je.pub.emit_message = jpeg_quiet;
  if (setjmp(je.jb)) {
    jpeg_destroy_compress(&ci);
    fclose(f);
    return -1;
  }
  jpeg_create_compress(&ci);
  jpeg_stdio_dest(&ci, f);
  ci.image_width = (JDIMENSION)w;
  ci.image_height = (JDIMENSION)h;
  ci.input_components = 3;
  ci.in_color_space = JCS_RGB;
  jpeg_set_defaults(&ci);
  jpeg_set_quality(&ci, quality, TRUE);
  jpeg_start_compress(&ci, TRUE);
  while (ci.next_scanline < ci.image_height) {
    JSAMPROW row = (JSAMPROW)(rgb + (size_t)ci.next_scanline * w * 3);
    jpeg_write_scanlines(&ci, &row, 1);
  }
  jpeg_finish_compress(&ci);
  jpeg_destroy_compress(&ci);
  return fclose(f) == 0 ? 0 : -1;
}
