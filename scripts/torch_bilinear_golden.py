#!/usr/bin/env python3
"""Golden vectors for `TorchBilinear` (Sources/SapiensData/Ops/TorchBilinear.swift): seeded random planar maps
resized with F.interpolate(mode="bilinear", align_corners=False), as the Sapiens demos resize the head's
output to the image, and the arg-max over channels of the resized maps.

    torch_bilinear_golden.py [OUT.json]     (default Tests/Fixtures/torch_bilinear_golden.json)

Needs torch (CPU) and numpy. Values are little-endian float32, base64.
"""
import base64
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

# (channels, h, w, out h, out w): head outputs going up to odd photo sizes, down, and one axis only.
CASES = [(3, 16, 12, 37, 29), (5, 8, 6, 64, 47), (4, 20, 15, 9, 7), (1, 16, 12, 16, 31), (28, 6, 5, 23, 17), (2, 1, 1, 3, 4)]


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode()


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "Tests", "Fixtures", "torch_bilinear_golden.json")
    g = torch.Generator().manual_seed(20261207)
    cases = []
    for c, h, w, oh, ow in CASES:
        x = torch.randn(1, c, h, w, generator=g)
        y = F.interpolate(x, size=(oh, ow), mode="bilinear", align_corners=False)
        cases.append({"shape": [c, h, w], "size": [oh, ow], "input": b64(x.numpy()), "expected": b64(y.numpy()),
                      "argmax": y[0].argmax(dim=0).flatten().tolist()})
    doc = {"generator": "scripts/torch_bilinear_golden.py", "torch": torch.__version__, "cases": cases}
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, out)
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
