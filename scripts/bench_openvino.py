#!/usr/bin/env python3
"""OpenVINO peer benchmark for `sapiens bench` (issue 27).

Times OpenVINO on the same torch modules scripts/bench_pytorch.py builds (same classes, same seeds, same
input shapes, same analytic FLOP counts), converted with `openvino.convert_model` and compiled for the CPU
with INFERENCE_PRECISION_HINT f32 and/or bf16. Conversion and compilation are timed separately and are not in
ms_median. Inference figures only (OpenVINO is an inference runtime).

Output: one JSON line per (figure, precision) on stdout, in bench_pytorch.py's format plus
"precision", "convert_s", "compile_s" and "impl": "openvino"; progress on stderr.

Checking tool only (needs torch and openvino, e.g. `pip install openvino` into /work/venv-bench); the
framework never imports it.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_pytorch as bp  # noqa: E402  (the shared model code and FLOP formulas)

import torch  # noqa: E402


class LogitsOnly(torch.nn.Module):
    """A transformers model called on pixel_values, returning only its logits tensor, so convert_model traces a
    plain tensor-in, tensor-out graph (the ModelOutput dataclass is not part of what is timed)."""
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model(pixel_values=pixel_values).logits


def modules(args):
    """name -> (build(): (module, input), flop, heavy)."""
    out = {}
    for size in ("tiny", "small", "base"):
        for b in (1, 8):
            d, depth, heads = bp.VIT[size]

            def build(d=d, depth=depth, heads=heads, b=b):
                return bp.ViTEncoder(dim=d, depth=depth, heads=heads, fused=True).eval(), torch.randn(b, 3, 224, 224)
            out[f"vit_{size}_infer_b{b}"] = (build, bp.vit_infer_flop(b, d, depth), False)

    def seg():
        return bp.SapiensSeg(fused=True).eval(), torch.randn(1, 3, 1024, 768)
    out["sapiens_0.3b_seg_infer_b1"] = (seg, bp.sapiens_seg_flop(), True)

    def seg_head():
        return bp.SegHead().eval(), torch.randn(1, 1024, 64, 48)
    out["sapiens_0.3b_seg_head_infer_b1"] = (seg_head, bp.sapiens_seg_flop(head_only=True), True)

    def sapiens2_seg():
        model, img = bp.sapiens2_seg_model()
        return LogitsOnly(model).eval(), img
    out["sapiens2_0.4b_seg_infer_b1"] = (sapiens2_seg, bp.sapiens2_seg_flop(), True)
    return out


def convert(build):
    """The torch module converted once per figure: (OpenVINO model, input, seconds)."""
    import openvino as ov
    torch.manual_seed(0)
    model, x = build()
    t0 = time.perf_counter()
    with torch.inference_mode():
        ov_model = ov.convert_model(model, example_input=x)
    return ov_model, x, time.perf_counter() - t0


def measure(name, converted, flop, precision, warmup, reps, args):
    import openvino as ov
    ov_model, x, convert_s = converted
    core = ov.Core()
    config = {"INFERENCE_PRECISION_HINT": precision, "INFERENCE_NUM_THREADS": args.threads,
              "PERFORMANCE_HINT": "LATENCY"}
    t0 = time.perf_counter()
    compiled = core.compile_model(ov_model, "CPU", config)
    compile_s = time.perf_counter() - t0
    hint = compiled.get_property("INFERENCE_PRECISION_HINT")
    actual = hint.to_string() if hasattr(hint, "to_string") else str(hint)
    request = compiled.create_infer_request()
    inputs = [x.numpy()]
    for _ in range(warmup):
        request.infer(inputs)
    times = []
    busy0, own0, wall0 = bp.machine_busy_s(), bp.own_cpu_s(), time.perf_counter()
    for _ in range(reps):
        t0 = time.perf_counter()
        request.infer(inputs)
        times.append((time.perf_counter() - t0) * 1e3)
    busy1, own1, wall1 = bp.machine_busy_s(), bp.own_cpu_s(), time.perf_counter()
    other = None
    if busy0 is not None and busy1 is not None:
        other = max(0.0, ((busy1 - busy0) - (own1 - own0)) / ((wall1 - wall0) * (os.cpu_count() or 1)))
    med = statistics.median(times)
    rec = {
        "name": name, "impl": "openvino", "openvino": ov.__version__, "precision": precision,
        "precision_used": actual,
        "ms_min": round(min(times), 3), "ms_median": round(med, 3),
        "gflop": round(flop / 1e9, 4), "gflops": round(flop / 1e9 / (med / 1e3), 2),
        "threads": args.threads, "reps": reps, "warmup": warmup, "ms_all": [round(t, 3) for t in times],
        "convert_s": round(convert_s, 2), "compile_s": round(compile_s, 2),
        "other_load": None if other is None else round(other, 3),
    }
    print(f"[bench_openvino] {name} {precision} (runs {actual}): convert {convert_s:.1f}s, compile {compile_s:.1f}s, "
          f"median {med:.1f} ms, other load {rec['other_load']}", file=sys.stderr)
    return rec


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5, help="timed runs per figure (heavy figure: min(reps, 2))")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs per figure (heavy figure: 1)")
    ap.add_argument("--only", default=None, help="comma-separated figure names")
    ap.add_argument("--heavy", action="store_true", help="also run sapiens_0.3b_seg_infer_b1")
    ap.add_argument("--precision", default="f32,bf16",
                    help="comma-separated INFERENCE_PRECISION_HINT values (f32, bf16); a CPU without bf16 "
                         "runs bf16 requests in f32, which precision_used shows")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    w = modules(args)
    if args.list:
        for name, (_, flop, heavy) in w.items():
            print(f"{name}\t{flop / 1e9:.4f} GFLOP{'  (heavy)' if heavy else ''}")
        return 0
    if args.only:
        names = [n.strip() for n in args.only.split(",") if n.strip()]
        unknown = [n for n in names if n not in w]
        if unknown:
            ap.error(f"unknown or non-inference figure(s): {', '.join(unknown)}; known: {', '.join(w)}")
    else:
        names = [n for n, (_, _, heavy) in w.items() if args.heavy or not heavy]
    for name in names:
        build, flop, heavy = w[name]
        reps, warmup = (min(args.reps, 2), min(args.warmup, 1)) if heavy else (args.reps, args.warmup)
        converted = convert(build)
        for precision in [p.strip() for p in args.precision.split(",") if p.strip()]:
            print(json.dumps(measure(name, converted, flop, precision, warmup, reps, args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
