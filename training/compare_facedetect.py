# training/compare_facedetect.py: our detector (bnndetect) against GStreamer's facedetect
# (OpenCV Haar cascade, default profile) on the AFW val images of data/detect, in one run.
"""Faces AP@0.5 and ms per frame of both, each inside a GStreamer pipeline
(appsrc ! ELEMENT ! appsink, one thread, the frame pushed and pulled synchronously).

facedetect gives no scores, so its AP is that of one operating point (every detection has
the same score). Our AP uses the scores of the engine's decoding (same code as bnndetect,
threshold 0.01); its time is that of bnndetect with the default threshold.
With --verify FACE_MODEL, both detectors' boxes are also scored as bnnlandmarks keeps them
(docs/detector.md, "Verified by the landmark model"): the box's score (1 for facedetect) times
the face model's mean point confidence on it; that is `bnndetect ! bnnlandmarks` against
`facedetect ! bnnlandmarks`, and it gives facedetect's boxes a ranking.
Usage: /usr/bin/python3 training/compare_facedetect.py [--model models/detect.bnn]
       [--scale 1 2] [--verify models/face.bnn]
"""
import argparse
import json
import os
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from detect_data import CLASSES, DetSet  # noqa: E402
from eval_detect import EngineDetector, average_precision, verify_detections  # noqa: E402

import gi  # noqa: E402
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


class Pipe:
    """appsrc ! element ! appsink, RGB frames of one size at a time."""

    def __init__(self, element):
        self.p = Gst.parse_launch(
            f"appsrc name=src format=time ! {element} ! appsink name=sink sync=false "
            "max-buffers=2")
        self.src = self.p.get_by_name("src")
        self.sink = self.p.get_by_name("sink")
        self.bus = self.p.get_bus()
        self.size = None
        self.n = 0

    def run(self, img):
        h, w = img.shape[:2]
        if self.size != (w, h):
            if self.size is not None:
                self.p.set_state(Gst.State.NULL)
            self.src.set_property("caps", Gst.Caps.from_string(
                f"video/x-raw,format=RGB,width={w},height={h},framerate=30/1"))
            self.p.set_state(Gst.State.PLAYING)
            self.size = (w, h)
        data = np.ascontiguousarray(img)
        stride = (w * 3 + 3) & ~3
        if stride != w * 3:
            pad = np.zeros((h, stride), np.uint8)
            pad[:, :w * 3] = data.reshape(h, w * 3)
            data = pad
        buf = Gst.Buffer.new_wrapped(data.tobytes())
        buf.pts = self.n * Gst.SECOND // 30
        buf.duration = Gst.SECOND // 30
        self.n += 1
        t0 = time.perf_counter()
        self.src.emit("push-buffer", buf)
        sample = self.sink.emit("try-pull-sample", 10 * Gst.SECOND)
        ms = (time.perf_counter() - t0) * 1e3
        if sample is None:
            raise RuntimeError("no output frame")
        return sample, ms

    def messages(self, name):
        out = []
        while True:
            m = self.bus.pop_filtered(Gst.MessageType.ELEMENT | Gst.MessageType.ERROR)
            if m is None:
                return out
            if m.type == Gst.MessageType.ERROR:
                raise RuntimeError(m.parse_error()[0].message)
            s = m.get_structure()
            if s is not None and s.get_name() == name:
                out.append(s)

    def close(self):
        self.p.set_state(Gst.State.NULL)


def haar_faces(s):
    """Faces of one facedetect message -> [x, y, w, h] (edge frame)."""
    faces = s.get_value("faces")
    res = []
    for f in faces or []:
        res.append([f.get_value("x"), f.get_value("y"), f.get_value("width"),
                    f.get_value("height")])
    return res


def scaled(ds, idxs, k):
    """Images (and a copy of the set with boxes) scaled by k (bilinear), for 640 px frames."""
    imgs = []
    for i in idxs:
        im = ds.images[i]
        if k != 1:
            h, w = im.shape[:2]
            im = np.asarray(Image.fromarray(im).resize((round(w * k), round(h * k)),
                                                       Image.BILINEAR))
        imgs.append(im)
    return imgs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=os.path.join(REPO, "models", "detect.bnn"))
    ap.add_argument("--scale", type=float, nargs="+", default=[1.0, 2.0],
                    help="frame scales to test (1: the stored 320 px images)")
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--json", help="write the results here too")
    ap.add_argument("--tiles", type=int, default=1, help="bnndetect's tiles (1: whole frame)")
    ap.add_argument("--verify", default=None, help="a face landmark .bnn: also the AP of both "
                    "detectors' boxes verified by it, as bnnlandmarks keeps them")
    args = ap.parse_args(argv)
    Gst.init(None)
    ds = DetSet("val", args.data_root)
    face = CLASSES.index("face")
    idxs = [i for i in range(len(ds)) if ds.labelled[i, face]]
    print(f"{len(idxs)} AFW val images, {sum(int((ds.cls[i] == face).sum()) for i in idxs)} "
          f"faces", flush=True)

    class Sub:  # the face images only, boxes scaled
        pass

    results = []
    det = EngineDetector(args.model, threads=1, tiles=args.tiles)
    for k in args.scale:
        imgs = scaled(ds, idxs, k)
        sub = Sub()
        sub.labelled = ds.labelled[idxs]
        sub.cls = [ds.cls[i] for i in idxs]
        sub.ignore = [ds.ignore[i] for i in idxs]
        sub.boxes = [ds.boxes[i] * k for i in idxs]
        sub.images = imgs

        ours, haar = [], []
        ms_ours, ms_haar = [], []
        p_ours = Pipe(f"bnndetect model=\"{args.model}\" threads=1 classes=face "
                      f"tiles={args.tiles}")
        p_haar = Pipe("facedetect display=false")
        for im in imgs:
            res, _ = det(im)
            ours.append(np.array([[r[2], r[3], r[4], r[5], r[1]] for r in res
                                  if det.classes[r[0]] == "face"], np.float32).reshape(-1, 5))
            _, ms = p_ours.run(im)
            ms_ours.append(ms)
            _, ms = p_haar.run(im)
            ms_haar.append(ms)
            faces = []
            for s in p_haar.messages("facedetect"):
                faces = haar_faces(s)
            haar.append(np.array([f + [1.0] for f in faces], np.float32).reshape(-1, 5))
        p_ours.close()
        p_haar.close()
        a_ours, n = average_precision(ours, sub, face)
        a_haar, _ = average_precision(haar, sub, face)
        h, w = imgs[0].shape[:2]
        row = dict(scale=k, long_side=int(round(320 * k)), tiles=args.tiles, faces=n,
                   images=len(imgs),
                   ap_bnndetect=round(a_ours, 4), ap_facedetect=round(a_haar, 4),
                   ms_bnndetect=round(float(np.median(ms_ours)), 2),
                   ms_facedetect=round(float(np.median(ms_haar)), 2),
                   haar_detections=int(sum(len(x) for x in haar)))
        if args.verify:
            for key, dets in (("bnndetect", ours), ("facedetect", haar)):
                v = verify_detections((["face"], [dets], []), sub, {"face": args.verify})[1][0]
                row[f"ap_{key}_verified"] = round(average_precision(v, sub, face)[0], 4)
        results.append(row)
        print(json.dumps(row), flush=True)
    print("\n| frames | faces | bnndetect AP@0.5 | facedetect AP@0.5 | bnndetect ms | "
          "facedetect ms |\n|---|---|---|---|---|---|")
    for r in results:
        print(f"| AFW val, long side {r['long_side']} px | {r['faces']} | {r['ap_bnndetect']:.3f} "
              f"| {r['ap_facedetect']:.3f} | {r['ms_bnndetect']:.2f} | {r['ms_facedetect']:.2f} |")
        if args.verify:
            print(f"|   verified by {os.path.basename(args.verify)} | | "
                  f"{r['ap_bnndetect_verified']:.3f} | {r['ap_facedetect_verified']:.3f} | | |")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(results, fh, indent=1)


if __name__ == "__main__":
    main()
