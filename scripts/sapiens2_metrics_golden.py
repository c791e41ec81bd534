#!/usr/bin/env python3
"""Golden vectors for the pointmap and matting metrics (Tests/Fixtures/sapiens2_metrics_golden.json).

Pointmap: facebookresearch/sapiens2's PointmapEvaluator.process/evaluate arithmetic (sapiens/dense/src/evaluators/
pointmap_evaluator.py): distances, per-axis errors, normals from cv2.Sobel(ksize=5) cross products, angle
statistics and threshold percentages, summed over images.
Matting: the Python port of Deep Image Matting's evaluation code used by the matting literature (SAD, MSE,
gradient with first-derivative-of-Gaussian filters and scipy.ndimage.convolve, connectivity with the largest
4-connected component), over the whole image (trimap unknown everywhere).

Usage: /work/venv-bench/bin/python scripts/sapiens2_metrics_golden.py  (writes the fixture; needs numpy, scipy, cv2)
"""
import json
import os

import cv2
import numpy as np
import scipy.ndimage

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "sapiens2_metrics_golden.json")


def surface_normals(pm):
    gx = cv2.Sobel(pm.astype(np.float32), cv2.CV_32F, 1, 0, ksize=5)
    gy = cv2.Sobel(pm.astype(np.float32), cv2.CV_32F, 0, 1, ksize=5)
    n = np.cross(gx, gy)
    return n / (np.linalg.norm(n, axis=2, keepdims=True) + 1e-6)


def pointmap_metrics(pairs, dist_t=(0.05, 0.10, 0.20), ang_t=(5.0, 11.25, 22.5, 30.0)):
    tot = np.zeros(8 + len(dist_t) + len(ang_t))
    for pred, gt, valid in pairs:
        d = pred[valid] - gt[valid]
        dist = np.linalg.norm(d.astype(np.float64), axis=-1)
        gn, pn = surface_normals(gt)[valid], surface_normals(pred)[valid]
        ang = np.degrees(np.arccos(np.clip((gn.astype(np.float64) * pn).sum(1), -1, 1)))
        tot += [dist.sum(), abs(d[:, 0]).sum(), abs(d[:, 1]).sum(), abs(d[:, 2]).sum(), (dist ** 2).sum(), ang.sum(),
                (ang ** 2).sum(), len(dist)] + [(dist < t).sum() for t in dist_t] + [(ang < t).sum() for t in ang_t]
    n = tot[7]
    return {"L2": tot[0] / n, "X_abs": tot[1] / n, "Y_abs": tot[2] / n, "Z_abs": tot[3] / n, "RMSE": np.sqrt(tot[4] / n),
            "angle_mean": tot[5] / n, "angle_rmse": np.sqrt(tot[6] / n), "points": int(n),
            "pct_dist": [100 * c / n for c in tot[8:8 + len(dist_t)]], "pct_angle": [100 * c / n for c in tot[8 + len(dist_t):]]}


def gauss(x, sigma):
    return np.exp(-x ** 2 / (2 * sigma ** 2)) / (sigma * np.sqrt(2 * np.pi))


def dgauss(x, sigma):
    return -x * gauss(x, sigma) / sigma ** 2


def gaussgradient(im, sigma):
    epsilon = 1e-2
    halfsize = np.ceil(sigma * np.sqrt(-2 * np.log(np.sqrt(2 * np.pi) * sigma * epsilon))).astype(np.int32)
    size = 2 * halfsize + 1
    hx = np.zeros((size, size))
    for i in range(size):
        for j in range(size):
            hx[i, j] = gauss(i - halfsize, sigma) * dgauss(j - halfsize, sigma)
    hx = hx / np.sqrt(np.sum(np.abs(hx) * np.abs(hx)))
    return scipy.ndimage.convolve(im, hx, mode="nearest"), scipy.ndimage.convolve(im, hx.T, mode="nearest")


def largest_cc(seg):
    labels, n = scipy.ndimage.label(seg, structure=[[0, 1, 0], [1, 1, 1], [0, 1, 0]])
    if n == 0:
        return np.zeros_like(seg, dtype=bool)
    return labels == (np.argmax(np.bincount(labels.flat)[1:]) + 1)


def matting_metrics(pairs):
    sad = mse = grad = conn = 0.0
    for pred, gt in pairs:
        sad += np.abs(pred - gt).sum() / 1000
        mse += ((pred - gt) ** 2).mean()
        px, py = gaussgradient(pred, 1.4)
        tx, ty = gaussgradient(gt, 1.4)
        grad += ((np.sqrt(px ** 2 + py ** 2) - np.sqrt(tx ** 2 + ty ** 2)) ** 2).sum() / 1000
        steps = list(np.arange(0, 1 + 0.1, 0.1))
        l_map = np.ones_like(pred) * -1
        for i in range(1, len(steps)):
            omega = largest_cc((pred >= steps[i]) & (gt >= steps[i])).astype(np.int32)
            flag = (l_map == -1) & (omega == 0)
            l_map[flag] = steps[i - 1]
        l_map[l_map == -1] = 1
        pd, td = pred - l_map, gt - l_map
        pp, tp = 1 - pd * (pd >= 0.15), 1 - td * (td >= 0.15)
        conn += np.abs(pp - tp).sum() / 1000
    k = len(pairs)
    return {"SAD": sad / k, "MSE": mse / k, "Grad": grad / k, "Conn": conn / k}


def main():
    rng = np.random.default_rng(7)
    h, w = 14, 11
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    pm_cases = []
    for k in range(2):
        z = 2.0 + 0.3 * np.sin(x / 3 + k) + 0.2 * np.cos(y / 4)
        gt = np.stack([(x - w / 2) * z / 20, (y - h / 2) * z / 20, z], -1).astype(np.float32)
        pred = (gt + rng.normal(0, 0.04, gt.shape)).astype(np.float32)
        # Inside, away from the 5x5 Sobel's mirrored border: there a map's derivative is 0 up to rounding and the
        # normal is noise in any implementation.
        valid = (((x - w / 2) ** 2 / 20 + (y - h / 2) ** 2 / 40) < 1.2) & (x >= 2) & (x < w - 2) & (y >= 2) & (y < h - 2)
        pm_cases.append((pred, gt, valid))
    mat_cases = []
    for k in range(2):
        gt = np.clip(1.5 - np.sqrt((x - 5 - k) ** 2 + (y - 7) ** 2) / 3, 0, 1).astype(np.float64)
        gt[gt > 0.9] = 1
        pred = np.clip(gt + rng.normal(0, 0.15, gt.shape), 0, 1)
        pred[0:3, 0:3] = 0.7  # a detached blob: connectivity must see it
        # The Swift side reads Float32: the reference sees the same rounded values.
        mat_cases.append((pred.astype(np.float32).astype(np.float64), gt.astype(np.float32).astype(np.float64)))
    fixture = {
        "_source": "scripts/sapiens2_metrics_golden.py",
        "height": h, "width": w,
        "pointmap": {"cases": [{"prediction": p.ravel().tolist(), "ground_truth": g.ravel().tolist(),
                                "valid": v.ravel().astype(int).tolist()} for p, g, v in pm_cases],
                     "expected": pointmap_metrics(pm_cases)},
        "matting": {"cases": [{"prediction": p.ravel().tolist(), "ground_truth": g.ravel().tolist()} for p, g in mat_cases],
                    "expected": matting_metrics(mat_cases)},
    }
    with open(OUT, "w") as f:
        json.dump(fixture, f, indent=0, default=float)
    print("wrote", os.path.normpath(OUT), fixture["pointmap"]["expected"], fixture["matting"]["expected"])


if __name__ == "__main__":
    main()
