#!/usr/bin/python3
# engine/bench/paced_runs.py: the engine as a live pipeline drives it: one network run every
# PERIOD ms (threads asleep or parked in between), not back to back as `bnnlm bench` runs it.
# Several builds of libbnnlm can be compared side by side in one process: each gets its own net
# and the runs go round robin, so machine noise hits all of them alike.
# Usage: paced_runs.py MODEL.bnn THREADS ROUNDS LIB.so [LIB.so ...] [--period MS]
# (not a test: prints the median, p10 and p90 wall time per run, per library)
import argparse
import ctypes as C
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model")
    ap.add_argument("threads", type=int)
    ap.add_argument("rounds", type=int)
    ap.add_argument("libs", nargs="+", help="paths of libbnnlm.so builds (distinct files)")
    ap.add_argument("--period", type=float, default=33.0, help="ms between runs (default 33)")
    a = ap.parse_args()
    nets = []
    for path in a.libs:
        L = C.CDLL(path)
        L.bnn_model_load_file.restype = C.c_void_p
        L.bnn_model_load_file.argtypes = [C.c_char_p, C.c_char_p, C.c_size_t]
        L.bnn_net_create.restype = C.c_void_p
        L.bnn_net_create.argtypes = [C.c_void_p, C.c_int, C.c_int, C.c_char_p, C.c_size_t]
        L.bnn_net_run.argtypes = [C.c_void_p]
        err = C.create_string_buffer(256)
        m = L.bnn_model_load_file(a.model.encode(), err, 256)
        if not m:
            raise SystemExit(f"{path}: {err.value.decode()}")
        n = L.bnn_net_create(m, a.threads, 0, err, 256)
        if not n:
            raise SystemExit(f"{path}: {err.value.decode()}")
        for _ in range(5):
            L.bnn_net_run(n)
        nets.append((L, n))
    walls = [[] for _ in a.libs]
    for _ in range(a.rounds):
        for k, (L, n) in enumerate(nets):
            time.sleep(a.period / 1e3)
            t0 = time.perf_counter()
            L.bnn_net_run(n)
            walls[k].append((time.perf_counter() - t0) * 1e3)
    for k, path in enumerate(a.libs):
        w = np.array(walls[k])
        print("%-40s median %.3f ms  p10 %.3f  p90 %.3f" % (path, np.median(w), np.percentile(w, 10),
                                                          np.percentile(w, 90)))


if __name__ == "__main__":
    main()
