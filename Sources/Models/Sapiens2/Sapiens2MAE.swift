import Foundation
import NN
import Tensor

/// Masked-image pretraining of a Sapiens2 backbone: MAE's pixel objective on Sapiens2's own design.
///
/// The released code holds no pretraining loop, so the design follows what the backbone exposes for it
/// (transformers' `bool_masked_pos` and the config's `use_mask_token`) and the paper's figure (the student
/// encoder sees the masked view; a patch decoder reconstructs the masked patches in pixel space):
/// - **masking with the mask token, not by dropping tokens:** every patch stays in the sequence and a masked
///   one is replaced by the learned mask token, so the encoder runs on the full grid with its RoPE
///   coordinates (shifted, jittered and rescaled as in training) and the cls and register tokens;
/// - **the decoder** projects the encoder's normed tokens to its width and runs Sapiens2 layers (RMSNorm,
///   QK-norm, SwiGLU, full multi-head attention) with RoPE at the same coordinates; there are no absolute
///   position tables anywhere;
/// - **the loss** is MAE's: the mean squared error of each patch's pixels, normalised per patch (mean and
///   unbiased variance, eps 1e-6) when `normPixLoss`, averaged over the masked patches only.
/// The paper's contrastive terms (EMA teacher, cls decoder) are not part of this objective.
///
/// Tensor names: the backbone's are transformers' `Sapiens2Model` names (`embeddings.*`, `model.layer.N.*`,
/// `norm.weight`), so `backboneParameters` is a hub `model.safetensors` as it is; the decoder's start with
/// `decoder_` and are pretraining's alone.
public final class Sapiens2MAE: Module {
    /// The backbone's config (task `backbone`, with the mask token).
    public let config: Sapiens2Config
    public let backbone: Sapiens2Backbone
    public let decoderConfig: MAEDecoderConfig
    public let maskRatio: Double
    public let normPixLoss: Bool
    /// The training-time RoPE coordinate augmentation (nil: plain patch centres).
    public let ropeAugment: RoPE2D.Augmentation?
    public let decoderEmbed: Linear
    public let decoderLayers: ModuleList<Sapiens2Layer>
    public let decoderNorm: RMSNorm
    public let decoderPred: Linear
    let decoderRope: RoPE2D

    /// `encoder` must have a head size divisible by 4 and at least one patch; the decoder width must split
    /// over its heads with a head size divisible by 4 (its RoPE is 2-D too). Recipes check both.
    public init(encoder: Sapiens2Config, decoder: MAEDecoderConfig, maskRatio: Double = 0.75, normPixLoss: Bool = true,
                layerScaleInit: Float = 1e-4, rng: RNG) {
        var c = encoder
        c.task = .backbone
        c.useMaskToken = true
        c.head = nil
        config = c
        backbone = Sapiens2Backbone(c, rng: rng)
        decoderConfig = decoder
        self.maskRatio = maskRatio
        self.normPixLoss = normPixLoss
        let shift = c.posEmbedShift, jitter = c.posEmbedJitter, rescale = c.posEmbedRescale
        ropeAugment = shift == nil && jitter == nil && rescale == nil ? nil : RoPE2D.Augmentation(shift: shift, jitter: jitter, rescale: rescale)
        var d = c
        d.hiddenSize = decoder.width
        d.numAttentionHeads = decoder.heads
        d.intermediateSize = 4 * decoder.width
        d.numHiddenLayers = decoder.depth
        d.numKeyValueHeadsPerLayer = Array(repeating: decoder.heads, count: decoder.depth)
        decoderEmbed = Linear(c.hiddenSize, decoder.width, rng: rng)
        decoderLayers = ModuleList((0..<decoder.depth).map { Sapiens2Layer(d, layer: $0, rng: rng) })
        decoderNorm = RMSNorm(decoder.width, eps: c.rmsNormEps)
        decoderPred = Linear(decoder.width, c.patchSize * c.patchSize * c.numChannels, rng: rng)
        decoderRope = RoPE2D(headDim: decoder.width / max(decoder.heads, 1), theta: c.ropeTheta)
        // The reference backbone starts its LayerScales small (layer_scale_init_value 1e-4) when trained from scratch.
        for layer in backbone.encoder.layers.items + decoderLayers.items { layer.layerScale1.lambda1.fill(layerScaleInit) }
    }

    public var children: [(String, Module)] {
        backbone.children + [("decoder_embed", decoderEmbed), ("decoder_layers", decoderLayers),
                             ("decoder_norm", decoderNorm), ("decoder_pred", decoderPred)]
    }

    /// The backbone's tensors under transformers' `Sapiens2Model` names (what a hub pretrain folder holds).
    public func backboneParameters() -> [(String, Tensor)] { backbone.namedParameters() }
    /// The decoder's tensors (pretraining only).
    public func decoderParameters() -> [(String, Tensor)] {
        let backboneNames = Set(backbone.namedParameters().map(\.0))
        return namedParameters().filter { !backboneNames.contains($0.0) }
    }

    public var grid: (h: Int, w: Int) { (config.imageHeight / config.patchSize, config.imageWidth / config.patchSize) }
    public var numPatches: Int { grid.h * grid.w }
    /// As MAE: int(L * (1 - ratio)) in double precision.
    public var keepCount: Int { Int(Double(numPatches) * (1 - maskRatio)) }

    /// 1 for masked patches, 0 for kept, per sample in row-major patch order (N, L): each sample keeps its
    /// `keepCount` lowest-noise patches, as MAE's random masking.
    public func mask(noise: Tensor) -> Tensor {
        let n = noise.shape[0], l = noise.shape[1], keep = keepCount
        let rank = noise.argsort().argsort()
        return Tensor(shape: [n, l], data: rank.data.prefix(n * l).map { $0 < keep ? 0 : 1 })
    }

    public struct Output {
        public let loss: Tensor
        /// Predicted pixels of every patch (N, L, p·p·C), normalised per patch when `normPixLoss`.
        public let pred: Tensor
        /// 1 for masked patches (N, L).
        public let mask: Tensor
        /// The encoder's normed tokens (N, prefix + L, D).
        public let latent: Tensor
    }

    /// One forward pass on normalised pixels (N, C, H, W) of the config's size. `noise` (N, L) decides the
    /// masking; `rng` draws the RoPE coordinate augmentation (one draw per pass, as the reference; none when nil).
    public func callAsFunction(_ imgs: Tensor, noise: Tensor, rng: RNG?) -> Output {
        let m = mask(noise: noise)
        let flags = m.toArray().map { $0 > 0.5 }
        let (tokens, g) = backbone.embeddings(imgs, masked: flags)
        let coords = RoPE2D.coordinates(gridHeight: g.h, gridWidth: g.w, augment: rng == nil ? nil : ropeAugment, rng: rng)
        let tables = backbone.rope.tables(coords)
        let prefix = backbone.prefixTokens
        var h = tokens
        for layer in backbone.encoder.layers.items { h = layer(h, rope: tables, prefix: prefix) }
        let latent = backbone.norm(h)

        let dTables = decoderRope.tables(coords)
        var y = decoderEmbed(latent)
        for layer in decoderLayers.items { y = layer(y, rope: dTables, prefix: prefix) }
        let pred = decoderPred(decoderNorm(y)).slice(axis: 1, start: prefix, length: g.h * g.w)
        return Output(loss: loss(imgs, pred: pred, mask: m), pred: pred, mask: m, latent: latent)
    }

    /// Each patch's pixels, normalised per patch (mean, unbiased variance, eps 1e-6) when `normPixLoss`.
    public func target(_ imgs: Tensor) -> Tensor {
        withNoGrad {
            let t = Patches.patchify(imgs.detached(), patch: config.patchSize)
            guard normPixLoss else { return t.copy() }
            let mean = t.mean(axis: -1, keepDims: true)
            let variance = t.variance(axis: -1, keepDims: true, unbiased: true)
            return (t - mean) / (variance + 1e-6).sqrt()
        }
    }

    /// Mean squared error per patch, averaged over the masked patches only.
    public func loss(_ imgs: Tensor, pred: Tensor, mask: Tensor) -> Tensor {
        let d = pred - target(imgs)
        let perPatch = (d * d).mean(axis: -1)
        return (perPatch * mask).sum() / Tensor.scalar(max(mask.sum().item(), 1))
    }
}
