#!/usr/bin/python3
# test_cli.py: the bnnlm CLI end to end on a generated model and generated images: predict prints
# valid JSON per image; info and bench work; bad models, images and options fail with messages.
import json
import os
import subprocess
import sys
import tempfile

bnnlm, genmodel, mkimage = sys.argv[1:4]
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what, file=sys.stderr)


def run(*args, env=None):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, env=env)


with tempfile.TemporaryDirectory() as d:
    model = os.path.join(d, "face-test.bnn")
    r = run(genmodel, "--size", "32", "--width", "16", "--depth", "1", "--points", "3", "--seg",
            "--task", "face", "--seed", "5", "--out", model)
    check(r.returncode == 0, "genmodel: " + r.stderr)
    png, jpg, bad = (os.path.join(d, n) for n in ("a.png", "b.jpg", "bad.jpg"))
    r = run(mkimage, png, jpg, bad)
    check(r.returncode == 0, "make_test_image: " + r.stderr)

    r = run(bnnlm, "predict", "--model", model, "--threads", "2", png, jpg)
    check(r.returncode == 0, "predict exit %d: %s" % (r.returncode, r.stderr))
    lines = r.stdout.strip().splitlines()
    check(len(lines) == 2, "predict: one line per image, got %d" % len(lines))
    for line, name in zip(lines, (png, jpg)):
        o = json.loads(line)
        check(o["image"] == name and o["width"] == 50 and o["height"] == 40, "image fields " + line)
        check(o["task"] == "face", "task")
        check(len(o["points"]) == 3 and all(len(p) == 3 for p in o["points"]), "points " + line)
        check(all(-30 <= p[0] <= 80 and -30 <= p[1] <= 70 and 0 <= p[2] <= 1 for p in o["points"]),
              "points inside the (padded) image " + line)
        check(o["names"] == ["p0", "p1", "p2"], "names")
        fr = [c["fraction"] for c in o["classes"]]
        check(len(fr) == 7 and abs(sum(fr) - 1) < 0.01, "class fractions " + line)
        check(o["classes"][0]["name"] == "background", "class names")

    r = run(bnnlm, "predict", "--model", model, "--box", "10,5,20,25", png)
    check(r.returncode == 0 and len(json.loads(r.stdout)["points"]) == 3, "predict --box: " + r.stderr)
    # --flip: the flip test (the generated model has a mirror table), 3 points again
    r = run(bnnlm, "predict", "--model", model, "--flip", png)
    check(r.returncode == 0 and len(json.loads(r.stdout)["points"]) == 3, "predict --flip: " + r.stderr)
    r = run(bnnlm, "info", model)
    check("flip table" in r.stdout or "left/right pairs" in r.stdout, "info shows the flip table")

    # model by name through BNNLM_MODEL_DIR
    env = dict(os.environ, BNNLM_MODEL_DIR=d)
    r = run(bnnlm, "info", "face-test", env=env)
    check(r.returncode == 0 and "points" in r.stdout and "face" in r.stdout, "info by name: " + r.stderr)
    # "face" falls back to face-lite when no full face model exists anywhere on the path
    src_models = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")
    if not os.path.exists(os.path.join(src_models, "face.bnn")):
        lite = os.path.join(d, "face-lite.bnn")
        with open(model, "rb") as src, open(lite, "wb") as dst:
            dst.write(src.read())
        r1 = run(bnnlm, "info", "face", env=env)
        r2 = run(bnnlm, "info", model)
        check(r1.returncode == 0 and r1.stdout == r2.stdout, "info face -> face-lite: " + r1.stderr)
        os.remove(lite)

    r = run(bnnlm, "bench", "--model", model, "--iters", "3", "--warmup", "1", "--threads", "2", "--json")
    check(r.returncode == 0, "bench: " + r.stderr)
    if r.returncode == 0:
        b = json.loads(r.stdout.strip().splitlines()[-1])
        for k in ("ms_median", "ms_min", "isa", "threads", "binary_gmacs", "model"):
            check(k in b, "bench json key " + k)
        check(b["threads"] == 2 and b["ms_min"] > 0 and b["ms_min"] <= b["ms_median"], "bench values")
        check(b.get("bf16") is False, "bench json: bf16 false by default")
    # --bf16: refused with a reason where the net is not avx512 (every CPU: --isa scalar)
    r = run(bnnlm, "bench", "--model", model, "--iters", "1", "--isa", "scalar", "--bf16")
    check(r.returncode == 1 and "bfloat16" in r.stderr, "bench --bf16 --isa scalar: " + r.stderr)

    det = os.path.join(d, "det.bnn")
    run(genmodel, "--size", "32", "--width", "16", "--depth", "1", "--points", "0", "--detect", "2",
        "--out", det)
    r = run(bnnlm, "predict", "--model", det, "--threshold", "0", png)
    check(r.returncode == 0, "detect predict: " + r.stderr)
    if r.returncode == 0:
        o = json.loads(r.stdout)
        check(o["task"] == "detect" and o["points"] == [] and len(o["detections"]) > 0, "detections " + r.stdout)
    r = run(bnnlm, "predict", "--model", det, "--flip", png)
    check(r.returncode == 1 and "flip" in r.stderr, "detector --flip refused: %d %s" % (r.returncode, r.stderr))
    r2 = run(bnnlm, "predict", "--model", det, "--threshold", "0", "--tiles", "3", png)
    check(r2.returncode == 0, "detect predict --tiles 3: " + r2.stderr)
    if r2.returncode == 0:
        whole = json.loads(run(bnnlm, "predict", "--model", det, "--threshold", "0", png).stdout)
        tiled = json.loads(r2.stdout)
        # random weights peak everywhere: the tiles add boxes, and every box stays best first
        check(len(tiled["detections"]) > len(whole["detections"]),
              "tiles add detections: %d vs %d" % (len(tiled["detections"]), len(whole["detections"])))
        scores = [x["score"] for x in tiled["detections"]]
        check(scores == sorted(scores, reverse=True), "tiled detections best first")
    r = run(bnnlm, "predict", "--model", det, "--tiles", "5", png)
    check(r.returncode == 2 and "--tiles" in r.stderr, "--tiles 5 refused: %d %s" % (r.returncode, r.stderr))

    # failures: corrupt model, missing model, missing / corrupt image, bad options
    with open(model, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0x40
    corrupt = os.path.join(d, "corrupt.bnn")
    with open(corrupt, "wb") as f:
        f.write(data)
    r = run(bnnlm, "predict", "--model", corrupt, png)
    check(r.returncode == 1 and "CRC mismatch" in r.stderr and corrupt in r.stderr, "corrupt model: " + r.stderr)
    r = run(bnnlm, "predict", "--model", os.path.join(d, "nope.bnn"), png)
    check(r.returncode == 1 and "not found" in r.stderr, "missing model: " + r.stderr)
    r = run(bnnlm, "predict", "--model", model, os.path.join(d, "missing.png"), png)
    check(r.returncode == 1 and "cannot open" in r.stderr, "missing image: " + r.stderr)
    check(len(r.stdout.strip().splitlines()) == 1, "the good image is still processed")
    r = run(bnnlm, "predict", "--model", model, bad)
    check(r.returncode == 1 and "JPEG" in r.stderr, "truncated JPEG: " + r.stderr)
    r = run(bnnlm, "predict", "--model", model, model)
    check(r.returncode == 1 and "not a JPEG or PNG" in r.stderr, "not an image: " + r.stderr)
    r = run(bnnlm, "predict", "--model", model, "--box", "1,2,3", png)
    check(r.returncode == 2 and "--box" in r.stderr, "bad box: " + r.stderr)
    r = run(bnnlm, "predict", "--model", model, "--frobnicate", png)
    check(r.returncode == 2 and "unknown option" in r.stderr, "unknown option: " + r.stderr)
    r = run(bnnlm, "bench", "--synthetic", "paper512")
    check(r.returncode == 2 and "paper512" in r.stderr, "unknown synthetic: " + r.stderr)
    r = run(bnnlm, "frob")
    check(r.returncode == 2, "unknown command")

print("test_cli: %s" % ("all checks passed" if failures == 0 else "%d failures" % failures))
sys.exit(1 if failures else 0)
