#!/usr/bin/env python3
"""Check that a Sapiens-in-Swift MAE checkpoint means the same thing in PyTorch.

    check_torch_interop.py CHECKPOINT [--batch 2] [--seed 0] [--sapiens PATH] [--fixture-out FILE]
    check_torch_interop.py --reference FIXTURE.safetensors      # self-check of the torch model

CHECKPOINT is a `model.safetensors`, a checkpoint folder (.../checkpoints/step-NNNNNNN/), or a
run folder (the newest step-* under checkpoints/ is used).

What it does:
 1. Builds a plain PyTorch MAE (the compact nn.Module below, written in the style of the
    official facebookresearch/mae `models_mae.py`) from the "encoder"/"decoder" JSON configs
    in the checkpoint's safetensors metadata, and loads the weights with
    `load_state_dict(strict=True)`: every name and shape must match, nothing extra, nothing
    missing.
 2. Draws a random batch (imgs uniform in [-1, 1), masking noise uniform in [0, 1)) from
    `--seed`, and computes in float64, from the float32 weights and inputs: loss, pred, mask,
    ids_restore, ids_keep, latent, target, the gradient of every trainable parameter, and every
    parameter after one AdamW step (lr 1e-3, betas (0.9, 0.95), eps 1e-8, wd 0.05 on ndim >= 2
    except cls_token/mask_token, pos tables frozen). These are written as a parity fixture in
    the ../shared/fixtures format.
 3. Runs `sapiens check-parity FIXTURE`, i.e. our Swift engine's forward, backward and AdamW
    on the same weights, batch and noise, and reports its verdict; the exit code is
    check-parity's (0 = the Swift engine reproduces the PyTorch numbers within the fixture
    tolerances).

`--reference FIXTURE` instead runs the torch model on a fixture's params + inputs and compares
with the fixture's own expected.* / grad.* / after_step.* (use it on
../shared/fixtures/mae_micro.safetensors to check this script's model).

Needs torch, numpy and safetensors.
"""
import argparse
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import save_file

ADAMW = {"lr": 1e-3, "betas": [0.9, 0.95], "eps": 1e-8, "weight_decay": 0.05}
NO_DECAY_TOKENS = ("cls_token", "mask_token")
FROZEN = ("pos_embed", "decoder_pos_embed")


# --------------------------------------------------------------------------------------------
# sin-cos tables (as the official util/pos_embed.py, computed in float64)
# --------------------------------------------------------------------------------------------
def _sincos_1d(dim, pos):
    omega = np.arange(dim // 2, dtype=np.float64) / (dim / 2.0)
    omega = 1.0 / 10000 ** omega
    out = np.einsum("m,d->md", pos.reshape(-1).astype(np.float64), omega)
    return np.concatenate([np.sin(out), np.cos(out)], axis=1)


def sincos_2d(dim, grid_h, grid_w, cls_token=True):
    """(1 [+1], grid_h*grid_w, dim): columns [0, dim/2) encode the column j, [dim/2, dim) the row i."""
    gh = np.arange(grid_h, dtype=np.float64)
    gw = np.arange(grid_w, dtype=np.float64)
    grid = np.meshgrid(gw, gh)  # w first, as the official code
    grid = np.stack(grid, axis=0).reshape(2, 1, grid_h, grid_w)
    emb = np.concatenate([_sincos_1d(dim // 2, grid[0]), _sincos_1d(dim // 2, grid[1])], axis=1)
    if cls_token:
        emb = np.concatenate([np.zeros([1, dim]), emb], axis=0)
    return torch.from_numpy(emb).float().unsqueeze(0)


# --------------------------------------------------------------------------------------------
# The model: a compact MAE with the official parameter names
# --------------------------------------------------------------------------------------------
class PatchEmbed(nn.Module):
    def __init__(self, img_size, patch_size, embed_dim):
        super().__init__()
        self.patch_size = patch_size
        self.num_patches = (img_size // patch_size) ** 2
        self.proj = nn.Conv2d(3, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # (N, L, D), token t = i*w + j


class Attention(nn.Module):
    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.scale = (dim // num_heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        n, t, c = x.shape
        qkv = self.qkv(x).reshape(n, t, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = ((q * self.scale) @ k.transpose(-2, -1)).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(n, t, c))


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()  # exact erf form
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, num_heads)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class MaskedAutoencoderViT(nn.Module):
    def __init__(self, img_size=224, patch_size=16, embed_dim=1024, depth=24, num_heads=16,
                 decoder_embed_dim=512, decoder_depth=8, decoder_num_heads=16, mlp_ratio=4.0,
                 norm_pix_loss=True, mask_ratio=0.75, eps=1e-6):
        super().__init__()
        self.patch_embed = PatchEmbed(img_size, patch_size, embed_dim)
        num_patches = self.patch_embed.num_patches
        grid = img_size // patch_size
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(sincos_2d(embed_dim, grid, grid), requires_grad=False)
        self.blocks = nn.ModuleList([Block(embed_dim, num_heads, mlp_ratio, eps) for _ in range(depth)])
        self.norm = nn.LayerNorm(embed_dim, eps=eps)
        self.decoder_embed = nn.Linear(embed_dim, decoder_embed_dim, bias=True)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, decoder_embed_dim))
        self.decoder_pos_embed = nn.Parameter(sincos_2d(decoder_embed_dim, grid, grid), requires_grad=False)
        self.decoder_blocks = nn.ModuleList(
            [Block(decoder_embed_dim, decoder_num_heads, mlp_ratio, eps) for _ in range(decoder_depth)])
        self.decoder_norm = nn.LayerNorm(decoder_embed_dim, eps=eps)
        self.decoder_pred = nn.Linear(decoder_embed_dim, patch_size ** 2 * 3, bias=True)
        self.norm_pix_loss = norm_pix_loss
        self.mask_ratio = mask_ratio
        assert num_patches == grid * grid

    def patchify(self, imgs):
        p = self.patch_embed.patch_size
        h = w = imgs.shape[2] // p
        x = imgs.reshape(imgs.shape[0], 3, h, p, w, p)
        x = torch.einsum("nchpwq->nhwpqc", x)
        return x.reshape(imgs.shape[0], h * w, p * p * 3)

    def random_masking(self, x, noise):
        n, l, d = x.shape
        len_keep = int(l * (1 - self.mask_ratio))
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :len_keep]
        x_masked = torch.gather(x, 1, ids_keep.unsqueeze(-1).repeat(1, 1, d))
        mask = torch.ones([n, l], dtype=x.dtype)
        mask[:, :len_keep] = 0
        mask = torch.gather(mask, 1, ids_restore)
        return x_masked, mask, ids_restore, ids_keep

    def forward_encoder(self, imgs, noise):
        x = self.patch_embed(imgs) + self.pos_embed[:, 1:, :]
        x, mask, ids_restore, ids_keep = self.random_masking(x, noise)
        cls = (self.cls_token + self.pos_embed[:, :1, :]).expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1)
        for blk in self.blocks:
            x = blk(x)
        return self.norm(x), mask, ids_restore, ids_keep

    def forward_decoder(self, x, ids_restore):
        x = self.decoder_embed(x)
        mask_tokens = self.mask_token.repeat(x.shape[0], ids_restore.shape[1] + 1 - x.shape[1], 1)
        x_ = torch.cat([x[:, 1:, :], mask_tokens], dim=1)
        x_ = torch.gather(x_, 1, ids_restore.unsqueeze(-1).repeat(1, 1, x.shape[2]))
        x = torch.cat([x[:, :1, :], x_], dim=1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = blk(x)
        return self.decoder_pred(self.decoder_norm(x))[:, 1:, :]

    def target(self, imgs):
        t = self.patchify(imgs)
        if self.norm_pix_loss:
            mean = t.mean(dim=-1, keepdim=True)
            var = t.var(dim=-1, keepdim=True)  # unbiased, as official
            t = (t - mean) / (var + 1.0e-6) ** 0.5
        return t

    def forward(self, imgs, noise):
        latent, mask, ids_restore, ids_keep = self.forward_encoder(imgs, noise)
        pred = self.forward_decoder(latent, ids_restore)
        target = self.target(imgs)
        loss = ((pred - target) ** 2).mean(dim=-1)
        loss = (loss * mask).sum() / mask.sum()
        return dict(loss=loss, pred=pred, mask=mask, ids_restore=ids_restore, ids_keep=ids_keep,
                    latent=latent, target=target)


# --------------------------------------------------------------------------------------------
# Reference computation (float64) + AdamW step
# --------------------------------------------------------------------------------------------
def reference(model32, imgs, noise, adamw=ADAMW):
    """Float64 forward/backward/AdamW from the float32 model. Returns a dict of float32/int64 tensors."""
    m = _clone_double(model32)
    out = m(imgs.double(), noise.double())
    out["loss"].backward()
    res = {"expected.loss": out["loss"].detach().reshape(1).float(),
           "expected.pred": out["pred"].detach().float(),
           "expected.mask": out["mask"].detach().float(),
           "expected.ids_restore": out["ids_restore"].to(torch.int64),
           "expected.ids_keep": out["ids_keep"].to(torch.int64),
           "expected.latent": out["latent"].detach().float(),
           "expected.target": out["target"].detach().float()}
    named = list(m.named_parameters())
    for name, p in named:
        if p.requires_grad:
            res["grad." + name] = p.grad.detach().float()
    decay = [p for n, p in named if p.requires_grad and p.ndim >= 2 and n not in NO_DECAY_TOKENS]
    no_decay = [p for n, p in named if p.requires_grad and not (p.ndim >= 2 and n not in NO_DECAY_TOKENS)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": adamw["weight_decay"]},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=adamw["lr"], betas=tuple(adamw["betas"]), eps=adamw["eps"])
    opt.step()
    for name, p in named:
        res["after_step." + name] = p.detach().float()
    return res, float(out["loss"].detach())


def _clone_double(model32):
    import copy
    m = copy.deepcopy(model32).double()
    for name, p in m.named_parameters():
        p.grad = None
        p.requires_grad_(name not in FROZEN)
    return m


# --------------------------------------------------------------------------------------------
# Checkpoint reading
# --------------------------------------------------------------------------------------------
def resolve_checkpoint(path):
    p = Path(path)
    if p.is_file():
        return p
    if (p / "model.safetensors").is_file():
        return p / "model.safetensors"
    steps = sorted((p / "checkpoints").glob("step-*/model.safetensors"))
    if steps:
        return steps[-1]
    sys.exit(f"check_torch_interop: no model.safetensors at {path} (nor in {path}/checkpoints/step-*)")


def read_recipe_model_options(ckpt_file):
    """mask_ratio / norm_pix_loss are not in model.safetensors' metadata: take them from the
    recipe text stored in the sibling state.json (model: section), if there is one."""
    found = {}
    state = ckpt_file.parent / "state.json"
    if not state.is_file():
        return found
    try:
        recipe = json.loads(state.read_text()).get("recipe", "")
    except (OSError, ValueError):
        return found
    section = None
    for line in recipe.splitlines():
        line = line.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if not line.startswith((" ", "\t")):
            section = line.strip().rstrip(":")
            continue
        if section != "model":
            continue
        mm = re.match(r"\s+(mask_ratio|norm_pix_loss)\s*:\s*(\S+)", line)
        if mm:
            key, val = mm.groups()
            found[key] = float(val) if key == "mask_ratio" else val.lower() in ("true", "yes", "on", "1")
    return found


def load_checkpoint(ckpt_file):
    tensors = {}
    with safe_open(str(ckpt_file), framework="pt") as f:
        meta = f.metadata() or {}
        for k in f.keys():
            tensors[k] = f.get_tensor(k)
    return tensors, meta


def config_from_metadata(meta, path):
    if "encoder" not in meta or "decoder" not in meta:
        sys.exit(f"check_torch_interop: {path}: __metadata__ has no 'encoder'/'decoder' config "
                 f"(keys: {sorted(meta)})")
    enc, dec = json.loads(meta["encoder"]), json.loads(meta["decoder"])
    if enc.get("imageHeight") != enc.get("imageWidth"):
        sys.exit(f"check_torch_interop: only square images are supported "
                 f"(imageHeight {enc.get('imageHeight')} != imageWidth {enc.get('imageWidth')})")
    if not enc.get("clsToken", True):
        sys.exit("check_torch_interop: MAE needs a cls token (encoder clsToken is false)")
    return enc, dec


def build_model(cfg, mlp_ratio, mask_ratio, norm_pix_loss, eps):
    return MaskedAutoencoderViT(
        img_size=cfg["img_size"], patch_size=cfg["patch_size"], embed_dim=cfg["embed_dim"],
        depth=cfg["depth"], num_heads=cfg["num_heads"], decoder_embed_dim=cfg["decoder_embed_dim"],
        decoder_depth=cfg["decoder_depth"], decoder_num_heads=cfg["decoder_num_heads"],
        mlp_ratio=mlp_ratio, norm_pix_loss=norm_pix_loss, mask_ratio=mask_ratio, eps=eps)


def draw_batch(n, img, num_patches, seed):
    g = torch.Generator().manual_seed(seed)
    imgs = torch.rand(n, 3, img, img, generator=g) * 2 - 1
    while True:  # argsort must be unambiguous: no ties inside a row
        noise = torch.rand(n, num_patches, generator=g)
        if all(len(set(row.tolist())) == num_patches for row in noise):
            return imgs, noise


def find_sapiens(explicit):
    if explicit:
        return explicit
    local = Path(__file__).resolve().parent.parent / ".build" / "release" / "sapiens"
    if local.is_file() and os.access(local, os.X_OK):
        return str(local)
    onpath = shutil.which("sapiens")
    if onpath:
        return onpath
    sys.exit(f"check_torch_interop: no sapiens binary at {local} nor on PATH; pass --sapiens")


# --------------------------------------------------------------------------------------------
# --reference: self-check against an existing fixture
# --------------------------------------------------------------------------------------------
def self_check(fixture):
    tensors, meta = load_checkpoint(Path(fixture))
    cfg = json.loads(meta["config"])
    adamw = {**ADAMW, **{k: v for k, v in json.loads(meta.get("adamw", "{}")).items() if k in ADAMW}}
    model = build_model(cfg, cfg.get("mlp_ratio", 4.0), float(meta.get("mask_ratio", 0.75)),
                        meta.get("norm_pix_loss", "true") != "false", float(meta.get("layernorm_eps", 1e-6)))
    params = {k: v for k, v in tensors.items()
              if not k.startswith(("input.", "expected.", "grad.", "after_step."))}
    model.load_state_dict(params, strict=True)
    print(f"{fixture}: {len(params)} params loaded with strict=True, config {meta['config']}")
    res, loss64 = reference(model, tensors["input.imgs"], tensors["input.noise"], adamw)
    ok = True
    worst = {}
    for name, ours in res.items():
        if name not in tensors:
            continue
        ref = tensors[name]
        if ours.dtype == torch.int64:
            err, tol = float((ours != ref).any()), 0.0
        elif name == "expected.loss":
            err, tol = abs(float(ours) - float(ref)) / abs(float(ref)), 1e-6
        else:
            err, tol = float((ours - ref).abs().max()), 1e-6
            if name.endswith("attn.qkv.bias") and name.startswith("after_step."):
                tol = adamw["lr"]  # key-bias caveat (fixtures README)
        kind = name.split(".")[0]
        worst[kind] = max(worst.get(kind, 0.0), err)
        if err > tol:
            ok = False
            print(f"  FAIL {name}: {err:.3e} > {tol:.0e}")
    print(f"  torch float64 loss {loss64:.9f}   fixture expected.loss {float(tensors['expected.loss']):.9f}")
    for kind, err in worst.items():
        print(f"  worst |torch - fixture| over {kind + '.*':<14} {err:.3e}")
    print("  SELF-CHECK PASSED" if ok else "  SELF-CHECK FAILED")
    return 0 if ok else 1


# --------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("checkpoint", nargs="?", help="model.safetensors, a step-NNNNNNN folder, or a run folder")
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sapiens", help="sapiens binary (default: ../.build/release/sapiens next to this "
                                      "script, else `sapiens` on PATH)")
    ap.add_argument("--fixture-out", help="where to write the fixture (default: a temporary file, "
                                          "removed afterwards unless --keep)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary fixture")
    ap.add_argument("--verbose", action="store_true", help="show every check-parity row (default: the "
                                                           "forward rows, failures and the summary)")
    ap.add_argument("--mask-ratio", type=float, help="default: the recipe's (from state.json), else 0.75")
    ap.add_argument("--norm-pix-loss", choices=["true", "false"],
                    help="default: the recipe's (from state.json), else true")
    ap.add_argument("--reference", metavar="FIXTURE",
                    help="self-check: run the torch model on a fixture's params+inputs and compare "
                         "with its expected values (no Swift involved)")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    if args.reference:
        return self_check(args.reference)
    if not args.checkpoint:
        ap.error("CHECKPOINT is required (or --reference FIXTURE)")

    ckpt = resolve_checkpoint(args.checkpoint)
    sapiens = find_sapiens(args.sapiens)
    tensors, meta = load_checkpoint(ckpt)
    enc, dec = config_from_metadata(meta, ckpt)
    opts = read_recipe_model_options(ckpt)
    mask_ratio = args.mask_ratio if args.mask_ratio is not None else opts.get("mask_ratio", 0.75)
    norm_pix = (args.norm_pix_loss == "true") if args.norm_pix_loss else opts.get("norm_pix_loss", True)
    eps = float(enc.get("layerNormEps", 1e-6))
    mlp_ratio = enc.get("mlpRatio", 4)
    cfg = {"img_size": enc["imageHeight"], "patch_size": enc["patchSize"], "embed_dim": enc["width"],
           "depth": enc["depth"], "num_heads": enc["heads"], "decoder_embed_dim": dec["width"],
           "decoder_depth": dec["depth"], "decoder_num_heads": dec["heads"]}
    if mlp_ratio != 4:
        cfg["mlp_ratio"] = mlp_ratio
        print(f"warning: mlpRatio {mlp_ratio}: the fixture format has no mlp ratio and check-parity "
              f"assumes 4, so the Swift side will not load this fixture", file=sys.stderr)

    print(f"checkpoint   {ckpt}")
    print(f"config       {json.dumps(cfg)}  mlp_ratio {mlp_ratio}  eps {eps:g}  "
          f"mask_ratio {mask_ratio:g}  norm_pix_loss {str(norm_pix).lower()}"
          f"  ({'from recipe in state.json' if opts else 'defaults: no state.json recipe'})")

    model = build_model(cfg, mlp_ratio, mask_ratio, norm_pix, eps)
    model.load_state_dict(tensors, strict=True)
    print(f"torch        load_state_dict(strict=True): {len(tensors)} tensors, "
          f"{sum(t.numel() for t in tensors.values()):,} values, all names and shapes match")
    grid = cfg["img_size"] // cfg["patch_size"]
    for name, dim in (("pos_embed", cfg["embed_dim"]), ("decoder_pos_embed", cfg["decoder_embed_dim"])):
        d = float((tensors[name] - sincos_2d(dim, grid, grid)).abs().max())
        print(f"             {name} vs official 2-D sin-cos table: max |diff| {d:.1e}"
              + ("" if d < 1e-6 else "   (NOT the fixed table)"))

    L = grid * grid
    imgs, noise = draw_batch(args.batch, cfg["img_size"], L, args.seed)
    with torch.no_grad():
        loss32 = float(model(imgs, noise)["loss"])
    res, loss64 = reference(model, imgs, noise)
    print(f"batch        {args.batch} x 3 x {cfg['img_size']} x {cfg['img_size']}, seed {args.seed}, "
          f"L {L}, len_keep {int(L * (1 - mask_ratio))}")
    print(f"torch loss   float64 {loss64:.9f}   float32 {loss32:.9f}")

    fixture = {}
    for name, t in tensors.items():
        fixture[name] = t.float().contiguous()
    fixture["input.imgs"] = imgs.contiguous()
    fixture["input.noise"] = noise.contiguous()
    fixture.update({k: v.contiguous() for k, v in res.items()})
    metadata = {
        "config": json.dumps(cfg), "seed": str(args.seed), "batch": str(args.batch),
        "mask_ratio": repr(float(mask_ratio)), "len_keep": str(int(L * (1 - mask_ratio))),
        "num_patches": str(L), "norm_pix_loss": str(norm_pix).lower(), "var": "unbiased (N-1)",
        "layernorm_eps": repr(eps), "gelu": "exact erf", "perturbed": "false",
        "adamw": json.dumps({**ADAMW, "decay_params": "ndim>=2 except cls_token/mask_token",
                             "frozen": list(FROZEN)}),
        "reference_precision": "float64 from float32-stored params/inputs, rounded to float32",
        "generator": f"scripts/check_torch_interop.py, torch {torch.__version__}",
        "source": str(ckpt),
    }
    if args.fixture_out:
        out = Path(args.fixture_out)
    else:
        out = Path(tempfile.mkdtemp(prefix="interop-")) / "fixture.safetensors"
    save_file(fixture, str(out), metadata=metadata)
    n_params = len(tensors)
    n_grads = sum(1 for k in res if k.startswith("grad."))
    print(f"fixture      {out}  ({len(fixture)} tensors: {n_params} params + 2 inputs + 7 expected + "
          f"{n_grads} grads + {n_params} after_step)")

    cmd = [sapiens, "check-parity", str(out)]
    print(f"running      {' '.join(cmd)}", flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout.rstrip().splitlines():
        row = line.strip()
        if (args.verbose or not row.startswith(("ok ", "FAIL")) or row.startswith("FAIL")
                or row.split()[1].startswith("expected.")):
            print("  | " + line)
    if not args.fixture_out and not args.keep:
        shutil.rmtree(out.parent, ignore_errors=True)
    verdict = "PASS" if proc.returncode == 0 else "FAIL"
    print(f"RESULT       {verdict}: sapiens check-parity exit code {proc.returncode}"
          + (" (Swift loss, pred, mask, latent, target, grads and AdamW step match PyTorch)"
             if proc.returncode == 0 else ""))
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
