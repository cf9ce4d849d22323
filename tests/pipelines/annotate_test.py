#!/usr/bin/python3
# tests/pipelines/annotate_test.py: the recorded-video use: bnnlm-annotate on clips this test
# makes (with and without audio, MP4 and Matroska, a still image), its errors and Ctrl-C.
"""Usage: annotate_test.py SCENARIO --annotate BIN --model FILE [--slow-model FILE]
          [--detect-model FILE] --registry FILE

Scenarios: av-mp4, video-mkv, no-audio-flag, burned-in, still-image, interrupt, errors,
detector, detect-faces.

The clips are made and the outputs checked with this process's own GStreamer (system
plugins only); bnnlm-annotate runs as a child with GST_PLUGIN_PATH (our plugin) and
BNNLM_TEST_SYSTEM_PLUGINS (the system plugins it may see), both taken from the
environment."""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

PLUGIN_PATH = os.environ.pop("GST_PLUGIN_PATH", "")
SYSTEM_PLUGINS = os.environ.pop("BNNLM_TEST_SYSTEM_PLUGINS", "")

import gi  # noqa: E402
import numpy  # noqa: E402

gi.require_version("Gst", "1.0")
gi.require_version("GstPbutils", "1.0")
from gi.repository import Gst, GstPbutils  # noqa: E402

Gst.init(None)

SKIP = 77


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print("ok:", what, flush=True)


# ---- making clips ----------------------------------------------------------------------

def run_pipeline(desc, timeout=60):
    pipe = Gst.parse_launch(desc)
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(timeout * Gst.SECOND,
                                            Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg is None:
        raise Failure("timed out: " + desc)
    if msg.type == Gst.MessageType.ERROR:
        err, dbg = msg.parse_error()
        raise Failure("%s: %s (%s)" % (desc, err.message, dbg))


def make_clip(path, frames, fps=25, size=(320, 240), audio=True, container="mp4",
              pattern="smpte"):
    w, h = size
    video = ("videotestsrc num-buffers=%d pattern=%s ! video/x-raw,width=%d,height=%d,"
             "framerate=%d/1 ! " % (frames, pattern, w, h, fps))
    if container == "mp4":
        video += "x264enc speed-preset=ultrafast ! h264parse ! mp4mux name=mux"
    else:
        video += "jpegenc ! matroskamux name=mux"
    desc = video + " ! filesink location=%s" % path
    if audio:
        # the same length as the video: 48 kHz, buffers of 1/fps s
        spb = 48000 // fps
        desc += (" audiotestsrc num-buffers=%d samplesperbuffer=%d wave=sine ! "
                 "audio/x-raw,rate=48000,channels=2 ! %s ! mux."
                 % (frames, spb, "avenc_aac" if container == "mp4" else "vorbisenc"))
    run_pipeline(desc)


def make_png(path, size=(200, 150)):
    run_pipeline("videotestsrc num-buffers=1 ! video/x-raw,width=%d,height=%d ! "
                 "pngenc ! filesink location=%s" % (size[0], size[1], path))


# ---- reading results -------------------------------------------------------------------

def discover(path):
    disc = GstPbutils.Discoverer.new(20 * Gst.SECOND)
    info = disc.discover_uri(Gst.filename_to_uri(path))
    check(info.get_result() == GstPbutils.DiscovererResult.OK,
          "%s is readable by GStreamer's discoverer" % os.path.basename(path))
    return info


def decode(path, rgb_frames=()):
    """Decodes PATH; returns video pts list, (w, h), audio samples and rate, and the RGB
    frames whose indices are in rgb_frames."""
    res = {"pts": [], "size": None, "audio_samples": 0, "audio_rate": 0, "rgb": {},
           "audio_streams": 0, "video_streams": 0}
    pipe = Gst.Pipeline.new("decode")
    src = Gst.ElementFactory.make("filesrc")
    src.set_property("location", path)
    dec = Gst.ElementFactory.make("decodebin")
    pipe.add(src)
    pipe.add(dec)
    src.link(dec)

    def on_video(sink, buf, pad):
        i = len(res["pts"])
        res["pts"].append(buf.pts)
        if i in rgb_frames:
            s = pad.get_current_caps().get_structure(0)
            w, h = s.get_value("width"), s.get_value("height")
            ok, info = buf.map(Gst.MapFlags.READ)
            stride = (w * 3 + 3) & ~3
            img = numpy.frombuffer(info.data, numpy.uint8)[:stride * h]
            res["rgb"][i] = img.reshape(h, stride)[:, :w * 3].reshape(h, w, 3).copy()
            buf.unmap(info)

    def on_audio(sink, buf, pad):
        s = pad.get_current_caps().get_structure(0)
        res["audio_rate"] = s.get_value("rate")
        res["audio_samples"] += buf.get_size() // (2 * s.get_value("channels"))

    def pad_added(_dec, pad):
        caps = pad.get_current_caps() or pad.query_caps(None)
        name = caps.get_structure(0).get_name()
        if name.startswith("video/"):
            res["video_streams"] += 1
            chain = "videoconvert ! video/x-raw,format=RGB ! fakesink name=vs"
            cb = on_video
        elif name.startswith("audio/"):
            res["audio_streams"] += 1
            chain = "audioconvert ! audio/x-raw,format=S16LE ! fakesink name=as"
            cb = on_audio
        else:
            chain, cb = "fakesink", None
        b = Gst.parse_bin_from_description("queue ! " + chain, True)
        if cb:
            for e in b.iterate_elements():
                if e.get_factory().get_name() == "fakesink":
                    e.set_property("signal-handoffs", True)
                    e.set_property("sync", False)
                    e.connect("handoff", cb)
        pipe.add(b)
        b.sync_state_with_parent()
        pad.link(b.get_static_pad("sink"))
        if name.startswith("video/"):
            s = caps.get_structure(0)
            res["size"] = (s.get_value("width"), s.get_value("height"))

    dec.connect("pad-added", pad_added)
    pipe.set_state(Gst.State.PLAYING)
    msg = pipe.get_bus().timed_pop_filtered(60 * Gst.SECOND,
                                            Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipe.set_state(Gst.State.NULL)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        raise Failure("decoding %s failed: %s" % (path, msg.parse_error()[0].message
                                                  if msg else "timeout"))
    return res


def read_jsonl(path):
    lines = []
    with open(path) as f:
        for i, line in enumerate(f):
            try:
                lines.append(json.loads(line))
            except ValueError as e:
                raise Failure("line %d of %s is not JSON: %s" % (i + 1, path, e))
    return lines


# ---- running the tool ------------------------------------------------------------------

def tool_env(opts):
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = PLUGIN_PATH
    if SYSTEM_PLUGINS:
        env["GST_PLUGIN_SYSTEM_PATH_1_0"] = SYSTEM_PLUGINS
    # own registry, scanned in-process (an ASan-built plugin cannot be loaded by the
    # uninstrumented gst-plugin-scanner)
    env["GST_REGISTRY"] = opts.registry
    env["GST_REGISTRY_FORK"] = "no"
    asan = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = ((asan + ":" if asan else "")
                           + "fast_unwind_on_malloc=0:malloc_context_size=16")
    env["LSAN_OPTIONS"] = "suppressions=%s:print_suppressions=0" % os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
    return env


# LeakSanitizer's own stop-the-world tracer now and then crashes at process exit with many
# threads about ("Tracer caught signal 11", google/sanitizers#1353): not a leak report and
# not this program's fault. Such a run is run once more; a real leak report is never retried.
LSAN_TRACER_CRASH = "LeakSanitizer has encountered a fatal error"
LSAN_LEAKS = "ERROR: LeakSanitizer: detected memory leaks"


def annotate(opts, args, expect_rc=0):
    cmd = [opts.annotate] + args
    for attempt in (1, 2):
        print("$", " ".join(cmd), flush=True)
        p = subprocess.run(cmd, env=tool_env(opts), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=50)
        sys.stderr.write("".join("  tool| " + ln + "\n" for ln in p.stderr.splitlines()))
        if (attempt == 1 and p.returncode != expect_rc and LSAN_TRACER_CRASH in p.stderr
                and LSAN_LEAKS not in p.stderr):
            print("note: LeakSanitizer's tracer crashed at exit (not a leak report): "
                  "running it once more", flush=True)
            continue
        break
    check(p.returncode == expect_rc,
          "bnnlm-annotate exits with %d (got %d)" % (expect_rc, p.returncode))
    return p


def verify_output(out, n_frames, has_audio, in_path=None, audio_seconds=None):
    """The MP4 decodes, holds n_frames H.264 frames, has audio iff has_audio, and its JSON
    lines match the frames."""
    info = discover(out)
    vs = info.get_video_streams()
    as_ = info.get_audio_streams()
    check(len(vs) == 1, "output has one video stream")
    vcaps = vs[0].get_caps().get_structure(0).get_name()
    check(vcaps == "video/x-h264", "the video is H.264 (%s)" % vcaps)
    top = info.get_stream_info().get_caps().get_structure(0).get_name()
    check(top == "video/quicktime", "the container is MP4 (%s)" % top)
    check(len(as_) == (1 if has_audio else 0),
          "output has %s audio track (found %d)" % ("an" if has_audio else "no", len(as_)))
    if has_audio:
        acaps = as_[0].get_caps().get_structure(0)
        check(acaps.get_name() == "audio/mpeg" and acaps.get_value("mpegversion") == 4,
              "the audio is AAC (%s)" % acaps.to_string())

    d = decode(out)
    check(len(d["pts"]) == n_frames,
          "output decodes to %d video frames (got %d)" % (n_frames, len(d["pts"])))
    if has_audio and audio_seconds is not None:
        secs = d["audio_samples"] / float(d["audio_rate"] or 1)
        check(abs(secs - audio_seconds) < 0.1,
              "the audio lasts %.2f s like the input's %.2f s" % (secs, audio_seconds))

    json_path = os.path.splitext(out)[0] + ".jsonl"
    lines = read_jsonl(json_path)
    check(len(lines) == n_frames,
          "%d JSON lines for %d frames" % (len(lines), n_frames))
    check([ln["frame"] for ln in lines] == list(range(n_frames)),
          "JSON frame numbers are 0..%d" % (n_frames - 1))
    pts = [ln["pts"] for ln in lines]
    check(all(p is not None for p in pts) and
          all(b > a for a, b in zip(pts, pts[1:])), "JSON pts strictly increase")
    w, h = d["size"]
    check(all(ln["width"] == w and ln["height"] == h for ln in lines),
          "JSON frame size is the video's (%dx%d)" % (w, h))
    if in_path:
        src = decode(in_path)
        check(pts == src["pts"], "JSON pts are the input frames' timestamps")
    return lines, d


# ---- scenarios -------------------------------------------------------------------------

def sc_av_mp4(opts, tmp):
    clip = os.path.join(tmp, "in-av.mp4")
    make_clip(clip, 40, fps=25, audio=True)
    out = os.path.join(tmp, "out-av.mp4")
    annotate(opts, ["--model", opts.model, "--threads", "2", clip, out])
    verify_output(out, 40, True, in_path=clip, audio_seconds=40 / 25.0)


def sc_video_mkv(opts, tmp):
    clip = os.path.join(tmp, "in-video.mkv")
    make_clip(clip, 31, fps=30, size=(160, 120), audio=False, container="mkv")
    check(len(discover(clip).get_audio_streams()) == 0, "the input has no audio")
    out = os.path.join(tmp, "out-video.mp4")
    # --flip-test: the element runs each crop twice; frames and timestamps stay the same
    annotate(opts, ["--model", opts.model, "--flip-test", clip, out])
    verify_output(out, 31, False, in_path=clip)


def sc_no_audio_flag(opts, tmp):
    clip = os.path.join(tmp, "in-av.mkv")
    make_clip(clip, 20, fps=20, size=(160, 120), audio=True, container="mkv")
    check(len(discover(clip).get_audio_streams()) == 1, "the input has audio (Vorbis)")
    out = os.path.join(tmp, "with-audio.mp4")
    annotate(opts, ["--model", opts.model, clip, out])
    verify_output(out, 20, True, audio_seconds=1.0)   # Vorbis in, AAC out
    out = os.path.join(tmp, "without-audio.mp4")
    annotate(opts, ["--model", opts.model, "--no-audio", clip, out])
    verify_output(out, 20, False)


def sc_burned_in(opts, tmp):
    # black frames: anything coloured in the output is the drawing
    clip = os.path.join(tmp, "black.mp4")
    make_clip(clip, 10, fps=10, size=(320, 240), audio=False, pattern="black")
    out = os.path.join(tmp, "black-annotated.mp4")
    annotate(opts, ["--model", opts.model, "--min-confidence", "0", "--quality", "18",
                    clip, out])
    lines, _ = verify_output(out, 10, False)
    d = decode(out, rgb_frames=(0, 9))
    for i in (0, 9):
        img = d["rgb"][i].astype(int)
        inst = lines[i]["instances"]
        check(len(inst) >= 1, "frame %d has an instance (min-confidence 0)" % i)
        pts = [p for p in inst[0]["points"]]
        hits = 0
        for x, y, _c in pts:
            xi, yi = int(round(x)), int(round(y))
            patch = img[max(0, yi - 2):yi + 3, max(0, xi - 2):xi + 3]
            # points are green, lines orange: both have G far above B
            if patch.size and (patch[..., 1] - patch[..., 2]).max() > 100:
                hits += 1
        check(hits >= 0.9 * len(pts),
              "frame %d: the drawing is at the JSON points (%d of %d)" % (i, hits, len(pts)))
        src = decode(clip, rgb_frames=(i,))["rgb"][i].astype(int)
        check(src.max() < 40, "the input frame %d is black (max %d)" % (i, src.max()))


def sc_still_image(opts, tmp):
    png = os.path.join(tmp, "still.png")
    make_png(png)
    out = os.path.join(tmp, "still.mp4")
    p = annotate(opts, ["--model", opts.model, "--still-frames", "12", png, out])
    _, d = verify_output(out, 12, False)
    check(d["size"] == (200, 150), "the clip keeps the image size (%s)" % (d["size"],))
    # the test model has a flip table (bnnlm-genmodel's default): the flip test is on by
    # default, and --no-flip-test turns it off
    check("(flip test)" in p.stderr, "the flip test is on by default for a model with a table")
    p = annotate(opts, ["--model", opts.model, "--still-frames", "2", "--no-flip-test", png, out])
    check("(flip test)" not in p.stderr, "--no-flip-test turns it off")


def sc_interrupt(opts, tmp):
    # long enough that the first tenth is done well before the end (a slow network)
    clip = os.path.join(tmp, "long.mp4")
    make_clip(clip, 300, fps=25, size=(160, 120), audio=True)
    out = os.path.join(tmp, "interrupted.mp4")
    cmd = [opts.annotate, "--model", opts.slow_model, "--threads", "1", clip, out]
    print("$", " ".join(cmd), flush=True)
    p = subprocess.Popen(cmd, env=tool_env(opts), stderr=subprocess.PIPE, text=True)
    lines = []
    end = time.monotonic() + 40
    for line in p.stderr:  # progress: one line per tenth when stderr is not a terminal
        lines.append(line)
        sys.stderr.write("  tool| " + line)
        if "%" in line and "frames" in line:
            p.send_signal(signal.SIGINT)
            break
        if time.monotonic() > end:
            break
    rest = p.communicate(timeout=40)[1]
    sys.stderr.write("".join("  tool| " + ln + "\n" for ln in rest.splitlines()))
    check(p.returncode == 0, "Ctrl-C finishes cleanly (exit %d)" % p.returncode)
    check("interrupted" in rest, "it says it was interrupted")
    info = discover(out)
    d = decode(out)
    n = len(d["pts"])
    check(0 < n < 300, "the file holds the frames done so far (%d of 300)" % n)
    check(len(info.get_audio_streams()) == 1, "and the audio track")
    secs = d["audio_samples"] / float(d["audio_rate"] or 1)
    check(abs(secs - n / 25.0) < 0.25,
          "the audio stops with the video (%.2f s of audio, %.2f s of video)" % (secs, n / 25.0))
    check(len(read_jsonl(os.path.splitext(out)[0] + ".jsonl")) == n,
          "one JSON line per written frame")


def sc_errors(opts, tmp):
    clip = os.path.join(tmp, "ok.mkv")
    make_clip(clip, 5, fps=10, size=(64, 48), audio=False, container="mkv")
    p = annotate(opts, [], expect_rc=1)
    check("usage" in p.stderr, "no arguments: usage")
    p = annotate(opts, ["--threads", "x", clip, "o.mp4"], expect_rc=1)
    check("--threads" in p.stderr, "a bad option value is named")
    p = annotate(opts, ["--no-detect", "--detect-faces", clip, "o.mp4"], expect_rc=1)
    check("exclude each other" in p.stderr, "--no-detect with --detect-faces is refused")
    p = annotate(opts, ["--detect-tiles", "9", clip, "o.mp4"], expect_rc=1)
    check("--detect-tiles" in p.stderr, "an out-of-range --detect-tiles is named")
    p = annotate(opts, ["--model", opts.model, os.path.join(tmp, "missing.mp4"),
                        os.path.join(tmp, "o.mp4")], expect_rc=2)
    check("no such input file" in p.stderr, "a missing input is reported")
    text = os.path.join(tmp, "notes.txt")
    with open(text, "w") as f:
        f.write("not a video\n" * 100)
    p = annotate(opts, ["--model", opts.model, text, os.path.join(tmp, "o.mp4")],
                 expect_rc=2)
    check("cannot decode" in p.stderr, "a file that is not media is reported")
    junk = os.path.join(tmp, "junk.bnn")
    with open(junk, "wb") as f:
        f.write(b"\0" * 100)
    p = annotate(opts, ["--model", junk, clip, os.path.join(tmp, "o.mp4")], expect_rc=3)
    check(junk in p.stderr, "a bad model file is named in the error")
    p = annotate(opts, ["--model", opts.model, "--detect-model", junk, clip,
                        os.path.join(tmp, "o.mp4")], expect_rc=3)
    check(junk in p.stderr, "a bad detector model file is named in the error")
    p = annotate(opts, ["--model", opts.model, clip,
                        os.path.join(tmp, "no-such-dir", "o.mp4")], expect_rc=4)
    check("no-such-dir" in p.stderr, "an unwritable output is named in the error")


def sc_detector(opts, tmp):
    # the project's detector (bnndetect) in front, with tiles; random weights: any number
    # of regions
    clip = os.path.join(tmp, "in.mp4")
    make_clip(clip, 15, fps=15, size=(320, 240), audio=True)
    out = os.path.join(tmp, "detected.mp4")
    annotate(opts, ["--model", opts.model, "--detect-model", opts.detect_model,
                    "--detect-tiles", "2", "--max-instances", "8", clip, out])
    lines, _ = verify_output(out, 15, True, in_path=clip, audio_seconds=1.0)
    check(all(len(ln["instances"]) <= 8 for ln in lines), "at most 8 instances a frame")


def sc_detect_faces(opts, tmp):
    photo = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png"
    if not os.path.exists(photo) or Gst.ElementFactory.find("facedetect") is None:
        print("SKIP: needs python3-skimage's astronaut.png and gstreamer1.0-opencv")
        sys.exit(SKIP)
    boxes = {}
    runs = {"facedetect": ["--detect-faces"], "none": ["--no-detect"], "default": []}
    for name, flag in runs.items():
        out = os.path.join(tmp, "astronaut-%s.mp4" % name)
        annotate(opts, ["--model", opts.model, "--min-confidence", "0", "--still-frames", "2"]
                 + flag + [photo, out])
        lines, _ = verify_output(out, 2, False)
        boxes[name] = lines[0]["instances"][0]["bbox"]
    # the astronaut's face: about x 175..272, y 64..161 in the 512 x 512 photo
    for name in ("facedetect", "default"):
        x, y, w, h = boxes[name]
        check(w < 200 and h < 200 and x < 223 < x + w and y < 112 < y + h,
              "with %s the instance is around the face (%s)"
              % ("--detect-faces" if name == "facedetect" else "the default (the shipped "
                 "detector)", boxes[name]))
    check(boxes["none"][2] > 300, "with --no-detect the network sees the whole photo (%s)"
          % boxes["none"])


SCENARIOS = {
    "av-mp4": sc_av_mp4,
    "video-mkv": sc_video_mkv,
    "no-audio-flag": sc_no_audio_flag,
    "burned-in": sc_burned_in,
    "still-image": sc_still_image,
    "interrupt": sc_interrupt,
    "errors": sc_errors,
    "detector": sc_detector,
    "detect-faces": sc_detect_faces,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--annotate", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--slow-model")
    ap.add_argument("--detect-model")
    ap.add_argument("--registry", required=True)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bnnlm-annotate-test-") as tmp:
        try:
            SCENARIOS[opts.scenario](opts, tmp)
        except Failure as e:
            print("FAIL:", e, flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
