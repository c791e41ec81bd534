#!/usr/bin/env python3
"""Sapiens2-0.4B segmentation at 1024x768 in transformers: writes a hub folder with random weights (what
`save_pretrained` writes, for `sapiens infer` to run too) and times transformers' forward, fp32 eager and under
torch.autocast("cpu", dtype=torch.bfloat16).

    sapiens2_reference_timing.py --folder DIR [--runs N] [--no-save]

Prints one JSON line per mode: seconds per forward (min and median of N), peak RSS of this process. The config
is the official 0.4B seg one (SAPIENS2.md): width 1024, 24 layers, 16 heads, GQA (8 kv heads) in layers 8-15,
SwiGLU 4096, 8 registers, deconv head 512/256/128/64, 1x1 convs 64/64, 29 classes.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time
import types

# PyPI's torchvision wheels are CUDA builds whose compiled ops cannot load against the bench venv's CPU torch;
# transformers only needs torchvision's pure-torch parts, so the compiled ops' fake-kernel registration is skipped.
sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))

import torch
from transformers import Sapiens2Config, Sapiens2ForSemanticSegmentation


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--folder", required=True)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--no-save", action="store_true")
    args = ap.parse_args()
    torch.manual_seed(0)
    config = Sapiens2Config(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                            num_key_value_attention_heads=8, image_size=[1024, 768], num_labels=29,
                            head_config=dict(upsample_out_channels=[512, 256, 128, 64], conv_out_channels=[64, 64]))
    model = Sapiens2ForSemanticSegmentation(config).eval()
    if not args.no_save:
        model.save_pretrained(args.folder)
    x = torch.randn(1, 3, 1024, 768)
    for mode in ["fp32", "bf16_autocast"]:
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            with torch.inference_mode():
                if mode == "fp32":
                    model(x)
                else:
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        model(x)
            times.append(time.perf_counter() - t0)
        print(json.dumps({"model": "sapiens2_0.4b_seg", "mode": mode, "threads": torch.get_num_threads(),
                          "s_min": round(min(times), 3), "s_median": round(statistics.median(times), 3),
                          "peak_rss_gib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)}), flush=True)


if __name__ == "__main__":
    main()
