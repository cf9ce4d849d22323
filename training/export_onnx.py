# training/export_onnx.py: exports the FP32 real twin of the network (any S, F, D, K) to ONNX
# (opset 13), random weights or a twin checkpoint, for the ONNX Runtime comparison benchmark.
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import network  # noqa: E402


class _Wrap(torch.nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        hm, sg = self.net(x)
        return (hm, sg) if sg is not None else hm


def export_twin_onnx(path, size=256, width=256, depth=4, points=16, parts=0, ckpt=None,
                     seed=0):
    """Writes the real-valued twin (binary=False) as ONNX; input 'input' 1 x 3 x S x S in
    [0, 1], output 'heatmaps' 1 x K x S/4 x S/4 (and 'parts' with a segmentation head)."""
    torch.manual_seed(seed)
    cfg = dict(size=size, width=width, depth=depth, points=points, parts=parts, binary=False)
    net = network.HGNet(**cfg)
    if ckpt:
        from checkpoint_io import load_ckpt
        from train import load_weights
        load_weights(net, load_ckpt(ckpt)["model"])
    net.eval()
    x = torch.rand(1, 3, size, size)
    names = ["heatmaps"] + (["parts"] if parts else [])
    torch.onnx.export(_Wrap(net), x, path, opset_version=13, input_names=["input"],
                      output_names=names, do_constant_folding=True)
    return path


def main(argv=None):
    ap = argparse.ArgumentParser(description="real-twin hourglass -> ONNX (opset 13)")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--points", type=int, default=16)
    ap.add_argument("--parts", type=int, default=0)
    ap.add_argument("--ckpt", default=None, help="twin checkpoint (default: random weights)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    torch.set_num_threads(2)
    export_twin_onnx(a.out, a.size, a.width, a.depth, a.points, a.parts, a.ckpt)
    print(f"wrote {a.out}: {os.path.getsize(a.out)} bytes")


if __name__ == "__main__":
    main()
