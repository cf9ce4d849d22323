/* threadpool.c: the pthread pool of a bnn_net. A job (a range of output rows) is cut into a
 * few chunks per thread. Thread t owns the t-th run of chunks and claims them from the front;
 * a thread that has finished its own steals from the back of the others' runs. So each thread
 * keeps working on the same rows from layer to layer (its caches hold them), and a worker that
 * is slow to wake (or whose core is busy with another thread of the pipeline) costs nobody a
 * wait: the others take the chunks it does not get to. Which thread computes a
 * chunk depends on timing, the results do not: every kernel computes a row the same way
 * whatever the chunk around it (tests/engine/test_threads.c, bit-identical for 1..4 threads).
 * Between the jobs of one network run the workers spin for a bounded time, then sleep on a
 * condition variable; at the end of a run they are parked, i.e. sent to sleep at once. */
#define _POSIX_C_SOURCE 200809L
#include "threadpool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Spinning before sleeping: plain loads, no pause instruction (in virtual machines a long run
 * of pauses makes the hypervisor deschedule the vCPU: with 20000 pauses a 2-thread job cost
 * ~1 ms instead of ~0.1). The spin is bounded in time, not in iterations: DEFAULT_SPIN_US
 * microseconds, or the environment variable BNN_SPIN_US (0 = sleep at once), read when a pool
 * is created. Within a run the gaps between jobs are a few to a few hundred microseconds (a
 * serial layer, the tail of the other thread's last chunk); a wake-up through the condition
 * variable costs tens of microseconds to milliseconds in a VM, so a worker that slept in every
 * gap made two threads barely faster than one (docs/performance.md, "Threads (session 11)"). Between runs
 * (between frames) nobody spins: bnn_pool_park. */
#define CPU_RELAX() __asm__ __volatile__("" ::: "memory")
#define DEFAULT_SPIN_US 2000
/* while spinning, one clock read and one sched_yield per this many loads (a woken worker can
 * land on the caller's core; without the yield it spun there in the caller's way) */
#define SPIN_CHECK 64
/* jobs estimated below this many ns run on the caller alone: a hand-over to a spinning worker
 * costs about a microsecond (20000 while workers slept between jobs; 4000 vs 20000 with
 * spinning: face 2.2 -> 2.0 ms, face-lite 1.0 -> 0.9 ms on 2 threads; 2000 was no better) */
#define MIN_PARALLEL_WORK 4000.0
/* chunks per thread: more balance the load when a thread starts late, fewer cost less
 * per-chunk set-up (row borders, kernel entry) */
#define CHUNKS_PER_THREAD 2

/* a thread's run of chunks in the current job: generation (32 bits), front (16: the owner's
 * next chunk), back (16: one past the last unclaimed chunk; thieves take back - 1) */
#define RUN_WORD(gen, front, back) (((uint64_t)(gen) << 32) | ((uint64_t)(front) << 16) | (uint64_t)(back))
#define RUN_GEN(s) ((unsigned)((s) >> 32))
#define RUN_FRONT(s) ((int)((s) >> 16 & 0xffff))
#define RUN_BACK(s) ((int)((s) & 0xffff))
/* so that a job's chunk indices (at most CHUNKS_PER_THREAD per thread) fit in 16 bits; the
 * same bound as bnn_net_create's */
#define MAX_THREADS_IN_POOL 256

typedef struct {
  bnn_pool *pool;
  int tid;
} worker_arg;

struct bnn_pool {
  int threads;
  int64_t spin_ns;
  pthread_t *th;
  worker_arg *args;
  int started;
  pthread_mutex_t mu;
  pthread_cond_t cv_start, cv_done;
  atomic_uint gen;        /* the current job's generation, published last */
  _Atomic uint64_t *run; /* per thread: RUN_WORD of its chunks in the current job */
  atomic_int done;       /* chunks of the current job finished */
  atomic_int parked;    /* 1: spinners go to sleep now */
  atomic_int stop;
  int caller_waiting; /* under mu: the caller sleeps on cv_done */
  /* the current job, written before its generation is published and kept until it is done */
  bnn_task_fn fn;
  void *ctx;
  int n, nc;
};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static unsigned current_gen(bnn_pool *p) { return atomic_load_explicit(&p->gen, memory_order_acquire); }

/* Claim a chunk of job gen from thread v's run: the front one if v is the claimer (own), else
 * the back one. -1 when the run is empty or belongs to another job. */
static int claim(bnn_pool *p, int v, unsigned gen, int own) {
  uint64_t s = atomic_load_explicit(&p->run[v], memory_order_acquire);
  for (;;) {
    const int f = RUN_FRONT(s), b = RUN_BACK(s);
    if (RUN_GEN(s) != gen || f >= b) return -1;
    const uint64_t t = own ? RUN_WORD(gen, f + 1, b) : RUN_WORD(gen, f, b - 1);
    if (atomic_compare_exchange_weak_explicit(&p->run[v], &s, t, memory_order_acq_rel,
                                              memory_order_acquire))
      return own ? f : b - 1;
  }
}

/* Run chunks of job gen, own run first, then the others' (nearest thread first), until none
 * is left. A claimed chunk keeps the job (and so fn, ctx, n) alive: the caller does not start
 * the next job before every chunk is done. */
static void work_on(bnn_pool *p, unsigned gen, int tid) {
  for (int k = 0; k < p->threads; k++) {
    const int v = (tid + k) % p->threads;
    int c;
    while ((c = claim(p, v, gen, k == 0)) >= 0) {
      const int nc = p->nc;
      const int i0 = (int)((long long)p->n * c / nc), i1 = (int)((long long)p->n * (c + 1) / nc);
      p->fn(p->ctx, i0, i1, tid);
      if (atomic_fetch_add_explicit(&p->done, 1, memory_order_acq_rel) + 1 == nc && tid != 0) {
        pthread_mutex_lock(&p->mu);
        if (p->caller_waiting) pthread_cond_signal(&p->cv_done);
        pthread_mutex_unlock(&p->mu);
      }
    }
  }
}

/* Spin until the generation differs from seen, the pool is parked or spin_ns have passed;
 * returns the generation. */
static unsigned spin_for_gen(bnn_pool *p, unsigned seen) {
  unsigned g = current_gen(p);
  if (g != seen || p->spin_ns <= 0) return g;
  const int64_t t_end = now_ns() + p->spin_ns;
  for (;;) {
    for (int i = 0; i < SPIN_CHECK; i++) {
      CPU_RELAX();
      if ((g = current_gen(p)) != seen) return g;
    }
    if (atomic_load_explicit(&p->parked, memory_order_relaxed) || now_ns() >= t_end) return g;
    sched_yield();
  }
}

static void *worker(void *arg) {
  worker_arg *wa = arg;
  bnn_pool *p = wa->pool;
  unsigned seen = 0;
  for (;;) {
    unsigned g = spin_for_gen(p, seen);
    if (g == seen) {
      pthread_mutex_lock(&p->mu);
      while ((g = current_gen(p)) == seen && !atomic_load(&p->stop))
        pthread_cond_wait(&p->cv_start, &p->mu);
      pthread_mutex_unlock(&p->mu);
    }
    if (atomic_load(&p->stop)) return NULL;
    seen = g;
    work_on(p, g, wa->tid);
  }
}

bnn_pool *bnn_pool_create(int threads) {
  if (threads < 1) threads = 1;
  if (threads > MAX_THREADS_IN_POOL) return NULL;
  bnn_pool *p = calloc(1, sizeof *p);
  if (p == NULL) return NULL;
  p->threads = threads;
  p->spin_ns = (int64_t)DEFAULT_SPIN_US * 1000;
  const char *env = getenv("BNN_SPIN_US");
  if (env != NULL && env[0] >= '0' && env[0] <= '9') {
    long us = strtol(env, NULL, 10); /* LONG_MAX on overflow: clamped below */
    p->spin_ns = (int64_t)(us > 1000000L ? 1000000L : us) * 1000;
  }
  atomic_init(&p->gen, 0);
  atomic_init(&p->done, 0);
  atomic_init(&p->parked, 1);
  atomic_init(&p->stop, 0);
  if (pthread_mutex_init(&p->mu, NULL) != 0) {
    free(p);
    return NULL;
  }
  pthread_cond_init(&p->cv_start, NULL);
  pthread_cond_init(&p->cv_done, NULL);
  p->run = calloc((size_t)threads, sizeof *p->run);
  if (p->run == NULL) {
    bnn_pool_free(p);
    return NULL;
  }
  for (int t = 0; t < threads; t++) atomic_init(&p->run[t], RUN_WORD(0, 0, 0));
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
  atomic_store(&p->stop, 1);
  /* a new generation with no chunks: spinners leave their loop and see stop */
  atomic_fetch_add_explicit(&p->gen, 1, memory_order_acq_rel);
  pthread_cond_broadcast(&p->cv_start);
  pthread_mutex_unlock(&p->mu);
  for (int t = 1; t <= p->started; t++) pthread_join(p->th[t], NULL);
  pthread_cond_destroy(&p->cv_start);
  pthread_cond_destroy(&p->cv_done);
  pthread_mutex_destroy(&p->mu);
  free(p->th);
  free(p->args);
  free(p->run);
  free(p);
}

int bnn_pool_threads(const bnn_pool *p) { return p->threads; }

void bnn_pool_run(bnn_pool *p, int n, double work, bnn_task_fn fn, void *ctx) {
  if (n <= 0) return;
  if (p->threads == 1 || n == 1 || work < MIN_PARALLEL_WORK) {
    fn(ctx, 0, n, 0);
    return;
  }
  int nc = p->threads * CHUNKS_PER_THREAD;
  if (nc > n) nc = n;
  p->fn = fn;
  p->ctx = ctx;
  p->n = n;
  p->nc = nc;
  atomic_store_explicit(&p->done, 0, memory_order_relaxed);
  atomic_store_explicit(&p->parked, 0, memory_order_relaxed);
  const unsigned g = atomic_load_explicit(&p->gen, memory_order_relaxed) + 1;
  for (int t = 0; t < p->threads; t++)
    atomic_store_explicit(&p->run[t],
                          RUN_WORD(g, (long long)nc * t / p->threads, (long long)nc * (t + 1) / p->threads),
                          memory_order_relaxed);
  atomic_store_explicit(&p->gen, g, memory_order_release);
  pthread_mutex_lock(&p->mu);
  pthread_cond_broadcast(&p->cv_start);
  pthread_mutex_unlock(&p->mu);
  work_on(p, g, 0);
  /* every chunk is claimed; wait for those still running on workers */
  if (atomic_load_explicit(&p->done, memory_order_acquire) != nc && p->spin_ns > 0) {
    const int64_t t_end = now_ns() + p->spin_ns;
    for (int i = 1; atomic_load_explicit(&p->done, memory_order_acquire) != nc; i++) {
      CPU_RELAX();
      if (i % SPIN_CHECK == 0) {
        if (now_ns() >= t_end) break;
        sched_yield();
      }
    }
  }
  if (atomic_load_explicit(&p->done, memory_order_acquire) != nc) {
    pthread_mutex_lock(&p->mu);
    p->caller_waiting = 1;
    while (atomic_load_explicit(&p->done, memory_order_acquire) != nc)
      pthread_cond_wait(&p->cv_done, &p->mu);
    p->caller_waiting = 0;
    pthread_mutex_unlock(&p->mu);
  }
}

void bnn_pool_park(bnn_pool *p) {
  if (p != NULL) atomic_store_explicit(&p->parked, 1, memory_order_relaxed);
}
