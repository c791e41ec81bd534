#!/usr/bin/env python3
"""Generate the try-on image for a bundle written by `sapiens tryon`, with SDXL inpainting + ControlNet depth.

    python scripts/tryon_diffusers.py BUNDLE_DIR [--device cuda] [--size 1024] [--composite]
    python scripts/tryon_diffusers.py BUNDLE_DIR --check      # validate the bundle only (no torch needed)

This is the seed blog's recipe: the Sapiens clothing mask marks the garment to replace, the Sapiens depth
map (inverted, near = bright) conditions a ControlNet-depth SDXL inpainting pipeline, and everything outside
the mask stays as it was. The last step is not done here but by `sapiens tryon --inpainted`, which pastes
the generated pixels back through the feathered mask so that every pixel outside it is the original's,
byte for byte (diffusers' own output re-encodes the whole image through the VAE).

BUNDLE_DIR holds image.png, mask.png (white = repaint), control.png and request.json:
  prompt, negative_prompt, seed, strength, controlnet_conditioning_scale, guidance_scale,
  num_inference_steps, base_model, controlnet_model, and the file names.
The result is written to BUNDLE_DIR/<request["result"]> (result.png) at the working size; with --composite
the script then runs `sapiens tryon` (found on PATH or at .build/release/sapiens) to write tryon.png.

Requirements (GPU machine): pip install torch diffusers transformers accelerate safetensors
Models are downloaded from the Hugging Face Hub on first use:
  base        diffusers/stable-diffusion-xl-1.0-inpainting-0.1  (or stabilityai/stable-diffusion-xl-base-1.0)
  controlnet  diffusers/controlnet-depth-sdxl-1.0
"""
import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

REQUIRED = ("prompt", "seed", "strength", "controlnet_conditioning_scale", "image", "mask", "control", "result")


def png_size(path):
    """Width and height from a PNG's IHDR chunk (stdlib only)."""
    with open(path, "rb") as f:
        head = f.read(24)
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise ValueError(f"{path}: not a PNG file")
    return struct.unpack(">II", head[16:24])


def load_request(bundle):
    path = bundle / "request.json"
    try:
        req = json.loads(path.read_text())
    except FileNotFoundError:
        sys.exit(f"{path}: missing (is {bundle} a `sapiens tryon` bundle?)")
    except json.JSONDecodeError as e:
        sys.exit(f"{path}: not valid JSON: {e}")
    missing = [k for k in REQUIRED if k not in req]
    if missing:
        sys.exit(f"{path}: missing fields {missing}")
    return req


def check(bundle, req):
    sizes = {}
    for key in ("image", "mask", "control"):
        p = bundle / req[key]
        if not p.exists():
            sys.exit(f"{p}: missing ({key} of the bundle)")
        try:
            sizes[key] = png_size(p)
        except ValueError as e:
            sys.exit(str(e))
    if len(set(sizes.values())) != 1:
        sys.exit(f"{bundle}: image, mask and control differ in size: {sizes}")
    w, h = sizes["image"]
    if req.get("width") and (req["width"], req["height"]) != (w, h):
        sys.exit(f"{bundle / 'request.json'}: says {req['width']}x{req['height']} but image.png is {w}x{h}")
    print(f"bundle ok: {w}x{h}, prompt {req['prompt']!r}, strength {req['strength']}, "
          f"control scale {req['controlnet_conditioning_scale']}, seed {req['seed']}")
    return w, h


def working_size(w, h, long_side):
    """SDXL works near 1024 px; both sides must be multiples of 8."""
    s = long_side / max(w, h)
    return max(8, int(round(w * s / 8)) * 8), max(8, int(round(h * s / 8)) * 8)


def generate(bundle, req, device, long_side):
    import torch
    from diffusers import ControlNetModel, StableDiffusionXLControlNetInpaintPipeline
    from PIL import Image

    w, h = check(bundle, req)
    ww, wh = working_size(w, h, long_side)
    dtype = torch.float16 if device.startswith("cuda") else torch.float32
    controlnet = ControlNetModel.from_pretrained(req.get("controlnet_model", "diffusers/controlnet-depth-sdxl-1.0"), torch_dtype=dtype)
    pipe = StableDiffusionXLControlNetInpaintPipeline.from_pretrained(
        req.get("base_model", "diffusers/stable-diffusion-xl-1.0-inpainting-0.1"), controlnet=controlnet, torch_dtype=dtype)
    if device.startswith("cuda"):
        pipe.enable_model_cpu_offload()
    else:
        pipe.to(device)
    image = Image.open(bundle / req["image"]).convert("RGB").resize((ww, wh), Image.LANCZOS)
    mask = Image.open(bundle / req["mask"]).convert("L").resize((ww, wh), Image.BILINEAR)
    control = Image.open(bundle / req["control"]).convert("RGB").resize((ww, wh), Image.BILINEAR)
    generator = torch.Generator(device="cpu").manual_seed(int(req["seed"]))
    out = pipe(
        prompt=req["prompt"],
        negative_prompt=req.get("negative_prompt") or None,
        image=image,
        mask_image=mask,
        control_image=control,
        width=ww,
        height=wh,
        strength=float(req["strength"]),
        controlnet_conditioning_scale=float(req["controlnet_conditioning_scale"]),
        guidance_scale=float(req.get("guidance_scale", 7.5)),
        num_inference_steps=int(req.get("num_inference_steps", 30)),
        generator=generator,
    ).images[0]
    result = bundle / req["result"]
    tmp = result.with_name(result.name + ".partial.png")
    out.save(tmp)
    os.replace(tmp, result)
    print(f"wrote {result} ({ww}x{wh}; sapiens tryon --inpainted resizes it to {w}x{h})")
    return result


def composite(bundle, req, result):
    exe = shutil.which("sapiens") or str(Path(__file__).resolve().parent.parent / ".build/release/sapiens")
    if not os.access(exe, os.X_OK):
        print("sapiens not found; composite with:\n  sapiens tryon "
              f"{bundle / req['image']} --mask {bundle / req['mask']} --inpainted {result} --out {bundle}")
        return
    subprocess.run([exe, "tryon", str(bundle / req["image"]), "--mask", str(bundle / req["mask"]),
                    "--inpainted", str(result), "--out", str(bundle)], check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bundle", type=Path, help="folder written by `sapiens tryon --out`")
    ap.add_argument("--device", default="cuda", help="cuda (default), cuda:1, mps or cpu (very slow)")
    ap.add_argument("--size", type=int, default=1024, help="long side of the working resolution")
    ap.add_argument("--composite", action="store_true", help="run `sapiens tryon --inpainted` afterwards")
    ap.add_argument("--check", action="store_true", help="only validate the bundle (stdlib only)")
    args = ap.parse_args()
    req = load_request(args.bundle)
    if args.check:
        check(args.bundle, req)
        return 0
    result = generate(args.bundle, req, args.device, args.size)
    if args.composite:
        composite(args.bundle, req, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
