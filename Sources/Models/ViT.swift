import NN
import Tensor

/// Conv2d(3, D, kernel = stride = p) as unfold + GEMM; the weight keeps the conv's (D, 3, p, p) shape.
public final class PatchEmbed: Module {
    public let proj: Conv2d
    public let patch: Int
    public init(patch: Int, width: Int, channels: Int = 3, rng: RNG) {
        self.patch = patch
        proj = Conv2d(channels, width, kernel: patch, stride: patch, rng: rng)
        // MAE initialises the projection like a Linear over its (D, C·p·p) view.
        Init.xavierUniform(proj.weight, rng: rng)
    }
    public var children: [(String, Module)] { [("proj", proj)] }
    public func callAsFunction(_ imgs: Tensor) -> Tensor {
        let d = proj.weight.shape[0]
        return Patches.unfold(imgs, patch: patch).linear(proj.weight.reshaped([d, -1]), proj.bias)
    }
}

/// ViT encoder with official MAE parameter names: patch_embed.proj, cls_token, pos_embed, blocks.i.*, norm.
public final class ViT: Module {
    public let config: ViTConfig
    public let patchEmbed: PatchEmbed
    public let clsToken: Tensor?
    /// Fixed sin-cos by default (frozen, as in MAE pretraining); `learnablePosition` makes it trainable.
    public let posEmbed: Tensor
    public let blocks: ModuleList<Block>
    public let norm: LayerNorm

    public init(_ config: ViTConfig, learnablePosition: Bool = false, rng: RNG) {
        self.config = config
        let d = config.width
        patchEmbed = PatchEmbed(patch: config.patchSize, width: d, rng: rng)
        clsToken = config.clsToken ? parameter([1, 1, d]) : nil
        if let c = clsToken { Init.normal(c, std: 0.02, rng: rng) }
        posEmbed = PositionEmbedding.sinCos2D(gridHeight: config.gridHeight, gridWidth: config.gridWidth, dim: d, clsToken: config.clsToken)
        posEmbed.requiresGrad = learnablePosition
        blocks = ModuleList((0..<config.depth).map { _ in
            Block(dim: d, heads: config.heads, mlpRatio: config.mlpRatio, eps: config.layerNormEps, rng: rng)
        })
        norm = LayerNorm(d, eps: config.layerNormEps)
    }

    public var localParameters: [(String, Tensor)] {
        (clsToken.map { [("cls_token", $0)] } ?? []) + [("pos_embed", posEmbed)]
    }
    public var children: [(String, Module)] { [("patch_embed", patchEmbed), ("blocks", blocks), ("norm", norm)] }

    /// Patch tokens with their position added (no cls), (N, L, D).
    public func embed(_ imgs: Tensor) -> Tensor {
        let off = clsToken == nil ? 0 : 1
        return patchEmbed(imgs) + posEmbed.slice(axis: 1, start: off, length: config.numPatches)
    }

    /// Prepends cls_token + its position row, when the model has one.
    public func prependCls(_ x: Tensor) -> Tensor {
        guard let cls = clsToken else { return x }
        let c = (cls + posEmbed.slice(axis: 1, start: 0, length: 1)).expanded(to: [x.shape[0], 1, config.width])
        return Tensor.concat([c, x], axis: 1)
    }

    /// Runs the blocks and the final norm. Returns the normed output and, for each index in
    /// `featureBlocks`, that block's output tokens (before the final norm).
    public func transformer(_ x: Tensor, featureBlocks: [Int] = []) -> (Tensor, [Tensor]) {
        var h = x
        var feats: [Tensor] = []
        for (i, b) in blocks.items.enumerated() {
            h = b(h)
            if featureBlocks.contains(i) { feats.append(h) }
        }
        return (norm(h), feats)
    }

    /// Full-image forward: (N, 3, H, W) → (N, [1+]L, D).
    public func callAsFunction(_ imgs: Tensor) -> Tensor { transformer(prependCls(embed(imgs))).0 }

    /// Patch tokens as a feature map (N, D, gh, gw), dropping the cls token: what dense heads consume.
    public func featureMap(_ tokens: Tensor) -> Tensor {
        let n = tokens.shape[0], d = config.width
        let patches = clsToken == nil ? tokens : tokens.slice(axis: 1, start: 1, length: config.numPatches)
        return patches.reshaped([n, config.gridHeight, config.gridWidth, d]).permuted([0, 3, 1, 2])
    }
}
