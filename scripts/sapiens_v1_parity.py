#!/usr/bin/env python3
"""Parity fixtures for official Sapiens v1 checkpoints: the official models and pipelines in plain PyTorch.

    sapiens_v1_parity.py [--out DIR] [--mmpose SRC]
                                                 build the fixtures (default: the test fixture folder); with
                                                 --mmpose, cross-check the pose reference with mmpose's own code
    sapiens_v1_parity.py --check OURS [--out DIR]
                                                 compare `sapiens infer` outputs in OURS with the fixtures
    sapiens_v1_parity.py --convert DIR [--out DIR]
                                                 write scripts/convert_pth.py's safetensors of each .pth into DIR
    sapiens_v1_parity.py --run-cli SAPIENS OURS [--infer-arg=--no-background-guard ...]
                                                 `SAPIENS convert` each .pth, `SAPIENS infer` the photos into
                                                 OURS/<model>, then --check OURS

What it builds. Each official v1 task model is rebuilt with the official module names and structure, so that
its state_dict keys are exactly those of the released checkpoints (read from facebookresearch/sapiens):
  - backbone: mmpretrain `VisionTransformer` (pretrain/mmpretrain/models/backbones/vision_transformer.py) as the
    task configs set it: qkv_bias, final_norm (`ln1`), with_cls_token=False, out_type='featmap', LayerNorm
    eps 1e-6, and mmcv's `PatchEmbed` (cv/mmcv/cnn/bricks/transformer.py): `projection` conv, padded by an int
    `patch_cfg=dict(padding=2)` (normal, pose, seg CIHP/LIP) or, with the default padding='corner', by
    `AdaptivePadding` (seg Goliath, depth); `MultiheadAttention` (qkv, proj) and mmcv's `FFN` (`layers.0.0`,
    `layers.1`, exact GELU);
  - seg/depth/normal heads: mmseg `VitHead`, `VitDepthHead`, `VitNormalHead` (seg/mmseg/models/decode_heads/):
    `deconv_layers` (ConvTranspose2d k4 s2 p1 no bias, InstanceNorm2d, SiLU), `conv_layers` (1x1 conv,
    InstanceNorm2d, SiLU), `conv_seg` (BaseDecodeHead's 1x1 conv; its Dropout2d is inactive at test time);
  - pose head: mmpose `HeatmapHead` with use_silu (pose/mmpose/models/heads/heatmap_heads/heatmap_head.py):
    `deconv_layers`, `conv_layers`, `final_layer`.
Sizes are small (width 192, 3 heads, 1-2 layers, narrow heads) so the fixtures stay small; the input is the
official 1024x768 (64x48 tokens). Weights are seeded random values of realistic scale (norm weights != 1,
non-zero biases). Each model is saved as an official-style checkpoint: torch.save({'meta': {...}, 'state_dict':
...}), with mmengine's meta (including `cfg`, the config's pretty text with the official backbone/head lines)
for all but the normal model, which has no cfg and carries the official release file name instead, so that the
file-name table is exercised too.

The official pipelines, on real photos (cv2.imread, BGR):
  - seg/depth/normal: the sapiens-lite demo (lite/demo/adhoc_image_dataset.py, vis_seg.py, vis_depth.py,
    vis_normal.py): cv2.resize INTER_LINEAR to 768x1024 (a stretch), BGR->RGB, mean [123.5, 116.5, 103.5], std
    [58.5, 57.0, 57.5]; forward; the output resized once to the image with F.interpolate(bilinear,
    align_corners=False); seg: argmax; depth: the resized map; normals: divided by (norm + 1e-5);
  - pose: mmpose's top-down pipeline as the COCO config sets it: the whole image as the box
    (mmpose.apis.inference_topdown without boxes), GetBBoxCenterScale (padding 1.25), TopdownAffine with
    use_udp (get_udp_warp_matrix, cv2.warpAffine INTER_LINEAR, aspect ratio fixed to 768/1024),
    PoseDataPreprocessor (BGR->RGB, ImageNet mean/std), flip test (flip_mode 'heatmap', shift_heatmap False,
    COCO flip indices), UDPHeatmap decode (argmax, DARK-UDP refinement with the zero-padded 11x11 Gaussian blur,
    x / [W-1, H-1] * input_size), then keypoints / input_size * scale + center - scale / 2.

Fixtures (DIR, default Tests/Fixtures/SapiensV1Parity): checkpoints/*.pth, images/* (with
LICENSES.md), expected/<model>/<stem>.{seg.png | depth.npy | normal.npy | keypoints.json} and manifest.json.
Depth and normal maps are float16, subsampled at every `stride`-th pixel in both directions (pixel
(stride*i, stride*j) of the image); seg maps are full-size 8-bit PNGs of class ids.

--check OURS reads `sapiens infer` outputs written with `--out OURS/<model>` (<stem>.seg.png, <stem>.depth.npy,
<stem>.normal.npy, keypoints in <stem>.keypoints.json) and prints the issue's figures: seg % of pixels equal,
depth Pearson, normal mean angle (degrees), pose median distance (px).

Needs torch, numpy, opencv-python(-headless). mmcv / mmpretrain / mmseg / mmpose are not needed.
"""
import argparse
import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "Tests" / "Fixtures" / "SapiensV1Parity"
PHOTOS = REPO.parent / "shared" / "images"
PHOTO_NAMES = ["skimage_astronaut.png", "pywt_ascent.png", "mahotas_luispedro.jpg"]
INPUT_H, INPUT_W = 1024, 768
DEMO_MEAN, DEMO_STD = [123.5, 116.5, 103.5], [58.5, 57.0, 57.5]            # lite/demo vis_*.py
MMPOSE_MEAN, MMPOSE_STD = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]  # the pose config's preprocessor
COCO_FLIP = [0, 2, 1, 4, 3, 6, 5, 8, 7, 10, 9, 12, 11, 14, 13, 16, 15]
STRIDE = 2
TOLERANCES = {"seg_equal_min": 0.99, "depth_pearson_min": 0.999, "normal_mean_deg_max": 1.0, "pose_median_px_max": 1.0}


# ----------------------------------------------------------------------------------------------------------
# The official modules (names and structure as in mmcv / mmpretrain / mmseg / mmpose; forward as at test time)

class AdaptivePadding(nn.Module):
    """mmcv AdaptivePadding, mode 'corner': pads bottom/right so the kernel tiles the input."""

    def __init__(self, kernel_size, stride):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x):
        ih, iw = x.shape[-2:]
        oh, ow = math.ceil(ih / self.stride), math.ceil(iw / self.stride)
        ph = max((oh - 1) * self.stride + self.kernel_size - ih, 0)
        pw = max((ow - 1) * self.stride + self.kernel_size - iw, 0)
        return F.pad(x, [0, pw, 0, ph]) if ph > 0 or pw > 0 else x


class PatchEmbed(nn.Module):
    """mmcv.cnn.bricks.transformer.PatchEmbed: an int padding pads the conv; a string means AdaptivePadding."""

    def __init__(self, embed_dims, patch_size, padding):
        super().__init__()
        if isinstance(padding, str):
            self.adaptive_padding = AdaptivePadding(patch_size, patch_size)
            padding = 0
        else:
            self.adaptive_padding = None
        self.projection = nn.Conv2d(3, embed_dims, patch_size, stride=patch_size, padding=padding, bias=True)

    def forward(self, x):
        if self.adaptive_padding is not None:
            x = self.adaptive_padding(x)
        x = self.projection(x)
        return x.flatten(2).transpose(1, 2), (x.shape[2], x.shape[3])


class MultiheadAttention(nn.Module):
    """mmpretrain.models.utils.attention.MultiheadAttention (qkv bias, no layer scale)."""

    def __init__(self, embed_dims, num_heads):
        super().__init__()
        self.embed_dims, self.num_heads, self.head_dims = embed_dims, num_heads, embed_dims // num_heads
        self.qkv = nn.Linear(embed_dims, embed_dims * 3, bias=True)
        self.proj = nn.Linear(embed_dims, embed_dims)

    def forward(self, x):
        B, N, _ = x.shape
        qkv = self.qkv(x).reshape(B, N, 3, self.num_heads, self.head_dims).permute(2, 0, 3, 1, 4)
        x = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
        return self.proj(x.transpose(1, 2).reshape(B, N, self.embed_dims))


class FFN(nn.Module):
    """mmcv FFN with num_fcs=2: layers = Sequential(Sequential(Linear, GELU, Dropout), Linear, Dropout)."""

    def __init__(self, embed_dims, feedforward_channels):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Sequential(nn.Linear(embed_dims, feedforward_channels), nn.GELU(), nn.Dropout(0.0)),
            nn.Linear(feedforward_channels, embed_dims), nn.Dropout(0.0))

    def forward(self, x, identity):
        return identity + self.layers(x)


class TransformerEncoderLayer(nn.Module):
    def __init__(self, embed_dims, num_heads, feedforward_channels):
        super().__init__()
        self.ln1 = nn.LayerNorm(embed_dims, eps=1e-6)
        self.attn = MultiheadAttention(embed_dims, num_heads)
        self.ln2 = nn.LayerNorm(embed_dims, eps=1e-6)
        self.ffn = FFN(embed_dims, feedforward_channels)

    def forward(self, x):
        x = x + self.attn(self.ln1(x))
        return self.ffn(self.ln2(x), identity=x)


class VisionTransformer(nn.Module):
    """mmpretrain VisionTransformer as the Sapiens task configs build it (no cls token, featmap output)."""

    def __init__(self, embed_dims, num_layers, num_heads, patch_padding, patch_size=16, img_size=(INPUT_H, INPUT_W)):
        super().__init__()
        self.embed_dims = embed_dims
        self.patch_embed = PatchEmbed(embed_dims, patch_size, patch_padding)
        pad = 0 if isinstance(patch_padding, str) else patch_padding
        self.patch_resolution = tuple((s + 2 * pad - patch_size) // patch_size + 1 for s in img_size)
        self.cls_token = None
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_resolution[0] * self.patch_resolution[1], embed_dims))
        self.drop_after_pos = nn.Dropout(0.0)
        self.layers = nn.ModuleList(TransformerEncoderLayer(embed_dims, num_heads, 4 * embed_dims) for _ in range(num_layers))
        self.pre_norm = nn.Identity()
        self.ln1 = nn.LayerNorm(embed_dims, eps=1e-6)

    def forward(self, x):
        x, hw = self.patch_embed(x)
        assert hw == self.patch_resolution, (hw, self.patch_resolution)  # same grid: resize_pos_embed is the identity
        x = self.pre_norm(self.drop_after_pos(x + self.pos_embed))
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == len(self.layers) - 1:
                x = self.ln1(x)
        B = x.shape[0]
        return (x.reshape(B, *hw, -1).permute(0, 3, 1, 2),)


def deconv_layers(in_channels, channels):
    layers = []
    for c in channels:
        layers += [nn.ConvTranspose2d(in_channels, c, 4, stride=2, padding=1, output_padding=0, bias=False),
                   nn.InstanceNorm2d(c), nn.SiLU(inplace=True)]
        in_channels = c
    return nn.Sequential(*layers)


def conv_layers(in_channels, channels):
    layers = []
    for c in channels:
        layers += [nn.Conv2d(in_channels, c, 1, stride=1, padding=0), nn.InstanceNorm2d(c), nn.SiLU(inplace=True)]
        in_channels = c
    return nn.Sequential(*layers)


class VitHead(nn.Module):
    """mmseg VitHead / VitDepthHead / VitNormalHead (the same layers; BaseDecodeHead's conv_seg)."""

    def __init__(self, in_channels, deconv, conv, num_classes):
        super().__init__()
        self.deconv_layers = deconv_layers(in_channels, deconv)
        self.conv_layers = conv_layers(deconv[-1], conv)
        self.dropout = nn.Dropout2d(0.1)
        self.conv_seg = nn.Conv2d(conv[-1], num_classes, kernel_size=1)

    def forward(self, feats):
        x = self.conv_layers(self.deconv_layers(feats[-1]))
        return self.conv_seg(self.dropout(x))


class HeatmapHead(nn.Module):
    """mmpose HeatmapHead with use_silu=True (Sapiens' fork)."""

    def __init__(self, in_channels, deconv, conv, out_channels):
        super().__init__()
        self.deconv_layers = deconv_layers(in_channels, deconv)
        self.conv_layers = conv_layers(deconv[-1], conv)
        self.final_layer = nn.Conv2d(conv[-1], out_channels, kernel_size=1)

    def forward(self, feats):
        return self.final_layer(self.conv_layers(self.deconv_layers(feats[-1])))


class EncoderDecoder(nn.Module):
    """mmseg EncoderDecoder / DepthEstimator: backbone + decode_head (the data preprocessor has no weights)."""

    def __init__(self, backbone, decode_head):
        super().__init__()
        self.backbone, self.decode_head = backbone, decode_head

    def forward(self, x):
        return self.decode_head(self.backbone(x))


class TopdownPoseEstimator(nn.Module):
    def __init__(self, backbone, head):
        super().__init__()
        self.backbone, self.head = backbone, head

    def forward(self, x):
        return self.head(self.backbone(x))


# ----------------------------------------------------------------------------------------------------------
# The fixture models

WIDTH, HEADS = 192, 3
MODELS = [
    # name (file stem), task, layers, patch padding (str = mmcv's default AdaptivePadding 'corner'), head, classes,
    # official release file name or None, whether the checkpoint's meta carries the config text
    dict(name="seg_goliath", task="seg", layers=2, padding="corner", deconv=(32, 32, 32), conv=(32, 32, 32), out=28,
         file="sapiens_0.3b_goliath_best_goliath_mIoU_7673_epoch_194.pth", cfg=True,
         config="seg/configs/sapiens_seg/goliath/sapiens_0.3b_goliath-1024x768.py", head_type="VitHead"),
    dict(name="seg_lip", task="seg", layers=1, padding=2, deconv=(24, 24, 24), conv=(24, 24, 24), out=20,
         file="sapiens_lip_parity.pth", cfg=True,
         config="seg/configs/sapiens_seg/lip/sapiens_0.3b_lip-1024x768.py", head_type="VitHead"),
    dict(name="depth", task="depth", layers=1, padding="corner", deconv=(16, 16, 16, 16), conv=(16, 16), out=1,
         file="sapiens_0.3b_render_people_epoch_100.pth", cfg=True,
         config="seg/configs/sapiens_depth/render_people/sapiens_0.3b_render_people-1024x768.py", head_type="VitDepthHead"),
    dict(name="normal", task="normal", layers=1, padding=2, deconv=(24, 24, 24), conv=(24, 24, 24), out=3,
         file="sapiens_0.3b_normal_render_people_epoch_66.pth", cfg=False,
         config="seg/configs/sapiens_normal/normal_render_people/sapiens_0.3b_normal_render_people-1024x768.py",
         head_type="VitNormalHead"),
    dict(name="pose_coco", task="pose", layers=1, padding=2, deconv=(32, 32), conv=(32, 32), out=17,
         file="sapiens_0.3b_coco_best_coco_AP_796.pth", cfg=True,
         config="pose/configs/sapiens_pose/coco/sapiens_0.3b-210e_coco-1024x768.py", head_type="HeatmapHead"),
]


def build(spec):
    backbone = VisionTransformer(WIDTH, spec["layers"], HEADS, spec["padding"])
    if spec["task"] == "pose":
        return TopdownPoseEstimator(backbone, HeatmapHead(WIDTH, spec["deconv"], spec["conv"], spec["out"]))
    return EncoderDecoder(backbone, VitHead(WIDTH, spec["deconv"], spec["conv"], spec["out"]))


def randomize(model, seed):
    """Seeded weights of realistic scale: fan-in scaled weights, norm weights around 1 (not 1), non-zero biases.
    Values are multiples of std/4 (17 levels): as random as needed here, and they compress about 5x in git."""
    g = torch.Generator().manual_seed(seed)

    def q(shape, std):
        return torch.clamp(torch.round(torch.randn(shape, generator=g) * 4), -8, 8) * (std / 4)

    norms = {f"{m}.{p}" for m, mod in model.named_modules() if isinstance(mod, nn.LayerNorm) for p in ("weight", "bias")}
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("pos_embed"):
                p.copy_(q(p.shape, 0.5))
            elif name in norms:
                if name.endswith("weight"):
                    p.copy_(0.6 + 0.1 * torch.randint(0, 9, p.shape, generator=g).float())
                else:
                    p.copy_(q(p.shape, 0.1))
            elif p.dim() >= 2:
                # ConvTranspose2d weights are (in, out, k, k): each output sums in*k*k/4 terms (stride 2).
                if "deconv_layers" in name:
                    fan_in = p.shape[0] * p.shape[2] * p.shape[3] / 4
                else:
                    fan_in = p[0].numel()
                p.copy_(q(p.shape, 1.0 / math.sqrt(fan_in)))
            else:
                p.copy_(q(p.shape, 0.1))
        for name, p in model.named_parameters():
            if name.endswith("final_layer.bias"):
                p.add_(0.5)  # heatmaps with a positive maximum, as a trained head's are (mmpose sets locs to -1 otherwise)
    return model


def cfg_text(spec):
    """mmengine-style pretty text of the config, with the official lines that shape the function."""
    pad_line = "" if isinstance(spec["padding"], str) else f"\n        patch_cfg=dict(padding={spec['padding']}),"
    arch = f"dict(embed_dims={WIDTH}, num_layers={spec['layers']}, num_heads={HEADS}, feedforward_channels={4 * WIDTH})"
    deconv = ", ".join(map(str, spec["deconv"]))
    conv = ", ".join(map(str, spec["conv"]))
    backbone = f"""backbone=dict(
        type='mmpretrain.VisionTransformer',
        arch={arch},
        img_size=(1024, 768),
        patch_size=16,
        qkv_bias=True,
        final_norm=True,
        drop_path_rate=0.0,
        with_cls_token=False,
        out_type='featmap',{pad_line}
        init_cfg=dict(
            type='Pretrained',
            checkpoint='../pretrain/checkpoints/sapiens_0.3b/sapiens_0.3b_epoch_1600_clean.pth')),"""
    if spec["task"] == "pose":
        return f"""default_scope = 'mmpose'
image_size = [768, 1024]
sigma = 6
scale = 4
patch_size = 16
num_keypoints = {spec['out']}
codec = dict(
    type='UDPHeatmap', input_size=(768, 1024), heatmap_size=(192, 256), sigma=6)
model = dict(
    type='TopdownPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    {backbone}
    head=dict(
        type='HeatmapHead',
        in_channels={WIDTH},
        out_channels={spec['out']},
        deconv_out_channels=({deconv}),
        deconv_kernel_sizes=({', '.join('4' for _ in spec['deconv'])}),
        conv_out_channels=({conv}),
        conv_kernel_sizes=({', '.join('1' for _ in spec['conv'])}),
        loss=dict(type='KeypointMSELoss', use_target_weight=True),
        decoder=dict(type='UDPHeatmap', input_size=(768, 1024), heatmap_size=(192, 256), sigma=6)),
    test_cfg=dict(flip_test=True, flip_mode='heatmap', shift_heatmap=False))
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale'),
    dict(type='TopdownAffine', input_size=(768, 1024), use_udp=True),
    dict(type='PackPoseInputs'),
]
"""
    model_type = "EncoderDecoder" if spec["task"] == "seg" else "DepthEstimator"
    return f"""default_scope = 'mmseg'
image_size = (768, 1024)
patch_size = 16
num_classes = {spec['out']}
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    size=(1024, 768),
    seg_pad_val=255)
model = dict(
    type='{model_type}',
    data_preprocessor=dict(
        type='SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        size=(1024, 768),
        seg_pad_val=255),
    pretrained=None,
    {backbone}
    decode_head=dict(
        type='{spec['head_type']}',
        in_channels={WIDTH},
        channels={spec['conv'][-1]},
        deconv_out_channels=({deconv}),
        deconv_kernel_sizes=({', '.join('4' for _ in spec['deconv'])}),
        conv_out_channels=({conv}),
        conv_kernel_sizes=({', '.join('1' for _ in spec['conv'])}),
        num_classes={spec['out']},
        norm_cfg=dict(type='SyncBN', requires_grad=True),
        align_corners=False),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(768, 1024), keep_ratio=False),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
"""


def save_checkpoint(model, spec, path):
    meta = {"mmengine_version": "0.10.3", "time": "20240701_000000", "epoch": 1, "iter": 1, "seed": 0,
            "experiment_name": spec["name"] + "_parity"}
    if spec["cfg"]:
        meta["cfg"] = cfg_text(spec)
    torch.save({"meta": meta, "state_dict": model.state_dict()}, path)


# ----------------------------------------------------------------------------------------------------------
# The official pipelines

def demo_preprocess(bgr):
    """lite/demo/adhoc_image_dataset.py with the vis_*.py shape/mean/std."""
    img = cv2.resize(bgr, (INPUT_W, INPUT_H), interpolation=cv2.INTER_LINEAR)
    t = torch.from_numpy(img.transpose(2, 0, 1))[[2, 1, 0], ...].float()
    t = (t - torch.tensor(DEMO_MEAN).view(-1, 1, 1)) / torch.tensor(DEMO_STD).view(-1, 1, 1)
    return t[None]


def demo_dense(model, task, bgr):
    with torch.no_grad():
        result = model(demo_preprocess(bgr))[0]
    logits = F.interpolate(result.unsqueeze(0), size=bgr.shape[:2], mode="bilinear").squeeze(0)
    if task == "seg":
        return logits.argmax(dim=0).numpy().astype(np.uint8)
    if task == "depth":
        return logits.float().numpy()[0]
    normal = logits.float().numpy().transpose(1, 2, 0)
    return normal / (np.linalg.norm(normal, axis=-1, keepdims=True) + 1e-5)


def udp_warp_matrix(center, scale, output_size):
    """mmpose get_udp_warp_matrix with rot = 0 (float32, as mmpose builds it)."""
    input_size = center * 2
    m = np.zeros((2, 3), dtype=np.float32)
    sx = (output_size[0] - 1) / scale[0]
    sy = (output_size[1] - 1) / scale[1]
    m[0, 0] = sx
    m[0, 2] = sx * (-0.5 * input_size[0] + 0.5 * scale[0])
    m[1, 1] = sy
    m[1, 2] = sy * (-0.5 * input_size[1] + 0.5 * scale[1])
    return m


def gaussian_blur(heatmaps, kernel=11):
    """mmpose codecs/utils/post_processing.gaussian_blur: zero-padded, then rescaled to the original maximum."""
    border = (kernel - 1) // 2
    K, H, W = heatmaps.shape
    for k in range(K):
        origin_max = np.max(heatmaps[k])
        dr = np.zeros((H + 2 * border, W + 2 * border), dtype=np.float32)
        dr[border:-border, border:-border] = heatmaps[k].copy()
        dr = cv2.GaussianBlur(dr, (kernel, kernel), 0)
        heatmaps[k] = dr[border:-border, border:-border].copy()
        heatmaps[k] *= origin_max / np.max(heatmaps[k])
    return heatmaps


def get_heatmap_maximum(heatmaps):
    K, H, W = heatmaps.shape
    flat = heatmaps.reshape(K, -1)
    y, x = np.unravel_index(np.argmax(flat, axis=1), shape=(H, W))
    locs = np.stack((x, y), axis=-1).astype(np.float32)
    vals = np.amax(flat, axis=1)
    locs[vals <= 0.0] = -1
    return locs, vals


def refine_keypoints_dark_udp(keypoints, heatmaps, blur_kernel_size):
    """mmpose codecs/utils/refinement.refine_keypoints_dark_udp (one instance: keypoints (1, K, 2))."""
    N, K = keypoints.shape[:2]
    H, W = heatmaps.shape[1:]
    heatmaps = gaussian_blur(heatmaps, blur_kernel_size)
    np.clip(heatmaps, 1e-3, 50.0, heatmaps)
    np.log(heatmaps, heatmaps)
    pad = np.pad(heatmaps, ((0, 0), (1, 1), (1, 1)), mode="edge").flatten()
    for n in range(N):
        index = keypoints[n, :, 0] + 1 + (keypoints[n, :, 1] + 1) * (W + 2)
        index += (W + 2) * (H + 2) * np.arange(0, K)
        index = index.astype(int).reshape(-1, 1)
        i_ = pad[index]
        ix1 = pad[index + 1]
        iy1 = pad[index + W + 2]
        ix1y1 = pad[index + W + 3]
        ix1_y1_ = pad[index - W - 3]
        ix1_ = pad[index - 1]
        iy1_ = pad[index - 2 - W]
        dx = 0.5 * (ix1 - ix1_)
        dy = 0.5 * (iy1 - iy1_)
        derivative = np.concatenate([dx, dy], axis=1).reshape(K, 2, 1)
        dxx = ix1 - 2 * i_ + ix1_
        dyy = iy1 - 2 * i_ + iy1_
        dxy = 0.5 * (ix1y1 - ix1 - iy1 + i_ + i_ - ix1_ - iy1_ + ix1_y1_)
        hessian = np.concatenate([dxx, dxy, dxy, dyy], axis=1).reshape(K, 2, 2)
        hessian = np.linalg.inv(hessian + np.finfo(np.float32).eps * np.eye(2))
        keypoints[n] -= np.einsum("imn,ink->imk", hessian, derivative).squeeze()
    return keypoints


def mmpose_topdown(model, bgr, flip_indices):
    """inference_topdown(model, img) with no boxes: the whole image is the person box."""
    h, w = bgr.shape[:2]
    bbox = np.array([0, 0, w, h], dtype=np.float32)
    center = (bbox[:2] + bbox[2:]) * 0.5                       # GetBBoxCenterScale, padding 1.25
    scale = (bbox[2:] - bbox[:2]) * 1.25
    aspect = INPUT_W / INPUT_H                                   # TopdownAffine._fix_aspect_ratio
    sw, sh = scale
    scale = np.array([sw, sw / aspect] if sw > sh * aspect else [sh * aspect, sh], dtype=np.float32)
    warp = udp_warp_matrix(center, scale, (INPUT_W, INPUT_H))
    crop = cv2.warpAffine(bgr, warp, (INPUT_W, INPUT_H), flags=cv2.INTER_LINEAR)
    t = torch.from_numpy(crop.transpose(2, 0, 1).copy())[[2, 1, 0], ...].float()   # PoseDataPreprocessor
    t = ((t - torch.tensor(MMPOSE_MEAN).view(-1, 1, 1)) / torch.tensor(MMPOSE_STD).view(-1, 1, 1))[None]
    with torch.no_grad():
        hm = model(t)
        hm_flip = model(t.flip(-1)).flip(-1)[:, flip_indices]   # flip_heatmaps, mode 'heatmap', no shift
        hm = ((hm + hm_flip) * 0.5)[0].numpy()
    K, H, W = hm.shape
    heatmaps = hm.copy()
    kp, scores = get_heatmap_maximum(heatmaps)
    kp = refine_keypoints_dark_udp(kp[None], heatmaps, blur_kernel_size=11)
    kp = kp / [W - 1, H - 1] * np.array([INPUT_W, INPUT_H])
    kp = kp / np.array([INPUT_W, INPUT_H]) * scale + center - 0.5 * scale   # add_pred_to_datasample
    return kp[0], scores, dict(center=center.tolist(), scale=scale.tolist(), warp=warp.tolist())


def load_mmpose(root):
    """mmpose's own numpy/cv2/torch modules, imported by file path (its package __init__ needs mmcv/mmengine).
    `root` holds the `mmpose` package, e.g. `git -C <sapiens mirror> archive HEAD pose/mmpose | tar -x` then
    ROOT/pose, or a checkout of open-mmlab/mmpose."""
    import importlib.util
    import types

    def load(name, path):
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        return mod

    base = Path(root) / "mmpose"
    pkg = types.ModuleType("parity_mmpose_codec_utils")
    pkg.__path__ = [str(base / "codecs" / "utils")]
    sys.modules[pkg.__name__] = pkg
    load(pkg.__name__ + ".post_processing", base / "codecs" / "utils" / "post_processing.py")
    refinement = load(pkg.__name__ + ".refinement", base / "codecs" / "utils" / "refinement.py")
    post = sys.modules[pkg.__name__ + ".post_processing"]
    bbox = load("parity_mmpose_bbox", base / "structures" / "bbox" / "transforms.py")
    tta = load("parity_mmpose_tta", base / "models" / "utils" / "tta.py")
    return types.SimpleNamespace(post=post, refinement=refinement, bbox=bbox, tta=tta)


def cross_check_mmpose(mm, model, bgr, flip_indices, ours):
    """The same pose pipeline with mmpose's own functions where they import without mmcv; returns the largest
    keypoint difference (px) from `mmpose_topdown`."""
    h, w = bgr.shape[:2]
    center, scale = mm.bbox.bbox_xyxy2cs(np.array([0, 0, w, h], dtype=np.float32), padding=1.25)
    aspect = INPUT_W / INPUT_H
    sw, sh = scale
    scale = np.array([sw, sw / aspect] if sw > sh * aspect else [sh * aspect, sh], dtype=np.float32)
    warp = mm.bbox.get_udp_warp_matrix(center, scale, 0.0, output_size=(INPUT_W, INPUT_H))
    crop = cv2.warpAffine(bgr, warp, (INPUT_W, INPUT_H), flags=cv2.INTER_LINEAR)
    t = torch.from_numpy(crop.transpose(2, 0, 1).copy())[[2, 1, 0], ...].float()
    t = ((t - torch.tensor(MMPOSE_MEAN).view(-1, 1, 1)) / torch.tensor(MMPOSE_STD).view(-1, 1, 1))[None]
    with torch.no_grad():
        hm = model(t)
        hm_flip = mm.tta.flip_heatmaps(model(t.flip(-1)), flip_indices=flip_indices, flip_mode="heatmap",
                                       shift_heatmap=False)
        hm = ((hm + hm_flip) * 0.5)[0].numpy()
    K, H, W = hm.shape
    heatmaps = hm.copy()
    kp, _ = mm.post.get_heatmap_maximum(heatmaps)
    kp = mm.refinement.refine_keypoints_dark_udp(kp[None], heatmaps, blur_kernel_size=11)
    kp = kp / [W - 1, H - 1] * np.array([INPUT_W, INPUT_H])
    kp = kp / np.array([INPUT_W, INPUT_H]) * scale + center - 0.5 * scale
    return float(np.abs(kp[0] - ours).max())


# ----------------------------------------------------------------------------------------------------------

def read_photo(path):
    bgr = cv2.imread(str(path))   # the demo's read: 8-bit BGR, gray photos as three equal channels
    if bgr is None:
        sys.exit(f"sapiens_v1_parity: cannot read {path}")
    return bgr


def photo_licences(names):
    text = (PHOTOS / "LICENSES.md").read_text()
    lines = [l for l in text.splitlines() if any(f"`{n}`" in l for n in names)]
    head = ["# Licences of the photographs in this folder", "",
            "Copied by scripts/sapiens_v1_parity.py from the project's shared photo folder (`shared/images`, beside the",
            "repository), with their rows of its LICENSES.md.", "",
            "| file | size | source | licence |", "|---|---|---|---|"]
    return "\n".join(head + lines) + "\n"


def build_fixtures(out, mmpose_root=None):
    out.mkdir(parents=True, exist_ok=True)
    (out / "checkpoints").mkdir(exist_ok=True)
    (out / "images").mkdir(exist_ok=True)
    for n in PHOTO_NAMES:
        shutil.copyfile(PHOTOS / n, out / "images" / n)
    (out / "images" / "LICENSES.md").write_text(photo_licences(PHOTO_NAMES))
    mm = load_mmpose(mmpose_root) if mmpose_root else None
    manifest = {"generator": "scripts/sapiens_v1_parity.py", "torch": torch.__version__, "opencv": cv2.__version__,
                "input": [INPUT_H, INPUT_W], "stride": STRIDE, "tolerances": TOLERANCES,
                "images": PHOTO_NAMES, "models": []}
    for i, spec in enumerate(MODELS):
        model = randomize(build(spec), seed=1000 + i).eval()
        ckpt = out / "checkpoints" / spec["file"]
        save_checkpoint(model, spec, ckpt)
        # the reference runs from the saved file, as a user's official model would
        sd = torch.load(ckpt, map_location="cpu", weights_only=True)["state_dict"]
        ref = build(spec).eval()
        ref.load_state_dict(sd, strict=True)
        exp = out / "expected" / spec["name"]
        exp.mkdir(parents=True, exist_ok=True)
        entry = {k: spec[k] for k in ("name", "task", "layers", "out", "file", "cfg", "config", "head_type")}
        entry.update(width=WIDTH, heads=HEADS, patch_padding=0 if isinstance(spec["padding"], str) else spec["padding"],
                     deconv=list(spec["deconv"]), conv=list(spec["conv"]), keys=len(sd))
        for n in PHOTO_NAMES:
            stem = Path(n).stem
            bgr = read_photo(PHOTOS / n)
            if spec["task"] == "seg":
                classes = demo_dense(ref, "seg", bgr)
                cv2.imwrite(str(exp / f"{stem}.seg.png"), classes)
            elif spec["task"] in ("depth", "normal"):
                m = demo_dense(ref, spec["task"], bgr)[::STRIDE, ::STRIDE]
                np.save(exp / f"{stem}.{spec['task']}.npy", np.ascontiguousarray(m.astype(np.float16)))
            else:
                kp, scores, info = mmpose_topdown(ref, bgr, COCO_FLIP)
                if mm is not None:
                    diff = cross_check_mmpose(mm, ref, bgr, COCO_FLIP, kp)
                    print(f"  {stem}: mmpose's own functions give keypoints within {diff:.2e} px of ours")
                    if diff > 1e-3:
                        sys.exit(f"sapiens_v1_parity: the pose reference differs from mmpose's functions by {diff} px")
                    entry["mmpose_cross_check_px"] = max(entry.get("mmpose_cross_check_px", 0.0), diff)
                (exp / f"{stem}.keypoints.json").write_text(json.dumps(
                    {"keypoints": [[float(x), float(y)] for x, y in kp], "scores": [float(s) for s in scores],
                     "box_xyxy": [0, 0, bgr.shape[1], bgr.shape[0]], **info}, indent=1))
        manifest["models"].append(entry)
        print(f"{spec['name']}: {ckpt.name} ({ckpt.stat().st_size / 2**20:.2f} MiB, {len(sd)} tensors, "
              f"patch padding {entry['patch_padding']}, cfg {'yes' if spec['cfg'] else 'no'})")
    manifest["flip_indices"] = {"pose_coco": COCO_FLIP}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({total / 2**20:.2f} MiB)")


# ----------------------------------------------------------------------------------------------------------
# Comparisons (the Swift test computes the same figures)

def seg_equal(ours, ref):
    return float((ours == ref).mean())


def pearson(a, b):
    a = a.astype(np.float64).ravel() - a.mean()
    b = b.astype(np.float64).ravel() - b.mean()
    return float((a * b).sum() / math.sqrt((a * a).sum() * (b * b).sum()))


def normal_mean_deg(ours, ref):
    a = ours.astype(np.float64).reshape(-1, 3)
    b = ref.astype(np.float64).reshape(-1, 3)
    a /= np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b /= np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    return float(np.degrees(np.arccos(np.clip((a * b).sum(1), -1, 1))).mean())


def check(ours_root, out):
    manifest = json.loads((out / "manifest.json").read_text())
    ok = True
    for m in manifest["models"]:
        figures = []
        for n in manifest["images"]:
            stem = Path(n).stem
            ref_dir, our_dir = out / "expected" / m["name"], ours_root / m["name"]
            try:
                if m["task"] == "seg":
                    ref = cv2.imread(str(ref_dir / f"{stem}.seg.png"), cv2.IMREAD_UNCHANGED)
                    our = cv2.imread(str(our_dir / f"{stem}.seg.png"), cv2.IMREAD_UNCHANGED)
                    v = seg_equal(our, ref)
                    figures.append((stem, f"{100 * v:.3f} % equal", v >= TOLERANCES["seg_equal_min"]))
                elif m["task"] == "depth":
                    ref = np.load(ref_dir / f"{stem}.depth.npy")
                    our = np.load(our_dir / f"{stem}.depth.npy")[::STRIDE, ::STRIDE]
                    v = pearson(our, ref)
                    figures.append((stem, f"Pearson {v:.6f}", v >= TOLERANCES["depth_pearson_min"]))
                elif m["task"] == "normal":
                    ref = np.load(ref_dir / f"{stem}.normal.npy")
                    our = np.load(our_dir / f"{stem}.normal.npy")
                    if our.shape[0] == 3 and our.shape[-1] != 3:
                        our = our.transpose(1, 2, 0)
                    v = normal_mean_deg(our[::STRIDE, ::STRIDE], ref)
                    figures.append((stem, f"mean {v:.4f} deg", v <= TOLERANCES["normal_mean_deg_max"]))
                else:
                    ref = np.array(json.loads((ref_dir / f"{stem}.keypoints.json").read_text())["keypoints"])
                    data = json.loads((our_dir / f"{stem}.keypoints.json").read_text())
                    people = data if isinstance(data, list) else data.get("people", [data])
                    kp = np.array(people[0]["keypoints"], dtype=np.float64).reshape(-1, 3)[:, :2]
                    d = np.linalg.norm(kp - ref, axis=1)
                    v = float(np.median(d))
                    figures.append((stem, f"median {v:.4f} px (max {d.max():.2f})", v <= TOLERANCES["pose_median_px_max"]))
            except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
                figures.append((stem, f"cannot compare: {e}", False))
        for stem, text, good in figures:
            ok &= good
            print(f"  {'ok  ' if good else 'FAIL'} {m['name']:<12} {stem:<20} {text}")
    print("PARITY PASSED" if ok else "PARITY FAILED")
    return 0 if ok else 1


def convert_all(dest, out):
    dest.mkdir(parents=True, exist_ok=True)
    manifest = json.loads((out / "manifest.json").read_text())
    for m in manifest["models"]:
        src = out / "checkpoints" / m["file"]
        subprocess.run([sys.executable, str(REPO / "scripts" / "convert_pth.py"), str(src),
                        str(dest / (Path(m["file"]).stem + ".safetensors"))], check=True)
    return 0


def run_cli(binary, ours, out, infer_args):
    """What a user runs: `sapiens convert X.pth X.safetensors`, then `sapiens infer` on the photos, per model."""
    manifest = json.loads((out / "manifest.json").read_text())
    ours.mkdir(parents=True, exist_ok=True)
    images = [str(out / "images" / n) for n in manifest["images"]]
    for m in manifest["models"]:
        src = out / "checkpoints" / m["file"]
        conv = ours / (Path(m["file"]).stem + ".safetensors")
        cmd = [binary, "convert", str(src), str(conv)]
        print("$ " + " ".join(cmd), flush=True)
        if subprocess.run(cmd).returncode != 0:
            print(f"  `{binary} convert` failed; converting with scripts/convert_pth.py instead", flush=True)
            subprocess.run([sys.executable, str(REPO / "scripts" / "convert_pth.py"), str(src), str(conv)], check=True)
        cmd = [binary, "infer", "--task", m["task"], "--checkpoint", str(conv), "--out", str(ours / m["name"]),
               *infer_args, *images]
        print("$ " + " ".join(cmd), flush=True)
        subprocess.run(cmd, check=True)
    return check(ours, out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="fixture folder")
    ap.add_argument("--check", type=Path, help="folder of our outputs, one subfolder per model name")
    ap.add_argument("--convert", type=Path, help="write convert_pth.py safetensors of each checkpoint here")
    ap.add_argument("--run-cli", nargs=2, metavar=("SAPIENS", "OURS"),
                    help="convert and infer with the sapiens binary into OURS, then --check OURS")
    ap.add_argument("--mmpose", type=Path, help="folder holding mmpose's `mmpose` package source: the pose "
                    "reference is then also computed with mmpose's own functions and must agree")
    ap.add_argument("--infer-arg", action="append", default=[], help="extra argument for `sapiens infer` (repeat)")
    args = ap.parse_args()
    if args.run_cli:
        return run_cli(args.run_cli[0], Path(args.run_cli[1]), args.out, args.infer_arg)
    if args.check:
        return check(args.check, args.out)
    if args.convert:
        return convert_all(args.convert, args.out)
    build_fixtures(args.out, args.mmpose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
