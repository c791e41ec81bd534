import Foundation

/// Transposed convolution by Winograd F(2×2, 2×2), for inference.
///
/// By output phases (`DeconvPhases`) a k = 2s transposed convolution is s×s stride-1 correlations, each with a
/// 2×2 filter. Computed directly, every 2×2 block of a phase's outputs costs 16 multiply-adds per (input,
/// output) channel pair: four taps, four outputs. Winograd's minimal filtering algorithm F(2×2, 2×2) (Lavin
/// and Gray 2016) computes the same block from the 3×3 input window with nine, after cheap transforms of the
/// input window and of the filter:
///
///     Y = Aᵀ [ Σ_c (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///     Bᵀ = [[1,-1,0],[0,1,0],[0,-1,1]],  G = [[1,0],[1,1],[0,1]],  Aᵀ = [[1,1,0],[0,1,1]]
///
/// The channel sum is nine GEMMs (Cout × Cin) · (Cin × tiles), so the heads' deconvolutions, 64 % of the Sapiens
/// seg head's arithmetic, need 9/16 of the multiply-adds. The transforms only add and subtract input values
/// one pixel apart, and the filter sums at most four taps, so the rounding is that of the direct sum (the
/// parity tests against PyTorch hold at their fp32 tolerances); it is not bitwise the direct result.
///
/// Inference only: training keeps the direct phases, whose backward exists and whose numbers the gradient
/// checks pin. `SAPIENS_DECONV=phases` turns it off (for timing one against the other).
enum DeconvWinograd {
    nonisolated(unsafe) static var enabled = ProcessInfo.processInfo.environment["SAPIENS_DECONV"]?.lowercased() != "phases"
}

extension DeconvPhases {
    /// Every phase is a 2×2 correlation when the kernel is twice the stride on both axes (the heads' k4 s2).
    var winogradApplies: Bool { kh == 2 * stride && kw == 2 * stride }
}

extension Tensor {
    /// convTranspose2d for a plan where `winogradApplies`, unrecorded (the caller checks that nothing needs a
    /// gradient).
    func convTranspose2dWinograd(_ w: Tensor, _ b: Tensor?, plan: DeconvPhases) -> Tensor {
        let x = self
        let (N, Cin) = (x.shape[0], x.shape[1])
        let Cout = w.shape[1], taps = plan.kh * plan.kw, s = plan.stride
        let (H, W, hw, ohw, Wo) = (plan.H, plan.W, plan.H * plan.W, plan.Ho * plan.Wo, plan.Wo)
        // Per axis and phase: the correlation's first input offset and its two kernel indices, in input order.
        func correlations(_ a: DeconvPhases.Axis) -> [(d0: Int, k0: Int, k1: Int)] {
            a.taps.map { t in
                let sorted = t.sorted { $0.d < $1.d }
                return (sorted[0].d, sorted[0].k, sorted[1].k)
            }
        }
        let cy = correlations(plan.y), cx = correlations(plan.x)
        let (rows, cols) = (plan.y.outPerPhase, plan.x.outPerPhase)
        let Ty = (rows + 1) / 2, Tx = (cols + 1) / 2, T = Ty * Tx
        // The padded input holds every phase's last window, which reads one row (column) past the last output
        // when a phase has an odd count.
        let (py, px) = (plan.y.padLow, plan.x.padLow)
        let rowsP = max(py + H, cy.map { py + $0.d0 + 2 * Ty + 1 }.max() ?? 0)
        let colsP = max(px + W, cx.map { px + $0.d0 + 2 * Tx + 1 }.max() ?? 0)
        let plane = rowsP * colsP

        let wt = Tensor.empty([taps, Cout, Cin])
        DeconvPhases.tapMajor(w.ptr, cin: Cin, cout: Cout, taps: taps, into: wt.ptr)
        let cc = Cout * Cin
        // Each phase's nine filter transforms U = G g Gᵀ, once for the whole batch: the corners are taps, the
        // edges pairwise sums and the centre all four, so five per phase are stored.
        let sums = Tensor.empty([s * s, 5, cc])
        var u: [[UnsafeMutablePointer<Float>]] = []
        for ry in 0..<s {
            for rx in 0..<s {
                let (y, xx) = (cy[ry], cx[rx])
                // gAB: the tap that multiplies input (i + d0y + A, j + d0x + B) for phase output (i, j).
                func tap(_ ky: Int, _ kx: Int) -> UnsafeMutablePointer<Float> { wt.ptr + (ky * plan.kw + kx) * cc }
                let (g00, g01, g10, g11) = (tap(y.k0, xx.k0), tap(y.k0, xx.k1), tap(y.k1, xx.k0), tap(y.k1, xx.k1))
                let e = sums.ptr + (ry * s + rx) * 5 * cc
                let u01 = e, u10 = e + cc, u12 = e + 2 * cc, u21 = e + 3 * cc, u11 = e + 4 * cc
                backend.add(g00, g01, u01, cc)
                backend.add(g00, g10, u10, cc)
                backend.add(g01, g11, u12, cc)
                backend.add(g10, g11, u21, cc)
                backend.add(u01, u21, u11, cc)
                u.append([g00, u01, g01, u10, u11, u12, g10, u21, g11])
            }
        }
        let xpad = Tensor.zeros([Cin, plane])
        let v = Tensor.empty([9, Cin, T])
        let m = Tensor.empty([9, Cout, T])
        let out = Tensor.empty([N, Cout, plan.Ho, plan.Wo])
        for n in 0..<N {
            plan.pad(x.ptr + n * Cin * hw, channels: Cin, into: xpad.ptr, width: colsP, plane: plane)
            for ry in 0..<s {
                for rx in 0..<s {
                    let phase = u[ry * s + rx]
                    let base = (py + cy[ry].d0) * colsP + px + cx[rx].d0
                    parallelRanges(Cin, minChunk: max(1, (1 << 14) / max(T, 1))) { r in
                        for c in r { backend.winogradInput(xpad.ptr + c * plane + base, colsP, Ty, Tx, v.ptr + c * T, Cin * T) }
                    }
                    for k in 0..<9 {
                        backend.gemm(transA: false, transB: false, m: Cout, n: T, k: Cin, a: phase[k], lda: Cin,
                                     b: v.ptr + k * Cin * T, ldb: T, c: m.ptr + k * Cout * T, ldc: T)
                    }
                    let on = out.ptr + n * Cout * ohw + ry * Wo + rx
                    parallelRanges(Cout, minChunk: max(1, (1 << 14) / max(T, 1))) { r in
                        for o in r {
                            backend.winogradOutput(m.ptr + o * T, Cout * T, Ty, Tx, rows, cols, on + o * ohw, s * Wo, s,
                                                   b.map { $0.ptr[o] } ?? 0)
                        }
                    }
                }
            }
        }
        return out
    }
}
