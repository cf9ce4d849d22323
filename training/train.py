# training/train.py: trains the hourglass of network.py: `--recipe twin` (real-valued twin) or
# `--recipe binary --teacher CKPT` (binary net initialised from the twin, twin as soft target).
import argparse
import json
import math
import os
import sys
import time

import numpy as np

# libgomp's default spin-waiting wastes the CPU on a shared machine: sleep at barriers
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import torch  # noqa: E402
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import network  # noqa: E402
from data import (Augmenter, KeypointSet, PART_CLASSES, decode_heatmaps,  # noqa: E402
                  greyscale_some, heatmap_to_crop)
import metrics  # noqa: E402
from checkpoint_io import load_ckpt, save_ckpt  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

PRESETS = {
    "body-lite": dict(task="body", size=128, width=128, depth=4, points=14, parts=0),
    "face-lite": dict(task="face", size=128, width=128, depth=4, points=68, parts=7),
    "body": dict(task="body", size=128, width=256, depth=4, points=14, parts=0),  # issue 7: S 128, F 256
    "face": dict(task="face", size=128, width=256, depth=4, points=68, parts=7),
}


def net_cfg(p, shift=False):
    return dict(size=p["size"], width=p["width"], depth=p["depth"], points=p["points"],
                parts=p["parts"], shift=shift)


def load_weights(model, sd, strict=True):
    sd = {k: (v.float() if v.is_floating_point() else v) for k, v in sd.items()}
    missing, unexpected = model.load_state_dict(sd, strict=False)
    missing = [m for m in missing if not m.endswith(".shift")]
    if strict and (missing or unexpected):
        raise RuntimeError(f"checkpoint mismatch: missing {missing} unexpected {unexpected}")


def model_from_ckpt(path, binary=None):
    ck = load_ckpt(path)
    cfg = dict(ck["cfg"])
    if binary is not None:
        cfg["binary"] = binary
    m = network.build(cfg)
    load_weights(m, ck["model"])
    return m, ck


class DeadCounter:
    """Per binary conv: channels whose ReLU output is zero over everything seen."""

    def __init__(self, model):
        self.convs = model.binconvs()
        self.maxes = [None] * len(self.convs)
        self.hooks = [c.register_forward_hook(self._hook(i)) for i, c in enumerate(self.convs)]

    def _hook(self, i):
        def f(mod, inp, out):
            m = out.detach().amax(dim=(0, 2, 3))
            self.maxes[i] = m if self.maxes[i] is None else torch.maximum(self.maxes[i], m)
        return f

    def result(self):
        for h in self.hooks:
            h.remove()
        return [int((m <= 0).sum()) if m is not None else -1 for m in self.maxes]


def evaluate_torch(model, vset, task, size, batch=50, dead=False):
    """Val metrics of a torch model on a KeypointSet (plain resize, no augmentation)."""
    model.eval()
    aug = Augmenter(size, task)
    counter = DeadCounter(model) if dead else None
    preds, conf = [], None
    if vset.parts is not None:
        conf = metrics.PartConfusion(len(PART_CLASSES))
    with torch.no_grad():
        for i in range(0, len(vset), batch):
            sl = slice(i, i + batch)
            x, _, _, _, pt = aug(vset.images[sl], vset.points[sl], vset.visible[sl],
                                 parts=vset.parts[sl] if vset.parts is not None else None,
                                 train=False)
            hm, sg = model(x)
            xy, _ = decode_heatmaps(hm.float())
            preds.append(heatmap_to_crop(xy, size).numpy())
            if conf is not None and sg is not None:
                conf.add(sg.argmax(1).numpy(), pt.numpy())
    pred = np.concatenate(preds)
    gt = vset.points.numpy()
    out = {}
    if task == "body":
        p, per, n = metrics.pck(pred, gt, vset.visible.numpy())
        out.update(pck=round(p, 4), pck_joint=[round(float(v), 3) for v in per], n=n)
    else:
        e = metrics.nme(pred, gt)
        out.update(nme=round(float(e.mean()), 5), fail10=round(float((e > 0.1).mean()), 4))
        if conf is not None:
            out.update(miou=round(conf.miou(), 4), pix_acc=round(conf.pixel_acc(), 4))
    if counter is not None:
        d = counter.result()
        out["dead"] = d
        out["dead_total"] = int(sum(x for x in d if x > 0))
    model.train()
    return out


def lr_at(step, total, base, warm):
    if step < warm:
        return base * (step + 1) / warm
    t = min(1.0, (step - warm) / max(1, total - warm))
    return base * (0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * t)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default="body-lite", help="preset name: " + ", ".join(PRESETS))
    ap.add_argument("--recipe", choices=["twin", "binary", "scratch"], default="twin",
                    help="twin: real net; binary: from --teacher twin with soft targets; "
                         "scratch: binary from random init, labels only")
    ap.add_argument("--teacher", help="twin checkpoint (binary recipe)")
    ap.add_argument("--init", help="start from this checkpoint's weights (same preset), e.g. a "
                                   "second cosine cycle after a finished binary run")
    ap.add_argument("--tag", default="", help="suffix of this run's checkpoint, resume and log "
                                               "names (e.g. -c2 for a second cycle)")
    ap.add_argument("--epochs", type=float, default=40)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=None, help="default 1e-3 twin, 5e-4 binary")
    ap.add_argument("--warmup", type=int, default=300, help="warm-up steps")
    ap.add_argument("--soft-weight", type=float, default=1.0, help="teacher soft-target weight")
    ap.add_argument("--parts-weight", type=float, default=0.5)
    ap.add_argument("--shift", action="store_true", help="AdaBin-style learnable shift")
    ap.add_argument("--trunc", type=float, default=None,
                    help="truncation probability (default 0.2 body, 0 face)")
    ap.add_argument("--grey", type=float, default=0.0,
                    help="probability that a training sample is shown to the student in grey "
                         "(luma in R, G and B, as from a monochrome or IR camera); a teacher "
                         "still sees it in colour")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--data-root", default=None)
    ap.add_argument("--limit", type=int, default=None, help="use only N train images")
    ap.add_argument("--val-limit", type=int, default=None)
    ap.add_argument("--ckpt-dir", default=os.path.join(HERE, "checkpoints"))
    ap.add_argument("--log-dir", default=os.path.join(HERE, "logs"))
    ap.add_argument("--resume-dir", default=os.path.join(HERE, "runs"))
    ap.add_argument("--ckpt-minutes", type=float, default=10.0)
    ap.add_argument("--max-steps", type=int, default=None, help="stop after N steps (tests)")
    ap.add_argument("--val-every", type=int, default=1, help="validate every N epochs (and "
                    "at the end)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--no-resume", action="store_true")
    ap.add_argument("--print-every", type=int, default=50)
    args = ap.parse_args(argv)

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    p = PRESETS[args.model]
    task = p["task"]
    binary = args.recipe != "twin"
    lr = args.lr or (1e-3 if args.recipe in ("twin", "scratch") else 5e-4)
    trunc = args.trunc if args.trunc is not None else (0.2 if task == "body" else 0.0)

    tset = KeypointSet(task, "train", args.data_root, args.limit, with_parts=p["parts"] > 0)
    vset = KeypointSet(task, "val", args.data_root, args.val_limit, with_parts=p["parts"] > 0)
    print(f"data: {len(tset)} train, {len(vset)} val, decoded in "
          f"{tset.decode_s + vset.decode_s:.1f} s", flush=True)

    cfg = net_cfg(p, args.shift)
    cfg["binary"] = binary
    model = network.build(cfg)
    teacher = None
    if args.recipe == "binary":
        if not args.teacher:
            ap.error("--recipe binary needs --teacher")
        teacher, _ = model_from_ckpt(args.teacher, binary=False)
        teacher.eval()
        for q in teacher.parameters():
            q.requires_grad_(False)

    os.makedirs(os.path.join(args.ckpt_dir, args.model), exist_ok=True)
    os.makedirs(args.log_dir, exist_ok=True)
    os.makedirs(args.resume_dir, exist_ok=True)
    run = args.recipe + args.tag
    last_path = os.path.join(args.ckpt_dir, args.model, f"{run}-last.pt")
    final_path = os.path.join(args.ckpt_dir, args.model, f"{run}-final.pt")
    resume_path = os.path.join(args.resume_dir, f"{args.model}-{run}-resume.pt")
    log_path = os.path.join(args.log_dir, f"{args.model}-{run}.jsonl")

    spe = len(tset) // args.batch
    total = int(round(args.epochs * spe))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    step = 0
    resumed = None
    if not args.no_resume:
        cands = []
        for path in (resume_path, last_path):
            if os.path.exists(path):
                ck = load_ckpt(path)
                cands.append((ck.get("step", 0), path, ck))
        if cands:
            cands.sort(key=lambda c: -c[0])
            step, resumed, ck = cands[0]
            load_weights(model, ck["model"])
            if "optim" in ck:
                try:
                    opt.load_state_dict(ck["optim"])
                except ValueError:
                    pass
            print(f"resumed from {resumed} at step {step} (epoch {step / spe:.2f})", flush=True)
    if resumed is None and args.init:
        load_weights(model, load_ckpt(args.init)["model"])
        print(f"initialised from {args.init}", flush=True)
    elif resumed is None and teacher is not None:
        load_weights(model, teacher.state_dict())
        print(f"initialised binary net from twin {args.teacher}", flush=True)

    aug = Augmenter(p["size"], task, trunc=trunc)
    nparam = sum(q.numel() for q in model.parameters())
    bmac, rmac = network.count_macs(cfg)
    print(f"model {args.model} recipe {args.recipe}: {nparam / 1e6:.2f} M params, "
          f"{bmac / 1e9:.3f} G binary MACs, {rmac / 1e9:.3f} G real MACs, {spe} steps/epoch, "
          f"{total} steps total, lr {lr}", flush=True)

    def extra(done=False):
        return dict(cfg=cfg, preset=args.model, task=task, recipe=args.recipe, step=step,
                    epoch=step / spe, total_steps=total, lr=lr, warmup=args.warmup,
                    batch=args.batch, done=done, teacher=args.teacher)

    def checkpoint():
        save_ckpt(last_path, model, extra())
        e = extra()
        e["optim"] = opt.state_dict()
        save_ckpt(resume_path, model, e, fp16=False)

    model.train()
    last_ck = time.time()
    run_loss, run_n = 0.0, 0
    ep_loss, ep_n, ep_t0, ep_samples = 0.0, 0, time.time(), 0
    while step < total:
        epoch = step // spe
        i = step % spe
        perm = np.random.default_rng(args.seed * 1000003 + epoch).permutation(len(tset))
        idx = torch.from_numpy(perm[i * args.batch:(i + 1) * args.batch])
        rng = np.random.default_rng(args.seed * 7919 + step)
        x, tgt, valid, _, ptgt = aug(tset.images[idx], tset.points[idx], tset.visible[idx],
                                     parts=tset.parts[idx] if tset.parts is not None else None,
                                     flip_perm=tset.flip_perm, rng=rng, train=True)
        xs = greyscale_some(x, args.grey, rng)
        cur_lr = lr_at(step, total, lr, args.warmup)
        for g in opt.param_groups:
            g["lr"] = cur_lr
        hm, sg = model(xs)
        loss = F.binary_cross_entropy_with_logits(hm, tgt)
        if sg is not None:
            loss = loss + args.parts_weight * F.cross_entropy(sg, ptgt)
        if teacher is not None:
            with torch.no_grad():
                thm, tsg = teacher(x)
            loss = loss + args.soft_weight * F.binary_cross_entropy_with_logits(
                hm, torch.sigmoid(thm))
            if sg is not None:
                soft = torch.softmax(tsg, 1)
                loss = loss + args.soft_weight * args.parts_weight * \
                    -(soft * F.log_softmax(sg, 1)).sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        lv = float(loss)
        run_loss += lv
        run_n += 1
        ep_loss += lv
        ep_n += 1
        ep_samples += x.shape[0]
        if args.print_every and step % args.print_every == 0:
            el = time.time() - ep_t0
            print(f"step {step}/{total} ep {step / spe:.2f} loss {run_loss / run_n:.5f} "
                  f"lr {cur_lr:.2e} {ep_samples / max(el, 1e-6):.1f} samples/s", flush=True)
            run_loss, run_n = 0.0, 0
        if args.max_steps and step >= args.max_steps:
            checkpoint()
            print(f"stopping after --max-steps {args.max_steps}; last loss {lv:.5f}")
            return
        if time.time() - last_ck > args.ckpt_minutes * 60:
            checkpoint()
            last_ck = time.time()
        if step % spe == 0 or step == total:
            ep_s = time.time() - ep_t0
            t0 = time.time()
            ep_done = step // spe
            if ep_done % args.val_every == 0 or step == total:
                val = evaluate_torch(model, vset, task, p["size"], dead=binary)
            else:
                val = {}
            rec = dict(epoch=round(step / spe, 3), step=step, time=time.strftime("%Y-%m-%dT%H:%M:%S"),
                       train_loss=round(ep_loss / max(ep_n, 1), 6), lr=cur_lr,
                       epoch_s=round(ep_s, 1), samples_per_s=round(ep_samples / max(ep_s, 1e-6), 1),
                       min_per_epoch=round(spe * args.batch / max(ep_samples / max(ep_s, 1e-6),
                                                                  1e-6) / 60, 2),
                       val_s=round(time.time() - t0, 1), val=val)
            with open(log_path, "a") as f:
                f.write(json.dumps(rec) + "\n")
            short = {k: v for k, v in val.items() if k not in ("pck_joint", "dead")}
            print(f"epoch {rec['epoch']}: loss {rec['train_loss']:.5f} {short} "
                  f"({ep_s:.0f} s, {rec['samples_per_s']} samples/s)", flush=True)
            checkpoint()
            last_ck = time.time()
            ep_loss, ep_n, ep_t0, ep_samples = 0.0, 0, time.time(), 0
    save_ckpt(final_path, model, extra(done=True))
    print(f"done: {final_path}", flush=True)


if __name__ == "__main__":
    main()
