#!/usr/bin/env python3
"""Convert an official PyTorch checkpoint (.pth) into a safetensors file with our parameter names.

    convert_pth.py INPUT.pth OUTPUT.safetensors [--from auto|mae|sapiens] [--dtype f32|f16|bf16]
    convert_pth.py --self-test

INPUT is a torch.save'd state dict, possibly nested under "model", "state_dict" or "module"
(the other entries of the checkpoint, e.g. "optimizer", "epoch", "meta", are ignored).

--from mae      official facebookresearch/mae names: these already are our names, copied as-is
                (a DDP "module." prefix on every key is removed).
--from sapiens  Sapiens / mmpretrain names, with or without the "backbone." prefix:
                  patch_embed.projection.*         -> patch_embed.proj.*
                  layers.{i}.ln1.*                 -> blocks.{i}.norm1.*
                  layers.{i}.attn.qkv.*            -> blocks.{i}.attn.qkv.*
                  layers.{i}.attn.proj.*           -> blocks.{i}.attn.proj.*
                  layers.{i}.ln2.*                 -> blocks.{i}.norm2.*
                  layers.{i}.ffn.layers.0.0.*      -> blocks.{i}.mlp.fc1.*
                  layers.{i}.ffn.layers.1.*        -> blocks.{i}.mlp.fc2.*
                  ln1.* (the final norm)           -> norm.*
                  cls_token, pos_embed             -> unchanged
                Head keys (prefix "head." or "decode_head.") are copied through unchanged.
--from auto     (default) sapiens if any key looks like mmpretrain (patch_embed.projection,
                layers.N., backbone.), else mae.

Only names change: values, shapes and layouts are copied verbatim (Linear (out, in), conv OIHW,
qkv [q | k | v] already agree). Any key that no rule covers is copied unchanged and listed as a
warning (e.g. an mmpretrain "neck.*" MAE decoder, "pre_norm", "data_preprocessor.*").

Floating-point tensors are written as --dtype (default f32); integer/bool tensors keep their
type. Tensors are contiguous, little-endian, and the file's __metadata__ is
{"format": "pt", "source": <input file name>}, plus "mmengine_cfg": <config text> when the checkpoint
has an mmengine meta["cfg"] string (Sapiens task checkpoints do).

The Swift command `sapiens convert INPUT.pth OUTPUT.safetensors` does the same without Python (and also
reads TorchScript archives); this script is the fallback, e.g. for legacy (non-zip) files.

Memory: the input is opened with torch.load(mmap=True) when it is a zip-format checkpoint
(torch >= 1.6 default), and the output is written tensor by tensor (header first, then each
tensor's bytes), so only one converted tensor is resident at a time. Legacy (non-zip) files are
loaded whole. Loading uses weights_only=True (argparse.Namespace is allow-listed, as the
official MAE checkpoints store their "args"); --unsafe-pickle lifts that for files you trust.
"""
import argparse
import json
import os
import re
import struct
import sys
import tempfile
from pathlib import Path

import torch

DTYPES = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}
ST_NAME = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
           torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
           torch.uint8: "U8", torch.bool: "BOOL"}
NEST_KEYS = ("model", "state_dict", "module")
HEAD_PREFIXES = ("head.", "decode_head.")

SAPIENS_RULES = [
    (re.compile(r"^patch_embed\.projection\.(.+)$"), r"patch_embed.proj.\1"),
    (re.compile(r"^layers\.(\d+)\.ln1\.(.+)$"), r"blocks.\1.norm1.\2"),
    (re.compile(r"^layers\.(\d+)\.ln2\.(.+)$"), r"blocks.\1.norm2.\2"),
    (re.compile(r"^layers\.(\d+)\.attn\.qkv\.(.+)$"), r"blocks.\1.attn.qkv.\2"),
    (re.compile(r"^layers\.(\d+)\.attn\.proj\.(.+)$"), r"blocks.\1.attn.proj.\2"),
    (re.compile(r"^layers\.(\d+)\.ffn\.layers\.0\.0\.(.+)$"), r"blocks.\1.mlp.fc1.\2"),
    (re.compile(r"^layers\.(\d+)\.ffn\.layers\.1\.(.+)$"), r"blocks.\1.mlp.fc2.\2"),
    (re.compile(r"^ln1\.(.+)$"), r"norm.\1"),
    (re.compile(r"^(cls_token|pos_embed)$"), r"\1"),
]
MAE_NAME = re.compile(
    r"^(patch_embed\.proj\.|cls_token$|pos_embed$|blocks\.\d+\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\."
    r"|norm\.|fc_norm\.|decoder_embed\.|mask_token$|decoder_pos_embed$|decoder_blocks\.\d+\."
    r"(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.|decoder_norm\.|decoder_pred\.)")


def log(msg):
    print(msg, file=sys.stderr)


# ---------------------------------------------------------------------------------------------
def load_pth(path, unsafe):
    import argparse as _argparse
    try:
        torch.serialization.add_safe_globals([_argparse.Namespace])
    except AttributeError:  # very old torch
        pass
    kw = {"map_location": "cpu", "weights_only": not unsafe}
    try:
        obj = torch.load(path, mmap=True, **kw)
        mode = "mmap"
    except RuntimeError as e:
        if "mmap" not in str(e) and "zip" not in str(e):
            raise
        obj = torch.load(path, **kw)  # legacy (non-zip) format: cannot be memory-mapped
        mode = "loaded whole (legacy format, no mmap)"
    except Exception as e:  # weights_only refusal
        if not unsafe and "weights_only" in str(e):
            sys.exit(f"convert_pth: {path} holds Python objects that torch.load(weights_only=True) "
                     f"refuses:\n  {str(e).splitlines()[0]}\nRe-run with --unsafe-pickle only if you "
                     f"trust this file.")
        raise
    return obj, mode


def unnest(obj):
    """Descend into "model"/"state_dict"/"module" until a dict of tensors remains."""
    path = []
    while isinstance(obj, dict):
        if obj and all(torch.is_tensor(v) for v in obj.values()):
            break
        for k in NEST_KEYS:
            if k in obj and isinstance(obj[k], dict):
                path.append(k)
                obj = obj[k]
                break
        else:
            tensors = {k: v for k, v in obj.items() if torch.is_tensor(v)}
            if not tensors:
                sys.exit(f"convert_pth: no state dict found (top-level keys: {sorted(map(str, obj))[:20]})")
            skipped = sorted(str(k) for k in obj if not torch.is_tensor(obj[k]))
            log(f"warning: ignoring non-tensor entries {skipped}")
            obj = tensors
            break
    if not isinstance(obj, dict):
        sys.exit(f"convert_pth: expected a state dict, got {type(obj).__name__}")
    return obj, path


def detect(keys):
    for k in keys:
        if k.startswith("backbone.") or ".projection." in k or re.match(r"^(backbone\.)?layers\.\d+\.", k):
            return "sapiens"
    return "mae"


def rename(keys, style):
    """Returns [(old, new)] in input order, and the list of keys no rule covered."""
    if keys and all(k.startswith("module.") for k in keys):
        strip_module = True
    else:
        strip_module = False
    plan, unknown = [], []
    for old in keys:
        k = old[len("module."):] if strip_module else old
        if k.startswith(HEAD_PREFIXES):
            plan.append((old, k))
            continue
        if style == "mae":
            if not MAE_NAME.match(k):
                unknown.append(old)
            plan.append((old, k))
            continue
        k2 = k[len("backbone."):] if k.startswith("backbone.") else k
        for rx, repl in SAPIENS_RULES:
            if rx.match(k2):
                plan.append((old, rx.sub(repl, k2)))
                break
        else:
            unknown.append(old)
            plan.append((old, k))
    seen = {}
    for old, new in plan:
        if new in seen:
            sys.exit(f"convert_pth: '{old}' and '{seen[new]}' both map to '{new}'")
        seen[new] = old
    return plan, unknown


def out_dtype(t, dtype):
    return dtype if t.is_floating_point() else t.dtype


def write_safetensors(path, items, metadata):
    """items: [(name, tensor, dtype)]. Header first, then each tensor converted and written in turn."""
    assert sys.byteorder == "little", "safetensors is little-endian; this writer assumes a little-endian host"
    header, offset = {}, 0
    for name, t, dt in items:
        if dt not in ST_NAME:
            sys.exit(f"convert_pth: tensor '{name}' has unsupported dtype {dt}")
        nbytes = t.numel() * torch.empty((), dtype=dt).element_size()
        header[name] = {"dtype": ST_NAME[dt], "shape": list(t.shape), "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    header["__metadata__"] = metadata
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * (-len(hbytes) % 8)
    path = Path(path)
    tmp = path.with_name(path.name + ".partial")
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for name, t, dt in items:
            c = t.detach().to(dtype=dt).contiguous()
            if c.numel():
                f.write(memoryview(c.reshape(-1).view(torch.uint8).numpy()))
            del c
    os.replace(tmp, path)
    return offset + 8 + len(hbytes)


def convert(inp, out, style="auto", dtype="f32", unsafe=False, quiet=False):
    obj, mode = load_pth(inp, unsafe)
    sd, nest = unnest(obj)
    keys = [str(k) for k in sd]
    if style == "auto":
        style = detect(keys)
    plan, unknown = rename(keys, style)
    items = [(new, sd[old], out_dtype(sd[old], DTYPES[dtype])) for old, new in plan]
    metadata = {"format": "pt", "source": Path(inp).name}
    meta = obj.get("meta") if isinstance(obj, dict) else None
    if isinstance(meta, dict) and isinstance(meta.get("cfg"), str):
        metadata["mmengine_cfg"] = meta["cfg"]
    size = write_safetensors(out, items, metadata)
    renamed = sum(1 for old, new in plan if old != new)
    heads = sum(1 for _, new in plan if new.startswith(HEAD_PREFIXES))
    if not quiet:
        where = "/".join(nest) if nest else "top level"
        log(f"{inp}: {len(plan)} tensors (state dict at {where}; {mode}), naming '{style}'")
        log(f"  {renamed} renamed, {heads} head tensors copied through, {len(unknown)} without a rule")
        for k in unknown[:10]:
            log(f"  warning: no rule for '{k}', copied unchanged")
        if len(unknown) > 10:
            log(f"  warning: ... and {len(unknown) - 10} more without a rule, copied unchanged")
        log(f"wrote {out}  ({size / 2**20:.2f} MiB, floats as {dtype.upper()})")
    return plan, unknown


# ---------------------------------------------------------------------------------------------
def self_test():
    """Fake checkpoints in both naming styles -> convert -> check names, values, dtypes, metadata."""
    import argparse as _argparse
    from safetensors import safe_open

    torch.manual_seed(0)
    D, depth, Dd, p = 32, 2, 16, 8
    r = lambda *s: torch.randn(*s)
    # --- official MAE style (encoder + decoder), nested under "model", with optimizer/args/epoch
    mae = {"patch_embed.proj.weight": r(D, 3, p, p), "patch_embed.proj.bias": r(D),
           "cls_token": r(1, 1, D), "pos_embed": r(1, 17, D), "norm.weight": r(D), "norm.bias": r(D),
           "decoder_embed.weight": r(Dd, D), "decoder_embed.bias": r(Dd), "mask_token": r(1, 1, Dd),
           "decoder_pos_embed": r(1, 17, Dd), "decoder_norm.weight": r(Dd), "decoder_norm.bias": r(Dd),
           "decoder_pred.weight": r(p * p * 3, Dd), "decoder_pred.bias": r(p * p * 3)}
    block = {"norm1": [(D,), (D,)], "attn.qkv": [(3 * D, D), (3 * D,)], "attn.proj": [(D, D), (D,)],
             "norm2": [(D,), (D,)], "mlp.fc1": [(4 * D, D), (4 * D,)], "mlp.fc2": [(D, 4 * D), (D,)]}
    for i in range(depth):
        for n, (ws, bs) in block.items():
            mae[f"blocks.{i}.{n}.weight"], mae[f"blocks.{i}.{n}.bias"] = r(*ws), r(*bs)
    for n, (ws, bs) in block.items():
        wd = tuple(Dd if s == D else (3 * Dd if s == 3 * D else 4 * Dd) for s in ws)
        bd = tuple(Dd if s == D else (3 * Dd if s == 3 * D else 4 * Dd) for s in bs)
        mae[f"decoder_blocks.0.{n}.weight"], mae[f"decoder_blocks.0.{n}.bias"] = r(*wd), r(*bd)
    # a non-contiguous tensor, to check the writer makes it contiguous
    mae["decoder_embed.weight"] = r(D, Dd).t()
    # --- Sapiens / mmpretrain style: same encoder under mmpretrain names, plus pose & seg heads
    inv = {"norm1": "ln1", "norm2": "ln2", "attn.qkv": "attn.qkv", "attn.proj": "attn.proj",
           "mlp.fc1": "ffn.layers.0.0", "mlp.fc2": "ffn.layers.1"}
    sap, expect_sap = {}, {}
    for k, v in mae.items():
        if k.startswith("decoder") or k == "mask_token":
            continue
        m = re.match(r"blocks\.(\d+)\.(norm1|norm2|attn\.qkv|attn\.proj|mlp\.fc1|mlp\.fc2)\.(\w+)$", k)
        if m:
            sk = f"layers.{m[1]}.{inv[m[2]]}.{m[3]}"
        elif k.startswith("patch_embed.proj."):
            sk = k.replace("patch_embed.proj.", "patch_embed.projection.")
        elif k.startswith("norm."):
            sk = k.replace("norm.", "ln1.")
        else:
            sk = k
        sap[sk] = v
        expect_sap[k] = v
    heads = {"head.deconv_layers.0.weight": r(D, 8, 4, 4), "head.deconv_layers.1.running_mean": r(8),
             "head.deconv_layers.1.num_batches_tracked": torch.tensor(7),
             "head.final_layer.weight": r(17, 8, 1, 1), "head.final_layer.bias": r(17),
             "decode_head.conv_seg.weight": r(28, 8, 1, 1), "decode_head.conv_seg.bias": r(28)}

    cases = []
    with tempfile.TemporaryDirectory(prefix="convert-pth-test-") as d:
        d = Path(d)
        # 1. official MAE, nested under "model", with optimizer/epoch/args (argparse.Namespace)
        torch.save({"model": mae, "optimizer": {"state": {}, "param_groups": []}, "epoch": 799,
                    "args": _argparse.Namespace(model="mae_vit_micro", norm_pix_loss=True)}, d / "mae.pth")
        cases.append(("mae.pth", "mae", "f32", dict(mae)))
        # 2. Sapiens task checkpoint: "state_dict" + "meta", "backbone." prefix, pose+seg heads
        torch.save({"meta": {"epoch": 210}, "state_dict": {**{"backbone." + k: v for k, v in sap.items()}, **heads}},
                   d / "sapiens_task.pth")
        cases.append(("sapiens_task.pth", "sapiens", "f32", {**expect_sap, **heads}))
        # 3. Sapiens pretrain-style, bare names (no prefix), flat dict, legacy non-zip format, bf16 output
        torch.save(dict(sap), d / "sapiens_bare.pth", _use_new_zipfile_serialization=False)
        cases.append(("sapiens_bare.pth", "sapiens", "bf16", dict(expect_sap)))
        # 4. DDP "module." prefix, f16 output
        torch.save({"model": {"module." + k: v for k, v in mae.items()}}, d / "mae_ddp.pth")
        cases.append(("mae_ddp.pth", "mae", "f16", dict(mae)))

        ok = True
        for fname, style, dt, expected in cases:
            out = d / (fname + ".safetensors")
            plan, unknown = convert(str(d / fname), str(out), "auto", dt, quiet=True)
            detected = detect([o for o, _ in plan])
            problems = []
            if detected != style:
                problems.append(f"auto-detected '{detected}', expected '{style}'")
            if unknown:
                problems.append(f"keys without a rule: {unknown}")
            with safe_open(str(out), framework="pt") as f:
                meta = f.metadata()
                names = set(f.keys())
                if names != set(expected):
                    problems.append(f"names differ: missing {sorted(set(expected) - names)}, "
                                    f"extra {sorted(names - set(expected))}")
                for k in sorted(names & set(expected)):
                    got, want = f.get_tensor(k), expected[k]
                    want = want.to(DTYPES[dt]) if want.is_floating_point() else want
                    if got.dtype != want.dtype or got.shape != want.shape or not torch.equal(got, want):
                        problems.append(f"{k}: {got.dtype}{tuple(got.shape)} != {want.dtype}{tuple(want.shape)}"
                                        f" or values differ")
            if meta != {"format": "pt", "source": fname}:
                problems.append(f"metadata {meta}")
            ok &= not problems
            print(f"  {'ok  ' if not problems else 'FAIL'} {fname:<18} -> {len(names):3d} tensors, "
                  f"{dt}, naming {detected}" + "".join(f"\n       {p}" for p in problems))
        print("SELF-TEST PASSED" if ok else "SELF-TEST FAILED")
        return 0 if ok else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("input", nargs="?", help="checkpoint .pth")
    ap.add_argument("output", nargs="?", help="output .safetensors")
    ap.add_argument("--from", dest="style", choices=["auto", "mae", "sapiens"], default="auto")
    ap.add_argument("--dtype", choices=sorted(DTYPES), default="f32", help="for floating-point tensors")
    ap.add_argument("--unsafe-pickle", action="store_true",
                    help="torch.load(weights_only=False): runs arbitrary pickle code; trusted files only")
    ap.add_argument("--self-test", action="store_true", help="convert fake checkpoints of both styles and check")
    args = ap.parse_args()
    if args.self_test:
        return self_test()
    if not args.input or not args.output:
        ap.error("INPUT.pth and OUTPUT.safetensors are required (or --self-test)")
    convert(args.input, args.output, args.style, args.dtype, args.unsafe_pickle)
    return 0


if __name__ == "__main__":
    sys.exit(main())
