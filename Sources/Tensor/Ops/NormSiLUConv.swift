/// The dense heads' InstanceNorm → SiLU (→ 1×1 convolution) as ops that keep only their input for backward.
///
/// Recorded as separate ops, each head layer keeps three maps until backward: the convolution's output (for the
/// norm), the normalised map (for SiLU) and SiLU's output (for the next convolution). At the Sapiens seg head's
/// full resolution (768 channels at 512×384, 604 MB a map) that is 1.8 GB per layer, 7 GB for the head, enough to
/// push a Sapiens-1B fine-tune out of 24 GiB. These ops keep x and two numbers per plane; backward recomputes the
/// normalised map, an elementwise pass over memory it reads anyway. The numbers are the same as the separate ops'
/// (the same kernels run in the same order), forward and backward.
extension Tensor {
    /// silu(instanceNorm(x)), keeping only x (and each plane's mean and 1/std) for backward.
    public static func instanceNormSiLU(_ x: Tensor, eps: Float = 1e-5) -> Tensor {
        precondition(x.rank == 4, "instanceNormSiLU expects NCHW, got \(x.shape)")
        let planes = x.shape[0] * x.shape[1], hw = x.shape[2] * x.shape[3]
        let (out, mean, rstd) = normSiLUForward(x, planes: planes, hw: hw, eps: eps)
        return Tensor.record(out, [x]) { g in
            [normSiLUBackward(x, mean: mean, rstd: rstd, g, planes: planes, hw: hw, eps: eps)]
        }
    }

    /// conv1x1(silu(instanceNorm(x)), weight, bias) as one op that keeps x, not the two maps between.
    /// Backward recomputes silu(instanceNorm(x)) into one buffer, takes the weight gradient from it, and then
    /// writes the gradient of that map over it, so it holds one map more than the gradients themselves.
    public static func instanceNormSiLUConv1x1(_ x: Tensor, weight w: Tensor, bias b: Tensor?, eps: Float = 1e-5) -> Tensor {
        precondition(x.rank == 4 && w.rank == 4 && w.shape[1] == x.shape[1] && w.shape[2] == 1 && w.shape[3] == 1,
                     "instanceNormSiLUConv1x1: input \(x.shape), weight \(w.shape)")
        let (N, C, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        let O = w.shape[0]
        let (y, mean, rstd) = normSiLUForward(x, planes: N * C, hw: hw, eps: eps)
        // The plain convolution, unrecorded: this op's node keeps x instead of y, which is released on return.
        let out = withNoGrad { y.conv2d(w, b) }
        let inputs = b.map { [x, w, $0] } ?? [x, w]
        return Tensor.record(out, inputs) { g in
            let gw = w.requiresGrad ? Tensor.zeros(w.shape) : nil
            var gx: Tensor? = nil
            if gw != nil || x.requiresGrad {
                let (y, _, _) = normSiLUForward(x, planes: N * C, hw: hw, eps: eps)
                for n in 0..<N {
                    let gn = g.ptr + n * O * hw, yn = y.ptr + n * C * hw
                    if let gw {
                        backend.gemm(transA: false, transB: true, m: O, n: C, k: hw, a: gn, lda: hw, b: yn, ldb: hw,
                                     beta: 1, c: gw.ptr, ldc: C)
                    }
                    // Image n's map is no longer needed: its gradient takes its place.
                    if x.requiresGrad {
                        backend.gemm(transA: true, transB: false, m: C, n: hw, k: O, a: w.ptr, lda: C, b: gn, ldb: hw,
                                     c: yn, ldc: hw)
                    }
                }
                if x.requiresGrad { gx = normSiLUBackward(x, mean: mean, rstd: rstd, y, planes: N * C, hw: hw, eps: eps) }
            }
            var res: [Tensor?] = [gx, gw]
            if let b { res.append(b.requiresGrad ? Tensor.biasGrad(g, channels: O, plane: hw) : nil) }
            return res
        }
    }

    private static func normSiLUForward(_ x: Tensor, planes: Int, hw: Int, eps: Float) -> (Tensor, Tensor, Tensor) {
        let out = Tensor.empty(x.shape), mean = Tensor.empty([planes]), rstd = Tensor.empty([planes])
        parallelRanges(planes, minChunk: max(1, (1 << 15) / max(hw, 1))) { r in
            let o = r.lowerBound
            backend.instnormSiluFwd(x.ptr + o * hw, out.ptr + o * hw, mean.ptr + o, rstd.ptr + o, r.count, hw, eps)
        }
        return (out, mean, rstd)
    }

    private static func normSiLUBackward(_ x: Tensor, mean: Tensor, rstd: Tensor, _ g: Tensor, planes: Int, hw: Int,
                                         eps: Float) -> Tensor {
        let gx = Tensor.empty(x.shape)
        // Planes in a few chunks per worker; each worker has two planes of scratch.
        let chunk = max(1, min(planes, (1 << 15) / max(hw, 1)), planes / (4 * EngineThreads.count))
        let jobs = (planes + chunk - 1) / chunk
        let scratch = Tensor.empty([parallelWorkers(jobs), 2 * hw])
        parallelJobs(jobs) { j, worker in
            let lo = j * chunk, hi = min(planes, lo + chunk)
            backend.instnormSiluBwd(x.ptr + lo * hw, mean.ptr + lo, rstd.ptr + lo, g.ptr + lo * hw, gx.ptr + lo * hw,
                                    scratch.ptr + worker * 2 * hw, hi - lo, hw, eps)
        }
        return gx
    }
}
