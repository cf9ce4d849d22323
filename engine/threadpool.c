/* threadpool.c: the pthread pool of a bnn_net: workers spin briefly, then sleep on a condition
 * variable, between jobs; a job is a static split of [0, n) so results never depend on timing. */
#include "threadpool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

/* Spinning before sleeping: plain loads, no pause instruction (in virtual machines a long run
 * of pauses makes the hypervisor deschedule the vCPU: with 20000 pauses a 2-thread job cost
 * ~1 ms instead of ~0.1). The count can be set with the environment variable BNN_SPIN
 * (iterations, 0 = sleep at once), read when a pool is created. */
#define CPU_RELAX() __asm__ __volatile__("" ::: "memory")
#define DEFAULT_SPIN 4096
/* jobs estimated below this many ns run on the caller alone */
#define MIN_PARALLEL_WORK 20000.0

typedef struct {
  bnn_pool *pool;
  int tid;
} worker_arg;

struct bnn_pool {
  int threads;
  int spin;
  pthread_t *th;
  worker_arg *args;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t cv_start, cv_done;
  atomic_uint gen;
  atomic_int pending;
  int stop;
  /* the current job */
  bnn_task_fn fn;
  void *ctx;
  int n, k;
};

static void run_chunk(bnn_pool *p, int t) {
  if (t >= p->k) return;
  int i0 = (int)((long long)p->n * t / p->k), i1 = (int)((long long)p->n * (t + 1) / p->k);
  if (i1 > i0) p->fn(p->ctx, i0, i1, t);
}

static void *worker(void *arg) {
  worker_arg *wa = arg;
  bnn_pool *p = wa->pool;
  unsigned seen = 0;
  for (;;) {
    unsigned g = atomic_load_explicit(&p->gen, memory_order_acquire);
    for (int i = 0; g == seen && i < p->spin; i++) {
      CPU_RELAX();
      g = atomic_load_explicit(&p->gen, memory_order_acquire);
    }
    if (g == seen) {
      pthread_mutex_lock(&p->mu);
      while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen && !p->stop)
        pthread_cond_wait(&p->cv_start, &p->mu);
      int stop = p->stop;
      pthread_mutex_unlock(&p->mu);
      if (stop) return NULL;
    }
    seen = g;
    if (p->stop) return NULL;
    run_chunk(p, wa->tid);
    if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1) {
      pthread_mutex_lock(&p->mu);
      pthread_cond_signal(&p->cv_done);
      pthread_mutex_unlock(&p->mu);
    }
  }
}

bnn_pool *bnn_pool_create(int threads) {
  if (threads < 1) threads = 1;
  bnn_pool *p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  p->threads = threads;
  p->spin = DEFAULT_SPIN;
  const char *env = getenv("BNN_SPIN");
  if (env != NULL && env[0] >= '0' && env[0] <= '9') p->spin = atoi(env);
  atomic_init(&p->gen, 0);
  atomic_init(&p->pending, 0);
  if (pthread_mutex_init(&p->mu, NULL) != 0) {
    free(p);
    return NULL;
  }
  pthread_cond_init(&p->cv_start, NULL);
  pthread_cond_init(&p->cv_done, NULL);
  if (threads > 1) {
    p->th = calloc((size_t)threads, sizeof(pthread_t));
    p->args = calloc((size_t)threads, sizeof(worker_arg));
    if (p->th == NULL || p->args == NULL) {
      bnn_pool_free(p);
      return NULL;
    }
    for (int t = 1; t < threads; t++) {
      p->args[t].pool = p;
      p->args[t].tid = t;
      if (pthread_create(&p->th[t], NULL, worker, &p->args[t]) != 0) {
        bnn_pool_free(p);
        return NULL;
      }
      p->started = t;
    }
  }
  return p;
}

void bnn_pool_free(bnn_pool *p) {
  if (p == NULL) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
  pthread_cond_broadcast(&p->cv_start);
  pthread_mutex_unlock(&p->mu);
  for (int t = 1; t <= p->started; t++) pthread_join(p->th[t], NULL);
  pthread_cond_destroy(&p->cv_start);
  pthread_cond_destroy(&p->cv_done);
  pthread_mutex_destroy(&p->mu);
  free(p->th);
  free(p->args);
  free(p);
}

int bnn_pool_threads(const bnn_pool *p) { return p->threads; }

void bnn_pool_run(bnn_pool *p, int n, double work, bnn_task_fn fn, void *ctx) {
  if (n <= 0) return;
  if (p->threads == 1 || n == 1 || work < MIN_PARALLEL_WORK) {
    fn(ctx, 0, n, 0);
    return;
  }
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  p->k = n < p->threads ? n : p->threads;
  atomic_store_explicit(&p->pending, p->threads - 1, memory_order_relaxed);
  pthread_mutex_lock(&p->mu);
  atomic_fetch_add_explicit(&p->gen, 1, memory_order_release);
  pthread_cond_broadcast(&p->cv_start);
  pthread_mutex_unlock(&p->mu);
  run_chunk(p, 0);
  for (int i = 0; atomic_load_explicit(&p->pending, memory_order_acquire) != 0 && i < p->spin; i++)
    CPU_RELAX();
  if (atomic_load_explicit(&p->pending, memory_order_acquire) != 0) {
    pthread_mutex_lock(&p->mu);
    while (atomic_load_explicit(&p->pending, memory_order_acquire) != 0)
      pthread_cond_wait(&p->cv_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
  }
}
