#!/usr/bin/python3
# bench_pipelines.py: the pipelines benchmark behind pipelines/bench.sh: live 640x480@30 with
# skip-when-busy (processed fps, sink drops, latency, CPU) and offline file throughput.
"""Run through pipelines/bench.sh, which sets GST_PLUGIN_PATH and the build directory.

Live: videotestsrc is-live=true 640x480 I420 30/1 ! bnnlandmarks threads=2
      skip-when-busy=true ! landmarkoverlay ! fakesink sync=true qos=true max-lateness=20ms
  (fakesink set up like a display sink, which drops frames more than 20 ms late), for the
  body and the face model, SECONDS each. Reported:
  - processed fps: network runs per second (the element's "inferences" counter);
  - rendered / dropped at the sink (fakesink "stats");
  - capture -> sink arrival per frame (clock time at the sink pad minus the frame's
    running time, i.e. its capture time), mean / p95 / max; the first row, the source
    straight into the sink, is the baseline: the difference is what conversion, crop,
    overlay and waiting for a core add;
  - the pipeline latency (LATENCY query): a frame is shown at capture + this (the source's
    frame interval + the element's processing time + the sink's 20 ms processing-deadline);
  - CPU: process user+system time / wall time (100 % = one core), all threads.
  Then the same for the offline file use, CPU ms/frame too (on a loaded machine wall fps
  understates what the code does with free cores).
Offline: a 640x480 I420 clip of N frames, no clock:
  - element:  videotestsrc num-buffers=N ! bnnlandmarks threads=2 ! landmarkoverlay
              ! fakesink sync=false  (frames per second through the element and overlay);
  - file:     bnnlm-annotate --threads 2 on an H.264 MP4 of the same frames (decode,
              network, overlay, x264 veryfast, MP4), process wall time.
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstBase", "1.0")
from gi.repository import Gst, GstBase  # noqa: E402,F401  (GstBase: BaseSink.get_latency)

Gst.init(None)

W, H, FPS = 640, 480, 30


def machine_state():
    lines = []
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("model name"):
                    cpu = ln.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    lines.append("CPU: %s, %d logical cores, %s" % (cpu, os.cpu_count(), platform.machine()))
    with open("/proc/loadavg") as f:
        lines.append("load average (1/5/15 min): %s" % " ".join(f.read().split()[:3]))
    ps = subprocess.run(["ps", "-eo", "ni,pcpu,comm", "--sort=-pcpu"], stdout=subprocess.PIPE,
                        text=True).stdout.splitlines()[1:5]
    lines.append("busiest processes (nice, %CPU, name): " +
                 "; ".join(" ".join(p.split()) for p in ps))
    return lines


def run_live(model, seconds, threads):
    """model None: the baseline, source straight to the sink."""
    middle = ("bnnlandmarks name=lm threads=%d skip-when-busy=true ! landmarkoverlay ! "
              % threads) if model else ""
    desc = ("videotestsrc is-live=true pattern=ball ! "
            "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! %s"
            "fakesink name=sink sync=true qos=true max-lateness=20000000"
            % (W, H, FPS, middle))
    pipe = Gst.parse_launch(desc)
    lm = pipe.get_by_name("lm")
    if lm:
        lm.set_property("model", model)
    sink = pipe.get_by_name("sink")
    delays = []
    seg = [None]

    def probe(pad, info):
        if info.type & Gst.PadProbeType.EVENT_DOWNSTREAM:
            ev = info.get_event()
            if ev.type == Gst.EventType.SEGMENT:
                seg[0] = ev.parse_segment()
            return Gst.PadProbeReturn.OK
        buf = info.get_buffer()
        clock = sink.get_clock()
        if clock is not None and seg[0] is not None:
            now = clock.get_time() - sink.get_base_time()
            rt = seg[0].to_running_time(Gst.Format.TIME, buf.pts)
            delays.append((now - rt) / 1e6)
        return Gst.PadProbeReturn.OK

    sink.get_static_pad("sink").add_probe(
        Gst.PadProbeType.BUFFER | Gst.PadProbeType.EVENT_DOWNSTREAM, probe)
    bus = pipe.get_bus()
    pipe.set_state(Gst.State.PLAYING)

    def wait(seconds):
        # like gst-launch: recalculate the latency when an element asks
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            msg = bus.timed_pop_filtered(int(left * Gst.SECOND),
                                         Gst.MessageType.ERROR | Gst.MessageType.LATENCY)
            if msg is None:
                return
            if msg.type == Gst.MessageType.ERROR:
                raise SystemExit("live pipeline error: %s" % msg.parse_error()[0].message)
            pipe.recalculate_latency()

    # settle for 1 s (model load, first inferences, latency set), then measure
    wait(1)
    inf0 = lm.get_property("inferences") if lm else 0
    st0 = sink.get_property("stats")
    r0, d0 = st0.get_uint64("rendered")[1], st0.get_uint64("dropped")[1]
    del delays[:]
    t0, c0 = time.monotonic(), os.times()
    wait(seconds)
    t1, c1 = time.monotonic(), os.times()
    inf1 = lm.get_property("inferences") if lm else 0
    st1 = sink.get_property("stats")
    r1, d1 = st1.get_uint64("rendered")[1], st1.get_uint64("dropped")[1]
    min_lat = sink.get_latency()   # the latency the sink renders with
    ptime = lm.get_property("processing-time") if lm else 0
    pipe.set_state(Gst.State.NULL)
    wall = t1 - t0
    cpu = (c1.user - c0.user) + (c1.system - c0.system)
    delays.sort()
    n = len(delays)
    return {
        "wall": wall,
        "processed_fps": (inf1 - inf0) / wall,
        "frames_fps": (r1 - r0 + d1 - d0) / wall,
        "rendered": r1 - r0,
        "dropped": d1 - d0,
        "delay_mean": sum(delays) / n if n else float("nan"),
        "delay_p95": delays[min(n - 1, int(0.95 * n))] if n else float("nan"),
        "delay_max": delays[-1] if n else float("nan"),
        "latency": min_lat / 1e6,
        "crop_ms": ptime / 1e6,
        "cpu": 100.0 * cpu / wall,
    }


def run_offline_element(model, frames, threads):
    desc = ("videotestsrc num-buffers=%d pattern=ball ! "
            "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1 ! "
            "bnnlandmarks name=lm threads=%d ! landmarkoverlay ! fakesink sync=false"
            % (frames, W, H, FPS, threads))
    pipe = Gst.parse_launch(desc)
    pipe.get_by_name("lm").set_property("model", model)
    pipe.set_state(Gst.State.PAUSED)
    pipe.get_state(Gst.CLOCK_TIME_NONE)   # model loaded, first frame prerolled
    t0, c0 = time.monotonic(), os.times()
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(600 * Gst.SECOND,
                                            Gst.MessageType.EOS | Gst.MessageType.ERROR)
    t1, c1 = time.monotonic(), os.times()
    inf = pipe.get_by_name("lm").get_property("inferences")
    pipe.set_state(Gst.State.NULL)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        raise SystemExit("offline pipeline failed")
    wall = t1 - t0
    cpu = (c1.user - c0.user) + (c1.system - c0.system)
    return {"fps": (frames - 1) / wall, "inferences": inf, "cpu": 100.0 * cpu / wall,
            "cpu_ms": 1000.0 * cpu / (frames - 1)}


def make_clip(path, frames):
    subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=%d" % frames,
                    "pattern=ball", "!",
                    "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1" % (W, H, FPS),
                    "!", "x264enc", "speed-preset=ultrafast", "!", "h264parse", "!", "mp4mux",
                    "!", "filesink", "location=" + path], check=True)


def run_offline_file(annotate, model, clip, frames, threads, tmp):
    out = os.path.join(tmp, "bench-out.mp4")
    t0 = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%U %S", annotate, "--quiet", "--threads",
                        str(threads), "--model", model, clip, out],
                       stderr=subprocess.PIPE, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        raise SystemExit("bnnlm-annotate failed:\n" + p.stderr)
    u, s = (float(x) for x in p.stderr.strip().splitlines()[-1].split())
    return {"fps": frames / wall, "cpu": 100.0 * (u + s) / wall, "wall": wall,
            "cpu_ms": 1000.0 * (u + s) / frames}


def engine_ms(bnnlm, model, threads):
    p = subprocess.run([bnnlm, "bench", "--model", model, "--threads", str(threads),
                        "--iters", "30"], stdout=subprocess.PIPE, text=True, check=True)
    for ln in p.stdout.splitlines():
        if ln.startswith("whole network:"):
            parts = ln.replace(",", "").split()
            return float(parts[3]), float(parts[6])   # median, min (ms)
    return float("nan"), float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", action="append", required=True, metavar="NAME=FILE",
                    help="a model to measure (repeat)")
    ap.add_argument("--label", default="", help="where the models come from")
    ap.add_argument("--annotate", required=True)
    ap.add_argument("--bnnlm", required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    opts = ap.parse_args()

    print("### Machine")
    for ln in machine_state():
        print("- " + ln)
    print("- models: " + opts.label)
    print()

    t = opts.threads
    models = [m.split("=", 1) for m in opts.model]
    print("### Engine alone (bnnlm bench --threads %d --iters 30)" % t)
    print()
    print("| model | median ms | min ms |")
    print("|---|---|---|")
    for name, m in models:
        med, mn = engine_ms(opts.bnnlm, m, t)
        print("| %s | %.1f | %.1f |" % (name, med, mn), flush=True)
    print()

    print("### Live: 640x480 @ 30 fps, skip-when-busy, %d threads, %.0f s after 1 s warm-up"
          % (t, opts.seconds))
    print()
    print("| model | frames/s at sink | processed fps | rendered | dropped | "
          "capture->sink ms mean / p95 / max | pipeline latency ms | crop ms | CPU % |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, m in [("none (no network, baseline)", None)] + models:
        r = run_live(m, opts.seconds, t)
        print("| %s | %.1f | %.1f | %d | %d | %.1f / %.1f / %.1f | %.1f | %.2f | %.0f |"
              % (name, r["frames_fps"], r["processed_fps"], r["rendered"], r["dropped"],
                 r["delay_mean"], r["delay_p95"], r["delay_max"], r["latency"],
                 r["crop_ms"], r["cpu"]), flush=True)
    print()

    print("### Offline: %d frames 640x480, %d threads, no clock" % (opts.frames, t))
    print()
    print("| model | element + overlay: fps | CPU % | CPU ms/frame "
          "| file (bnnlm-annotate): fps | CPU % | CPU ms/frame |")
    print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bnnlm-bench-") as tmp:
        clip = os.path.join(tmp, "clip.mp4")
        make_clip(clip, opts.frames)
        for name, m in models:
            e = run_offline_element(m, opts.frames, t)
            f = run_offline_file(opts.annotate, m, clip, opts.frames, t, tmp)
            print("| %s | %.1f | %.0f | %.1f | %.1f | %.0f | %.1f |"
                  % (name, e["fps"], e["cpu"], e["cpu_ms"], f["fps"], f["cpu"], f["cpu_ms"]),
                  flush=True)
    print()


if __name__ == "__main__":
    sys.exit(main())
