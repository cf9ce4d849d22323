/* model_resolve.c: bnn_model_resolve: a model path or a short name (body, face, body-lite, ...)
 * -> an existing file, searching BNNLM_MODEL_DIR, the source tree's models/, the install datadir. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bnnlm/bnnlm.h"

#ifndef BNN_SOURCE_MODELS_DIR
#define BNN_SOURCE_MODELS_DIR ""
#endif
#ifndef BNN_INSTALL_MODELS_DIR
#define BNN_INSTALL_MODELS_DIR ""
#endif

static char *try_file(const char *dir, size_t dirlen, const char *name, const char *ext) {
  size_t len = dirlen + 1 + strlen(name) + strlen(ext) + 1;
  char *p = malloc(len);
  if (p == NULL) return NULL;
  snprintf(p, len, "%.*s/%s%s", (int)dirlen, dir, name, ext);
  if (access(p, R_OK) == 0) return p;
  free(p);
  return NULL;
}

/* dirs: a ':'-separated list */
static char *search(const char *dirs, const char *name) {
  if (dirs == NULL) return NULL;
  const char *d = dirs;
  while (*d) {
    size_t len = strcspn(d, ":");
    if (len > 0) {
      char *p = try_file(d, len, name, ".bnn");
      if (p == NULL) p = try_file(d, len, name, "");
      if (p) return p;
    }
    d += len;
    if (*d == ':') d++;
  }
  return NULL;
}

static int give(char *found, char *path, size_t pathlen) {
  if (found == NULL) return -1;
  size_t n = strlen(found);
  int ok = path != NULL && n < pathlen;
  if (ok) memcpy(path, found, n + 1);
  free(found);
  return ok ? 0 : -1;
}

int bnn_model_resolve(const char *name_or_path, char *path, size_t pathlen) {
  if (name_or_path == NULL || name_or_path[0] == '\0') return -1;
  size_t n = strlen(name_or_path);
  int is_path = strchr(name_or_path, '/') != NULL || (n > 4 && strcmp(name_or_path + n - 4, ".bnn") == 0);
  if (is_path || access(name_or_path, R_OK) == 0) {
    if (access(name_or_path, R_OK) != 0) return -1;
    char *p = malloc(n + 1);
    if (p) memcpy(p, name_or_path, n + 1);
    return give(p, path, pathlen);
  }
  char *p = search(getenv("BNNLM_MODEL_DIR"), name_or_path);
  if (p == NULL) p = search(BNN_SOURCE_MODELS_DIR, name_or_path);
  if (p == NULL) p = search(BNN_INSTALL_MODELS_DIR, name_or_path);
  /* "body" / "face" mean the best model of that task there is: the full one, else the lite one */
  if (p == NULL && (strcmp(name_or_path, "body") == 0 || strcmp(name_or_path, "face") == 0)) {
    char lite[16];
    snprintf(lite, sizeof lite, "%s-lite", name_or_path);
    return bnn_model_resolve(lite, path, pathlen);
  }
  return give(p, path, pathlen);
}
