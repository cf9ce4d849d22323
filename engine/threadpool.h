/* threadpool.h: internal: the pthread pool of a bnn_net (threads - 1 workers plus the caller)
 * and its parallel_for over a range of items (output rows). Workers
 * spin between the jobs of a burst and sleep after bnn_pool_park. */
#ifndef BNN_THREADPOOL_H
#define BNN_THREADPOOL_H

/* fn handles items [i0, i1) on thread tid (0 = the caller, ..., threads - 1). */
typedef void (*bnn_task_fn)(void *ctx, int i0, int i1, int tid);

typedef struct bnn_pool bnn_pool;

/* NULL on failure (out of memory, thread creation failed, threads > 256). threads >= 1. */
bnn_pool *bnn_pool_create(int threads);
void bnn_pool_free(bnn_pool *p);
int bnn_pool_threads(const bnn_pool *p);

/* Run fn over [0, n): the range is cut into min(n, 4 x threads) chunks
 * [n * c / k, n * (c + 1) / k), which the caller and the workers claim in turn (so which thread
 * runs a chunk depends on timing; fn must give the same result for a row whatever its chunk).
 * work is the estimated cost of the whole job in nanoseconds-ish units: jobs too small to be
 * worth waking the workers run on the caller alone. Returns when every chunk is done. */
void bnn_pool_run(bnn_pool *p, int n, double work, bnn_task_fn fn, void *ctx);

/* The end of a burst of jobs (a network run): workers waiting for the next job sleep at once
 * instead of spinning. The next bnn_pool_run wakes them. */
void bnn_pool_park(bnn_pool *p);

#endif
