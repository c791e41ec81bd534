import CKernels

/// Memory-efficient scaled-dot-product attention (FlashAttention-2 on the CPU).
///
/// Queries and keys are taken in blocks small enough that one block's scores, probabilities and
/// operands stay in L2. The forward keeps a running row max and sum (online softmax) and saves only
/// the output and each row's log-sum-exp; the backward recomputes each block's probabilities from
/// them. No (L, L) buffer exists in either direction, so memory grows with L, not L².
/// Grouped-query attention is native: query head h reads key/value head h / (heads / kvHeads), and
/// backward sums the group's gradients onto that head without repeating k and v.

/// Query rows per forward block (the job granularity): a multiple of the 6-row register tile of the block
/// kernels, small enough that the packed query block (96×hd) and one key panel stay in L1.
let flashForwardQueryBlock = 96
/// Key rows per forward block: the 96×256 scores block (96 KiB) stays in L2; a multiple of the 16-key panels.
let flashKeyBlock = 256
/// Backward blocks, worked transposed (rows are keys, columns queries): keys per block, a multiple of the
/// 6-row register tile, and queries per block, a multiple of the 16-wide panels.
let flashBackwardKeyBlock = 96
let flashBackwardQueryBlock = 96

/// Where one attention operand lives: head h's row r of batch b starts at
/// `ptr + b * batchStride + r * rowStride + h * hd`.
struct AttentionOperand {
    let ptr: UnsafeMutablePointer<Float>
    let batchStride: Int, rowStride: Int
    func at(_ b: Int, _ h: Int, _ r: Int, _ hd: Int) -> UnsafeMutablePointer<Float> {
        ptr + b * batchStride + r * rowStride + h * hd
    }
}

/// Sizes of one attention call.
struct AttentionShape {
    let batch: Int, length: Int, heads: Int, kvHeads: Int, headDim: Int
    var group: Int { heads / kvHeads }
    var scale: Float { 1 / Float(headDim).squareRoot() }
}

enum FlashAttention {
    /// out = softmax(q kᵀ / √hd) v per head; writes each row's log-sum-exp to `lse` (B, heads, L) when given.
    static func forward(_ s: AttentionShape, q: AttentionOperand, k: AttentionOperand, v: AttentionOperand,
                        out: AttentionOperand, lse: UnsafeMutablePointer<Float>?) {
        let L = s.length, hd = s.headDim, scale = s.scale
        let Br = flashForwardQueryBlock, Bc = flashKeyBlock
        let hdPad = (hd + 15) / 16 * 16, lenPad = (L + 15) / 16 * 16
        let qBlocks = (L + Br - 1) / Br
        let jobs = s.batch * s.heads * qBlocks
        let workers = parallelWorkers(jobs)
        // Per worker: one scores block, the packed query block, the output block padded to whole 16-float
        // panels, then the running max and sum of its rows.
        let perWorker = Br * Bc + Br * hd + Br * hdPad + 2 * Br
        let scratch = Tensor.empty([workers, perWorker])
        // Each key/value head packed once into 16-wide panels (layouts in sk_fused.h), so the block kernels read
        // contiguous panels: the rows of a packed projection sit 3D floats apart, all in one L1 set.
        let kp = Tensor.empty([s.batch * s.kvHeads, lenPad * hd])
        let vp = Tensor.empty([s.batch * s.kvHeads, hdPad * lenPad])
        parallelFor(s.batch * s.kvHeads) { bk in
            let b = bk / s.kvHeads, h = bk % s.kvHeads
            backend.attnPackKeys(k.at(b, h, 0, hd), k.rowStride, L, hd, kp.ptr + bk * lenPad * hd)
            backend.attnPackValues(v.at(b, h, 0, hd), v.rowStride, L, hd, vp.ptr + bk * hdPad * lenPad)
        }
        parallelJobs(jobs) { job, w in
            let bh = job / qBlocks, r0 = (job % qBlocks) * Br, rows = min(Br, L - r0)
            let b = bh / s.heads, h = bh % s.heads, kvh = h / s.group
            let sc = scratch.ptr + w * perWorker
            let qb = sc + Br * Bc, ob = qb + Br * hd, m = ob + Br * hdPad, l = m + Br
            let qp = q.at(b, h, r0, hd), op = out.at(b, h, r0, hd)
            let kph = kp.ptr + (b * s.kvHeads + kvh) * lenPad * hd
            let vph = vp.ptr + (b * s.kvHeads + kvh) * hdPad * lenPad
            // The query block contiguous, for the same reason as the panels.
            for r in 0..<rows { (qb + r * hd).update(from: qp + r * q.rowStride, count: hd) }
            ob.update(repeating: 0, count: rows * hdPad)
            m.update(repeating: -.infinity, count: rows)
            l.update(repeating: 0, count: rows)
            var c0 = 0
            while c0 < L {
                let cols = min(Bc, L - c0)
                backend.attnScores(qb, hd, kph + c0 * hd, sc, Bc, rows, cols, hd)
                backend.flashFwdStep(sc, rows, cols, Bc, scale, m, l, ob, hdPad, hdPad)
                backend.attnPV(sc, Bc, vph + c0 * 16, lenPad * 16, ob, hdPad, rows, cols, hd)
                c0 += cols
            }
            backend.flashFwdFinish(ob, rows, hdPad, hdPad, m, l, lse.map { $0 + bh * L + r0 })
            for r in 0..<rows { (op + r * out.rowStride).update(from: ob + r * hdPad, count: hd) }
        }
    }

    /// Accumulates (+=) the gradients of q, k and v into gq, gk, gv (zeroed by the caller) from the output
    /// gradient `go`, the forward output `out` and the saved log-sum-exp.
    ///
    /// Each block is worked transposed, keys by queries, so that all five products are the forward's two
    /// register-tiled kernels over operands packed once per head: Pᵀ = exp(scale K Qᵀ - lse) and
    /// dPᵀ = V dOᵀ (keys against query panels), dV += Pᵀ dO and dK += dSᵀ Q (query-reduced, into key rows),
    /// and dQ += dS K from the dSᵀ block read transposed.
    static func backward(_ s: AttentionShape, q: AttentionOperand, k: AttentionOperand, v: AttentionOperand,
                         out: AttentionOperand, go: AttentionOperand, lse: UnsafePointer<Float>,
                         gq: AttentionOperand, gk: AttentionOperand, gv: AttentionOperand) {
        let L = s.length, hd = s.headDim, scale = s.scale
        let Bk = flashBackwardKeyBlock, Bq = flashBackwardQueryBlock
        let hdPad = (hd + 15) / 16 * 16, lenPad = (L + 15) / 16 * 16
        // delta = rowsum(dO ∘ O), the softmax backward's per-row term, for every (batch, head, row).
        let delta = Tensor.empty([s.batch, s.heads, L])
        parallelFor(s.batch * s.heads) { bh in
            let b = bh / s.heads, h = bh % s.heads
            backend.rowdotStrided(go.at(b, h, 0, hd), go.rowStride, out.at(b, h, 0, hd), out.rowStride, L, hd, delta.ptr + bh * L)
        }
        // One job per (batch, key/value head): it alone writes that head's dK and dV and its group's dQ.
        let jobs = s.batch * s.kvHeads
        let workers = parallelWorkers(jobs)
        // Per worker, O(L·hd) in all: K and V rows contiguous (the kernels' row operands), K in value panels,
        // Q and dO of the current query head in key panels and in value panels, the local dK, dV and dQ
        // (padded to whole panels), and the two blocks.
        let rowsSize = L * hd, keyPanels = lenPad * hd, valuePanels = hdPad * lenPad, local = L * hdPad
        let perWorker = 2 * rowsSize + valuePanels + 2 * keyPanels + 2 * valuePanels + 3 * local + 2 * Bk * Bq
        let scratch = Tensor.empty([workers, perWorker])
        parallelJobs(jobs) { job, w in
            let b = job / s.kvHeads, kvh = job % s.kvHeads
            let kc = scratch.ptr + w * perWorker, vc = kc + rowsSize, kvp = vc + rowsSize
            let qk = kvp + valuePanels, ok = qk + keyPanels, qv = ok + keyPanels, ov = qv + valuePanels
            let dk = ov + valuePanels, dv = dk + local, dq = dv + local
            let pt = dq + local, dpt = pt + Bk * Bq
            backend.copy2d(k.at(b, kvh, 0, hd), k.rowStride, kc, hd, L, hd)
            backend.copy2d(v.at(b, kvh, 0, hd), v.rowStride, vc, hd, L, hd)
            backend.attnPackValues(k.at(b, kvh, 0, hd), k.rowStride, L, hd, kvp)
            dk.update(repeating: 0, count: 2 * local)
            for h in kvh * s.group..<(kvh + 1) * s.group {
                let bh = b * s.heads + h
                let lseh = lse + bh * L, deltah = delta.ptr + bh * L
                backend.attnPackKeys(q.at(b, h, 0, hd), q.rowStride, L, hd, qk)
                backend.attnPackKeys(go.at(b, h, 0, hd), go.rowStride, L, hd, ok)
                backend.attnPackValues(q.at(b, h, 0, hd), q.rowStride, L, hd, qv)
                backend.attnPackValues(go.at(b, h, 0, hd), go.rowStride, L, hd, ov)
                dq.update(repeating: 0, count: local)
                var c0 = 0
                while c0 < L {
                    let keys = min(Bk, L - c0)
                    var r0 = 0
                    while r0 < L {
                        let qs = min(Bq, L - r0)
                        // Pᵀ = exp(scale K Qᵀ - lse)
                        backend.attnScores(kc + c0 * hd, hd, qk + r0 * hd, pt, Bq, keys, qs, hd)
                        backend.flashBwdProbs(pt, keys, qs, Bq, scale, lseh + r0)
                        // dV += Pᵀ dO
                        backend.attnPV(pt, Bq, ov + r0 * 16, lenPad * 16, dv + c0 * hdPad, hdPad, keys, qs, hd)
                        // dPᵀ = V dOᵀ, then dSᵀ = Pᵀ ∘ (dPᵀ - delta)
                        backend.attnScores(vc + c0 * hd, hd, ok + r0 * hd, dpt, Bq, keys, qs, hd)
                        backend.flashBwdDs(pt, dpt, keys, qs, Bq, deltah + r0)
                        // dK += dSᵀ Q and dQ += dS K (both scaled once, when they are added to the gradients)
                        backend.attnPV(dpt, Bq, qv + r0 * 16, lenPad * 16, dk + c0 * hdPad, hdPad, keys, qs, hd)
                        backend.attnPVTransposed(dpt, Bq, kvp + c0 * 16, lenPad * 16, dq + r0 * hdPad, hdPad, qs, keys, hd)
                        r0 += qs
                    }
                    c0 += keys
                }
                for r in 0..<L { backend.axpy(scale, dq + r * hdPad, gq.at(b, h, r, hd), hd) }
            }
            for r in 0..<L {
                backend.axpy(scale, dk + r * hdPad, gk.at(b, kvh, r, hd), hd)
                backend.axpy(1, dv + r * hdPad, gv.at(b, kvh, r, hd), hd)
            }
        }
    }
}

extension Tensor {
    /// Memory-efficient multi-head attention from a packed qkv projection (B, L, 3D) laid out [q | k | v]
    /// with heads contiguous (the layout of `attention(heads:)`, which it equals up to float rounding).
    /// Saves only the output and a (B, heads, L) log-sum-exp for backward.
    public func flashAttention(heads: Int) -> Tensor {
        precondition(rank == 3 && heads > 0 && shape[2] % (3 * heads) == 0,
                     "flashAttention expects (B, L, 3D) with D divisible by heads, got \(shape)")
        let qkv = self
        let B = shape[0], L = shape[1], D = shape[2] / 3
        let s = AttentionShape(batch: B, length: L, heads: heads, kvHeads: heads, headDim: D / heads)
        func operand(_ t: Tensor, _ offset: Int) -> AttentionOperand {
            AttentionOperand(ptr: t.ptr + offset, batchStride: L * 3 * D, rowStride: 3 * D)
        }
        let out = Tensor.empty([B, L, D])
        let outOp = AttentionOperand(ptr: out.ptr, batchStride: L * D, rowStride: D)
        let recording = GradMode.isEnabled && requiresGrad
        let lse: Tensor? = recording ? Tensor.empty([B, heads, L]) : nil
        FlashAttention.forward(s, q: operand(qkv, 0), k: operand(qkv, D), v: operand(qkv, 2 * D), out: outOp, lse: lse?.ptr)
        guard let lse else { return out }
        let saved = out.detached()   // the output without its graph node, so the closure does not own its own node
        return Tensor.record(out, [qkv]) { g in
            let gqkv = Tensor.zeros(qkv.shape)
            FlashAttention.backward(s, q: operand(qkv, 0), k: operand(qkv, D), v: operand(qkv, 2 * D),
                                    out: AttentionOperand(ptr: saved.ptr, batchStride: L * D, rowStride: D),
                                    go: AttentionOperand(ptr: g.ptr, batchStride: L * D, rowStride: D), lse: lse.ptr,
                                    gq: operand(gqkv, 0), gk: operand(gqkv, D), gv: operand(gqkv, 2 * D))
            return [gqkv]
        }
    }

    /// Memory-efficient grouped-query attention: q (B, L, heads·hd) over k and v (B, L, kvHeads·hd), each group of
    /// heads/kvHeads consecutive query heads sharing one key/value head (transformers' `repeat_kv` semantics),
    /// without materialising the repeats. kvHeads == heads is ordinary multi-head attention.
    public static func flashAttention(q: Tensor, k: Tensor, v: Tensor, heads: Int, kvHeads: Int) -> Tensor {
        precondition(q.rank == 3 && heads > 0 && kvHeads > 0 && heads % kvHeads == 0 && q.shape[2] % heads == 0,
                     "flashAttention: q \(q.shape), \(heads)/\(kvHeads) heads")
        let B = q.shape[0], L = q.shape[1], D = q.shape[2], hd = D / heads, Dkv = kvHeads * hd
        precondition(k.shape == [B, L, Dkv] && v.shape == k.shape,
                     "flashAttention: k \(k.shape), v \(v.shape) for \(kvHeads) heads of \(hd)")
        let s = AttentionShape(batch: B, length: L, heads: heads, kvHeads: kvHeads, headDim: hd)
        func operand(_ t: Tensor) -> AttentionOperand {
            AttentionOperand(ptr: t.ptr, batchStride: L * t.shape[2], rowStride: t.shape[2])
        }
        let out = Tensor.empty([B, L, D])
        let recording = GradMode.isEnabled && (q.requiresGrad || k.requiresGrad || v.requiresGrad)
        let lse: Tensor? = recording ? Tensor.empty([B, heads, L]) : nil
        FlashAttention.forward(s, q: operand(q), k: operand(k), v: operand(v), out: operand(out), lse: lse?.ptr)
        guard let lse else { return out }
        let saved = out.detached()
        return Tensor.record(out, [q, k, v]) { g in
            let gq = Tensor.zeros(q.shape), gk = Tensor.zeros(k.shape), gv = Tensor.zeros(v.shape)
            FlashAttention.backward(s, q: operand(q), k: operand(k), v: operand(v), out: operand(saved), go: operand(g),
                                    lse: lse.ptr, gq: operand(gq), gk: operand(gk), gv: operand(gv))
            return [gq, gk, gv]
        }
    }
}
