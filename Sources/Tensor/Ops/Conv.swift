import CKernels

/// 2-D convolution and transposed convolution, lowered to im2col + sgemm.
/// Weights use PyTorch layouts: Conv2d (O, C, kh, kw), ConvTranspose2d (Cin, Cout, kh, kw).
extension Tensor {
    public func conv2d(_ w: Tensor, _ b: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
        let x = self
        precondition(x.rank == 4 && w.rank == 4 && w.shape[1] == x.shape[1], "conv2d: input \(x.shape), weight \(w.shape)")
        let (N, C, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (O, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let Ho = (H + 2 * padding - kh) / stride + 1, Wo = (W + 2 * padding - kw) / stride + 1
        precondition(Ho > 0 && Wo > 0, "conv2d: kernel \(kh)x\(kw) larger than padded input \(H)x\(W)")
        let ckk = C * kh * kw, hw = Ho * Wo
        let direct = kh == 1 && kw == 1 && stride == 1 && padding == 0
        let out = Tensor.empty([N, O, Ho, Wo])
        let col = direct ? nil : Tensor.empty([ckk, hw])
        for n in 0..<N {
            let xn = x.ptr + n * C * H * W
            if let col { backend.im2col(xn, C, H, W, kh, kw, stride, stride, padding, padding, Ho, Wo, col.ptr) }
            let yn = out.ptr + n * O * hw
            if let b { for o in 0..<O { backend.fill(yn + o * hw, b.ptr[o], hw) } }
            backend.gemm(transA: false, transB: false, m: O, n: hw, k: ckk, a: w.ptr, lda: ckk, b: col?.ptr ?? xn, ldb: hw,
                  beta: b == nil ? 0 : 1, c: yn, ldc: hw)
        }
        let inputs = b.map { [x, w, $0] } ?? [x, w]
        return Tensor.record(out, inputs) { g in
            let gx = x.requiresGrad ? Tensor.zeros(x.shape) : nil
            let gw = w.requiresGrad ? Tensor.zeros(w.shape) : nil
            let dcol = direct ? nil : Tensor.empty([ckk, hw])
            let col = direct ? nil : Tensor.empty([ckk, hw])
            for n in 0..<N {
                let xn = x.ptr + n * C * H * W, gn = g.ptr + n * O * hw
                if let gw {
                    if let col { backend.im2col(xn, C, H, W, kh, kw, stride, stride, padding, padding, Ho, Wo, col.ptr) }
                    backend.gemm(transA: false, transB: true, m: O, n: ckk, k: hw, a: gn, lda: hw, b: col?.ptr ?? xn, ldb: hw,
                          beta: 1, c: gw.ptr, ldc: ckk)
                }
                if let gx {
                    let target = dcol?.ptr ?? (gx.ptr + n * C * H * W)
                    backend.gemm(transA: true, transB: false, m: ckk, n: hw, k: O, a: w.ptr, lda: ckk, b: gn, ldb: hw, c: target, ldc: hw)
                    if let dcol { backend.col2im(dcol.ptr, C, H, W, kh, kw, stride, stride, padding, padding, Ho, Wo, gx.ptr + n * C * H * W) }
                }
            }
            var res: [Tensor?] = [gx, gw]
            if let b {
                res.append(b.requiresGrad ? Tensor.biasGrad(g, channels: O, plane: hw) : nil)
            }
            return res
        }
    }

    /// Sum of an NCHW gradient over N, H and W.
    static func biasGrad(_ g: Tensor, channels: Int, plane: Int) -> Tensor {
        let gb = Tensor.zeros([channels])
        let sums = Tensor.empty([channels])
        let N = g.count / (channels * plane)
        for n in 0..<N {
            backend.sumCols(g.ptr + n * channels * plane, sums.ptr, channels, plane)
            backend.axpy(1, sums.ptr, gb.ptr, channels)
        }
        return gb
    }

    /// Transposed convolution. Shapes whose kernel and output are multiples of the stride (the
    /// heads' k4 s2 p1) run by output phases, without a column buffer; others by GEMM + col2im.
    public func convTranspose2d(_ w: Tensor, _ b: Tensor?, stride: Int = 1, padding: Int = 0) -> Tensor {
        convTranspose2d(w, b, stride: stride, padding: padding, byPhases: true)
    }

    func convTranspose2d(_ w: Tensor, _ b: Tensor?, stride: Int, padding: Int, byPhases: Bool) -> Tensor {
        let x = self
        precondition(x.rank == 4 && w.rank == 4 && w.shape[0] == x.shape[1], "convTranspose2d: input \(x.shape), weight \(w.shape)")
        let (N, Cin, H, W) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (Cout, kh, kw) = (w.shape[1], w.shape[2], w.shape[3])
        let Ho = (H - 1) * stride - 2 * padding + kh, Wo = (W - 1) * stride - 2 * padding + kw
        precondition(Ho > 0 && Wo > 0, "convTranspose2d: empty output for input \(x.shape), weight \(w.shape)")
        if byPhases, let plan = DeconvPhases(H: H, W: W, Ho: Ho, Wo: Wo, kh: kh, kw: kw, stride: stride, padding: padding) {
            let recorded = GradMode.isEnabled && (x.requiresGrad || w.requiresGrad || b?.requiresGrad == true)
            if !recorded, DeconvWinograd.enabled, plan.winogradApplies { return convTranspose2dWinograd(w, b, plan: plan) }
            return convTranspose2dPhases(w, b, plan: plan)
        }
        let ckk = Cout * kh * kw, hw = H * W, ohw = Ho * Wo
        let out = Tensor.zeros([N, Cout, Ho, Wo])
        let col = Tensor.empty([ckk, hw])
        for n in 0..<N {
            backend.gemm(transA: true, transB: false, m: ckk, n: hw, k: Cin, a: w.ptr, lda: ckk, b: x.ptr + n * Cin * hw, ldb: hw,
                  c: col.ptr, ldc: hw)
            let yn = out.ptr + n * Cout * ohw
            backend.col2im(col.ptr, Cout, Ho, Wo, kh, kw, stride, stride, padding, padding, H, W, yn)
            if let b { for o in 0..<Cout { backend.affine(yn + o * ohw, 1, b.ptr[o], yn + o * ohw, ohw) } }
        }
        let inputs = b.map { [x, w, $0] } ?? [x, w]
        return Tensor.record(out, inputs) { g in
            let gx = x.requiresGrad ? Tensor.empty(x.shape) : nil
            let gw = w.requiresGrad ? Tensor.zeros(w.shape) : nil
            let dcol = Tensor.empty([ckk, hw])
            for n in 0..<N {
                backend.im2col(g.ptr + n * Cout * ohw, Cout, Ho, Wo, kh, kw, stride, stride, padding, padding, H, W, dcol.ptr)
                if let gx {
                    backend.gemm(transA: false, transB: false, m: Cin, n: hw, k: ckk, a: w.ptr, lda: ckk, b: dcol.ptr, ldb: hw,
                          c: gx.ptr + n * Cin * hw, ldc: hw)
                }
                if let gw {
                    backend.gemm(transA: false, transB: true, m: Cin, n: ckk, k: hw, a: x.ptr + n * Cin * hw, lda: hw, b: dcol.ptr, ldb: hw,
                          beta: 1, c: gw.ptr, ldc: ckk)
                }
            }
            var res: [Tensor?] = [gx, gw]
            if let b { res.append(b.requiresGrad ? Tensor.biasGrad(g, channels: Cout, plane: ohw) : nil) }
            return res
        }
    }
}
