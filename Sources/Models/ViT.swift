import NN
import Tensor

/// Conv2d(3, D, kernel = stride = p, padding = pad); the weight keeps the conv's (D, 3, p, p) shape.
/// Without padding it is unfold + one GEMM; with padding (Sapiens' `patch_cfg=dict(padding=2)`) the image,
/// already normalised, is zero-padded on every side as torch's Conv2d does, and the last rows and columns
/// the stride does not reach are left out, as there.
public final class PatchEmbed: Module {
    @ModuleInfo public var proj: Conv2d
    public let patch: Int
    public let padding: Int
    public init(patch: Int, width: Int, channels: Int = 3, padding: Int = 0, rng: RNG) {
        self.patch = patch
        self.padding = padding
        proj = Conv2d(channels, width, kernel: patch, stride: patch, padding: padding, rng: rng)
        // MAE initialises the projection like a Linear over its (D, C·p·p) view.
        Init.xavierUniform(proj.weight, rng: rng)
    }

    /// Token grid of an h × w input.
    public func grid(height h: Int, width w: Int) -> (h: Int, w: Int) {
        (ViTConfig.grid(h, patch: patch, padding: padding), ViTConfig.grid(w, patch: patch, padding: padding))
    }

    /// (N, C, H, W) → (N, gh·gw, D), tokens row-major over the grid.
    public func callAsFunction(_ imgs: Tensor) -> Tensor {
        let d = proj.weight.shape[0]
        if padding == 0 {
            return Patches.unfold(imgs, patch: patch).linear(proj.weight.reshaped([d, -1]), proj.bias)
        }
        let y = proj(imgs)   // (N, D, gh, gw)
        return y.reshaped([y.shape[0], d, y.shape[2] * y.shape[3]]).permuted([0, 2, 1])
    }
}

/// ViT encoder with official MAE parameter names: patch_embed.proj, cls_token, pos_embed, blocks.i.*, norm.
public final class ViT: Module {
    public let config: ViTConfig
    @ModuleInfo public var patchEmbed: PatchEmbed
    @ParameterInfo public var clsToken: Tensor?
    /// Fixed sin-cos by default (frozen, as in MAE pretraining); `learnablePosition` makes it trainable.
    @ParameterInfo public var posEmbed: Tensor
    @ModuleInfo public var blocks: ModuleList<Block>
    @ModuleInfo public var norm: LayerNorm

    public init(_ config: ViTConfig, learnablePosition: Bool = false, rng: RNG) {
        self.config = config
        let d = config.width
        patchEmbed = PatchEmbed(patch: config.patchSize, width: d, padding: config.patchPadding, rng: rng)
        let cls = config.clsToken ? parameter([1, 1, d]) : nil
        if let c = cls { Init.normal(c, std: 0.02, rng: rng) }
        clsToken = cls
        let pos = PositionEmbedding.sinCos2D(gridHeight: config.gridHeight, gridWidth: config.gridWidth, dim: d, clsToken: config.clsToken)
        pos.requiresGrad = learnablePosition
        posEmbed = pos
        blocks = ModuleList((0..<config.depth).map { _ in
            Block(dim: d, heads: config.heads, mlpRatio: config.mlpRatio, eps: config.layerNormEps, rng: rng)
        })
        norm = LayerNorm(d, eps: config.layerNormEps)
    }


    /// Patch tokens with their position added (no cls), (N, L, D).
    public func embed(_ imgs: Tensor) -> Tensor {
        let g = patchEmbed.grid(height: imgs.shape[2], width: imgs.shape[3])
        return patchEmbed(imgs) + positions(gridHeight: g.h, gridWidth: g.w)
    }

    /// The patch rows of the position table for a gh × gw token grid. On the config's own grid that is the
    /// table itself; on another (an input of another size) mmpretrain's `resize_pos_embed`: the table is
    /// resized bicubically, align_corners false, every forward pass (gradients flow back through it).
    public func positions(gridHeight gh: Int, gridWidth gw: Int) -> Tensor {
        let off = clsToken == nil ? 0 : 1
        let table = posEmbed.slice(axis: 1, start: off, length: config.numPatches)
        if gh == config.gridHeight && gw == config.gridWidth { return table }
        let d = config.width
        return table.reshaped([1, config.gridHeight, config.gridWidth, d]).permuted([0, 3, 1, 2])
            .resized(height: gh, width: gw, mode: .bicubic).permuted([0, 2, 3, 1]).reshaped([1, gh * gw, d])
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
    /// `grid` is the token grid when the input was not the config's size.
    public func featureMap(_ tokens: Tensor, grid: (h: Int, w: Int)? = nil) -> Tensor {
        let n = tokens.shape[0], d = config.width
        let (gh, gw) = grid ?? (config.gridHeight, config.gridWidth)
        let patches = clsToken == nil ? tokens : tokens.slice(axis: 1, start: 1, length: gh * gw)
        return patches.reshaped([n, gh, gw, d]).permuted([0, 3, 1, 2])
    }
}
