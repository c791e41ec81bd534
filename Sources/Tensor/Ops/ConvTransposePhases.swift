import CKernels

/// Transposed convolution by output phases.
///
/// With stride s, output row `oy` only receives kernel rows `ky ≡ oy + padding (mod s)`, so the
/// output splits into s×s interleaved phases, and each phase is an ordinary stride-1 correlation
/// of the input with (kh/s)×(kw/s) of the taps. Each tap is one GEMM of the weight slice with a
/// shifted view of the zero-padded input: the view is a plain strided matrix when the phase
/// output is laid out with the padded row width (the few extra columns per row are discarded).
///
/// Against im2col + col2im this skips the (Cout·kh·kw, H·W) column buffer (2.4 GB for the
/// Sapiens seg head's last deconvolution at 1024×768) and the col2im pass over it; the GEMM
/// FLOPs are the same. It applies when kh and kw are multiples of the stride and the output
/// size is too (k4 s2 p1, the heads' upsampling, is); other shapes use im2col.
struct DeconvPhases {
    /// One axis: for each phase r, the kernel indices of its taps and the input offsets they read.
    struct Axis {
        let taps: [[(k: Int, d: Int)]]
        let outPerPhase: Int
        let padLow: Int
        let padded: Int

        init?(input n: Int, output no: Int, kernel k: Int, stride s: Int, padding p: Int) {
            guard s >= 1, k % s == 0, no % s == 0, no > 0 else { return nil }
            let count = k / s, np = no / s
            var taps: [[(k: Int, d: Int)]] = []
            var dmin = Int.max, dmax = Int.min
            for r in 0..<s {
                // oy = s*m + r reads input m + d with kernel index q + s*t, where q ≡ r + p (mod s).
                let q = ((r + p) % s + s) % s, e = (r + p - q) / s
                taps.append((0..<count).map { (k: q + s * $0, d: e - $0) })
                dmin = min(dmin, e - count + 1); dmax = max(dmax, e)
            }
            self.taps = taps
            outPerPhase = np
            padLow = max(0, -dmin)
            padded = padLow + n + max(0, np - 1 + dmax - (n - 1))
        }
    }

    let y: Axis, x: Axis
    let stride: Int
    let kh: Int, kw: Int
    let H: Int, W: Int
    let Ho: Int, Wo: Int

    init?(H: Int, W: Int, Ho: Int, Wo: Int, kh: Int, kw: Int, stride: Int, padding: Int) {
        guard let y = Axis(input: H, output: Ho, kernel: kh, stride: stride, padding: padding),
              let x = Axis(input: W, output: Wo, kernel: kw, stride: stride, padding: padding) else { return nil }
        self.y = y; self.x = x
        self.stride = stride; self.kh = kh; self.kw = kw
        self.H = H; self.W = W; self.Ho = Ho; self.Wo = Wo
    }

    /// Padded input plane (channel stride of the padded buffer).
    var paddedPlane: Int { y.padded * x.padded }
    /// Phase output plane: outPerPhase rows of the padded width.
    var phasePlane: Int { y.outPerPhase * x.padded }
    /// GEMM columns per phase: up to the last valid column, so no view runs past its plane.
    var phaseColumns: Int { (y.outPerPhase - 1) * x.padded + x.outPerPhase }

    /// (phase row, phase col, [(tap index ky*kw+kx, offset into the padded plane)]).
    var phases: [(ry: Int, rx: Int, taps: [(tap: Int, offset: Int)])] {
        var out: [(ry: Int, rx: Int, taps: [(tap: Int, offset: Int)])] = []
        for ry in 0..<stride {
            for rx in 0..<stride {
                var taps: [(tap: Int, offset: Int)] = []
                for ty in y.taps[ry] {
                    for tx in x.taps[rx] {
                        taps.append((ty.k * kw + tx.k, (y.padLow + ty.d) * x.padded + x.padLow + tx.d))
                    }
                }
                out.append((ry, rx, taps))
            }
        }
        return out
    }

    /// Copies image planes (C, H, W) into the interior of a zeroed padded buffer.
    /// `width` and `plane` give a larger padded layout with the same low padding (the Winograd path's).
    func pad(_ src: UnsafePointer<Float>, channels: Int, into dst: UnsafeMutablePointer<Float>,
             width: Int? = nil, plane paddedPlane: Int? = nil) {
        let xp = width ?? x.padded
        let (H, W, plane, pp, base) = (H, W, H * W, paddedPlane ?? self.paddedPlane, y.padLow * xp + x.padLow)
        parallelRanges(channels, minChunk: max(1, (1 << 15) / max(plane, 1))) { r in
            for c in r { backend.copy2d(src + c * plane, W, dst + c * pp + base, xp, H, W) }
        }
    }

    /// The interior of padded planes, back to (C, H, W).
    func crop(_ src: UnsafePointer<Float>, channels: Int, into dst: UnsafeMutablePointer<Float>) {
        let (H, W, plane, pp, base) = (H, W, H * W, paddedPlane, y.padLow * x.padded + x.padLow)
        let xp = x.padded
        parallelRanges(channels, minChunk: max(1, (1 << 15) / max(plane, 1))) { r in
            for c in r { backend.copy2d(src + c * pp + base, xp, dst + c * plane, W, H, W) }
        }
    }

    /// Weights (Cin, Cout, kh, kw) as one contiguous (Cout, Cin) matrix per tap.
    static func tapMajor(_ w: UnsafePointer<Float>, cin: Int, cout: Int, taps: Int, into dst: UnsafeMutablePointer<Float>) {
        parallelFor(taps) { t in
            let d = dst + t * cout * cin
            for c in 0..<cin {
                let s = w + c * cout * taps + t
                for o in 0..<cout { d[o * cin + c] = s[o * taps] }
            }
        }
    }

    /// The adjoint layout: per-tap (Cin, Cout) matrices back to (Cin, Cout, kh, kw), accumulated.
    static func addKernelMajor(_ src: UnsafePointer<Float>, cin: Int, cout: Int, taps: Int, into w: UnsafeMutablePointer<Float>) {
        parallelRanges(cin, minChunk: max(1, (1 << 15) / max(cout * taps, 1))) { r in
            for c in r {
                for t in 0..<taps {
                    let s = src + t * cin * cout + c * cout, d = w + c * cout * taps + t
                    for o in 0..<cout { d[o * taps] += s[o] }
                }
            }
        }
    }

    /// out (Cout, Ho, Wo) at phase (ry, rx) = phase buffer (+ bias).
    func scatter(_ phase: UnsafePointer<Float>, channels: Int, ry: Int, rx: Int, bias: UnsafePointer<Float>?,
                 into out: UnsafeMutablePointer<Float>) {
        let (ohw, pp, xp, s, Wo) = (Ho * Wo, phasePlane, x.padded, stride, Wo)
        let (rows, cols) = (y.outPerPhase, x.outPerPhase)
        parallelRanges(channels, minChunk: max(1, (1 << 15) / max(pp, 1))) { r in
            for o in r {
                backend.scatterStrided(phase + o * pp, xp, out + o * ohw + ry * Wo + rx, s * Wo, s, rows, cols, bias?[o] ?? 0)
            }
        }
    }

    /// Phase (ry, rx) of a gradient (Cout, Ho, Wo), in the phase layout with zero padding columns.
    func gather(_ g: UnsafePointer<Float>, channels: Int, ry: Int, rx: Int, into phase: UnsafeMutablePointer<Float>) {
        let (ohw, pp, xp, s, Wo) = (Ho * Wo, phasePlane, x.padded, stride, Wo)
        let (rows, cols) = (y.outPerPhase, x.outPerPhase)
        parallelRanges(channels, minChunk: max(1, (1 << 15) / max(pp, 1))) { r in
            for o in r {
                backend.gatherStrided(g + o * ohw + ry * Wo + rx, s * Wo, s, phase + o * pp, xp, rows, cols, xp)
            }
        }
    }
}

extension Tensor {
    /// Forward and backward of convTranspose2d by phases (see `DeconvPhases`).
    func convTranspose2dPhases(_ w: Tensor, _ b: Tensor?, plan: DeconvPhases) -> Tensor {
        let x = self
        let (N, Cin) = (x.shape[0], x.shape[1])
        let Cout = w.shape[1], taps = plan.kh * plan.kw
        let hw = plan.H * plan.W, ohw = plan.Ho * plan.Wo
        let (pp, php, cols) = (plan.paddedPlane, plan.phasePlane, plan.phaseColumns)
        let phases = plan.phases
        let out = Tensor.empty([N, Cout, plan.Ho, plan.Wo])
        do {
            let wt = Tensor.empty([taps, Cout, Cin])
            DeconvPhases.tapMajor(w.ptr, cin: Cin, cout: Cout, taps: taps, into: wt.ptr)
            let xpad = Tensor.zeros([Cin, pp])
            let buf = Tensor.empty([Cout, php])
            for n in 0..<N {
                plan.pad(x.ptr + n * Cin * hw, channels: Cin, into: xpad.ptr)
                for phase in phases {
                    for (i, t) in phase.taps.enumerated() {
                        backend.gemm(transA: false, transB: false, m: Cout, n: cols, k: Cin, a: wt.ptr + t.tap * Cout * Cin, lda: Cin,
                              b: xpad.ptr + t.offset, ldb: pp, beta: i == 0 ? 0 : 1, c: buf.ptr, ldc: php)
                    }
                    plan.scatter(buf.ptr, channels: Cout, ry: phase.ry, rx: phase.rx, bias: b.map { UnsafePointer($0.ptr) },
                                 into: out.ptr + n * Cout * ohw)
                }
            }
        }
        let inputs = b.map { [x, w, $0] } ?? [x, w]
        return Tensor.record(out, inputs) { g in
            let gx = x.requiresGrad ? Tensor.empty(x.shape) : nil
            let gw = w.requiresGrad ? Tensor.zeros(w.shape) : nil
            let wt = gx == nil ? nil : Tensor.empty([taps, Cout, Cin])
            if let wt { DeconvPhases.tapMajor(w.ptr, cin: Cin, cout: Cout, taps: taps, into: wt.ptr) }
            let gwt = gw == nil ? nil : Tensor.zeros([taps, Cin, Cout])
            let xpad = gw == nil ? nil : Tensor.zeros([Cin, pp])
            let gxpad = gx == nil ? nil : Tensor.empty([Cin, pp])
            let gph = Tensor.empty([Cout, php])
            for n in 0..<N {
                if let xpad { plan.pad(x.ptr + n * Cin * hw, channels: Cin, into: xpad.ptr) }
                if let gxpad { gxpad.ptr.update(repeating: 0, count: Cin * pp) }
                for phase in phases {
                    plan.gather(g.ptr + n * Cout * ohw, channels: Cout, ry: phase.ry, rx: phase.rx, into: gph.ptr)
                    for t in phase.taps {
                        if let gxpad, let wt {
                            backend.gemm(transA: true, transB: false, m: Cin, n: cols, k: Cout, a: wt.ptr + t.tap * Cout * Cin, lda: Cin,
                                  b: gph.ptr, ldb: php, beta: 1, c: gxpad.ptr + t.offset, ldc: pp)
                        }
                        if let xpad, let gwt {
                            backend.gemm(transA: false, transB: true, m: Cin, n: Cout, k: cols, a: xpad.ptr + t.offset, lda: pp,
                                  b: gph.ptr, ldb: php, beta: 1, c: gwt.ptr + t.tap * Cin * Cout, ldc: Cout)
                        }
                    }
                }
                if let gx, let gxpad { plan.crop(gxpad.ptr, channels: Cin, into: gx.ptr + n * Cin * hw) }
            }
            if let gw, let gwt { DeconvPhases.addKernelMajor(gwt.ptr, cin: Cin, cout: Cout, taps: taps, into: gw.ptr) }
            var res: [Tensor?] = [gx, gw]
            if let b { res.append(b.requiresGrad ? Tensor.biasGrad(g, channels: Cout, plane: ohw) : nil) }
            return res
        }
    }
}
