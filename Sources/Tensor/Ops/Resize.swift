import CKernels
import Foundation

public enum ResizeMode: Sendable { case bilinear, bicubic }

/// 1-D interpolation weights as a dense (out, in) matrix, PyTorch semantics with align_corners=False.
/// Bicubic uses a = -0.75 and clamps taps at the border, as torch's upsample_bicubic2d does.
func interpolationMatrix(input n: Int, output m: Int, mode: ResizeMode) -> [Float] {
    var mat = [Float](repeating: 0, count: m * n)
    let scale = Double(n) / Double(m)
    for o in 0..<m {
        switch mode {
        case .bilinear:
            let src = max((Double(o) + 0.5) * scale - 0.5, 0)
            let i0 = min(Int(src), n - 1)
            let i1 = i0 < n - 1 ? i0 + 1 : i0
            let l1 = Float(src - Double(i0))
            mat[o * n + i0] += 1 - l1
            mat[o * n + i1] += l1
        case .bicubic:
            let src = (Double(o) + 0.5) * scale - 0.5
            let i = Int(floor(src))
            let t = Float(src - floor(src))
            let a: Float = -0.75
            func c1(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
            func c2(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            let w = [c2(t + 1), c1(t), c1(1 - t), c2(2 - t)]
            for k in 0..<4 {
                let idx = min(max(i - 1 + k, 0), n - 1)
                mat[o * n + idx] += w[k]
            }
        }
    }
    return mat
}

extension Tensor {
    /// Resizes the last two axes of an NCHW (or any ..., H, W) tensor. Separable: a GEMM along W,
    /// then one along H per plane; backward applies the transposed matrices.
    public func resized(height ho: Int, width wo: Int, mode: ResizeMode = .bilinear) -> Tensor {
        precondition(rank >= 2, "resize needs (..., H, W), got \(shape)")
        let h = shape[rank - 2], w = shape[rank - 1]
        if h == ho && w == wo { return self }
        let planes = count / (h * w)
        let ry = Tensor(shape: [ho, h], data: interpolationMatrix(input: h, output: ho, mode: mode))
        let rx = Tensor(shape: [wo, w], data: interpolationMatrix(input: w, output: wo, mode: mode))
        let tmp = Tensor.empty([planes * h, wo])
        // tmp = X Rxᵀ  (all planes at once), then Y_p = Ry tmp_p
        backend.gemm(transA: false, transB: true, m: planes * h, n: wo, k: w, a: ptr, lda: w, b: rx.ptr, ldb: w, c: tmp.ptr, ldc: wo)
        let out = Tensor.empty(Array(shape.dropLast(2)) + [ho, wo])
        for p in 0..<planes {
            backend.gemm(transA: false, transB: false, m: ho, n: wo, k: h, a: ry.ptr, lda: h, b: tmp.ptr + p * h * wo, ldb: wo,
                  c: out.ptr + p * ho * wo, ldc: wo)
        }
        let inShape = shape
        return Tensor.record(out, [self]) { g in
            let t2 = Tensor.empty([planes * h, wo])
            for p in 0..<planes {
                backend.gemm(transA: true, transB: false, m: h, n: wo, k: ho, a: ry.ptr, lda: h, b: g.ptr + p * ho * wo, ldb: wo,
                      c: t2.ptr + p * h * wo, ldc: wo)
            }
            let gx = Tensor.empty(inShape)
            backend.gemm(transA: false, transB: false, m: planes * h, n: w, k: wo, a: t2.ptr, lda: wo, b: rx.ptr, ldb: w, c: gx.ptr, ldc: w)
            return [gx]
        }
    }
}
