#!/usr/bin/python3
# tests/pipelines/appliance_test.py: drives bnnlm-camera-server on loopback with real clients
# (GStreamer rtspsrc, JSON-lines TCP readers, a UDP camera that stalls); one scenario per run.
"""Usage: appliance_test.py SCENARIO --server BIN --genmodel BIN

Scenarios: rtsp-clients, json-clients, source-stall, source-error, file-source, bad-model,
bad-arguments.
The server gets GST_PLUGIN_PATH from the environment (meson test sets it to the build's
plugin directory); this process's own GStreamer (the RTSP clients) does not use it."""

import argparse
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave

PLUGIN_PATH = os.environ.pop("GST_PLUGIN_PATH", "")

import gi  # noqa: E402
import numpy  # noqa: E402

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

Gst.init(None)

W, H, FPS = 320, 240, 15
POINTS = 14  # the random model's landmark count


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)
    print("ok:", what, flush=True)


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise Failure("timed out after %.0f s waiting for %s" % (timeout, what))


def make_model(genmodel, tmp):
    path = os.path.join(tmp, "random-body.bnn")
    subprocess.run([genmodel, "--size", "64", "--width", "32", "--depth", "2", "--points",
                    str(POINTS), "--task", "body", "--out", path], check=True, timeout=60)
    return path


def server_env(opts):
    env = dict(os.environ)
    env["GST_PLUGIN_PATH"] = PLUGIN_PATH
    # Own registry, scanned in-process: an ASan-built plugin cannot be loaded by the
    # uninstrumented gst-plugin-scanner, and others' registries must not be disturbed.
    env["GST_REGISTRY"] = opts.registry
    env["GST_REGISTRY_FORK"] = "no"
    # Sanitized builds: full malloc stacks, so that GLib/GStreamer-internal leaks can be
    # suppressed precisely (lsan.supp) while the server's own leaks are still reported.
    asan = env.get("ASAN_OPTIONS", "")
    env["ASAN_OPTIONS"] = ((asan + ":" if asan else "")
                           + "fast_unwind_on_malloc=0:malloc_context_size=16")
    env["LSAN_OPTIONS"] = "suppressions=%s:print_suppressions=0" % os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "lsan.supp")
    return env


class Server:
    """bnnlm-camera-server as a child process; stderr collected by a thread."""

    def __init__(self, opts, args, wait_ready=True):
        self.err_lines = []
        self.out_lines = []
        self.rtsp_url = None
        self.json_port = None
        # One server at a time gets through GStreamer's start-up: the first one scans
        # the plugins into the shared registry, the others then just read it.
        with open(opts.registry + ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            self.proc = subprocess.Popen([opts.server] + args, env=server_env(opts),
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                         text=True)
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err_lines),
                             daemon=True).start()
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out_lines),
                             daemon=True).start()
            wait_for(lambda: self.rtsp_url is not None or self.proc.poll() is not None, 50,
                     "the server to print its RTSP address or exit")
        if wait_ready and self.rtsp_url is None:
            self.proc.wait(10)
            raise Failure("server exited with %d before serving:\n%s"
                          % (self.proc.returncode, self.stderr()))

    def _read(self, stream, sink):
        for line in stream:
            sink.append(line)
            sys.stderr.write("  server| " + line)
            m = re.search(r"RTSP stream at (rtsp://\S+)", line)
            if m:
                self.rtsp_url = m.group(1)
            m = re.search(r"JSON lines at tcp://[^:]+:(\d+)", line)
            if m:
                self.json_port = int(m.group(1))

    def stderr(self):
        return "".join(self.err_lines)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, sig, what):
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise Failure("server did not exit within 20 s of %s" % what)
        check(rc == 0, "server exits with 0 on %s (got %d)" % (what, rc))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class RtspClient:
    """An in-process RTSP client that decodes the stream and counts frames."""

    def __init__(self, url, protocols="udp"):
        self.frames = 0
        self.sizes = set()
        self.errors = []
        self.colour_frames = 0  # frames with clearly coloured pixels (the drawing)
        self.pipe = Gst.parse_launch(
            "rtspsrc name=src latency=100 protocols=%s ! rtph264depay ! avdec_h264 "
            "! videoconvert ! video/x-raw,format=RGB "
            "! fakesink name=sink sync=false signal-handoffs=true" % protocols)
        self.pipe.get_by_name("src").set_property("location", url)
        self.pipe.get_by_name("sink").connect("handoff", self._handoff)
        bus = self.pipe.get_bus()
        bus.enable_sync_message_emission()
        bus.connect("sync-message::error", self._error)
        self.pipe.set_state(Gst.State.PLAYING)

    def _handoff(self, sink, buf, pad):
        caps = pad.get_current_caps()
        if caps:
            s = caps.get_structure(0)
            w, h = s.get_value("width"), s.get_value("height")
            self.sizes.add((w, h))
            if self.frames % 5 == 0:
                ok, info = buf.map(Gst.MapFlags.READ)
                if ok:
                    stride = (w * 3 + 3) & ~3
                    img = numpy.frombuffer(info.data, numpy.uint8)[:stride * h]
                    img = img.reshape(h, stride)[:, :w * 3].reshape(h, w, 3).astype(int)
                    buf.unmap(info)
                    # videotestsrc's ball is white on black: only the overlay adds colour
                    if ((img.max(axis=2) - img.min(axis=2)) > 80).sum() > 30:
                        self.colour_frames += 1
        self.frames += 1

    def _error(self, bus, msg):
        err, dbg = msg.parse_error()
        self.errors.append("%s (%s)" % (err.message, dbg))

    def wait_frames(self, n, timeout, who):
        target = self.frames + n
        wait_for(lambda: self.frames >= target or self.errors, timeout,
                 "%d more frames at %s" % (n, who))
        check(not self.errors, "%s has no errors %s" % (who, self.errors))
        check(self.frames >= target, "%s received %d frames" % (who, self.frames))

    def close(self):
        self.pipe.set_state(Gst.State.NULL)  # sends TEARDOWN


class JsonClient:
    """Reads JSON lines from the server in a thread; parses every line."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.settimeout(None)
        self.lines = []
        self.bad = []
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    break
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    try:
                        self.lines.append(json.loads(line))
                    except ValueError as e:
                        self.bad.append("%r: %s" % (line[:200], e))
        except OSError:
            pass
        self.closed = True

    def wait_lines(self, n, timeout, who):
        target = len(self.lines) + n
        wait_for(lambda: len(self.lines) >= target or self.closed, timeout,
                 "%d more JSON lines at %s" % (n, who))
        check(len(self.lines) >= target, "%s received %d JSON lines" % (who, len(self.lines)))
        check(not self.bad, "every line %s got parses as JSON %s" % (who, self.bad[:3]))

    def close(self):
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()


def check_record(rec, w, h):
    for key in ("pts", "width", "height", "instances"):
        if key not in rec:
            raise Failure("JSON line lacks %r: %s" % (key, json.dumps(rec)[:300]))
    if rec["width"] != w or rec["height"] != h:
        raise Failure("JSON line says %sx%s, expected %dx%d" % (rec["width"], rec["height"], w, h))
    if not isinstance(rec["instances"], list):
        raise Failure("'instances' is not a list: %s" % json.dumps(rec)[:300])
    for inst in rec["instances"]:
        pts = inst.get("points")
        if not isinstance(pts, list) or len(pts) != POINTS:
            raise Failure("an instance has no %d points: %s" % (POINTS, json.dumps(inst)[:300]))
        for p in pts:
            if len(p) != 3 or not (-1 <= p[0] <= w + 1 and -1 <= p[1] <= h + 1):
                raise Failure("point %s outside the %dx%d frame" % (p, w, h))


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def base_args(model):
    return ["--source", "test", "--model", model, "--address", "127.0.0.1",
            "--rtsp-port", "0", "--json-port", "0", "--width", str(W), "--height", str(H),
            "--fps", str(FPS), "--threads", "1", "--bitrate", "300"]


# ---------------------------------------------------------------- scenarios

def scenario_rtsp_clients(opts, tmp):
    model = make_model(opts.genmodel, tmp)
    srv = Server(opts, base_args(model))
    try:
        a = RtspClient(srv.rtsp_url, "udp")
        a.wait_frames(15, 30, "client A (UDP)")
        check(a.sizes == {(W, H)}, "client A decodes %dx%d frames (%s)" % (W, H, a.sizes))
        # The first frames can go out before the first inference is done (skip-when-busy;
        # slow under ASan on a loaded machine): give the drawing time to show up.
        try:
            wait_for(lambda: a.colour_frames > 0 or a.errors, 30, "a frame with the drawing")
        except Failure:
            pass  # reported by the check below, with the counts
        check(a.colour_frames > 0, "the stream carries the drawing (coloured skeleton on the "
              "grey test picture) in %d of %d sampled frames"
              % (a.colour_frames, (a.frames + 4) // 5))

        # Client B in its own process, killed mid-stream: it vanishes without a TEARDOWN.
        b = subprocess.Popen([sys.executable, __file__, "client", "--url", srv.rtsp_url],
                             stdout=subprocess.PIPE, text=True)
        seen = [0]

        def read_b():
            for line in b.stdout:
                if line.startswith("frame"):
                    seen[0] += 1
        threading.Thread(target=read_b, daemon=True).start()
        wait_for(lambda: seen[0] >= 10 or b.poll() is not None, 30, "client B's frames")
        check(seen[0] >= 10, "client B (TCP, own process) received %d frames" % seen[0])
        b.kill()
        b.wait()
        a.wait_frames(30, 20, "client A after client B was killed")
        check(srv.alive(), "server still running after client B vanished")

        # Client C leaves politely (TEARDOWN) while A keeps going.
        c = RtspClient(srv.rtsp_url, "tcp")
        c.wait_frames(10, 20, "client C (TCP)")
        c.close()
        a.wait_frames(15, 20, "client A after client C left")
        a.close()
        check(srv.alive(), "server still running with no RTSP client")

        # After everyone left the media is rebuilt for a newcomer.
        d = RtspClient(srv.rtsp_url, "udp")
        d.wait_frames(10, 30, "client D, after all others left")
        check(srv.alive(), "server still running")
        srv.stop(signal.SIGINT, "SIGINT with an RTSP client connected")
        d.close()
        check("RTSP client" in srv.stderr(), "server logs RTSP clients")
    finally:
        srv.kill()


def scenario_json_clients(opts, tmp):
    model = make_model(opts.genmodel, tmp)
    srv = Server(opts, base_args(model))
    try:
        check(srv.json_port is not None, "server announces its JSON port")
        j1 = JsonClient(srv.json_port)
        j1.wait_lines(20, 30, "JSON client 1 (no RTSP client connected)")
        for rec in j1.lines:
            check_record(rec, W, H)
        pts = [r["pts"] for r in j1.lines]
        check(all(p is not None for p in pts) and pts == sorted(pts) and len(set(pts)) == len(pts),
              "pts strictly increase across lines")
        # The random model (fixed seed) finds a "person" in the test picture: landmarks flow.
        check(any(r["instances"] for r in j1.lines), "some lines carry landmark instances")

        j2 = JsonClient(srv.json_port)
        j2.wait_lines(5, 20, "JSON client 2")
        # j2 vanishes abruptly (RST), j3 connects and never reads.
        j2.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        j2.sock.close()
        j3 = socket.create_connection(("127.0.0.1", srv.json_port), timeout=5)
        j3.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        j1.wait_lines(30, 20, "JSON client 1 after client 2 vanished, beside a non-reader")
        for rec in j1.lines:
            check_record(rec, W, H)
        wait_for(lambda: "dropped" in srv.stderr(), 10, "the server to notice client 2 left")
        check(srv.alive(), "server still running")
        j1.close()
        j3.close()
        srv.stop(signal.SIGTERM, "SIGTERM")
    finally:
        srv.kill()


def scenario_source_stall(opts, tmp):
    """A UDP/RTP-JPEG 'camera' that starts late, stops and comes back."""
    model = make_model(opts.genmodel, tmp)
    port = free_udp_port()
    source = ("launch:udpsrc port=%d caps=\"application/x-rtp,media=video,clock-rate=90000,"
              "encoding-name=JPEG,payload=26\" ! rtpjpegdepay ! jpegdec" % port)
    args = base_args(model)
    args[args.index("--source") + 1] = source
    srv = Server(opts, args + ["--stall-timeout", "1.5"])
    camera = None

    def start_camera():
        p = Gst.parse_launch(
            "videotestsrc is-live=true pattern=ball ! video/x-raw,format=I420,width=%d,height=%d,"
            "framerate=%d/1 ! jpegenc ! rtpjpegpay ! udpsink host=127.0.0.1 port=%d"
            % (W, H, FPS, port))
        p.set_state(Gst.State.PLAYING)
        return p
    try:
        j = JsonClient(srv.json_port)
        a = RtspClient(srv.rtsp_url, "tcp")
        wait_for(lambda: "source stalled" in srv.stderr(), 15, "a 'source stalled' report")
        a.wait_frames(10, 30, "RTSP client while the source has never produced")
        check(len(j.lines) == 0, "no JSON lines while the source is silent")

        camera = start_camera()
        j.wait_lines(10, 30, "JSON client once the camera sends")
        wait_for(lambda: "source recovered" in srv.stderr(), 10, "a 'source recovered' report")

        camera.set_state(Gst.State.NULL)  # the camera stalls
        n_stalls = srv.stderr().count("source stalled")
        wait_for(lambda: srv.stderr().count("source stalled") > n_stalls, 15,
                 "a second 'source stalled' report")
        a.wait_frames(10, 20, "RTSP client during the stall")
        check(not j.closed, "JSON client still connected during the stall")

        camera.set_state(Gst.State.PLAYING)  # and comes back
        j.wait_lines(10, 30, "JSON client after the camera came back")
        for rec in j.lines:
            check_record(rec, W, H)
        a.wait_frames(10, 20, "RTSP client after the camera came back")
        a.close()
        j.close()
        check(srv.alive(), "server still running")
        srv.stop(signal.SIGINT, "SIGINT")
    finally:
        if camera:
            camera.set_state(Gst.State.NULL)
        srv.kill()


def scenario_source_error(opts, tmp):
    """A source that fails after working is restarted in place, clients stay connected."""
    model = make_model(opts.genmodel, tmp)
    args = base_args(model)
    args[args.index("--source") + 1] = "launch:videotestsrc is-live=true ! identity error-after=20"
    srv = Server(opts, args)
    try:
        j = JsonClient(srv.json_port)
        a = RtspClient(srv.rtsp_url, "tcp")
        wait_for(lambda: srv.stderr().count("source error") >= 2, 30, "two source errors")
        check("restarting the source in 1 s" in srv.stderr(),
              "the error is reported and the source restarted")
        n = len(j.lines)
        j.wait_lines(10, 20, "JSON client after the restarts")
        check(n >= 20, "lines came before the second error (%d)" % n)
        for rec in j.lines:
            check_record(rec, W, H)
        a.wait_frames(10, 20, "RTSP client after the restarts")
        check(not j.closed and srv.alive(), "server and clients survive source errors")
        a.close()
        j.close()
        srv.stop(signal.SIGTERM, "SIGTERM")
    finally:
        srv.kill()


def scenario_stop_mid_request(opts, tmp):
    """The server stops while RTSP clients are sending requests.

    Each client sends OPTIONS requests back to back (and reads the replies), so the server is
    parsing a request whenever the signal comes. With GStreamer 1.22, closing such a
    connection from the main thread while a pool thread read it left that thread spinning on
    a NULL stream: a flood of GLib-GIO CRITICALs, and at times no exit.
    """
    model = make_model(opts.genmodel, tmp)
    for round_ in range(3):  # the race is narrow: three tries
        stop_once_mid_requests(opts, model, round_)


def stop_once_mid_requests(opts, model, round_):
    srv = Server(opts, base_args(model))
    m = re.match(r"rtsp://([^:/]+):(\d+)/", srv.rtsp_url)
    host, port = m.group(1), int(m.group(2))
    stop = threading.Event()
    replies = [0]

    def drain(s):
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    return
                replies[0] += data.count(b"RTSP/1.0 200 OK")
        except OSError:
            return

    def client():
        try:
            with socket.create_connection((host, port), timeout=5) as s:
                threading.Thread(target=drain, args=(s,), daemon=True).start()
                n = 0
                while not stop.is_set():
                    n += 1
                    s.sendall(b"OPTIONS %s RTSP/1.0\r\nCSeq: %d\r\n\r\n"
                              % (srv.rtsp_url.encode(), n))
        except OSError:
            pass  # the server closed the connection: expected once it stops

    try:
        for _ in range(6):
            threading.Thread(target=client, daemon=True).start()
        wait_for(lambda: replies[0] >= 2000, 30, "2000 replies to OPTIONS")
        check(srv.alive(), "round %d: server alive while answering a stream of requests" % round_)
        srv.stop(signal.SIGTERM, "SIGTERM during requests (round %d)" % round_)
        check("CRITICAL" not in srv.stderr(), "round %d: no GLib CRITICAL on the way out" % round_)
    finally:
        stop.set()
        srv.kill()

def scenario_file_source(opts, tmp):
    """A file source is annotated in real time and looped; --once stops at its end."""
    model = make_model(opts.genmodel, tmp)
    clip = os.path.join(tmp, "clip.mp4")
    p = Gst.parse_launch(
        "videotestsrc num-buffers=20 pattern=ball ! video/x-raw,width=%d,height=%d,"
        "framerate=%d/1 ! x264enc speed-preset=ultrafast ! mp4mux ! filesink location=%s"
        % (W, H, FPS, clip))
    p.set_state(Gst.State.PLAYING)
    msg = p.get_bus().timed_pop_filtered(30 * Gst.SECOND,
                                         Gst.MessageType.EOS | Gst.MessageType.ERROR)
    p.set_state(Gst.State.NULL)
    check(msg is not None and msg.type == Gst.MessageType.EOS, "test clip written")

    args = base_args(model)
    args[args.index("--source") + 1] = "file:" + clip
    srv = Server(opts, args)
    try:
        j = JsonClient(srv.json_port)
        wait_for(lambda: "end of stream" in srv.stderr(), 30, "the end of the clip")
        j.wait_lines(10, 20, "JSON client after the clip looped")
        pts = [r["pts"] for r in j.lines]
        check(any(b < a for a, b in zip(pts, pts[1:])), "pts start again: the clip loops")
        for rec in j.lines:
            check_record(rec, W, H)
        srv.stop(signal.SIGTERM, "SIGTERM")
    finally:
        srv.kill()

    srv = Server(opts, args + ["--once"])
    try:
        rc = srv.proc.wait(30)
        check(rc == 0, "--once: exits with 0 at the end of the file (got %d)" % rc)
        check("stopped after 20 frames, 20 JSON lines" in srv.stderr(),
              "--once: all 20 frames of the clip were analysed, one JSON line each")
    finally:
        srv.kill()


def run_expect_fail(opts, tmp, args, code, needle, what):
    srv = Server(opts, args, wait_ready=False)
    try:
        rc = srv.proc.wait(30)
    except subprocess.TimeoutExpired:
        srv.kill()
        raise Failure("%s: server still running after 30 s" % what)
    time.sleep(0.2)  # let the reader threads drain
    err = srv.stderr()
    check(rc == code, "%s: exit code %d (got %d)" % (what, code, rc))
    check(needle in err, "%s: message names %r" % (what, needle))


def scenario_bad_model(opts, tmp):
    garbage = os.path.join(tmp, "garbage-model.bnn")
    with open(garbage, "wb") as f:
        f.write(b"this is not a model" * 100)
    args = base_args(garbage)
    run_expect_fail(opts, tmp, args, 3, garbage, "a corrupt model file")

    truncated = os.path.join(tmp, "truncated-model.bnn")
    with open(make_model(opts.genmodel, tmp), "rb") as f:
        head = f.read(100)
    with open(truncated, "wb") as f:
        f.write(head)
    run_expect_fail(opts, tmp, base_args(truncated), 3, truncated, "a truncated model file")

    missing = os.path.join(tmp, "no-such-model.bnn")
    run_expect_fail(opts, tmp, base_args(missing), 3, missing, "a missing model file")

    # the detector's model: missing, and not a detector (a landmark model)
    missing = os.path.join(tmp, "no-such-detector.bnn")
    run_expect_fail(opts, tmp, base_args(make_model(opts.genmodel, tmp)) + ["--detector", missing],
                    3, missing, "a missing detector model file")
    landmark = make_model(opts.genmodel, tmp)
    run_expect_fail(opts, tmp, base_args(landmark) + ["--detector", landmark], 3,
                    "detector model", "a landmark model given as the detector")


def scenario_bad_arguments(opts, tmp):
    model = make_model(opts.genmodel, tmp)
    args = base_args(model)
    i = args.index("--source") + 1

    a = list(args)
    a[i] = "v4l2:/dev/no-such-video-device"
    run_expect_fail(opts, tmp, a, 2, "/dev/no-such-video-device", "a missing camera")

    a = list(args)
    a[i] = "v4l2:/dev/null"  # exists, but is no camera: the v4l2 source itself fails
    run_expect_fail(opts, tmp, a, 2, "'/dev/null'", "a device that is not a camera")

    a = list(args)
    a[i] = "file:" + os.path.join(tmp, "no-such-clip.mp4")
    run_expect_fail(opts, tmp, a, 2, "no-such-clip.mp4", "a missing input file")

    # Fixed bytes, not os.urandom: random data now and then type-finds as MPEG audio,
    # which is the audio-only case below and once made this case flaky.
    notvideo = os.path.join(tmp, "not-a-video.mp4")
    with open(notvideo, "wb") as f:
        f.write(bytes(range(7, 251)) * 16)
    a = list(args)
    a[i] = "file:" + notvideo
    run_expect_fail(opts, tmp, a, 2, "file:" + notvideo, "an input file that is not video")

    # A real media file without a video stream: decodebin gives only an audio pad.
    audio = os.path.join(tmp, "audio-only.wav")
    with wave.open(audio, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(bytes(16000))
    a = list(args)
    a[i] = "file:" + audio
    run_expect_fail(opts, tmp, a, 2, "no video stream", "an audio-only input file")

    a = list(args)
    a[i] = "webcam"
    run_expect_fail(opts, tmp, a, 1, "--source 'webcam'", "an unknown source kind")
    run_expect_fail(opts, tmp, args + ["--width", "abc"], 1, "abc", "a non-numeric width")
    run_expect_fail(opts, tmp, args + ["--mount", "annotated"], 1, "out of range",
                    "a mount point without '/'")

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    a = list(args)
    a[a.index("--rtsp-port") + 1] = str(port)
    run_expect_fail(opts, tmp, a, 4, str(port), "an RTSP port in use")
    a = list(args)
    a[a.index("--json-port") + 1] = str(port)
    run_expect_fail(opts, tmp, a, 4, str(port), "a JSON port in use")
    busy.close()


def client_main(url):
    """Child process mode: an RTSP client printing one line per decoded frame."""
    c = RtspClient(url, "tcp")
    n = 0
    end = time.monotonic() + 60
    while time.monotonic() < end and not c.errors:
        if c.frames > n:
            for _ in range(c.frames - n):
                print("frame", flush=True)
            n = c.frames
        time.sleep(0.02)
    print("errors", c.errors, flush=True)


SCENARIOS = {
    "rtsp-clients": scenario_rtsp_clients,
    "json-clients": scenario_json_clients,
    "source-stall": scenario_source_stall,
    "source-error": scenario_source_error,
    "stop-mid-request": scenario_stop_mid_request,
    "file-source": scenario_file_source,
    "bad-model": scenario_bad_model,
    "bad-arguments": scenario_bad_arguments,
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario", choices=list(SCENARIOS) + ["client"])
    ap.add_argument("--server")
    ap.add_argument("--genmodel")
    ap.add_argument("--url")
    ap.add_argument("--registry", help="GStreamer registry file for the server")
    opts = ap.parse_args()
    if opts.scenario == "client":
        client_main(opts.url)
        return 0
    with tempfile.TemporaryDirectory(prefix="bnnlm-appliance-") as tmp:
        if not opts.registry:
            opts.registry = os.path.join(tmp, "registry.bin")
        try:
            SCENARIOS[opts.scenario](opts, tmp)
        except Failure as e:
            print("FAIL:", e, flush=True)
            return 1
    print("PASS:", opts.scenario)
    return 0


if __name__ == "__main__":
    sys.exit(main())
