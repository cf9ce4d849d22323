#!/usr/bin/python3
# read_meta.py: a pad-probe example that reads GstLandmarkMeta from Python through the
# GstLandmark-1.0 typelib (python3-gi): prints each frame's instances and first points.
"""Usage: read_meta.py MODEL [--input FILE] [--frames N] [--size WxH] [--min-confidence C]

MODEL is a .bnn file or a shipped name (body, face, body-lite, face-lite).
Without --input a test pattern is analysed. Run from the source tree after building:

  GI_TYPELIB_PATH=build/elements LD_LIBRARY_PATH=build/elements \\
  GST_PLUGIN_PATH=build/plugin pipelines/examples/read_meta.py face-lite --input me.jpg
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstLandmark", "1.0")
from gi.repository import GLib, Gst, GstLandmark  # noqa: E402


def on_buffer(pad, info, state):
    buf = info.get_buffer()
    meta = GstLandmark.buffer_get_landmark_meta(buf)
    ts = buf.pts / Gst.SECOND if buf.pts != Gst.CLOCK_TIME_NONE else float("nan")
    if meta is None:
        print(f"frame {state['frames']} t={ts:.3f}s: no landmark meta")
    else:
        n = meta.get_n_instances()
        print(f"frame {state['frames']} t={ts:.3f}s: {n} instance(s)")
        for i in range(n):
            _, x, y, w, h = meta.get_bbox(i)
            print(f"  [{i}] {meta.get_task(i)} track {meta.get_track_id(i)} "
                  f"score {meta.get_score(i):.2f} box ({x:.0f},{y:.0f} {w:.0f}x{h:.0f})")
            for k in range(min(meta.get_n_points(i), 5)):
                _, px, py, conf, vis = meta.get_point(i, k)
                print(f"      {meta.get_point_name(i, k):>14} ({px:7.1f}, {py:7.1f}) "
                      f"conf {conf:.2f} vis {vis}")
            if meta.get_n_classes(i) > 0:
                cmap, mw, mh, mx, my, mw_px, mh_px = meta.get_class_map(i)
                if cmap is not None:
                    data = cmap.get_data()
                    counts = {}
                    for c in data:
                        counts[c] = counts.get(c, 0) + 1
                    named = {meta.get_class_name(i, c): v for c, v in sorted(counts.items())}
                    print(f"      class map {mw}x{mh} over ({mx:.0f},{my:.0f} "
                          f"{mw_px:.0f}x{mh_px:.0f}): {named}")
        state["instances"] += n
    state["frames"] += 1
    return Gst.PadProbeReturn.OK


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--input", help="image or video file (default: videotestsrc)")
    ap.add_argument("--frames", type=int, default=5)
    ap.add_argument("--size", default="320x240", help="test pattern size")
    ap.add_argument("--min-confidence", type=float, default=None,
                    help="bnnlandmarks min-confidence (default: the element's)")
    args = ap.parse_args()

    Gst.init(None)
    if args.input:
        src = f'filesrc location="{args.input}" ! decodebin ! videoconvert ! imagefreeze num-buffers={args.frames}' \
            if args.input.lower().endswith((".png", ".jpg", ".jpeg")) else \
            f'filesrc location="{args.input}" ! decodebin ! videoconvert'
    else:
        w, h = args.size.split("x")
        src = f"videotestsrc num-buffers={args.frames} ! video/x-raw,width={w},height={h}"
    extra = "" if args.min_confidence is None else f" min-confidence={args.min_confidence}"
    desc = f'{src} ! bnnlandmarks name=lm model="{args.model}"{extra} ! fakesink name=sink'
    pipeline = Gst.parse_launch(desc)
    state = {"frames": 0, "instances": 0}
    sinkpad = pipeline.get_by_name("sink").get_static_pad("sink")
    sinkpad.add_probe(Gst.PadProbeType.BUFFER, on_buffer, state)

    loop = GLib.MainLoop()
    result = {"ok": True}

    def on_message(bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, dbg = msg.parse_error()
            print(f"error: {err.message}", file=sys.stderr)
            result["ok"] = False
            loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            loop.quit()
        elif args.input and state["frames"] >= args.frames:
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    pipeline.set_state(Gst.State.PLAYING)
    try:
        loop.run()
    finally:
        pipeline.set_state(Gst.State.NULL)
    print(f"{state['frames']} frame(s), {state['instances']} instance(s)")
    return 0 if result["ok"] and state["frames"] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
