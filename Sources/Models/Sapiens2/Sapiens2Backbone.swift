import NN
import Tensor

/// LayerScale: a learned per-channel factor on a residual branch.
public final class LayerScale: Module {
    @ParameterInfo public var lambda1: Tensor
    public init(_ dim: Int, value: Float = 1) { lambda1 = parameter([dim], fill: value) }
    public func callAsFunction(_ x: Tensor) -> Tensor { x * lambda1 }
}

/// Patch embedding (conv, kernel = stride = patch), then [cls, registers…, patches…]. The mask token, when the
/// config has one, replaces masked patches during masked-image pretraining.
public final class Sapiens2Embeddings: Module {
    @ParameterInfo public var clsToken: Tensor
    @ParameterInfo public var maskToken: Tensor?
    @ParameterInfo public var registerTokens: Tensor
    @ModuleInfo public var patchEmbeddings: Conv2d
    public let patch: Int

    public init(_ c: Sapiens2Config, rng: RNG) {
        let d = c.hiddenSize
        patch = c.patchSize
        clsToken = parameter([1, 1, d])
        maskToken = c.useMaskToken ? parameter([1, 1, d]) : nil
        registerTokens = parameter([1, c.numRegisterTokens, d])
        patchEmbeddings = Conv2d(c.numChannels, d, kernel: c.patchSize, stride: c.patchSize, rng: rng)
        Init.truncatedNormal(clsToken, std: 0.02, rng: rng)
        if registerTokens.count > 0 { Init.truncatedNormal(registerTokens, std: 0.02, rng: rng) }
    }


    /// (B, C, H, W) → (B, 1 + registers + gh·gw, D) and the token grid. `masked` (B·gh·gw flags, row-major
    /// patches) swaps those patches for the mask token.
    public func callAsFunction(_ pixels: Tensor, masked: [Bool]? = nil) -> (tokens: Tensor, grid: (h: Int, w: Int)) {
        let y = patchEmbeddings(pixels)  // (B, D, gh, gw)
        let (b, d, gh, gw) = (y.shape[0], y.shape[1], y.shape[2], y.shape[3])
        var patches = y.reshaped([b, d, gh * gw]).permuted([0, 2, 1])
        if let masked, let maskToken, masked.count == b * gh * gw {
            let keep = Tensor(shape: [b, gh * gw, 1], data: masked.map { $0 ? 0 : 1 })
            let flip = Tensor(shape: [b, gh * gw, 1], data: masked.map { $0 ? 1 : 0 })
            patches = patches * keep + maskToken * flip
        }
        var parts = [clsToken.expanded(to: [b, 1, d])]
        if registerTokens.shape[1] > 0 { parts.append(registerTokens.expanded(to: [b, registerTokens.shape[1], d])) }
        parts.append(patches)
        return (Tensor.concat(parts, axis: 1), (gh, gw))
    }
}

/// One pre-norm block: x + LayerScale(attention(norm1(x))), then x + mlp(norm2(x)) (transformers'
/// `Sapiens2Layer`; its second LayerScale is the identity).
public final class Sapiens2Layer: Module {
    @ModuleInfo public var norm1: RMSNorm
    @ModuleInfo public var attention: Sapiens2Attention
    @ModuleInfo public var layerScale1: LayerScale
    @ModuleInfo public var norm2: RMSNorm
    @ModuleInfo public var mlp: Sapiens2MLP

    public init(_ c: Sapiens2Config, layer: Int, rng: RNG) {
        let d = c.hiddenSize
        norm1 = RMSNorm(d, eps: c.rmsNormEps)
        attention = Sapiens2Attention(dim: d, heads: c.numAttentionHeads, kvHeads: c.numKeyValueHeadsPerLayer[layer],
                                      queryBias: c.queryBias, keyBias: c.keyBias, valueBias: c.valueBias,
                                      projBias: c.projBias, qkNorm: c.useQKNorm, eps: c.rmsNormEps, rng: rng)
        layerScale1 = LayerScale(d)
        norm2 = RMSNorm(d, eps: c.rmsNormEps)
        mlp = Sapiens2MLP(dim: d, hidden: c.intermediateSize, gated: c.useGatedMLP, bias: c.mlpBias,
                          activation: Sapiens2Activation(c.hiddenAct) ?? .silu, rng: rng)
    }

    /// Recompute this layer's forward during backward instead of keeping its activations (activation
    /// checkpointing). The RoPE tables are computed once outside, so the recompute sees the same (augmented)
    /// coordinates.
    public var checkpointed = false

    public func callAsFunction(_ x: Tensor, rope: (cos: Tensor, sin: Tensor), prefix: Int) -> Tensor {
        guard checkpointed else { return forward(x, rope: rope, prefix: prefix) }
        return Tensor.checkpointed(x, parameters: parameters()) { self.forward($0, rope: rope, prefix: prefix) }
    }

    private func forward(_ x: Tensor, rope: (cos: Tensor, sin: Tensor), prefix: Int) -> Tensor {
        let h = x.addingScaled(attention(norm1(x), rope: rope, prefix: prefix), by: layerScale1.lambda1)
        return h + mlp(norm2(h))
    }
}

/// The layers, named `layer.i` (transformers' `Sapiens2Encoder`).
public final class Sapiens2Encoder: Module {
    @ModuleInfo(key: "layer") public private(set) var layers: ModuleList<Sapiens2Layer>
    public init(_ c: Sapiens2Config, rng: RNG) {
        layers = ModuleList((0..<c.numHiddenLayers).map { Sapiens2Layer(c, layer: $0, rng: rng) })
    }
}

/// The Sapiens2 backbone (transformers' `Sapiens2Model`): embeddings, RoPE, the layers, a final RMSNorm.
public final class Sapiens2Backbone: Module {
    public let config: Sapiens2Config
    @ModuleInfo public private(set) var embeddings: Sapiens2Embeddings
    @ModuleInfo(key: "model") public private(set) var encoder: Sapiens2Encoder
    @ModuleInfo public private(set) var norm: RMSNorm
    public let rope: RoPE2D

    public init(_ c: Sapiens2Config, rng: RNG) {
        config = c
        embeddings = Sapiens2Embeddings(c, rng: rng)
        let encoder = Sapiens2Encoder(c, rng: rng)   // built in this order so seeded initialisation is unchanged
        norm = RMSNorm(c.hiddenSize, eps: c.rmsNormEps)
        rope = RoPE2D(headDim: c.headDim, theta: c.ropeTheta)
        self.encoder = encoder   // keyed: assigned once the other stored properties are (see ModuleInfo)
    }

    /// Tokens before the patches: cls and registers.
    public var prefixTokens: Int { 1 + config.numRegisterTokens }

    /// (B, C, H, W) → normed tokens (B, prefix + gh·gw, D) and the grid. `ropeAugment` + `rng` shift, jitter
    /// and rescale the RoPE coordinates as training does.
    public func callAsFunction(_ pixels: Tensor, masked: [Bool]? = nil, ropeAugment: RoPE2D.Augmentation? = nil,
                               rng: RNG? = nil) -> (tokens: Tensor, grid: (h: Int, w: Int)) {
        let (tokens, grid) = embeddings(pixels, masked: masked)
        let tables = rope.tables(RoPE2D.coordinates(gridHeight: grid.h, gridWidth: grid.w, augment: ropeAugment, rng: rng))
        var h = tokens
        for layer in encoder.layers.items { h = layer(h, rope: tables, prefix: prefixTokens) }
        return (norm(h), grid)
    }

    /// Patch tokens of normed output as a feature map (B, D, gh, gw): what the heads consume.
    public func featureMap(_ tokens: Tensor, grid: (h: Int, w: Int)) -> Tensor {
        let (b, d) = (tokens.shape[0], tokens.shape[2])
        return tokens.slice(axis: 1, start: prefixTokens, length: grid.h * grid.w).permuted([0, 2, 1])
            .reshaped([b, d, grid.h, grid.w])
    }
}
