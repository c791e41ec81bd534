#!/usr/bin/env python3
"""PyTorch peer benchmark for `sapiens bench`.

Measures, in PyTorch CPU eager float32, the same workloads that the Swift
engine's `sapiens bench` measures, so the Swift side can report its figures as
ratios against PyTorch measured in the same run on the same machine.

Depends on torch only. The models are plain nn.Module code written for this
script, following the structure of the official MAE / ViT models (pre-norm
blocks, qkv bias, LayerNorm eps 1e-6, exact-erf GELU, cls token, fixed 2-D
sin-cos position tables, norm-pix loss on masked patches).

Output: one JSON line per figure on stdout, e.g.

  {"name": "vit_base_infer_b8", "ms_min": ..., "ms_median": ..., "gflop": 281.3,
   "gflops": ..., "threads": 2, "impl": "pytorch", "torch": "2.x.y", ...}

Progress and warnings go to stderr.

peak_rss_mib is the process's resident-set high-water mark from the start of
that figure's setup (the kernel's VmHWM, reset via /proc/self/clear_refs after
gc + malloc_trim).  It still includes whatever the process already holds
(interpreter, torch libraries, ~0.4-0.5 GiB), and allocator caching from
earlier figures can leak into it: for a clean number run the figure alone with
--only NAME.

FLOP-count convention (analytic; the Swift side must use the same formula)
--------------------------------------------------------------------------
Only GEMM-like work is counted: every matmul / linear / conv / transposed conv
costs 2*M*N*K FLOPs.  Elementwise ops, norms, softmax, GELU, the loss and the
optimiser step are NOT counted.

ViT encoder, width D, depth L, T tokens per sample, P patches per sample,
patch 16 (so K = 3*16*16 = 768):
    patch_embed      = 2 * P * D * 768
    per block        = 24 * T * D^2            (qkv 6, proj 2, fc1 8, fc2 8; MLP ratio 4)
                     +  4 * T^2 * D            (Q K^T and attn @ V, summed over heads)
    encoder(B)       = B * (patch_embed + L * per_block)

Inference figures (vit_*_infer_bN): T = 197 (196 patches + cls), P = 196.

MAE training step figures (mae_*_train_bN): forward GEMM FLOPs per sample are
    patch_embed over all 196 patches           2 * 196 * D * 768
    encoder blocks over T_e = 49 + 1 = 50      L * (24*T_e*D^2 + 4*T_e^2*D)
    decoder_embed over 50 tokens               2 * 50 * D * Dd
    decoder blocks over T_d = 197              Ld * (24*T_d*Dd^2 + 4*T_d^2*Dd)
    decoder_pred over 197 tokens               2 * 197 * Dd * 768
and a training step counts 3x the forward (forward + backward = 1x + 2x).
(The patch-embed backward really needs only the weight gradient, i.e. 2x, but
the convention is a flat 3x for simplicity.)

Sapiens seg (sapiens_0.3b_seg_infer_b1): encoder with D=1024, L=24,
T = P = 64*48 = 3072 (no cls token), plus the seg head on the 64x48 map:
    ConvTranspose2d k4 s2 (Cin->Cout, input HxW) = 2 * Cin * Cout * 16 * H * W
    Conv 1x1 (Cin->Cout, map HxW)               = 2 * Cin * Cout * H * W
    deconvs 1024->768 @64x48, 768->768 @128x96, 768->768 @256x192;
    convs 3x 768->768 @512x384; conv_seg 768->28 @512x384.
Total ~ 2.79 TFLOP encoder + 1.94 TFLOP head = 4.73 TFLOP.

gflops = gflop / (ms_median / 1000).
"""

import argparse
import ctypes
import gc
import json
import math
import os
import platform
import resource
import statistics
import sys
import time
import types

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint


# --------------------------------------------------------------------------
# Position tables
# --------------------------------------------------------------------------

def sincos_1d(dim, positions):
    """(len(positions), dim) table: first half sin, second half cos."""
    assert dim % 2 == 0
    freqs = 1.0 / (10000.0 ** (torch.arange(dim // 2, dtype=torch.float64) / (dim / 2.0)))
    angles = positions.double().reshape(-1, 1) * freqs.reshape(1, -1)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)


def sincos_2d(dim, grid_h, grid_w, cls_row):
    """MAE layout: column (w) half first, row (h) half second; optional zero cls row."""
    assert dim % 4 == 0
    rows = torch.arange(grid_h).repeat_interleave(grid_w)
    cols = torch.arange(grid_w).repeat(grid_h)
    table = torch.cat([sincos_1d(dim // 2, cols), sincos_1d(dim // 2, rows)], dim=1)
    if cls_row:
        table = torch.cat([torch.zeros(1, dim, dtype=table.dtype), table], dim=0)
    return table.float().unsqueeze(0)


# --------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------

class SelfAttention(nn.Module):
    def __init__(self, dim, heads, fused=True):
        super().__init__()
        assert dim % heads == 0
        self.heads = heads
        self.head_dim = dim // heads
        self.fused = fused
        self.qkv = nn.Linear(dim, 3 * dim, bias=True)
        self.proj = nn.Linear(dim, dim, bias=True)

    def forward(self, x):
        b, t, d = x.shape
        # (B, T, 3D) -> (3, B, heads, T, head_dim); qkv output is [q | k | v].
        qkv = self.qkv(x).reshape(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        if self.fused:
            y = F.scaled_dot_product_attention(q, k, v)
        else:
            scores = (q * self.head_dim ** -0.5) @ k.transpose(-2, -1)
            y = scores.softmax(dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class FeedForward(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()  # exact erf form
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block."""

    def __init__(self, dim, heads, mlp_ratio=4.0, fused=True):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attn = SelfAttention(dim, heads, fused)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = FeedForward(dim, int(dim * mlp_ratio))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def run_block(blk, x):
    """A block, recomputed in backward when marked checkpointed (torch.utils.checkpoint, non-reentrant)."""
    if getattr(blk, "checkpointed", False) and torch.is_grad_enabled():
        return torch.utils.checkpoint.checkpoint(blk, x, use_reentrant=False)
    return blk(x)


def checkpoint_every_block(model):
    for m in model.modules():
        if isinstance(m, Block):
            m.checkpointed = True


class PatchEmbed(nn.Module):
    def __init__(self, patch, in_ch, dim):
        super().__init__()
        self.proj = nn.Conv2d(in_ch, dim, kernel_size=patch, stride=patch)

    def forward(self, img):
        return self.proj(img).flatten(2).transpose(1, 2)  # (B, H*W, D)


def init_like_mae(module):
    for m in module.modules():
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, PatchEmbed):
            w = m.proj.weight
            nn.init.xavier_uniform_(w.view(w.shape[0], -1))


# --------------------------------------------------------------------------
# ViT encoder (inference) and MAE (pretraining)
# --------------------------------------------------------------------------

class ViTEncoder(nn.Module):
    def __init__(self, img_h=224, img_w=224, patch=16, dim=192, depth=12, heads=3,
                 cls_token=True, fused=True):
        super().__init__()
        self.grid = (img_h // patch, img_w // patch)
        self.patch_embed = PatchEmbed(patch, 3, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim)) if cls_token else None
        self.pos_embed = nn.Parameter(sincos_2d(dim, *self.grid, cls_row=cls_token),
                                      requires_grad=False)
        self.blocks = nn.ModuleList([Block(dim, heads, fused=fused) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        init_like_mae(self)
        if self.cls_token is not None:
            nn.init.normal_(self.cls_token, std=0.02)

    def forward(self, img):
        x = self.patch_embed(img)
        if self.cls_token is not None:
            x = x + self.pos_embed[:, 1:]
            cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
            x = torch.cat([cls, x], dim=1)
        else:
            x = x + self.pos_embed
        for blk in self.blocks:
            x = run_block(blk, x)
        return self.norm(x)


class MAE(nn.Module):
    def __init__(self, img=224, patch=16, dim=192, depth=12, heads=3,
                 dec_dim=128, dec_depth=4, dec_heads=4, mask_ratio=0.75,
                 norm_pix_loss=True, fused=True):
        super().__init__()
        self.patch = patch
        self.mask_ratio = mask_ratio
        self.norm_pix_loss = norm_pix_loss
        g = img // patch
        n = g * g
        # encoder
        self.patch_embed = PatchEmbed(patch, 3, dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(sincos_2d(dim, g, g, cls_row=True), requires_grad=False)
        self.blocks = nn.ModuleList([Block(dim, heads, fused=fused) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        # decoder
        self.decoder_embed = nn.Linear(dim, dec_dim)
        self.mask_token = nn.Parameter(torch.zeros(1, 1, dec_dim))
        self.decoder_pos_embed = nn.Parameter(sincos_2d(dec_dim, g, g, cls_row=True),
                                              requires_grad=False)
        self.decoder_blocks = nn.ModuleList(
            [Block(dec_dim, dec_heads, fused=fused) for _ in range(dec_depth)])
        self.decoder_norm = nn.LayerNorm(dec_dim, eps=1e-6)
        self.decoder_pred = nn.Linear(dec_dim, patch * patch * 3)
        init_like_mae(self)
        nn.init.normal_(self.cls_token, std=0.02)
        nn.init.normal_(self.mask_token, std=0.02)
        self.num_patches = n

    def patchify(self, img):
        """(B, 3, H, W) -> (B, L, p*p*3), row-major patches, (row, col, channel) inside."""
        b, c, h, w = img.shape
        p = self.patch
        x = img.reshape(b, c, h // p, p, w // p, p)
        x = x.permute(0, 2, 4, 3, 5, 1)  # B, gh, gw, pr, pc, C
        return x.reshape(b, (h // p) * (w // p), p * p * c)

    def random_mask(self, x):
        b, n, d = x.shape
        keep = int(n * (1 - self.mask_ratio))
        noise = torch.rand(b, n, device=x.device)
        ids_shuffle = torch.argsort(noise, dim=1)
        ids_restore = torch.argsort(ids_shuffle, dim=1)
        ids_keep = ids_shuffle[:, :keep]
        kept = torch.gather(x, 1, ids_keep.unsqueeze(-1).expand(-1, -1, d))
        mask = torch.ones(b, n, device=x.device)
        mask[:, :keep] = 0
        mask = torch.gather(mask, 1, ids_restore)  # 1 = removed
        return kept, mask, ids_restore

    def encode(self, img):
        x = self.patch_embed(img) + self.pos_embed[:, 1:]
        x, mask, ids_restore = self.random_mask(x)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(x.shape[0], -1, -1)
        x = torch.cat([cls, x], dim=1)
        for blk in self.blocks:
            x = run_block(blk, x)
        return self.norm(x), mask, ids_restore

    def decode(self, x, ids_restore):
        x = self.decoder_embed(x)
        b, t, d = x.shape
        n = ids_restore.shape[1]
        fill = self.mask_token.expand(b, n + 1 - t, -1)
        body = torch.cat([x[:, 1:], fill], dim=1)
        body = torch.gather(body, 1, ids_restore.unsqueeze(-1).expand(-1, -1, d))
        x = torch.cat([x[:, :1], body], dim=1) + self.decoder_pos_embed
        for blk in self.decoder_blocks:
            x = run_block(blk, x)
        x = self.decoder_pred(self.decoder_norm(x))
        return x[:, 1:]

    def loss(self, img, pred, mask):
        target = self.patchify(img)
        if self.norm_pix_loss:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)  # unbiased
            target = (target - mean) / (var + 1e-6) ** 0.5
        per_patch = ((pred - target) ** 2).mean(dim=-1)
        return (per_patch * mask).sum() / mask.sum()

    def forward(self, img):
        latent, mask, ids_restore = self.encode(img)
        pred = self.decode(latent, ids_restore)
        return self.loss(img, pred, mask), pred, mask


def adamw_param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if p.ndim <= 1 or name.endswith(".bias") or name in ("cls_token", "mask_token") \
                or "pos_embed" in name:
            no_decay.append(p)
        else:
            decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0}]


# --------------------------------------------------------------------------
# Sapiens seg head
# --------------------------------------------------------------------------

class SegHead(nn.Module):
    def __init__(self, in_ch=1024, deconv_ch=(768, 768, 768), conv_ch=(768, 768, 768),
                 classes=28):
        super().__init__()
        layers = []
        c = in_ch
        for out in deconv_ch:
            layers += [nn.ConvTranspose2d(c, out, kernel_size=4, stride=2, padding=1, bias=False),
                       nn.InstanceNorm2d(out), nn.SiLU()]
            c = out
        self.deconv_layers = nn.Sequential(*layers)
        layers = []
        for out in conv_ch:
            layers += [nn.Conv2d(c, out, kernel_size=1, bias=True),
                       nn.InstanceNorm2d(out), nn.SiLU()]
            c = out
        self.conv_layers = nn.Sequential(*layers)
        self.conv_seg = nn.Conv2d(c, classes, kernel_size=1)

    def forward(self, x):
        return self.conv_seg(self.conv_layers(self.deconv_layers(x)))


class SapiensSeg(nn.Module):
    def __init__(self, dim=1024, depth=24, heads=16, img_h=1024, img_w=768, fused=True):
        super().__init__()
        self.backbone = ViTEncoder(img_h, img_w, 16, dim, depth, heads, cls_token=False,
                                   fused=fused)
        self.grid = self.backbone.grid
        self.decode_head = SegHead(in_ch=dim)

    def forward(self, img):
        tokens = self.backbone(img)
        b, t, d = tokens.shape
        fmap = tokens.transpose(1, 2).reshape(b, d, *self.grid)
        return self.decode_head(fmap)


# --------------------------------------------------------------------------
# Analytic FLOP counts (see module docstring)
# --------------------------------------------------------------------------

PATCH_K = 3 * 16 * 16


def block_flops(t, d):
    return 24 * t * d * d + 4 * t * t * d


def vit_infer_flop(b, d, depth, tokens=197, patches=196):
    return b * (2 * patches * d * PATCH_K + depth * block_flops(tokens, d))


def mae_train_flop(b, d, depth, dd, ddepth, patches=196, mask_ratio=0.75):
    keep = int(patches * (1 - mask_ratio))
    te, td = keep + 1, patches + 1
    fwd = (2 * patches * d * PATCH_K
           + depth * block_flops(te, d)
           + 2 * te * d * dd
           + ddepth * block_flops(td, dd)
           + 2 * td * dd * PATCH_K)
    return 3 * b * fwd


def sapiens_seg_flop(b=1, d=1024, depth=24, gh=64, gw=48, deconv=(768, 768, 768),
                     conv=(768, 768, 768), classes=28, head_only=False):
    t = gh * gw
    enc = 0 if head_only else 2 * t * d * PATCH_K + depth * block_flops(t, d)
    head = 0
    c, h, w = d, gh, gw
    for out in deconv:
        head += 2 * c * out * 16 * h * w
        c, h, w = out, 2 * h, 2 * w
    for out in conv:
        head += 2 * c * out * h * w
        c = out
    head += 2 * c * classes * h * w
    return b * (enc + head)


def sapiens2_seg_flop(d=1024, depth=24, heads=16, ffn=4096, registers=8, gh=64, gw=48,
                      kv_heads=(16,) * 8 + (8,) * 8 + (16,) * 8, deconv=(512, 256, 128, 64), conv=(64, 64),
                      classes=29):
    """Sapiens2 seg forward: q/o (D x D), k/v (D x kv*hd), scores and weighted sum, SwiGLU (3 D x ffn), the
    patch conv, then the head's k4 deconvs (16 taps per input pixel), 1x1 convs and predictor."""
    t, hd = 1 + registers + gh * gw, d // heads
    f = 2 * gh * gw * d * PATCH_K
    for kv in kv_heads[:depth]:
        f += 2 * t * d * (2 * d + 2 * kv * hd) + 4 * t * t * d + 2 * t * d * ffn * 3
    c, h, w = d, gh, gw
    for out in deconv:
        f += 2 * c * out * 16 * h * w
        c, h, w = out, 2 * h, 2 * w
    for out in conv:
        f += 2 * c * out * h * w
        c = out
    return f + 2 * c * classes * h * w


def sapiens2_seg_model():
    """transformers' Sapiens2ForSemanticSegmentation with the released 0.4B seg config (random weights) and one
    1024x768 image. transformers is imported only here, so the other figures need torch alone."""
    # PyPI's torchvision wheels are CUDA builds whose compiled ops cannot load against a CPU torch;
    # transformers needs only torchvision's pure-torch parts, so the fake-kernel registration is skipped.
    sys.modules.setdefault("torchvision._meta_registrations", types.ModuleType("torchvision._meta_registrations"))
    from transformers import Sapiens2Config, Sapiens2ForSemanticSegmentation
    config = Sapiens2Config(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                            num_key_value_attention_heads=8, image_size=[1024, 768], num_labels=29,
                            head_config=dict(upsample_out_channels=[512, 256, 128, 64], conv_out_channels=[64, 64]))
    return Sapiens2ForSemanticSegmentation(config).eval(), torch.randn(1, 3, 1024, 768)


def make_sapiens2_seg(mode):
    """The Sapiens2-0.4B seg model above, fp32 eager or under torch.autocast("cpu", dtype=torch.bfloat16)."""
    def setup():
        model, img = sapiens2_seg_model()

        def step():
            with torch.inference_mode():
                if mode == "bf16_autocast":
                    with torch.autocast("cpu", dtype=torch.bfloat16):
                        return model(pixel_values=img).logits
                return model(pixel_values=img).logits
        return step
    return setup, sapiens2_seg_flop()


# --------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------

VIT = {"tiny": (192, 12, 3), "small": (384, 12, 6), "base": (768, 12, 12), "sapiens_0.3b": (1024, 24, 16),
       "sapiens_1b": (1536, 40, 24)}
MAE_DEC = {"tiny": (128, 4, 4), "small": (256, 4, 8), "sapiens_0.3b": (512, 8, 16)}


def make_mae_train(size, batch, fused_attn, adamw_impl, img_size=224, checkpoint=False):
    def setup():
        d, depth, heads = VIT[size]
        dd, ddepth, dheads = MAE_DEC[size]
        model = MAE(img=img_size, dim=d, depth=depth, heads=heads, dec_dim=dd, dec_depth=ddepth,
                    dec_heads=dheads, fused=fused_attn).train()
        if checkpoint:
            checkpoint_every_block(model)
        kw = {}
        if adamw_impl == "fused":
            kw["fused"] = True
        elif adamw_impl == "foreach":
            kw["foreach"] = True
        elif adamw_impl == "loop":
            kw["foreach"] = False
        opt = torch.optim.AdamW(adamw_param_groups(model, 0.05), lr=1.5e-4 * batch / 256,
                                betas=(0.9, 0.95), **kw)
        img = torch.randn(batch, 3, img_size, img_size)

        def step():
            opt.zero_grad(set_to_none=True)
            loss, _, _ = model(img)
            loss.backward()
            opt.step()
            return loss
        return step
    d, depth, _ = VIT[size]
    dd, ddepth, _ = MAE_DEC[size]
    return setup, mae_train_flop(batch, d, depth, dd, ddepth, patches=(img_size // 16) ** 2)


def make_vit_infer(size, batch, fused_attn):
    def setup():
        d, depth, heads = VIT[size]
        model = ViTEncoder(dim=d, depth=depth, heads=heads, fused=fused_attn).eval()
        img = torch.randn(batch, 3, 224, 224)

        def step():
            with torch.inference_mode():
                return model(img)
        return step
    d, depth, _ = VIT[size]
    return setup, vit_infer_flop(batch, d, depth)


def inference_step(model, x, mode):
    """One timed inference call: fp32 eager, or under torch.autocast("cpu", dtype=torch.bfloat16)."""
    def step():
        with torch.inference_mode():
            if mode == "bf16_autocast":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    return model(x)
            return model(x)
    return step


def make_sapiens_seg(fused_attn, mode="fp32"):
    """Sapiens-0.3B + seg head on one 1024x768 image: fp32 eager, or under torch.autocast("cpu", dtype=torch.bfloat16)
    (issue 27's peer)."""
    def setup():
        return inference_step(SapiensSeg(fused=fused_attn).eval(), torch.randn(1, 3, 1024, 768), mode)
    return setup, sapiens_seg_flop()


def make_sapiens_seg_head(mode="fp32"):
    """The Sapiens seg head alone on the 0.3B encoder's 1024x64x48 feature map: half of sapiens_0.3b_seg_infer_b1's
    time, for iterating on the head."""
    def setup():
        return inference_step(SegHead().eval(), torch.randn(1, 1024, 64, 48), mode)
    return setup, sapiens_seg_flop(head_only=True)


def make_sapiens_seg_finetune(fused_attn, size="sapiens_0.3b", checkpoint=False):
    """One fine-tune step of Sapiens-0.3B (or `size`) + seg head at 1024x768, batch 1: logits upsampled
    bilinearly to the input, cross-entropy on 28 classes, backward, clip 1.0, AdamW."""
    d, depth, heads = VIT[size]

    def setup():
        model = SapiensSeg(dim=d, depth=depth, heads=heads, fused=fused_attn).train()
        if checkpoint:
            checkpoint_every_block(model)
        opt = torch.optim.AdamW(adamw_param_groups(model, 0.1), lr=5e-4)
        img = torch.randn(1, 3, 1024, 768)
        labels = torch.randint(0, 28, (1, 1024, 768))
        params = [p for p in model.parameters() if p.requires_grad]

        def step():
            opt.zero_grad(set_to_none=True)
            logits = F.interpolate(model(img), size=(1024, 768), mode="bilinear", align_corners=False)
            loss = F.cross_entropy(logits, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            return loss
        return step
    return setup, (4 if checkpoint else 3) * sapiens_seg_flop(d=d, depth=depth)


def workloads(args):
    w = {}  # name -> (setup, flop, heavy)
    for size, b in (("tiny", 8), ("tiny", 32), ("small", 32)):
        s, f = make_mae_train(size, b, args.attn == "sdpa", args.adamw)
        w[f"mae_{size}_train_b{b}"] = (s, f, False)
    for size in ("tiny", "small", "base"):
        for b in (1, 8):
            s, f = make_vit_infer(size, b, args.attn == "sdpa")
            w[f"vit_{size}_infer_b{b}"] = (s, f, False)
    for mode, suffix in (("fp32", ""), ("bf16_autocast", "@bf16_autocast")):
        s, f = make_sapiens_seg(args.attn == "sdpa", mode)
        w["sapiens_0.3b_seg_infer_b1" + suffix] = (s, f, True)
        s, f = make_sapiens_seg_head(mode)
        w["sapiens_0.3b_seg_head_infer_b1" + suffix] = (s, f, True)
    # Issue 29: the shipped Sapiens-0.3B MAE recipe at 1024 px (4096 patches), one AdamW step at batch 2.
    s, f = make_mae_train("sapiens_0.3b", 2, args.attn == "sdpa", args.adamw, img_size=1024)
    w["mae_sapiens_0.3b_1024_train_b2"] = (s, f, True)
    # Issue 29's capacity figures: batch 8 plain, batch 16 with every block checkpointed.
    s, f = make_mae_train("sapiens_0.3b", 8, args.attn == "sdpa", args.adamw, img_size=1024)
    w["mae_sapiens_0.3b_1024_train_b8"] = (s, f, True)
    s, f = make_mae_train("sapiens_0.3b", 16, args.attn == "sdpa", args.adamw, img_size=1024, checkpoint=True)
    w["mae_sapiens_0.3b_1024_train_b16_ckpt"] = (s, f * 4 / 3, True)
    # Issue 26: transformers' Sapiens2-0.4B seg at 1024x768, fp32 eager and bf16 autocast (`name@mode`).
    for mode, suffix in (("fp32", ""), ("bf16_autocast", "@bf16_autocast")):
        s, f = make_sapiens2_seg(mode)
        w["sapiens2_0.4b_seg_infer_b1" + suffix] = (s, f, True)
    s, f = make_sapiens_seg_finetune(args.attn == "sdpa")
    w["sapiens_0.3b_seg_finetune_1024x768_b1"] = (s, f, True)
    s, f = make_sapiens_seg_finetune(args.attn == "sdpa", size="sapiens_1b", checkpoint=True)
    w["sapiens_1b_seg_finetune_1024x768_b1_ckpt"] = (s, f, True)
    # Attention alone at the decoder's size (4097 tokens, 512 wide, 16 heads), forward and backward.
    def attention_setup(t=4097, d=512, heads=16):
        qkv = torch.randn(1, t, 3 * d, requires_grad=True)
        seed = torch.randn(1, t, d)

        def step():
            q, k, v = qkv.reshape(1, t, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
            if args.attn == "sdpa":
                y = F.scaled_dot_product_attention(q, k, v)
            else:
                y = ((q * (d // heads) ** -0.5) @ k.transpose(-2, -1)).softmax(dim=-1) @ v
            y.transpose(1, 2).reshape(1, t, d).backward(seed)
            qkv.grad = None
        return step
    w["attention_4097x512h16_train_b1"] = (attention_setup, 3 * 4 * 4097 * 4097 * 512, True)
    return w


# --------------------------------------------------------------------------
# Measurement
# --------------------------------------------------------------------------

def reset_peak_rss():
    """Release freed heap memory, then reset the kernel's VmHWM for this process
    (Linux >= 4.0) so it restarts from the current RSS; False if unsupported."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss_mib(reset_ok):
    if reset_ok:
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def machine_busy_s():
    """Busy CPU seconds of the whole machine (all processes) from /proc/stat, or None."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        # user nice system idle iowait irq softirq steal ...
        busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v[7] if len(v) > 7 else 0)
        return busy / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def own_cpu_s():
    t = os.times()
    return t.user + t.system


def measure(name, setup, flop, warmup, reps, args):
    torch.manual_seed(0)
    reset_ok = reset_peak_rss()
    t0 = time.perf_counter()
    step = setup()
    setup_s = time.perf_counter() - t0
    for _ in range(warmup):
        step()
    times = []
    busy0, own0, wall0 = machine_busy_s(), own_cpu_s(), time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    busy1, own1, wall1 = machine_busy_s(), own_cpu_s(), time.perf_counter()
    other = None
    if busy0 is not None and busy1 is not None:
        ncpu = os.cpu_count() or 1
        other = max(0.0, ((busy1 - busy0) - (own1 - own0)) / ((wall1 - wall0) * ncpu))
    med = statistics.median(times)
    rec = {
        "name": name,
        "ms_min": round(min(times), 3),
        "ms_median": round(med, 3),
        "gflop": round(flop / 1e9, 4),
        "gflops": round(flop / 1e9 / (med / 1e3), 2),
        "threads": args.threads,
        "impl": "pytorch",
        "torch": torch.__version__,
        "reps": reps,
        "warmup": warmup,
        "ms_all": [round(t, 3) for t in times],
        "peak_rss_mib": round(peak_rss_mib(reset_ok), 1),
        "attn": args.attn,
        # fraction of the machine's CPU time used by OTHER processes during the
        # timed reps (0 = quiet machine); a noise indicator, not a correction
        "other_load": None if other is None else round(other, 3),
    }
    if name.startswith("mae_"):
        rec["adamw"] = args.adamw
    print(f"[bench_pytorch] {name}: setup {setup_s:.1f}s, median {med:.1f} ms, "
          f"other load {other if other is None else round(other, 2)}", file=sys.stderr)
    if other is not None and other > 0.1:
        print(f"[bench_pytorch] WARNING: other processes used {other:.0%} of the machine's CPU "
              f"during {name}; its figures are likely inflated", file=sys.stderr)
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--reps", type=int, default=5,
                    help="timed repetitions per figure (default 5; the heavy figure "
                         "uses min(reps, 2) unless --heavy-reps is given)")
    ap.add_argument("--heavy-reps", type=int, default=None,
                    help="timed repetitions for the heavy figure (default min(reps, 2))")
    ap.add_argument("--warmup", type=int, default=2,
                    help="untimed warm-up runs per figure (default 2; heavy figure: 1)")
    ap.add_argument("--only", default=None,
                    help="comma-separated figure names to run (a heavy name here runs it "
                         "even without --heavy)")
    ap.add_argument("--heavy", action="store_true",
                    help="also run sapiens_0.3b_seg_infer_b1 (~4.7 TFLOP, ~1.5 GiB+)")
    ap.add_argument("--json-out", default=None, help="also append the JSON lines to FILE")
    ap.add_argument("--attn", choices=("sdpa", "manual"), default="sdpa",
                    help="attention: F.scaled_dot_product_attention (default) or "
                         "explicit softmax(QK^T)V")
    ap.add_argument("--adamw", choices=("default", "foreach", "loop", "fused"),
                    default="default",
                    help="AdamW implementation (default: torch's default choice)")
    ap.add_argument("--list", action="store_true", help="list figure names and GFLOP, then exit")
    args = ap.parse_args()

    if "OPENBLAS_CORETYPE" in os.environ:
        print(f"[bench_pytorch] WARNING: OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} is "
              "set. It can force OpenBLAS onto narrower kernels than this CPU supports. PyTorch "
              "uses its own MKL/oneDNN kernels so these figures are mostly unaffected, but the "
              "Swift (OpenBLAS) side will be; compare with `env -u OPENBLAS_CORETYPE`.",
              file=sys.stderr)

    torch.set_num_threads(args.threads)
    w = workloads(args)

    if args.list:
        for name, (_, flop, heavy) in w.items():
            print(f"{name}\t{flop / 1e9:.4f} GFLOP{'  (heavy)' if heavy else ''}")
        return 0

    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in w]
        if unknown:
            ap.error(f"unknown figure(s): {', '.join(unknown)}; known: {', '.join(w)}")
    else:
        names = [n for n, (_, _, heavy) in w.items() if args.heavy or not heavy]

    print(f"[bench_pytorch] torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"python {platform.python_version()}, cpu capability "
          f"{torch.backends.cpu.get_cpu_capability()}, mkldnn "
          f"{torch.backends.mkldnn.is_available()}, mkl {torch.backends.mkl.is_available()}",
          file=sys.stderr)

    out = open(args.json_out, "a") if args.json_out else None
    try:
        for name in names:
            setup, flop, heavy = w[name]
            if heavy:
                reps = args.heavy_reps if args.heavy_reps is not None else min(args.reps, 2)
                warmup = min(args.warmup, 1)
            else:
                reps, warmup = args.reps, args.warmup
            rec = measure(name, setup, flop, warmup, reps, args)
            line = json.dumps(rec)
            print(line, flush=True)
            if out:
                out.write(line + "\n")
                out.flush()
    finally:
        if out:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
