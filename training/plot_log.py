# training/plot_log.py: plots the JSON-lines training logs of a model (train loss, val metric,
# dead binary channels) into docs/training-<model>.png.
import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
METRICS = [("pck", "val PCK@0.2 (%)", 100), ("nme", "val NME (%)", 100),
           ("miou", "val part mIoU (%)", 100)]


def read(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main(argv=None):
    ap = argparse.ArgumentParser(description="plot training logs")
    ap.add_argument("model", help="e.g. body-lite")
    ap.add_argument("--logs", default=os.path.join(HERE, "logs"))
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    out = a.out or os.path.join(HERE, "..", "docs", f"training-{a.model}.png")
    runs = []
    for recipe in ("twin", "binary", "scratch"):
        offset = 0.0
        for tag in ("", "-c2", "-c3", "-c4", "-w", "-w1", "-w2", "-w3", "-w4"):
            p = os.path.join(a.logs, f"{a.model}-{recipe}{tag}.jsonl")
            if not os.path.exists(p):
                continue
            rs = read(p)
            # a later cycle (--init from the previous one) continues its epoch axis
            for r in rs:
                r["epoch"] = r["epoch"] + offset
            runs.append((recipe + tag, rs))
            offset = rs[-1]["epoch"] if rs else offset
    if not runs:
        raise SystemExit(f"no logs for {a.model} in {a.logs}")
    present = [m for m in METRICS if any(m[0] in r["val"] for _, rs in runs for r in rs)]
    ncol = 2 + len(present)
    fig, axes = plt.subplots(1, ncol, figsize=(4 * ncol, 3.4), dpi=90)
    for recipe, rs in runs:
        ep = [r["epoch"] for r in rs]
        line, = axes[0].plot(ep, [r["train_loss"] for r in rs], label=recipe, marker=".")
        colour = line.get_color()
        for ax, (key, label, scale) in zip(axes[1:], present):
            ax.plot(ep, [scale * r["val"].get(key, float("nan")) for r in rs], label=recipe,
                    marker=".", color=colour)
            ax.set_title(label)
        dead = [(r["epoch"], r["val"]["dead_total"]) for r in rs if "dead_total" in r["val"]]
        if dead:  # only the epochs that counted them (--val-every)
            axes[-1].plot(*zip(*dead), label=recipe, marker=".", color=colour)
    axes[0].set_title("train loss")
    axes[0].set_yscale("log")
    axes[-1].set_title("dead binary-conv channels (all layers)")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle(a.model)
    fig.tight_layout()
    fig.savefig(out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
