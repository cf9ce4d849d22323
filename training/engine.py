# training/engine.py: ctypes binding to the built engine (libbnnlm.so, API of
# engine/include/bnnlm/bnnlm.h) so Python can run .bnn models exactly as the C code does.
import ctypes as C
import glob
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, ".."))

ISA = {"auto": 0, "scalar": 1, "avx2": 2, "avx512": 3, "neon": 4}
ERR_LEN = 256


class ModelInfo(C.Structure):
    _fields_ = [
        ("task", C.c_char_p), ("name", C.c_char_p),
        ("input_size", C.c_int), ("output_stride", C.c_int), ("crop_scale", C.c_float),
        ("mean", C.c_float * 3), ("std", C.c_float * 3),
        ("n_points", C.c_int), ("point_names", C.POINTER(C.c_char_p)),
        ("n_skeleton", C.c_int), ("skeleton", C.POINTER(C.c_int)),
        ("n_classes", C.c_int), ("class_names", C.POINTER(C.c_char_p)),
        ("n_det_classes", C.c_int), ("det_class_names", C.POINTER(C.c_char_p)),
        ("n_outputs", C.c_int),
        ("binary_macs", C.c_uint64), ("real_macs", C.c_uint64), ("n_params", C.c_uint64),
        ("file_size", C.c_size_t), ("license", C.c_char_p),
        ("format_version", C.c_int), ("flip", C.POINTER(C.c_int)),
        ("region_score", C.c_float),  # META region_score, -1 if none
    ]


class Point(C.Structure):
    _fields_ = [("x", C.c_float), ("y", C.c_float), ("conf", C.c_float)]


class Output(C.Structure):
    _fields_ = [("kind", C.c_int), ("c", C.c_int), ("h", C.c_int), ("w", C.c_int),
                ("data", C.POINTER(C.c_float))]


class Crop(C.Structure):
    """bnn_crop: the square of the source image that becomes the network's input."""
    _fields_ = [("x0", C.c_float), ("y0", C.c_float), ("side", C.c_float), ("size", C.c_int)]


def find_lib():
    env = os.environ.get("BNNLM_LIB")
    if env:
        return env
    cands = sorted(glob.glob(os.path.join(REPO, "build*", "engine", "libbnnlm.so*")),
                   key=os.path.getmtime, reverse=True)
    cands = [c for c in cands if "asan" not in c]
    if not cands:
        raise FileNotFoundError("libbnnlm.so not found: build the engine (meson compile -C "
                                "build) or set BNNLM_LIB")
    return cands[0]


_lib = None


def lib():
    global _lib
    if _lib is None:
        L = C.CDLL(find_lib())
        L.bnn_model_load_file.restype = C.c_void_p
        L.bnn_model_load_file.argtypes = [C.c_char_p, C.c_char_p, C.c_size_t]
        L.bnn_model_free.argtypes = [C.c_void_p]
        L.bnn_model_get_info.restype = C.POINTER(ModelInfo)
        L.bnn_model_get_info.argtypes = [C.c_void_p]
        L.bnn_isa_supported.argtypes = [C.c_int]
        L.bnn_isa_best.restype = C.c_int
        L.bnn_isa_name.restype = C.c_char_p
        L.bnn_isa_name.argtypes = [C.c_int]
        L.bnn_net_create.restype = C.c_void_p
        L.bnn_net_create.argtypes = [C.c_void_p, C.c_int, C.c_int, C.c_char_p, C.c_size_t]
        L.bnn_net_free.argtypes = [C.c_void_p]
        L.bnn_net_isa.restype = C.c_int
        L.bnn_net_isa.argtypes = [C.c_void_p]
        L.bnn_net_input.restype = C.POINTER(C.c_float)
        L.bnn_net_input.argtypes = [C.c_void_p]
        L.bnn_net_run.argtypes = [C.c_void_p]
        L.bnn_net_output.argtypes = [C.c_void_p, C.c_int, C.POINTER(Output)]
        L.bnn_net_set_flip_test.argtypes = [C.c_void_p, C.c_int, C.c_char_p, C.c_size_t]
        L.bnn_net_set_bf16.argtypes = [C.c_void_p, C.c_int, C.c_char_p, C.c_size_t]
        L.bnn_decode_points.argtypes = [C.POINTER(Output), C.c_int, C.c_void_p, C.POINTER(Point)]
        _lib = L
    return _lib


def decode_points(hm, stride=4):
    """K x H x W logits -> K x 3 (x, y, conf) in input pixels, by the engine's decoder."""
    hm = np.ascontiguousarray(hm, np.float32)
    k, h, w = hm.shape
    out = Output(1, k, h, w, hm.ctypes.data_as(C.POINTER(C.c_float)))
    pts = (Point * k)()
    lib().bnn_decode_points(C.byref(out), stride, None, pts)
    return np.array([(p.x, p.y, p.conf) for p in pts], np.float32)


def isa_supported(name):
    return bool(lib().bnn_isa_supported(ISA[name]))


class Engine:
    """One loaded model and one runnable net. run(x) takes an S x S x 3 float32 array (HWC,
    RGB, already normalised) and returns the outputs as (kind, C x H x W array) copies."""

    def __init__(self, path, threads=1, isa="auto", flip=False, bf16=False):
        L = lib()
        err = C.create_string_buffer(ERR_LEN)
        self.model = L.bnn_model_load_file(path.encode(), err, ERR_LEN)
        if not self.model:
            raise RuntimeError(f"bnn_model_load_file: {err.value.decode(errors='replace')}")
        self.info = L.bnn_model_get_info(self.model).contents
        self.net = L.bnn_net_create(self.model, threads, ISA[isa], err, ERR_LEN)
        if not self.net:
            L.bnn_model_free(self.model)
            self.model = None
            raise RuntimeError(f"bnn_net_create: {err.value.decode(errors='replace')}")
        if flip and L.bnn_net_set_flip_test(self.net, 1, err, ERR_LEN) != 0:
            msg = err.value.decode(errors="replace")
            self.close()
            raise RuntimeError(f"bnn_net_set_flip_test: {msg}")
        if bf16 and L.bnn_net_set_bf16(self.net, 1, err, ERR_LEN) != 0:
            msg = err.value.decode(errors="replace")
            self.close()
            raise RuntimeError(f"bnn_net_set_bf16: {msg}")
        self.size = self.info.input_size
        self.isa = L.bnn_isa_name(L.bnn_net_isa(self.net)).decode()
        ptr = L.bnn_net_input(self.net)
        self._input = np.ctypeslib.as_array(ptr, shape=(self.size, self.size, 3))

    @property
    def point_names(self):
        return [self.info.point_names[i].decode() for i in range(self.info.n_points)]

    @property
    def class_names(self):
        return [self.info.class_names[i].decode() for i in range(self.info.n_classes)]

    def run(self, x):
        L = lib()
        self._input[...] = x
        if L.bnn_net_run(self.net) != 0:
            raise RuntimeError("bnn_net_run failed")
        outs = []
        for i in range(self.info.n_outputs):
            o = Output()
            if L.bnn_net_output(self.net, i, C.byref(o)) != 0:
                raise RuntimeError(f"bnn_net_output {i} failed")
            a = np.ctypeslib.as_array(o.data, shape=(o.c, o.h, o.w)).copy()
            outs.append((o.kind, a))
        return outs

    def close(self):
        L = lib()
        if self.net:
            L.bnn_net_free(self.net)
            self.net = None
        if self.model:
            L.bnn_model_free(self.model)
            self.model = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()


class CropRunner:
    """A landmark model run on the crop around a box of an RGB image, exactly as bnnlandmarks
    runs it for an upstream region: bnn_crop_for_box (scale: the model's crop_scale unless
    given), bnn_preprocess_packed, bnn_net_run, bnn_decode_points."""

    def __init__(self, path, threads=1):
        self.eng = Engine(path, threads=threads)
        L = lib()
        L.bnn_crop_for_box.restype = Crop
        L.bnn_crop_for_box.argtypes = [C.c_int, C.c_int, C.c_void_p, C.c_float, C.c_int]
        L.bnn_preprocess_packed.argtypes = [C.c_void_p, C.c_void_p, C.c_int, C.c_int, C.c_size_t,
                                            C.c_int, C.POINTER(Crop), C.POINTER(C.c_float)]
        L.bnn_decode_points.argtypes = [C.POINTER(Output), C.c_int, C.POINTER(Crop),
                                        C.POINTER(Point)]
        self.L = L
        self.k = self.eng.info.n_points
        self.crop_scale = self.eng.info.crop_scale
        self.pts = (Point * self.k)()

    def __call__(self, img, box, scale=None):
        """img: H x W x 3 uint8 RGB (C-contiguous); box: x, y, w, h (edges) -> K x 3 float32
        array of x, y (source pixel centres) and confidence."""
        L = self.L
        h, w = img.shape[:2]
        b = (C.c_float * 4)(*[float(v) for v in box])
        crop = L.bnn_crop_for_box(w, h, C.cast(b, C.c_void_p),
                                  self.crop_scale if scale is None else scale, self.eng.size)
        L.bnn_preprocess_packed(self.eng.model, img.ctypes.data, w, h, w * 3, 0, C.byref(crop),
                                L.bnn_net_input(self.eng.net))
        if L.bnn_net_run(self.eng.net) != 0:
            raise RuntimeError("bnn_net_run failed")
        o = Output()
        L.bnn_net_output(self.eng.net, 0, C.byref(o))
        L.bnn_decode_points(C.byref(o), self.eng.info.output_stride, C.byref(crop), self.pts)
        return np.array([(p.x, p.y, p.conf) for p in self.pts], np.float32)
