/// `F.interpolate(x, size=(H, W), mode="bilinear", align_corners=False)` (no antialiasing) on planar float
/// maps, with PyTorch's CPU index arithmetic: source coordinate scale·(i + 0.5) − 0.5 in Float with
/// scale = in / out, clamped at 0, so the taps and weights are torch's exactly; the blend (rows of column
/// blends) agrees with torch's vectorised kernel to an ulp (2.4e-7 on unit-variance maps), not bit for bit. The Sapiens demos resize the
/// head's output to the image this way, once (`vis_seg.py`, `vis_depth.py`, `vis_normal.py`).
public enum TorchBilinear {
    /// Per output index: the two source indices and their weights.
    struct Taps {
        var i0: [Int], i1: [Int], w0: [Float], w1: [Float]
        init(input n: Int, output m: Int) {
            i0 = []; i1 = []; w0 = []; w1 = []
            let scale = Float(n) / Float(m)
            for o in 0..<m {
                // One rounding, as PyTorch's build contracts scale·(i + 0.5) − 0.5 into a fused multiply-add
                // (checked against torch 2.13: the unfused form moves some weights by an ulp).
                var src = Float(-0.5).addingProduct(scale, Float(o) + 0.5)
                if src < 0 { src = 0 }
                let lo = min(Int(src), n - 1)
                let l1 = min(max(src - Float(lo), 0), 1)
                i0.append(lo); i1.append(lo < n - 1 ? lo + 1 : lo)
                w0.append(1 - l1); w1.append(l1)
            }
        }
    }

    /// C planar h × w maps → C planar outH × outW maps.
    public static func resize(planar v: [Float], channels c: Int, height h: Int, width w: Int, toHeight oh: Int, toWidth ow: Int) -> [Float] {
        guard c > 0, h > 0, w > 0, oh > 0, ow > 0, v.count >= c * h * w else { return [] }
        if oh == h && ow == w { return Array(v.prefix(c * h * w)) }
        let ty = Taps(input: h, output: oh), tx = Taps(input: w, output: ow)
        var out = [Float](repeating: 0, count: c * oh * ow)
        v.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                guard let s = src.baseAddress, let d = dst.baseAddress else { return }
                for ch in 0..<c {
                    let plane = s + ch * h * w, op = d + ch * oh * ow
                    for oy in 0..<oh {
                        let r0 = plane + ty.i0[oy] * w, r1 = plane + ty.i1[oy] * w
                        let a0 = ty.w0[oy], a1 = ty.w1[oy]
                        let row = op + oy * ow
                        for ox in 0..<ow {
                            let x0 = tx.i0[ox], x1 = tx.i1[ox], b0 = tx.w0[ox], b1 = tx.w1[ox]
                            row[ox] = a0 * (b0 * r0[x0] + b1 * r0[x1]) + a1 * (b0 * r1[x0] + b1 * r1[x1])
                        }
                    }
                }
            }
        }
        return out
    }

    /// The arg-max class of C planar logit maps resized to outH × outW, without materialising C full-size
    /// planes (a photo's worth of 28 classes would be gigabytes). Ties go to the lower class, as torch.argmax.
    public static func argmax(planar v: [Float], channels c: Int, height h: Int, width w: Int, toHeight oh: Int, toWidth ow: Int) -> [UInt8] {
        guard c > 0, h > 0, w > 0, oh > 0, ow > 0, v.count >= c * h * w else { return [] }
        let ty = Taps(input: h, output: oh), tx = Taps(input: w, output: ow)
        var out = [UInt8](repeating: 0, count: oh * ow)
        let plane = h * w
        v.withUnsafeBufferPointer { src in
            guard let s = src.baseAddress else { return }
            for oy in 0..<oh {
                let r0 = ty.i0[oy] * w, r1 = ty.i1[oy] * w, a0 = ty.w0[oy], a1 = ty.w1[oy]
                for ox in 0..<ow {
                    let x0 = tx.i0[ox], x1 = tx.i1[ox], b0 = tx.w0[ox], b1 = tx.w1[ox]
                    var best = 0, bestValue = -Float.infinity
                    for ch in 0..<c {
                        let p = s + ch * plane
                        let value = a0 * (b0 * p[r0 + x0] + b1 * p[r0 + x1]) + a1 * (b0 * p[r1 + x0] + b1 * p[r1 + x1])
                        if value > bestValue || (value.isNaN && !bestValue.isNaN) { bestValue = value; best = ch }
                    }
                    out[oy * ow + ox] = UInt8(min(best, 255))
                }
            }
        }
        return out
    }
}
