/* test_threadpool.c: the engine's thread pool (engine/threadpool.c) on its own: every item of
 * every job runs exactly once, on a thread id in [0, threads) that no other chunk uses at the
 * same time; jobs too small to split run on the caller; bursts separated by bnn_pool_park and
 * by pauses (workers asleep) and with spinning off (BNN_SPIN_US=0) or short; and a chunk that
 * the caller is slow to reach is taken by a worker (work stealing), for 1..4 threads. */
#define _DEFAULT_SOURCE
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"
#include "threadpool.h"

#define MAX_N 300
#define MAX_T 4

typedef struct {
  int n, threads;
  atomic_int hits[MAX_N];
  atomic_int busy[MAX_T]; /* a thread id in use by a running chunk */
  atomic_int bad_tid, overlap;
  /* stealing check */
  int steal_mode;
  atomic_int stolen; /* a worker ran a chunk of the caller's share */
} job_ctx;

static void count_items(void *vctx, int i0, int i1, int tid) {
  job_ctx *c = vctx;
  if (tid < 0 || tid >= c->threads) {
    atomic_fetch_add(&c->bad_tid, 1);
    return;
  }
  if (atomic_exchange(&c->busy[tid], 1) != 0) atomic_fetch_add(&c->overlap, 1);
  if (c->steal_mode) {
    if (tid != 0 && i0 < c->n / c->threads) atomic_store(&c->stolen, 1);
    if (tid == 0 && i0 == 0) {
      /* the caller's first chunk waits (up to 10 s) until a worker has taken one of its others */
      for (int k = 0; k < 100000 && !atomic_load(&c->stolen); k++) usleep(100);
    }
  }
  for (int i = i0; i < i1; i++) atomic_fetch_add(&c->hits[i], 1);
  atomic_store(&c->busy[tid], 0);
}

static void reset(job_ctx *c, int n, int threads) {
  c->n = n;
  c->threads = threads;
  for (int i = 0; i < MAX_N; i++) atomic_store(&c->hits[i], 0);
  for (int t = 0; t < MAX_T; t++) atomic_store(&c->busy[t], 0);
  atomic_store(&c->bad_tid, 0);
  atomic_store(&c->overlap, 0);
  atomic_store(&c->stolen, 0);
  c->steal_mode = 0;
}

static int all_once(job_ctx *c) {
  for (int i = 0; i < c->n; i++)
    if (atomic_load(&c->hits[i]) != 1) return 0;
  return 1;
}

static void bursts(const char *spin, int threads, test_rng *r) {
  if (spin)
    setenv("BNN_SPIN_US", spin, 1);
  else
    unsetenv("BNN_SPIN_US");
  bnn_pool *p = bnn_pool_create(threads);
  REQUIRE(p != NULL, "bnn_pool_create(%d)", threads);
  CHECK(bnn_pool_threads(p) == threads, "threads %d", bnn_pool_threads(p));
  static job_ctx c;
  int bad = 0;
  for (int j = 0; j < 400; j++) {
    int n = 1 + (int)(test_unif(r) * MAX_N);
    if (n > MAX_N) n = MAX_N;
    /* a quarter of the jobs are below the split threshold (run on the caller) */
    double work = test_unif(r) < 0.25 ? 100.0 : 1e6;
    reset(&c, n, threads);
    bnn_pool_run(p, n, work, count_items, &c);
    if (!all_once(&c) || atomic_load(&c.bad_tid) || atomic_load(&c.overlap)) bad++;
    double u = test_unif(r);
    if (u < 0.1) {
      bnn_pool_park(p);
    } else if (u < 0.15) {
      bnn_pool_park(p);
      usleep(2000 + (unsigned)(test_unif(r) * 3000)); /* workers fall asleep */
    }
  }
  CHECK(bad == 0, "spin %s, %d threads: %d of 400 jobs ran an item not exactly once, on a bad "
        "thread id or on a busy one", spin ? spin : "default", threads, bad);

  /* stealing: the caller's first chunk waits until a worker has run another of its chunks.
   * 48 items: with 2 or 4 chunks per thread every thread's share is exactly 48 / threads items,
   * the caller's the first. */
  if (threads > 1) {
    reset(&c, 48, threads);
    c.steal_mode = 1;
    bnn_pool_run(p, 48, 1e6, count_items, &c);
    CHECK(atomic_load(&c.stolen) == 1, "spin %s, %d threads: no worker took a chunk of the "
          "caller's share while the caller was held up", spin ? spin : "default", threads);
    CHECK(all_once(&c), "stealing job: an item not run exactly once");
  }
  bnn_pool_park(p);
  bnn_pool_free(p);
}

int main(void) {
  test_rng r = {12345};
  static const char *spins[] = {NULL, "0", "20"};
  for (size_t s = 0; s < sizeof spins / sizeof *spins; s++)
    for (int t = 1; t <= MAX_T; t++) bursts(spins[s], t, &r);
  /* create and free at once, with workers that never got a job */
  for (int t = 1; t <= MAX_T; t++) {
    bnn_pool *p = bnn_pool_create(t);
    REQUIRE(p != NULL, "bnn_pool_create(%d)", t);
    bnn_pool_free(p);
  }
  return test_result("test_threadpool");
}
