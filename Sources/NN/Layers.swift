import Foundation
import Tensor

/// y = x Wᵀ + b. Weight (out, in) as PyTorch stores it; xavier-uniform weight and zero bias (MAE's init).
public final class Linear: Module {
    @ParameterInfo public var weight: Tensor
    @ParameterInfo public var bias: Tensor?
    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true, rng: RNG) {
        weight = parameter([outFeatures, inFeatures])
        self.bias = bias ? parameter([outFeatures]) : nil
        Init.xavierUniform(weight, rng: rng)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight, bias) }
}

/// LayerNorm over the last axis; weight 1, bias 0.
public final class LayerNorm: Module {
    @ParameterInfo public var weight: Tensor
    @ParameterInfo public var bias: Tensor
    public let eps: Float
    public init(_ dim: Int, eps: Float = 1e-6) {
        weight = parameter([dim], fill: 1)
        bias = parameter([dim])
        self.eps = eps
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.layerNorm(weight: weight, bias: bias, eps: eps) }
}

/// Multi-head self-attention with a packed qkv projection ([q | k | v], heads contiguous).
///
/// By default it runs the blocked, memory-efficient kernel (`flashAttention`, no (L, L) buffer kept for
/// backward); `SAPIENS_ATTENTION=stored` selects the kernel that stores the softmax probabilities, kept for comparison.
public final class Attention: Module {
    public enum Kernel: String, Sendable { case blocked, stored }
    nonisolated(unsafe) public static var kernel = Kernel(rawValue: ProcessInfo.processInfo.environment["SAPIENS_ATTENTION"] ?? "") ?? .blocked

    @ModuleInfo public var qkv: Linear
    @ModuleInfo public var proj: Linear
    public let heads: Int
    public init(dim: Int, heads: Int, rng: RNG) {
        precondition(dim % heads == 0, "width \(dim) is not divisible by \(heads) heads")
        self.heads = heads
        qkv = Linear(dim, 3 * dim, rng: rng)
        proj = Linear(dim, dim, rng: rng)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { proj(mix(qkv(x))) }

    /// The attention itself, before the output projection, from the packed qkv projection (B, L, 3D).
    public func mix(_ packed: Tensor) -> Tensor {
        Attention.kernel == .stored ? packed.attention(heads: heads) : packed.flashAttention(heads: heads)
    }
}

/// fc2(GELU(fc1(x))).
public final class MLP: Module {
    @ModuleInfo public var fc1: Linear
    @ModuleInfo public var fc2: Linear
    public init(dim: Int, hidden: Int, rng: RNG) {
        fc1 = Linear(dim, hidden, rng: rng)
        fc2 = Linear(hidden, dim, rng: rng)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { fc1(x).geluLinear(fc2.weight, fc2.bias) }
}

/// Pre-norm transformer block: x + attn(norm1(x)), then x + mlp(norm2(x)).
public final class Block: Module {
    @ModuleInfo public var norm1: LayerNorm
    @ModuleInfo public var attn: Attention
    @ModuleInfo public var norm2: LayerNorm
    @ModuleInfo public var mlp: MLP
    public init(dim: Int, heads: Int, mlpRatio: Int = 4, eps: Float = 1e-6, rng: RNG) {
        norm1 = LayerNorm(dim, eps: eps)
        attn = Attention(dim: dim, heads: heads, rng: rng)
        norm2 = LayerNorm(dim, eps: eps)
        mlp = MLP(dim: dim, hidden: dim * mlpRatio, rng: rng)
    }
    /// Recompute this block's forward during backward instead of keeping its activations (activation checkpointing).
    public var checkpointed = false
    public func callAsFunction(_ x: Tensor) -> Tensor {
        guard checkpointed else { return forward(x) }
        return Tensor.checkpointed(x, parameters: parameters()) { self.forward($0) }
    }
    /// x + attn(norm1(x)), then h + mlp(norm2(h)), with each norm fused into the linear after it, the GELU into fc2
    /// and the residual adds into proj and fc2: training keeps neither normed copy, nor the GELU output (backward
    /// recomputes them), nor proj's and fc2's outputs apart from the sums. 10 values per token and width instead of 18.
    private func forward(_ x: Tensor) -> Tensor {
        let packed = x.layerNormLinear(normWeight: norm1.weight, normBias: norm1.bias, eps: norm1.eps, attn.qkv.weight, attn.qkv.bias)
        let h = attn.mix(packed).linear(attn.proj.weight, attn.proj.bias, residual: x)
        let hidden = h.layerNormLinear(normWeight: norm2.weight, normBias: norm2.bias, eps: norm2.eps, mlp.fc1.weight, mlp.fc1.bias)
        return hidden.geluLinear(mlp.fc2.weight, mlp.fc2.bias, residual: h)
    }
}

/// 2-D convolution, weight (out, in, k, k); torch's default init.
public final class Conv2d: Module {
    @ParameterInfo public var weight: Tensor
    @ParameterInfo public var bias: Tensor?
    public let stride: Int, padding: Int
    public init(_ inC: Int, _ outC: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true, rng: RNG) {
        weight = parameter([outC, inC, kernel, kernel])
        self.bias = bias ? parameter([outC]) : nil
        self.stride = stride
        self.padding = padding
        Init.torchDefault(weight: weight, bias: self.bias, rng: rng)
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.conv2d(weight, bias, stride: stride, padding: padding) }
}

/// Transposed 2-D convolution, weight (in, out, k, k) as PyTorch stores it.
public final class ConvTranspose2d: Module {
    @ParameterInfo public var weight: Tensor
    @ParameterInfo public var bias: Tensor?
    public let stride: Int, padding: Int
    public init(_ inC: Int, _ outC: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = false, rng: RNG) {
        weight = parameter([inC, outC, kernel, kernel])
        self.bias = bias ? parameter([outC]) : nil
        self.stride = stride
        self.padding = padding
        // torch computes fan-in for ConvTranspose from weight.size(1) * k * k.
        let bound = 1 / Float(outC * kernel * kernel).squareRoot()
        Init.uniform(weight, bound: bound, rng: rng)
        if let b = self.bias { Init.uniform(b, bound: bound, rng: rng) }
    }
    public func callAsFunction(_ x: Tensor) -> Tensor { x.convTranspose2d(weight, bias, stride: stride, padding: padding) }
}
