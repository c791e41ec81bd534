import NN
import Tensor

extension Tensor {
    /// Scaled-dot-product attention of q (B, L, heads·hd) over k and v (B, L, kvHeads·hd), where each group of
    /// heads/kvHeads consecutive query heads shares one key/value head (transformers' `repeat_kv`). The shared
    /// heads are repeated and packed as [q | k | v] for the engine's fused attention, so backward sums the
    /// repeats' gradients back onto each key/value head.
    public static func groupedQueryAttention(q: Tensor, k: Tensor, v: Tensor, heads: Int, kvHeads: Int) -> Tensor {
        precondition(q.rank == 3 && k.shape == v.shape && heads % kvHeads == 0 && q.shape[2] % heads == 0,
                     "groupedQueryAttention: q \(q.shape), k \(k.shape), v \(v.shape), \(heads)/\(kvHeads) heads")
        let (b, l, d) = (q.shape[0], q.shape[1], q.shape[2])
        let hd = d / heads, group = heads / kvHeads
        precondition(k.shape == [b, l, kvHeads * hd], "groupedQueryAttention: k \(k.shape) for \(kvHeads) heads of \(hd)")
        func repeated(_ t: Tensor) -> Tensor {
            guard group > 1 else { return t }
            return t.reshaped([b, l, kvHeads, 1, hd]).expanded(to: [b, l, kvHeads, group, hd]).reshaped([b, l, d])
        }
        return Tensor.concat([q, repeated(k), repeated(v)], axis: 2).attention(heads: heads)
    }
}

/// Sapiens2's self-attention: separate q/k/v projections (k and v with this layer's key/value head count),
/// optional RMSNorm of each head's queries and keys (QK-norm), 2-D RoPE on patch tokens, grouped-query
/// attention, output projection. Names follow transformers' `Sapiens2Attention`.
public final class Sapiens2Attention: Module {
    @ModuleInfo public var qProj: Linear
    @ModuleInfo public var kProj: Linear
    @ModuleInfo public var vProj: Linear
    @ModuleInfo public var oProj: Linear
    @ModuleInfo public var qNorm: RMSNorm?
    @ModuleInfo public var kNorm: RMSNorm?
    public let heads: Int, kvHeads: Int

    public init(dim: Int, heads: Int, kvHeads: Int, queryBias: Bool, keyBias: Bool, valueBias: Bool, projBias: Bool,
                qkNorm: Bool, eps: Float, rng: RNG) {
        let hd = dim / heads
        self.heads = heads
        self.kvHeads = kvHeads
        qProj = Linear(dim, dim, bias: queryBias, rng: rng)
        kProj = Linear(dim, kvHeads * hd, bias: keyBias, rng: rng)
        vProj = Linear(dim, kvHeads * hd, bias: valueBias, rng: rng)
        oProj = Linear(dim, dim, bias: projBias, rng: rng)
        qNorm = qkNorm ? RMSNorm(hd, eps: eps) : nil
        kNorm = qkNorm ? RMSNorm(hd, eps: eps) : nil
    }

    /// x (B, L, D); `rope` tables cover the L - prefix patch tokens.
    public func callAsFunction(_ x: Tensor, rope: (cos: Tensor, sin: Tensor), prefix: Int) -> Tensor {
        let (b, l, d) = (x.shape[0], x.shape[1], x.shape[2])
        let hd = d / heads
        var q = qProj(x).reshaped([b, l, heads, hd])
        var k = kProj(x).reshaped([b, l, kvHeads, hd])
        if let qNorm { q = qNorm(q) }
        if let kNorm { k = kNorm(k) }
        q = q.rope2D(cos: rope.cos, sin: rope.sin, prefix: prefix)
        k = k.rope2D(cos: rope.cos, sin: rope.sin, prefix: prefix)
        let out = Tensor.flashAttention(q: q.reshaped([b, l, d]), k: k.reshaped([b, l, kvHeads * hd]),
                                        v: vProj(x), heads: heads, kvHeads: kvHeads)
        return oProj(out)
    }
}
