/* fuzz_model_driver.c: a plain main() for the fuzz target (builds without libFuzzer): feeds each
 * file given (or each file of a directory), then deterministic mutations of it, to the loader. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t rs = 0x1234567;
static uint64_t rnd(void) {
  rs ^= rs << 13;
  rs ^= rs >> 7;
  rs ^= rs << 17;
  return rs;
}

static int mutations = 400;

static void feed_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    fprintf(stderr, "fuzz_model_driver: cannot open %s\n", path);
    exit(1);
  }
  uint8_t *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? 2 * cap : 65536;
      buf = realloc(buf, cap);
      if (buf == NULL) exit(1);
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    if (got == 0) break;
    n += got;
  }
  fclose(f);
  LLVMFuzzerTestOneInput(buf, n);
  uint8_t *m = malloc(n + 64);
  if (m == NULL) exit(1);
  for (int k = 0; k < mutations; k++) {
    memcpy(m, buf, n);
    size_t len = n;
    int kind = (int)(rnd() % 4);
    int edits = 1 + (int)(rnd() % 4);
    for (int e = 0; e < edits && len > 0; e++) {
      size_t pos = rnd() % len;
      if (kind == 0) m[pos] ^= (uint8_t)(1u << (rnd() % 8));                   /* bit flip */
      else if (kind == 1) m[pos] = (uint8_t)rnd();                              /* byte */
      else if (kind == 2 && pos + 4 <= len) { /* an interesting 32-bit value */
        static const uint32_t v[] = {0, 1, 2, 3, 4, 5, 0x7fffffff, 0x80000000u, 0xffffffffu, 64, 65, 4096, 4097};
        uint32_t x = v[rnd() % (sizeof v / sizeof *v)];
        memcpy(m + (pos & ~(size_t)3), &x, 4);
      } else len = pos + 1;                                                      /* truncate */
    }
    LLVMFuzzerTestOneInput(m, len);
  }
  free(m);
  free(buf);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fuzz_model_driver [-n MUTATIONS] FILE|DIR...\n");
    return 2;
  }
  int files = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-n") == 0 && i + 1 < argc) {
      mutations = atoi(argv[++i]);
      continue;
    }
    struct stat st;
    if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
      DIR *d = opendir(argv[i]);
      struct dirent *e;
      while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", argv[i], e->d_name);
        feed_file(p);
        files++;
      }
      if (d) closedir(d);
    } else {
      feed_file(argv[i]);
      files++;
    }
  }
  printf("fuzz_model_driver: %d files, %d mutations each, no crash\n", files, mutations);
  return files ? 0 : 1;
}
