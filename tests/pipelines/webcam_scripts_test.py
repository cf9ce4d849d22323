#!/usr/bin/python3
# tests/pipelines/webcam_scripts_test.py: pipelines/webcam.sh and webcam-record.sh as users run
# them, with a live test source standing in for the camera, and their missing-camera error.
"""Usage: webcam_scripts_test.py SCENARIO --source-root DIR --build-root DIR
          --face-model FILE --body-model FILE --detect-model FILE

Scenarios: missing-device, view, view-detect, record-mp4, record-mkv. The scripts run with
BNNLM_WEBCAM_SOURCE (a live videotestsrc) and BNNLM_WEBCAM_SINK (a syncing fakesink)."""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from annotate_test import Failure, check, decode, discover, read_jsonl  # noqa: E402

FRAMES = 45
SOURCE = ("videotestsrc is-live=true num-buffers=%d pattern=ball ! "
          "video/x-raw,width=320,height=240,framerate=30/1" % FRAMES)


def run(opts, script, args, tmp, extra_env=None, expect_rc=0):
    env = dict(os.environ)
    env.pop("GST_PLUGIN_PATH", None)
    env["BNNLM_BUILD_DIR"] = opts.build_root
    env["GST_REGISTRY"] = os.path.join(tmp, "registry.bin")
    env["BNNLM_DETECT"] = "0"   # not the shipped detector, whether or not it is there
    env.update(extra_env or {})
    cmd = ["sh", os.path.join(opts.source_root, "pipelines", script)] + args
    print("$", " ".join(cmd), flush=True)
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=50, cwd=tmp)
    sys.stderr.write("".join("  script| " + ln + "\n"
                             for ln in (p.stdout + p.stderr).splitlines()))
    check(p.returncode == expect_rc,
          "%s exits with %d (got %d)" % (script, expect_rc, p.returncode))
    return p


def live_env():
    return {"BNNLM_WEBCAM_SOURCE": SOURCE,
            "BNNLM_WEBCAM_SINK": "fakesink sync=true qos=true max-lateness=20000000"}


def sc_missing_device(opts, tmp):
    dev = os.path.join(tmp, "video9")
    for script in ("webcam.sh", "webcam-record.sh"):
        p = run(opts, script, [dev, opts.body_model], tmp, expect_rc=2)
        check("no camera at " + dev in p.stderr, "%s names the missing device" % script)
    with open(dev, "w") as f:
        f.write("x")
    p = run(opts, "webcam.sh", [dev, opts.body_model], tmp, expect_rc=2)
    check("not a video device" in p.stderr, "a regular file is refused as a camera")


def sc_view(opts, tmp):
    p = run(opts, "webcam.sh", ["/dev/unused", opts.body_model], tmp, live_env())
    check("Got EOS" in p.stdout, "the live view runs to the end of the source")


def sc_view_detect(opts, tmp):
    env = live_env()
    env.update({"BNNLM_DETECT": "1", "BNNLM_DETECT_MODEL": opts.detect_model})
    p = run(opts, "webcam.sh", ["/dev/unused", opts.body_model], tmp, env)
    check("Got EOS" in p.stdout, "the live view with the project's detector runs to the end")


def record(opts, tmp, name):
    out = os.path.join(tmp, name)
    # a face model: the script puts OpenCV's face detector in front when it is installed
    run(opts, "webcam-record.sh", ["/dev/unused", opts.face_model, out], tmp, live_env())
    info = discover(out)
    check(len(info.get_video_streams()) == 1, "%s has a video stream" % name)
    n = len(decode(out)["pts"])
    check(n == FRAMES, "all %d frames are recorded (%d)" % (FRAMES, n))
    lines = read_jsonl(os.path.splitext(out)[0] + ".jsonl")
    check(len(lines) == n, "one JSON line per recorded frame (%d)" % len(lines))
    pts = [ln["pts"] for ln in lines]
    check(all(b > a for a, b in zip(pts, pts[1:])), "JSON pts strictly increase")


def sc_record_mp4(opts, tmp):
    record(opts, tmp, "rec.mp4")


def sc_record_mkv(opts, tmp):
    record(opts, tmp, "rec.mkv")


SCENARIOS = {"missing-device": sc_missing_device, "view": sc_view,
             "view-detect": sc_view_detect,
             "record-mp4": sc_record_mp4, "record-mkv": sc_record_mkv}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=sorted(SCENARIOS))
    ap.add_argument("--source-root", required=True)
    ap.add_argument("--build-root", required=True)
    ap.add_argument("--face-model", required=True)
    ap.add_argument("--body-model", required=True)
    ap.add_argument("--detect-model", required=True)
    opts = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bnnlm-webcam-test-") as tmp:
        try:
            SCENARIOS[opts.scenario](opts, tmp)
        except Failure as e:
            print("FAIL:", e, flush=True)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
