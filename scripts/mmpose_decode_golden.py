#!/usr/bin/env python3
"""Golden vectors for our mmpose-equivalent pose decoding, crop and back-mapping.

Runs mmpose's own functions (not re-implementations) on small inputs and writes what they return to a JSON
fixture that the Swift tests (Tests/DataTests/MMPoseDecodeGoldenTests.swift) compare against without Python:

- UDPHeatmap.decode with DARK-UDP refinement (get_heatmap_maximum, refine_keypoints_dark_udp → gaussian_blur,
  then `/ [W-1, H-1] * input_size`) on ideal Gaussians at sub-pixel positions, flat and plateau maps, peaks on
  the border, all-negative maps and noisy maps;
- the flip test (flip_heatmaps with flip_mode 'heatmap', shift_heatmap False, averaged as HeatmapHead.predict);
- the top-down crop: bbox_xyxy2cs (padding 1.25), TopdownAffine._fix_aspect_ratio, get_udp_warp_matrix,
  cv2.warpAffine(INTER_LINEAR) on a small uint8 image, and add_pred_to_datasample's back-mapping.

mmpose's package __init__ needs mmcv/mmengine, so only the pure numpy/cv2/torch modules are imported, by file
path. UDPHeatmap.decode and add_pred_to_datasample live in modules that import the registry; their few lines
of arithmetic are repeated here verbatim (see `udp_decode` and `back_map`). TopdownAffine._fix_aspect_ratio
is taken from mmpose's source with `ast` (its module imports mmcv).

Usage:
  git -C /work/.mirror/open-mmlab+mmpose/repo archive HEAD mmpose | tar -x -C /tmp/mmpose-src
  /work/venv-bench/bin/python scripts/mmpose_decode_golden.py --mmpose /tmp/mmpose-src \
      --out Tests/Fixtures/mmpose_decode_golden.json
"""
import argparse
import ast
import importlib.util
import json
import os
import sys
import base64
import types

import cv2
import numpy as np
import torch


def load_module(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def load_mmpose(root):
    base = os.path.join(root, "mmpose")
    # A stand-in package so refinement.py's `from .post_processing import ...` resolves without mmpose/__init__.
    pkg = types.ModuleType("mmp_codec_utils")
    pkg.__path__ = [os.path.join(base, "codecs", "utils")]
    sys.modules["mmp_codec_utils"] = pkg
    post = load_module("mmp_codec_utils.post_processing", os.path.join(base, "codecs", "utils", "post_processing.py"))
    refine = load_module("mmp_codec_utils.refinement", os.path.join(base, "codecs", "utils", "refinement.py"))
    bbox = load_module("mmp_bbox_transforms", os.path.join(base, "structures", "bbox", "transforms.py"))
    tta = load_module("mmp_tta", os.path.join(base, "models", "utils", "tta.py"))
    # TopdownAffine._fix_aspect_ratio, lifted from the class source (the module imports mmcv).
    src = open(os.path.join(base, "datasets", "transforms", "topdown_transforms.py")).read()
    fix = None
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.FunctionDef) and node.name == "_fix_aspect_ratio":
            node.decorator_list = []
            ns = {"np": np}
            exec(compile(ast.Module(body=[node], type_ignores=[]), "topdown_transforms.py", "exec"), ns)
            fix = ns["_fix_aspect_ratio"]
    assert fix is not None, "TopdownAffine._fix_aspect_ratio not found"
    return post, refine, bbox, tta, fix


def udp_decode(post, refine, heatmaps, input_size, blur_kernel_size=11):
    """UDPHeatmap.decode for heatmap_type 'gaussian' (mmpose/codecs/udp_heatmap.py)."""
    heatmaps = heatmaps.copy()
    keypoints, scores = post.get_heatmap_maximum(heatmaps)
    keypoints = keypoints[None]
    scores = scores[None]
    keypoints = refine.refine_keypoints_dark_udp(keypoints, heatmaps, blur_kernel_size=blur_kernel_size)
    _, H, W = heatmaps.shape
    keypoints = keypoints / [W - 1, H - 1] * input_size
    return keypoints[0], scores[0]


def back_map(keypoints, input_size, center, scale):
    """TopdownPoseEstimator.add_pred_to_datasample (mmpose/models/pose_estimators/topdown.py)."""
    return keypoints / np.array(input_size) * scale + center - 0.5 * scale


def f32(a):
    """float32 values, little-endian, base64 (exact and a quarter of the size of decimal text)."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def gaussian(W, H, x, y, sigma, amp=1.0):
    xs = np.arange(W, dtype=np.float32)[None, :]
    ys = np.arange(H, dtype=np.float32)[:, None]
    return (amp * np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma ** 2))).astype(np.float32)


def heatmap_cases(rng, W, H):
    maps, names = [], []

    def add(name, m):
        names.append(name)
        maps.append(np.asarray(m, dtype=np.float32))

    for i, (x, y, s) in enumerate([(10.3, 14.7, 2.0), (5.5, 20.25, 1.5), (17.9, 3.4, 3.0), (12.0, 16.0, 2.0), (11.5, 15.5, 6.0)]):
        add(f"gaussian {x},{y} sigma {s}", gaussian(W, H, x, y, s))
    add("gaussian at left border", gaussian(W, H, 0.2, 12.6, 2.0))
    add("gaussian at right border", gaussian(W, H, W - 1.3, 9.1, 2.0))
    add("gaussian at bottom-right corner", gaussian(W, H, W - 1, H - 1, 2.0))
    add("gaussian outside the top", gaussian(W, H, 7.7, -2.5, 2.0))
    add("gaussian scaled 0.4", gaussian(W, H, 8.25, 9.75, 2.0, 0.4))
    add("gaussian scaled 60 (log clip at 50)", gaussian(W, H, 14.2, 22.8, 2.0, 60.0))
    add("flat 0.5", np.full((H, W), 0.5))
    plateau = np.zeros((H, W)); plateau[10:13, 6:9] = 0.8
    add("3x3 plateau", plateau)
    plateau2 = np.full((H, W), 0.1); plateau2[20:22, 15:17] = 0.9
    add("2x2 plateau on a floor", plateau2)
    two = gaussian(W, H, 6.0, 8.0, 2.0) + gaussian(W, H, 18.0, 25.0, 2.0)
    add("two equal peaks (first wins)", two)
    add("gaussian with noise", gaussian(W, H, 13.6, 18.2, 2.0) + 0.05 * rng.standard_normal((H, W)))
    for i in range(4):
        add(f"random normal {i}", 0.3 * rng.standard_normal((H, W)))
    add("all negative", -0.2 - np.abs(rng.standard_normal((H, W))))
    add("all negative, second", -1.0 - 0.1 * rng.standard_normal((H, W)))
    add("single positive pixel", np.where(np.arange(H * W).reshape(H, W) == 77, 0.3, -0.5))
    add("peak in the top-left pixel", gaussian(W, H, 0.0, 0.0, 2.0))
    return np.stack(maps), names


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mmpose", required=True, help="directory holding the extracted mmpose package (…/mmpose)")
    ap.add_argument("--out", default="Tests/Fixtures/mmpose_decode_golden.json")
    args = ap.parse_args()
    post, refine, bbox, tta, fix_aspect = load_mmpose(args.mmpose)
    rng = np.random.default_rng(23)
    out = {"source": "mmpose functions run by scripts/mmpose_decode_golden.py", "decode": [], "flip": [], "crop": [], "warp": []}

    # Decoding, at two heatmap sizes (a small one, and Sapiens' 1/4 ratio at a smaller input).
    for (W, H), input_size in [((24, 32), (96, 128)), ((48, 64), (192, 256))]:
        maps, names = heatmap_cases(rng, W, H)
        kps, scores = udp_decode(post, refine, maps, input_size)
        out["decode"].append({"input_size": list(input_size), "heatmap_size": [W, H], "names": names,
                              "heatmaps": f32(maps),
                              "keypoints": kps.astype(np.float64).ravel().tolist(), "scores": scores.astype(np.float64).tolist()})

    # The first map all negative: its stencil starts at flat index 0, so numpy's negative indices wrap around
    # to the end of the last map.
    W, H, input_size = 12, 10, (48, 40)
    maps = np.stack([-0.3 - np.abs(rng.standard_normal((H, W))), gaussian(W, H, 4.3, 6.8, 1.5),
                     0.2 * rng.standard_normal((H, W)), gaussian(W, H, 10.6, 8.9, 2.0) - 0.1]).astype(np.float32)
    names = ["all negative, first map", "gaussian 4.3,6.8 sigma 1.5", "random normal", "gaussian near the bottom-right, offset -0.1"]
    kps, scores = udp_decode(post, refine, maps, input_size)
    out["decode"].append({"input_size": list(input_size), "heatmap_size": [W, H], "names": names, "heatmaps": f32(maps),
                          "keypoints": kps.astype(np.float64).ravel().tolist(), "scores": scores.astype(np.float64).tolist()})

    # Flip test: direct and mirrored-input heatmaps, flipped back with channel swaps, averaged, decoded.
    W, H, input_size = 24, 32, (96, 128)
    flip_indices = [1, 0, 2, 4, 3]
    direct = np.stack([gaussian(W, H, 6.3, 10.1, 2.0), gaussian(W, H, 17.2, 10.4, 2.0), gaussian(W, H, 11.6, 20.0, 2.0),
                       gaussian(W, H, 4.4, 28.7, 2.0) + 0.02 * rng.standard_normal((H, W)), 0.3 * rng.standard_normal((H, W))]).astype(np.float32)
    mirrored = (direct[:, :, ::-1][flip_indices] + 0.05 * rng.standard_normal(direct.shape)).astype(np.float32)
    merged_t = (torch.from_numpy(direct)[None] + tta.flip_heatmaps(torch.from_numpy(mirrored.copy())[None], flip_indices=flip_indices,
                                                                    flip_mode="heatmap", shift_heatmap=False)) * 0.5
    merged = merged_t[0].numpy()
    kps, scores = udp_decode(post, refine, merged, input_size)
    out["flip"].append({"input_size": list(input_size), "heatmap_size": [W, H], "flip_indices": flip_indices,
                        "direct": f32(direct), "mirrored": f32(mirrored), "merged": f32(merged),
                        "keypoints": kps.astype(np.float64).ravel().tolist(), "scores": scores.astype(np.float64).tolist()})

    # Crops: box (x1, y1, x2, y2 in mmpose's pixel-index frame) → centre/scale → warp matrix; back-mapping.
    input_size = (768, 1024)
    boxes = [[0, 0, 640, 480], [0, 0, 480, 640], [35.5, 20.25, 310.75, 590.5], [100, 50, 130, 300], [-20, -10, 200, 90], [12.3, 45.6, 78.9, 80.1]]
    for b in boxes:
        box = np.array(b, dtype=np.float32).reshape(1, 4)
        center, scale = bbox.bbox_xyxy2cs(box, padding=1.25)
        fixed = fix_aspect(scale, aspect_ratio=input_size[0] / input_size[1])
        mat = bbox.get_udp_warp_matrix(center[0], fixed[0], 0.0, output_size=input_size)
        pts = np.array([[0.0, 0.0], [767.0, 1023.0], [383.5, 511.5], [100.25, 900.75], [-3.0, 1030.0]])
        back = back_map(pts, input_size, center[0], fixed[0])
        out["crop"].append({"box": b, "input_size": list(input_size), "center": center[0].astype(np.float64).tolist(),
                            "scale": scale[0].astype(np.float64).tolist(), "fixed_scale": fixed[0].astype(np.float64).tolist(),
                            "warp": mat.astype(np.float64).ravel().tolist(), "points": pts.ravel().tolist(),
                            "back_mapped": back.astype(np.float64).ravel().tolist(),
                            # the forward map of the back-mapped points must land on the crop points again
                            "warped_back": cv2.transform(back[None].astype(np.float32), mat)[0].astype(np.float64).ravel().tolist()})

    # cv2.warpAffine with mmpose's flags on a small image, through UDP matrices of boxes inside, across and
    # outside it (bytes must match exactly: cv2 works in fixed point).
    img = rng.integers(0, 256, size=(30, 40, 3), dtype=np.uint8)
    for b, size in [([5, 3, 33, 27], (12, 16)), ([-8, 10, 20, 40], (12, 16)), ([0, 0, 40, 30], (9, 7)), ([10.3, 4.8, 17.1, 9.9], (15, 20))]:
        box = np.array(b, dtype=np.float32).reshape(1, 4)
        center, scale = bbox.bbox_xyxy2cs(box, padding=1.25)
        fixed = fix_aspect(scale, aspect_ratio=size[0] / size[1])
        mat = bbox.get_udp_warp_matrix(center[0], fixed[0], 0.0, output_size=size)
        warped = cv2.warpAffine(img, mat, (int(size[0]), int(size[1])), flags=cv2.INTER_LINEAR)
        out["warp"].append({"box": b, "size": list(size), "matrix": mat.astype(np.float64).ravel().tolist(),
                            "output": base64.b64encode(warped.tobytes()).decode()})
    out["warp_image"] = {"width": 40, "height": 30, "pixels": base64.b64encode(img.tobytes()).decode()}

    tmp = args.out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(out, f, separators=(",", ":"))
    os.replace(tmp, args.out)
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")


if __name__ == "__main__":
    main()
