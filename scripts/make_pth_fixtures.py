#!/usr/bin/env python3
"""Writes the small PyTorch checkpoints that Tests/TensorTests/TorchCheckpointTests.swift and
Tests/ModelsTests/PthConversionTests.swift read, with the values torch wrote next to each one.

    /work/venv-bench/bin/python scripts/make_pth_fixtures.py [OUT_DIR]   (default Tests/Fixtures/torch)

Each X.pth that holds weights gets X.expected.safetensors (written by the safetensors package from
the same tensors, contiguous, in their own dtype), so the Swift reader is compared exactly with torch.
sapiens_pose.pth also gets sapiens_pose.convert_pth{,.bf16,.f16}.safetensors, scripts/convert_pth.py's
output with --dtype f32/bf16/f16, for the end-to-end comparison of `sapiens convert` with the Python converter.

The hostile files describe a call of os.system / eval; the tests check that reading them gives a
clear error (or, outside the weights, a warning) and that the command they describe never runs.
Seeded; rerunning writes the same values (zip timestamps aside).
"""
import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Tests/Fixtures/torch")
MARKER = "/tmp/sapiens-pth-fixture-pwned"   # the hostile pickles would create this file


def expected(path, tensors):
    save_file({k: v.detach().contiguous().clone() for k, v in tensors.items()}, str(path))


def plain_state_dict():
    g = torch.Generator().manual_seed(23)
    r = lambda *s: torch.randn(*s, generator=g)
    sd = collections.OrderedDict()
    sd["f32"] = r(3, 4)
    sd["f16"] = r(2, 5).half()
    sd["bf16"] = r(4, 3).bfloat16()
    sd["f64"] = r(3).double()
    sd["i64"] = torch.tensor([0, -7, 1 << 40, 3])
    sd["i32"] = torch.tensor([[1, -2], [3, 2**31 - 1]], dtype=torch.int32)
    sd["i16"] = torch.tensor([-300, 300], dtype=torch.int16)
    sd["i8"] = torch.tensor([-128, 5, 127], dtype=torch.int8)
    sd["u8"] = torch.tensor([0, 128, 255], dtype=torch.uint8)
    sd["bool"] = torch.tensor([True, False, True])
    sd["scalar"] = torch.tensor(2.5)
    sd["empty"] = torch.zeros(0, 4)
    base = r(5, 6)
    sd["transposed"] = base.t()                 # non-contiguous view, shares `base`'s storage
    sd["window"] = base[1:4, 2:5]               # offset + non-contiguous strides, same storage
    shared = r(10)
    sd["shared_a"] = shared[:6].view(2, 3)      # two tensors on one storage
    sd["shared_b"] = shared[4:]
    sd["expanded"] = r(1, 3).expand(4, 3)       # stride 0
    sd["param"] = torch.nn.Parameter(r(2, 2))
    sd["f16_transposed"] = r(3, 2).half().t()
    return sd


def sapiens_state_dict(D=16, depth=2, p=4, grid=(4, 3), joints=5):
    """Sapiens / mmpretrain names (backbone.*) and a pose head, as an official pose checkpoint has them."""
    g = torch.Generator().manual_seed(7)
    r = lambda *s: torch.randn(*s, generator=g)
    sd = collections.OrderedDict()
    sd["backbone.cls_token"] = r(1, 1, D)
    sd["backbone.pos_embed"] = r(1, grid[0] * grid[1], D)
    sd["backbone.patch_embed.projection.weight"] = r(D, 3, p, p)
    sd["backbone.patch_embed.projection.bias"] = r(D)
    for i in range(depth):
        b = f"backbone.layers.{i}."
        sd[b + "ln1.weight"], sd[b + "ln1.bias"] = r(D), r(D)
        sd[b + "attn.qkv.weight"], sd[b + "attn.qkv.bias"] = r(3 * D, D), r(3 * D)
        sd[b + "attn.proj.weight"], sd[b + "attn.proj.bias"] = r(D, D), r(D)
        sd[b + "ln2.weight"], sd[b + "ln2.bias"] = r(D), r(D)
        sd[b + "ffn.layers.0.0.weight"], sd[b + "ffn.layers.0.0.bias"] = r(4 * D, D), r(4 * D)
        sd[b + "ffn.layers.1.weight"], sd[b + "ffn.layers.1.bias"] = r(D, 4 * D), r(D)
    sd["backbone.ln1.weight"], sd["backbone.ln1.bias"] = r(D), r(D)
    sd["head.deconv_layers.0.weight"] = r(D, 8, 4, 4)
    sd["head.deconv_layers.1.weight"], sd["head.deconv_layers.1.bias"] = r(8), r(8)
    sd["head.deconv_layers.1.running_mean"], sd["head.deconv_layers.1.running_var"] = r(8), r(8).abs()
    sd["head.deconv_layers.1.num_batches_tracked"] = torch.tensor(210)
    sd["head.final_layer.weight"], sd["head.final_layer.bias"] = r(joints, 8, 1, 1), r(joints)
    sd["data_preprocessor.mean"] = torch.tensor([123.675, 116.28, 103.53]).view(3, 1, 1)   # no rule: copied, warned
    return sd


CFG = """model = dict(
    type='TopdownPoseEstimator',
    backbone=dict(type='mmpretrain.VisionTransformer', arch='sapiens_0.3b', img_size=(1024, 768),
                  patch_size=16, patch_cfg=dict(padding=2), with_cls_token=False, out_type='featmap'),
    head=dict(type='HeatmapHead', in_channels=1024, out_channels=308))
"""


class Evil:
    """Pickles as a call of `fn(arg)`; loading it with pickle would run the call."""
    def __init__(self, fn, arg):
        self.fn, self.arg = fn, arg

    def __reduce__(self):
        return (self.fn, (self.arg,))


class HistoryBuffer:
    """Stands in for mmengine's HistoryBuffer in a message hub: an object of a class we do not know."""
    def __init__(self):
        self._log_history = np.array([0.5, 0.25])
        self._count_history = np.array([1, 1])
        self.max_length = 1000000


def register_fake_module(cls, module):
    """Makes `cls` picklable as `module.<name>` without that package installed."""
    import types
    parts = module.split(".")
    for i in range(1, len(parts) + 1):
        sys.modules.setdefault(".".join(parts[:i]), types.ModuleType(".".join(parts[:i])))
    cls.__module__ = module
    setattr(sys.modules[module], cls.__name__, cls)


register_fake_module(HistoryBuffer, "mmengine.logging.history_buffer")


def torchscript_module():
    class Block(torch.nn.Module):
        def __init__(self, d):
            super().__init__()
            self.ln1 = torch.nn.LayerNorm(d)
            self.fc = torch.nn.Linear(d, d)

        def forward(self, x):
            return x + self.fc(self.ln1(x))

    class Net(torch.nn.Module):
        def __init__(self, d=6):
            super().__init__()
            self.layers = torch.nn.ModuleList([Block(d), Block(d)])
            self.head = torch.nn.Conv2d(d, 3, 1)
            self.register_buffer("mean", torch.tensor([1.0, 2.0, 3.0]), persistent=False)
            self.register_buffer("steps", torch.tensor(4))

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return self.head(x.permute(0, 3, 1, 2)) + self.mean.view(1, 3, 1, 1)

    torch.manual_seed(3)
    return Net().eval()


def zip64_copy(src, dst):
    """Rewrites a torch zip with every central-directory size and offset in its ZIP64 extra field and a
    ZIP64 end record, as the zip writer does past 4 GiB (entries STORED and 64-byte aligned)."""
    zin = zipfile.ZipFile(src)
    out, central = bytearray(), bytearray()
    for info in zin.infolist():
        data = zin.read(info.filename)
        name = info.filename.encode()
        crc = zipfile.crc32(data) & 0xFFFFFFFF
        offset = len(out)
        local_extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        pad = (-(offset + 30 + len(name) + len(local_extra) + 4)) % 64
        local_extra += struct.pack("<HH", 0x4246, pad) + b"\0" * pad
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(name), len(local_extra))
        out += name + local_extra + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                               len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + name + extra
    cd_offset, n = len(out), len(zin.infolist())
    out += central
    eocd64 = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, n, n, len(central), cd_offset)
    out += struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    Path(dst).write_bytes(out)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for f in OUT.glob("*"):
        f.unlink()
    if os.path.exists(MARKER):
        os.unlink(MARKER)

    # 1. a plain OrderedDict state dict: every dtype, views, shared storages
    sd = plain_state_dict()
    torch.save(sd, OUT / "state_dict.pth")
    expected(OUT / "state_dict.expected.safetensors", sd)

    # 2. an official-style Sapiens pose checkpoint: mmengine meta with cfg, state_dict
    sap = sapiens_state_dict()
    meta = {"cfg": CFG, "epoch": 210, "iter": 12345, "seed": 0, "experiment_name": "fixture",
            "mmengine_version": "0.10.3", "dataset_meta": {"dataset_name": "goliath", "num_keypoints": 5}}
    torch.save({"meta": meta, "state_dict": sap}, OUT / "sapiens_pose.pth")
    expected(OUT / "sapiens_pose.expected.safetensors", sap)
    conv = Path(__file__).resolve().parent / "convert_pth.py"
    for dt, suffix in [("f32", ""), ("bf16", ".bf16"), ("f16", ".f16")]:
        subprocess.run([sys.executable, str(conv), str(OUT / "sapiens_pose.pth"),
                        str(OUT / f"sapiens_pose.convert_pth{suffix}.safetensors"), "--dtype", dt], check=True)

    # 3. the same with what a full mmengine checkpoint also holds: numpy scalars and arrays in meta, a
    #    message hub of unknown objects, an optimizer; bf16 weights
    sap16 = collections.OrderedDict((k, v.bfloat16() if v.is_floating_point() else v) for k, v in sap.items())
    meta_np = dict(meta, seed=np.int64(1234), lr=np.float64(0.5), flip=np.bool_(True),
                   dataset_meta={"sigmas": np.array([0.026, 0.025, 0.035]), "num_keypoints": 5})
    hub = {"log_scalars": {"train/loss": HistoryBuffer()}, "runtime_info": {"epoch": 210, "iter": np.int32(12345)}}
    torch.save({"meta": meta_np, "state_dict": sap16, "message_hub": hub,
                "optimizer": {"state": {0: {"step": torch.tensor(3.0)}}, "param_groups": [{"lr": 1e-4, "params": [0]}]}},
               OUT / "mmengine_full.pth")
    expected(OUT / "mmengine_full.expected.safetensors", sap16)

    # 4. TorchScript: traced and scripted archives of a small module
    net = torchscript_module()
    x = torch.randn(1, 2, 2, 6)
    torch.jit.trace(net, x).save(str(OUT / "traced.pt"))
    torch.jit.script(net).save(str(OUT / "scripted.pt"))
    expected(OUT / "torchscript.expected.safetensors", {**dict(net.named_parameters()), **dict(net.named_buffers())})

    # 5. hostile pickles: the weights themselves are a call; a call among the weights; a call beside them
    torch.save(Evil(os.system, f"touch {MARKER}"), OUT / "hostile_top.pth")
    torch.save({"state_dict": {"w": torch.ones(2), "evil": Evil(eval, f"__import__('os').system('touch {MARKER}')")}},
               OUT / "hostile_in_weights.pth")
    torch.save({"state_dict": {"w": torch.ones(2)}, "message_hub": Evil(os.system, f"touch {MARKER}")},
               OUT / "hostile_beside.pth")
    expected(OUT / "hostile_beside.expected.safetensors", {"w": torch.ones(2)})

    # 6. damaged files: truncated, a flipped byte inside tensor data, recompressed, unsupported dtype
    raw = (OUT / "state_dict.pth").read_bytes()
    (OUT / "truncated.pth").write_bytes(raw[: len(raw) * 2 // 3])
    z = zipfile.ZipFile(OUT / "state_dict.pth")
    info = z.getinfo("state_dict/data/0")
    lh = raw[info.header_offset:info.header_offset + 30]
    name_len, extra_len = struct.unpack("<HH", lh[26:30])
    start = info.header_offset + 30 + name_len + extra_len
    bad = bytearray(raw)
    bad[start + 1] ^= 0x40
    (OUT / "corrupt_crc.pth").write_bytes(bytes(bad))
    with zipfile.ZipFile(OUT / "compressed.pth", "w", zipfile.ZIP_DEFLATED) as zc:
        for i in z.infolist():
            zc.writestr(i.filename, z.read(i.filename))
    torch.save({"c": torch.randn(3, dtype=torch.complex64)}, OUT / "complex.pth")
    torch.save({"w": torch.ones(2)}, OUT / "legacy.pth", _use_new_zipfile_serialization=False)

    # 7. ZIP64 records (the layout of a > 4 GiB checkpoint) on a small file
    zip64_copy(OUT / "state_dict.pth", OUT / "zip64.pth")
    assert torch.equal(torch.load(OUT / "zip64.pth", weights_only=True)["window"], sd["window"])

    assert not os.path.exists(MARKER)
    for f in sorted(OUT.glob("*")):
        print(f"{f.stat().st_size:8d}  {f.name}")


if __name__ == "__main__":
    main()
