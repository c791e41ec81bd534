#!/usr/bin/env python3
"""Reads Sapiens shards with h5py alone and checks the documented layout (docs/README-data.md).

usage: scripts/check_shard_h5py.py SHARD.h5 [SHARD.h5 ...]
Exits 0 when every shard checks out, 1 otherwise, 2 when h5py is not installed.
"""
import sys

try:
    import h5py
    import numpy as np
except ImportError:
    print("check_shard_h5py: h5py/numpy not installed; skipping", file=sys.stderr)
    sys.exit(2)

JPEG, PNG = b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n"
# group -> (values dataset, shape after the first axis or None when it depends on K)
FIELDS = {
    "image": ("bytes", ()),
    "boxes": ("values", (5,)),
    "keypoints": ("values", None),
    "seg": ("bytes", ()),
    "depth": ("values", ()),
    "normals": ("values", (3,)),
    "mask": ("bytes", ()),
}


def check(path):
    problems = []
    with h5py.File(path, "r") as f:
        fmt = f.attrs["format"]
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if fmt != "sapiens-shard":
            problems.append(f"format attribute is {fmt!r}")
        n, k = int(f.attrs["count"]), int(f.attrs["num_keypoints"])
        ids = [s.decode() if isinstance(s, bytes) else s for s in f["id"][:]]
        sources = f["source"][:]
        w, h = f["width"][:], f["height"][:]
        for name, arr in (("id", ids), ("source", sources), ("width", w), ("height", h)):
            if len(arr) != n:
                problems.append(f"/{name} has {len(arr)} entries, count is {n}")
        offsets = {}
        for group, (values, inner) in FIELDS.items():
            o = f[group]["offsets"][:]
            v = f[group][values]
            want = inner if inner is not None else ((k, 3) if k else v.shape[1:])
            if v.shape[1:] != want:
                problems.append(f"/{group}/{values} shape {v.shape}, expected (*, {want})")
            if len(o) != n + 1 or o[0] != 0 or np.any(np.diff(o) < 0) or o[-1] != v.shape[0]:
                problems.append(f"/{group}/offsets inconsistent with /{group}/{values}")
            offsets[group] = o
        for i in range(n):
            def part(group):
                o = offsets[group]
                return f[group][FIELDS[group][0]][o[i]:o[i + 1]]
            img = part("image").tobytes()
            if not (img.startswith(JPEG) or img.startswith(PNG)):
                problems.append(f"record {i} ({ids[i]}): image bytes are neither JPEG nor PNG")
            pixels = int(w[i]) * int(h[i])
            for group in ("seg", "mask"):
                b = part(group).tobytes()
                if b and not b.startswith(PNG):
                    problems.append(f"record {i}: {group} is not a PNG")
            d, nrm = part("depth"), part("normals")
            if len(d) not in (0, pixels):
                problems.append(f"record {i}: depth has {len(d)} values for {w[i]}x{h[i]}")
            if len(nrm) not in (0, pixels):
                problems.append(f"record {i}: normals have {len(nrm)} rows for {w[i]}x{h[i]}")
        kp_people = offsets["keypoints"][-1]
        print(f"{path}: {n} records, K={k}, {offsets['boxes'][-1]} boxes, {kp_people} people with keypoints, "
              f"{int(np.sum(np.diff(offsets['depth']) > 0))} with depth, first id {ids[0] if ids else '-'}")
    for p in problems:
        print(f"{path}: {p}", file=sys.stderr)
    return not problems


if __name__ == "__main__":
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        sys.exit(1)
    ok = all([check(p) for p in sys.argv[1:]])
    sys.exit(0 if ok else 1)
