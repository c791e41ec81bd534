import NN
import Tensor

/// Decoder sizes for MAE pretraining.
public struct MAEDecoderConfig: Equatable, Sendable, Codable {
    public var width: Int, depth: Int, heads: Int
    public init(width: Int, depth: Int, heads: Int) { self.width = width; self.depth = depth; self.heads = heads }
    /// Sapiens/MAE scale: 512 wide, 8 blocks, 16 heads.
    public static let standard = MAEDecoderConfig(width: 512, depth: 8, heads: 16)
    public static let light = MAEDecoderConfig(width: 128, depth: 4, heads: 4)
}

/// Masked autoencoder (He et al. 2021), read top to bottom like the paper's figure:
/// patchify → random masking → encoder on visible tokens → decoder with mask tokens → loss on masked patches.
/// Parameter names are the official MAE ones, so checkpoints load in PyTorch.
public final class MAE: Module {
    /// Inlined: its tensors keep the flat names of the official MAE (`blocks.0…`, `cls_token`).
    @InlineModule public var encoder: ViT
    public let decoderConfig: MAEDecoderConfig
    public let maskRatio: Double
    public let normPixLoss: Bool
    @ModuleInfo public var decoderEmbed: Linear
    @ParameterInfo public var maskToken: Tensor
    @ParameterInfo public var decoderPosEmbed: Tensor
    @ModuleInfo public var decoderBlocks: ModuleList<Block>
    @ModuleInfo public var decoderNorm: LayerNorm
    @ModuleInfo public var decoderPred: Linear

    public init(encoder config: ViTConfig, decoder: MAEDecoderConfig, maskRatio: Double = 0.75, normPixLoss: Bool = true, rng: RNG) {
        precondition(config.clsToken, "MAE pretraining uses a cls token")
        encoder = ViT(config, rng: rng)
        decoderConfig = decoder
        self.maskRatio = maskRatio
        self.normPixLoss = normPixLoss
        let p = config.patchSize
        decoderEmbed = Linear(config.width, decoder.width, rng: rng)
        let mask = parameter([1, 1, decoder.width])
        Init.normal(mask, std: 0.02, rng: rng)
        maskToken = mask
        decoderPosEmbed = PositionEmbedding.sinCos2D(gridHeight: config.gridHeight, gridWidth: config.gridWidth, dim: decoder.width, clsToken: true)
        decoderBlocks = ModuleList((0..<decoder.depth).map { _ in
            Block(dim: decoder.width, heads: decoder.heads, mlpRatio: config.mlpRatio, eps: config.layerNormEps, rng: rng)
        })
        decoderNorm = LayerNorm(decoder.width, eps: config.layerNormEps)
        decoderPred = Linear(decoder.width, p * p * 3, rng: rng)
    }


    public var numPatches: Int { encoder.config.numPatches }
    /// As the official code: int(L * (1 - ratio)) in double precision.
    public var keepCount: Int { Int(Double(numPatches) * (1 - maskRatio)) }

    /// Which patches each sample keeps, from per-sample noise (N, L): the lowest-noise `keepCount`.
    public struct Masking {
        /// Kept patch ids in ascending-noise order, (N, keep).
        public let idsKeep: IndexTensor
        /// Position of each patch in the shuffled order, (N, L).
        public let idsRestore: IndexTensor
        /// 1 for removed patches, 0 for kept, in original patch order (N, L).
        public let mask: Tensor
    }

    public func randomMasking(noise: Tensor) -> Masking {
        let n = noise.shape[0], l = noise.shape[1], keep = keepCount
        let idsShuffle = noise.argsort()
        let idsRestore = idsShuffle.argsort()
        let mask = Tensor(shape: [n, l], data: idsRestore.data.prefix(n * l).map { $0 < keep ? 0 : 1 })
        return Masking(idsKeep: idsShuffle.prefix(keep), idsRestore: idsRestore, mask: mask)
    }

    /// Encoder on the visible patches only; returns (N, 1+keep, D) after the final norm.
    public func forwardEncoder(_ imgs: Tensor, masking: Masking) -> Tensor {
        let x = encoder.embed(imgs).gather(axis: 1, index: masking.idsKeep)
        return encoder.transformer(encoder.prependCls(x)).0
    }

    /// Decoder: mask tokens fill the removed slots, tokens are unshuffled to patch order, and every
    /// patch's pixels are predicted. Returns (N, L, p·p·3).
    public func forwardDecoder(_ latent: Tensor, masking: Masking) -> Tensor {
        let n = latent.shape[0], l = numPatches, dd = decoderConfig.width
        let y = decoderEmbed(latent)
        let visible = y.slice(axis: 1, start: 1, length: y.shape[1] - 1)
        let masked = maskToken.expanded(to: [n, l - visible.shape[1], dd])
        let seq = Tensor.concat([visible, masked], axis: 1).gather(axis: 1, index: masking.idsRestore)
        var h = Tensor.concat([y.slice(axis: 1, start: 0, length: 1), seq], axis: 1) + decoderPosEmbed
        for b in decoderBlocks.items { h = b(h) }
        let pred = decoderPred(decoderNorm(h))
        return pred.slice(axis: 1, start: 1, length: l)
    }

    /// Per-patch normalised pixels (mean, unbiased variance, eps 1e-6) when `normPixLoss`.
    public func target(_ imgs: Tensor) -> Tensor {
        withNoGrad {
            let t = Patches.patchify(imgs.detached(), patch: encoder.config.patchSize)
            guard normPixLoss else { return t.copy() }
            let mean = t.mean(axis: -1, keepDims: true)
            let variance = t.variance(axis: -1, keepDims: true, unbiased: true)
            return (t - mean) / (variance + 1e-6).sqrt()
        }
    }

    /// Mean squared error per patch, averaged over the removed patches only.
    public func forwardLoss(_ imgs: Tensor, pred: Tensor, mask: Tensor) -> Tensor {
        let d = pred - target(imgs)
        let perPatch = (d * d).mean(axis: -1)
        return (perPatch * mask).sum() / Tensor.scalar(max(mask.sum().item(), 1))
    }

    public struct Output {
        public let loss: Tensor
        public let pred: Tensor
        public let masking: Masking
        public let latent: Tensor
    }

    /// One forward pass. `noise` (N, L) decides the masking; draw it from `rng` when nil.
    public func callAsFunction(_ imgs: Tensor, noise: Tensor? = nil, rng: RNG? = nil) -> Output {
        let n = imgs.shape[0]
        let noise = noise ?? Tensor.uniform([n, numPatches], rng: rng ?? RNG(seed: 0))
        let masking = randomMasking(noise: noise)
        let latent = forwardEncoder(imgs, masking: masking)
        let pred = forwardDecoder(latent, masking: masking)
        return Output(loss: forwardLoss(imgs, pred: pred, mask: masking.mask), pred: pred, masking: masking, latent: latent)
    }

    /// Parameter count for a config without building it (encoder + decoder).
    public static func parameterCount(encoder c: ViTConfig, decoder dc: MAEDecoderConfig) -> Int {
        let dd = dc.width, p = c.patchSize
        let dec = (c.width * dd + dd) + dd + (c.numPatches + 1) * dd
            + dc.depth * ViTConfig.blockParameters(width: dd, mlpRatio: c.mlpRatio) + 2 * dd + (dd * p * p * 3 + p * p * 3)
        return c.parameterCount + dec
    }
}
