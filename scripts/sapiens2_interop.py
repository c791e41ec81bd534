#!/usr/bin/env python3
"""Checks that our fine-tuned Sapiens2 checkpoints are hub folders transformers loads as they are.

For each folder (a `sapiens finetune` checkpoint of a `model.architecture: sapiens2` recipe, e.g.
runs/seg-sapiens2-tiny-synthetic/checkpoints/step-0000150, or a `sapiens pretrain` checkpoint of one, e.g.
runs/mae-sapiens2-tiny/checkpoints/step-0000100, which is a bare `Sapiens2Model` as the hub pretrain folders are):
  1. `Sapiens2For*.from_pretrained(folder, output_loading_info=True)` must report no missing, unexpected or
     mismatched keys;
  2. `sapiens infer --task T --checkpoint folder --raw` runs our model on a photo (transformers' preprocessing,
     the whole photo for pose), and the raw outputs (logits / heatmaps / normals / pointmap + scale / matte; for a
     pretrain folder the backbone's normed tokens, `last_hidden_state`) are
     compared with transformers' on `Sapiens2ImageProcessor`'s pixels for the same photo: relative L2 <= 1e-4.

Usage: /work/venv-bench/bin/python scripts/sapiens2_interop.py [--sapiens .build/release/sapiens] [--image photo.jpg] DIR...
Prints one line per folder and exits non-zero when any check fails. Python is a checking tool here only.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import types

import numpy as np
import torch
from PIL import Image

# As in sapiens2_parity.py: the CPU torch of the bench venv cannot load torchvision's compiled ops' fake kernels.
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))

import transformers  # noqa: E402
from transformers import Sapiens2ImageProcessor  # noqa: E402

TASKS = {
    "Sapiens2Model": ("all", ["backbone.last_hidden_state.npy"]),
    "Sapiens2ForSemanticSegmentation": ("seg", ["seg.raw_logits.npy"]),
    "Sapiens2ForPoseEstimation": ("pose", ["pose.raw_heatmaps.npy"]),
    "Sapiens2ForNormalEstimation": ("normal", ["normal.raw_normals.npy"]),
    "Sapiens2ForPointmapEstimation": ("pointmap", ["pointmap.raw_pointmap.npy", "pointmap.raw_scale.npy"]),
    "Sapiens2ForImageMatting": ("matting", ["matting.raw_matte.npy"]),
}


def photo(path):
    if path:
        return Image.open(path).convert("RGB")
    y, x = np.mgrid[0:150, 0:110].astype(np.float32)
    img = np.stack([x * 2.0, y * 1.5, 255 - x - y * 0.5], -1)
    img[((x - 55) ** 2 + (y - 70) ** 2) < 900] = [200, 60, 40]
    return Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))


def rel_l2(a, b):
    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))


def check(folder, sapiens, image_path, workdir):
    cfg = json.load(open(os.path.join(folder, "config.json")))
    arch = cfg["architectures"][0]
    task, files = TASKS[arch]
    cls = getattr(transformers, arch)
    model, info = cls.from_pretrained(folder, output_loading_info=True)
    model.eval()
    problems = {k: v for k, v in info.items() if v and k in ("missing_keys", "unexpected_keys", "mismatched_keys")}
    img = photo(image_path)
    src = os.path.join(workdir, "photo.png")
    img.save(src)
    out = os.path.join(workdir, arch)
    subprocess.run([sapiens, "infer", "--task", task, "--checkpoint", folder, "--raw", "--out", out, src],
                   check=True, stdout=subprocess.DEVNULL)
    h, w = cfg["image_size"] if isinstance(cfg["image_size"], list) else (cfg["image_size"],) * 2
    pixels = Sapiens2ImageProcessor(size={"height": h, "width": w})(img, return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        o = model(pixels)
    if arch == "Sapiens2Model":
        theirs = [o.last_hidden_state]
    elif task == "seg":
        theirs = [o.logits]
    elif task == "pose":
        theirs = [o.heatmaps]
    elif task == "normal":
        theirs = [o.normals]
    elif task == "pointmap":
        theirs = [o.pointmaps, o.scales]
    else:  # our raw matte is the head's 4 channels: pre-multiplied foreground, then alpha
        theirs = [torch.cat([o.foregrounds, o.alphas], dim=1)]
    errors = []
    for name, t in zip(files, theirs):
        found = glob.glob(os.path.join(out, "*" + name))
        if not found:
            errors.append((name, float("inf")))
            continue
        ours = np.load(found[0])
        errors.append((name, rel_l2(ours, t.numpy().reshape(ours.shape))))
    ok = not problems and all(e <= 1e-4 for _, e in errors)
    params = sum(p.numel() for p in model.parameters())
    print(f"{'OK  ' if ok else 'FAIL'} {folder}: {arch}, {params} parameters, loading info "
          f"{problems or 'clean (no missing/unexpected/mismatched keys)'}; "
          + ", ".join(f"{n} rel L2 {e:.2e}" for n, e in errors))
    return ok


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("folders", nargs="+")
    ap.add_argument("--sapiens", default=".build/release/sapiens")
    ap.add_argument("--image", default=None)
    a = ap.parse_args()
    torch.manual_seed(0)
    ok = True
    with tempfile.TemporaryDirectory() as d:
        for f in a.folders:
            ok = check(f, a.sapiens, a.image, d) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
