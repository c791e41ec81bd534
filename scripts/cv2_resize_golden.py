#!/usr/bin/env python3
"""Golden vectors for `Image.resizedLikeOpenCV` (Sources/SapiensData/Ops/OpenCVResize.swift): seeded random 8-bit
images resized with cv2.resize(..., interpolation=cv2.INTER_LINEAR), the resize the Sapiens demos use.

    cv2_resize_golden.py [OUT.json]     (default Tests/Fixtures/cv2_resize_golden.json)

Needs numpy and opencv-python(-headless). Each case stores the input and cv2's output as base64 HWC bytes.
"""
import base64
import json
import os
import sys

import cv2
import numpy as np

# (src h, src w, channels, dst h, dst w): up and down, non-integer ratios, the exact 2x shrink cv2 turns into
# its box average, one-pixel sources, a one-column change, a gray image.
CASES = [
    (40, 30, 3, 64, 48), (64, 48, 3, 40, 30), (37, 23, 3, 64, 48), (100, 80, 3, 64, 48),
    (128, 96, 3, 64, 48), (64, 48, 3, 32, 24), (33, 17, 3, 7, 5), (5, 4, 3, 64, 48),
    (64, 48, 3, 64, 47), (13, 13, 3, 13, 29), (99, 101, 3, 64, 48), (1, 1, 3, 4, 3),
    (3, 1, 3, 5, 9), (41, 57, 1, 96, 64), (300, 200, 3, 128, 96),
]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "cv2_resize_golden.json")
    rng = np.random.default_rng(20261207)
    cases = []
    for sh, sw, cn, dh, dw in CASES:
        img = rng.integers(0, 256, (sh, sw, cn), dtype=np.uint8)
        res = cv2.resize(img if cn > 1 else img[:, :, 0], (dw, dh), interpolation=cv2.INTER_LINEAR)
        cases.append({"src": [sh, sw, cn], "dst": [dh, dw],
                      "input": base64.b64encode(img.tobytes()).decode(),
                      "expected": base64.b64encode(np.ascontiguousarray(res).tobytes()).decode()})
    doc = {"generator": "scripts/cv2_resize_golden.py", "opencv": cv2.__version__, "interpolation": "INTER_LINEAR", "cases": cases}
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, out)
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
