#!/usr/bin/env python3
"""Parity fixtures for Sapiens2: every `Sapiens2For*` class of HF transformers (>= 5.10), tiny and random.

    sapiens2_parity.py [--out DIR]     (default: Tests/Fixtures/Sapiens2Parity)

Needs torch and transformers (pip install transformers into the bench venv; never a project dependency).

What it writes, per model folder `<name>/`:
  - the folder exactly as `save_pretrained` writes it (config.json + model.safetensors, or shards plus
    model.safetensors.index.json for `seg_sharded`; bf16 and f16 stored weights for `seg_bf16` / `normal_f16`);
  - `expected/*.npy`: transformers' fp32 outputs on `pixel_values.npy` (eager attention): `logits` (seg),
    `heatmaps` and `heatmaps_flip` (pose: the flipped input with the config's flip pairs), `normals`,
    `pointmaps` + `scales`, `alphas` + `foregrounds` (matting), `last_hidden_state` + `pooler_output` (bare
    model); and `post_*.npy`, the image processor's `post_process_*` results at the photo's size.
Shared files: `image.png` (a synthetic 150x110 photo), `pixel_values.npy` (the processor's output for it at
128x96), `pixel_values_box_{shrink,enlarge}.npy` (its person-box crops of [8, 14, 100, 130] and [30, 40, 40, 60]),
`manifest.json` (what each folder holds).

Weights are seeded random values of realistic scale: every RMSNorm weight (block norms, QK-norms, final
norm) is 1 + noise, LayerScale is not 1, all biases are non-zero, linear/conv weights have std 1/sqrt(fan in).
The configs cover GQA groupings (per-layer kv heads 6/3/2/1, 4/2, 4/1/2), 0 and 8 register tokens, SwiGLU and
plain (GELU) MLP, deconvolution and pixel-shuffle heads, 1x1 and 3x3 refinement convs, key bias on and off,
and the pointmap scale branch. The models are tiny (width 48-64, 2-4 layers) so the fixtures stay small.
"""
import argparse
import json
import math
import os
import shutil

import sys
import types

import numpy as np
import torch
from PIL import Image

# PyPI's torchvision wheels are CUDA builds whose compiled ops cannot load against the CPU torch of the bench
# venv; the image processor only uses torchvision's pure-torch transforms, so the registration of the compiled
# ops' fake kernels (which fails without them) is skipped.
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))

from transformers import (
    Sapiens2Config,
    Sapiens2ForImageMatting,
    Sapiens2ForNormalEstimation,
    Sapiens2ForPointmapEstimation,
    Sapiens2ForPoseEstimation,
    Sapiens2ForSemanticSegmentation,
    Sapiens2ImageProcessor,
    Sapiens2Model,
)

HEIGHT, WIDTH = 128, 96
PHOTO_W, PHOTO_H = 110, 150


def photo():
    """A smooth synthetic photo with edges (gradients, a disc, a bar), uint8 RGB."""
    y, x = np.mgrid[0:PHOTO_H, 0:PHOTO_W].astype(np.float32)
    r = 128 + 100 * np.sin(x / 9.0) * np.cos(y / 13.0)
    g = 255 * (y / PHOTO_H)
    b = 255 * (x / PHOTO_W)
    disc = (x - 60) ** 2 + (y - 70) ** 2 < 30 ** 2
    r[disc], g[disc], b[disc] = 230, 40, 60
    bar = (x > 20) & (x < 35)
    g[bar] = 20
    return np.clip(np.stack([r, g, b], -1), 0, 255).astype(np.uint8)


def randomize(model, seed):
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("lambda1"):
                p.copy_(0.3 + 0.9 * torch.rand(p.shape, generator=gen))
            elif "norm" in name and p.dim() == 1:
                p.copy_(1.0 + 0.3 * torch.randn(p.shape, generator=gen))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn(p.shape, generator=gen))
            elif "cls_token" in name or "register_tokens" in name or "mask_token" in name:
                p.copy_(0.5 * torch.randn(p.shape, generator=gen))
            else:
                if "upsample_layers" in name and "convolution" in name and model.config.head_config is not None \
                        and not model.config.head_config.use_pixel_shuffle:
                    fan_in = p.shape[0] * p.shape[2] * p.shape[3] / 4.0   # ConvTranspose2d k4 s2: 4 taps per output
                else:
                    fan_in = int(np.prod(p.shape[1:]))
                p.copy_(torch.randn(p.shape, generator=gen) / math.sqrt(max(fan_in, 1)))


BASE = dict(patch_size=16, image_size=[HEIGHT, WIDTH], rms_norm_eps=1e-6, rope_theta=100.0)

MODELS = [
    # name, class, config
    ("model", Sapiens2Model, dict(hidden_size=48, intermediate_size=96, num_hidden_layers=4, num_attention_heads=6,
                                  num_key_value_heads_per_layer=[6, 3, 2, 1], num_register_tokens=4,
                                  use_gated_mlp=True, use_mask_token=True, key_bias=False)),
    ("seg", Sapiens2ForSemanticSegmentation,
     dict(hidden_size=64, intermediate_size=128, num_hidden_layers=3, num_attention_heads=4,
          num_key_value_attention_heads=2, num_first_full_attention_layers=1, num_last_full_attention_layers=1,
          num_register_tokens=8, use_gated_mlp=True, num_labels=29, key_bias=False,
          head_config=dict(upsample_out_channels=[32, 16], conv_out_channels=[16, 16], conv_kernel_size=1))),
    ("pose", Sapiens2ForPoseEstimation,
     dict(hidden_size=48, intermediate_size=160, num_hidden_layers=3, num_attention_heads=4,
          num_key_value_heads_per_layer=[4, 1, 2], num_register_tokens=8, use_gated_mlp=False, hidden_act="gelu",
          num_labels=17, flip_pairs=[[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12], [13, 14], [15, 16]],
          head_config=dict(upsample_out_channels=[32, 24], conv_out_channels=[24, 16], conv_kernel_size=1))),
    ("normal", Sapiens2ForNormalEstimation,
     dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
          num_key_value_heads_per_layer=[2, 4], num_register_tokens=0, use_gated_mlp=True, num_labels=3,
          head_config=dict(upsample_out_channels=[16, 12], upsample_kernel_sizes=[3, 3], use_pixel_shuffle=True,
                           conv_out_channels=[12, 8], conv_kernel_sizes=[3, 3]))),
    ("pointmap", Sapiens2ForPointmapEstimation,
     dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
          num_key_value_heads_per_layer=[4, 2], num_register_tokens=8, use_gated_mlp=True, num_labels=3,
          head_config=dict(upsample_out_channels=[16, 8], upsample_kernel_sizes=[3, 1], use_pixel_shuffle=True,
                           conv_out_channels=[8, 8], conv_kernel_sizes=[3, 3],
                           scale_conv_out_channels=[24, 16], scale_conv_kernel_sizes=[3, 3],
                           scale_final_hidden_sizes=[32, 16]))),
    ("matting", Sapiens2ForImageMatting,
     dict(hidden_size=48, intermediate_size=96, num_hidden_layers=2, num_attention_heads=4,
          num_key_value_heads_per_layer=[1, 4], num_register_tokens=8, use_gated_mlp=True, num_labels=4,
          use_qk_norm=False,
          head_config=dict(upsample_out_channels=[16, 8], upsample_kernel_sizes=[3, 3], use_pixel_shuffle=True,
                           conv_out_channels=[8], conv_kernel_sizes=[3]))),
]


def run(model, name, pixel_values):
    """Raw outputs, and the post-processed ones at the photo's size, as numpy arrays."""
    proc = Sapiens2ImageProcessor(size={"height": HEIGHT, "width": WIDTH})
    out = {}
    post = {}
    with torch.no_grad():
        o = model(pixel_values)
        size = [(PHOTO_H, PHOTO_W)]
        if isinstance(model, Sapiens2Model):
            out["last_hidden_state"] = o.last_hidden_state
            out["pooler_output"] = o.pooler_output
        elif isinstance(model, Sapiens2ForSemanticSegmentation):
            out["logits"] = o.logits
            post["post_segmentation"] = proc.post_process_semantic_segmentation(o, target_sizes=size)[0].to(torch.uint8)
        elif isinstance(model, Sapiens2ForPoseEstimation):
            out["heatmaps"] = o.heatmaps
            pairs = torch.tensor(model.config.flip_pairs)
            of = model(pixel_values.flip(-1), flip_pairs=pairs)
            out["heatmaps_flip"] = of.heatmaps
            box = [[[0.0, 0.0, float(PHOTO_W), float(PHOTO_H)]]]
            r = proc.post_process_pose_estimation(o, boxes=box, outputs_flipped=of)[0][0]
            post["post_keypoints"] = r["keypoints"]
            post["post_scores"] = r["scores"]
        elif isinstance(model, Sapiens2ForNormalEstimation):
            out["normals"] = o.normals
            post["post_normals"] = proc.post_process_normal_estimation(o, target_sizes=size)[0]["normals"]
        elif isinstance(model, Sapiens2ForPointmapEstimation):
            out["pointmaps"] = o.pointmaps
            out["scales"] = o.scales
            post["post_pointmap"] = proc.post_process_pointmap_estimation(o, target_sizes=size)[0]["pointmap"]
        elif isinstance(model, Sapiens2ForImageMatting):
            out["alphas"] = o.alphas
            out["foregrounds"] = o.foregrounds
            r = proc.post_process_image_matting(o, target_sizes=size)[0]
            post["post_alpha"] = r["alpha"]
            post["post_foreground"] = r["foreground"]
    return {k: v.float().numpy() if v.dtype.is_floating_point else v.numpy() for k, v in out.items()}, \
        {k: v.float().numpy() if v.dtype.is_floating_point else v.numpy() for k, v in post.items()}


def write_expected(folder, raw, post):
    os.makedirs(os.path.join(folder, "expected"), exist_ok=True)
    for k, v in {**raw, **post}.items():
        np.save(os.path.join(folder, "expected", k + ".npy"), np.ascontiguousarray(v))


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "Tests", "Fixtures", "Sapiens2Parity"))
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    torch.manual_seed(0)

    img = photo()
    Image.fromarray(img).save(os.path.join(out, "image.png"))
    proc = Sapiens2ImageProcessor(size={"height": HEIGHT, "width": WIDTH})
    pixel_values = proc(Image.open(os.path.join(out, "image.png")).convert("RGB"), return_tensors="pt")["pixel_values"]
    np.save(os.path.join(out, "pixel_values.npy"), pixel_values.numpy().astype(np.float32))
    # A person box (COCO x, y, w, h) cropped as pose does: grid_sample bilinear when shrinking, bicubic when enlarging.
    for name, box in [("pixel_values_box_shrink.npy", [8.0, 14.0, 100.0, 130.0]), ("pixel_values_box_enlarge.npy", [30.0, 40.0, 40.0, 60.0])]:
        crop = proc(Image.open(os.path.join(out, "image.png")).convert("RGB"), boxes=[[box]], return_tensors="pt")["pixel_values"]
        np.save(os.path.join(out, name), crop.numpy().astype(np.float32))

    manifest = {"input": "pixel_values.npy", "image": "image.png", "size": [HEIGHT, WIDTH], "models": {}}
    for seed, (name, cls, cfg) in enumerate(MODELS):
        config = Sapiens2Config(**BASE, **cfg)
        model = cls(config).eval()
        model.config._attn_implementation = "eager"
        randomize(model, 100 + seed)
        folder = os.path.join(out, name)
        model.save_pretrained(folder)
        raw, post = run(model, name, pixel_values)
        write_expected(folder, raw, post)
        manifest["models"][name] = {"class": cls.__name__, "outputs": sorted(raw), "post": sorted(post)}

        variants = []
        if name == "seg":
            variants = [("seg_bf16", torch.bfloat16, None), ("seg_sharded", torch.float32, "150KB")]
        if name == "normal":
            variants = [("normal_f16", torch.float16, None)]
        for vname, dtype, shard in variants:
            vfolder = os.path.join(out, vname)
            m = cls(config).eval()
            m.load_state_dict(model.state_dict())
            m = m.to(dtype)
            if shard:
                m.save_pretrained(vfolder, max_shard_size=shard)
            else:
                m.save_pretrained(vfolder)
            # The reference for a reduced-precision folder: its stored weights, computed in fp32.
            ref = cls.from_pretrained(vfolder, dtype=torch.float32).eval()
            ref.config._attn_implementation = "eager"
            raw, _ = run(ref, vname, pixel_values)
            write_expected(vfolder, raw, {})
            manifest["models"][vname] = {"class": cls.__name__, "outputs": sorted(raw), "post": [],
                                         "stored_dtype": str(dtype).replace("torch.", "")}

    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(out) for f in fs)
    print(f"wrote {out}: {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
