import Foundation
import Models
import NN
import Tensor

/// MAE pretraining of a Sapiens2 backbone (`model.architecture: sapiens2`), on the one training loop: what
/// `MAEPretrainer` does differently for `Sapiens2MAE`.
///
/// Each checkpoint folder is a hub folder as the official pretrain releases are: `config.json`
/// (`Sapiens2Model`, with the mask token) and `model.safetensors` holding the backbone alone under
/// transformers' names, so `Sapiens2Model.from_pretrained(folder)` and `sapiens finetune --init folder` read
/// it as it is. The decoder, which only pretraining needs, sits beside them in `mae_decoder.safetensors`.
extension MAEPretrainer {
    static let decoderFile = "mae_decoder.safetensors"

    func buildSapiens2() throws -> (named: [(String, Tensor)], trainable: [Tensor], optimizer: AdamW) {
        guard let c = recipe.sapiens2EncoderConfig else { throw TrainingError.notReady("the Sapiens2 encoder config") }
        let m = Sapiens2MAE(encoder: c, decoder: recipe.decoderConfig, maskRatio: recipe.model.mask_ratio,
                            normPixLoss: recipe.model.norm_pix_loss, layerScaleInit: Float(recipe.model.layer_scale_init),
                            rng: RNG(seed: UInt64(truncatingIfNeeded: recipe.seed)))
        m.setActivationCheckpointing(every: recipe.model.activation_checkpointing.every)
        sapiens2 = m
        let opt = AdamW(groups: Self.sapiens2ParameterGroups(m.namedParameters(), weightDecay: recipe.optim.weight_decay),
                        lr: recipe.peakLR, betas: (recipe.optim.beta1, recipe.optim.beta2))
        return (m.backboneParameters(), m.trainableParameters(), opt)
    }

    /// The usual split, with the register tokens (`register_tokens`) exempt from decay like the cls and mask tokens.
    static func sapiens2ParameterGroups(_ named: [(String, Tensor)], weightDecay: Float) -> [ParamGroup] {
        var decay: [(String, Tensor)] = [], noDecay: [(String, Tensor)] = []
        for (name, p) in named where p.requiresGrad {
            if p.rank < 2 || name.hasSuffix("token") || name.hasSuffix("tokens") { noDecay.append((name, p)) } else { decay.append((name, p)) }
        }
        return [ParamGroup(names: decay.map(\.0), params: decay.map(\.1), weightDecay: weightDecay),
                ParamGroup(names: noDecay.map(\.0), params: noDecay.map(\.1), weightDecay: 0)]
    }

    var sapiens2ConfigText: String? {
        guard let c = sapiens2?.config ?? recipe.sapiens2EncoderConfig else { return nil }
        return String(decoding: c.hubJSON(), as: UTF8.self)
    }

    func restoreSapiens2(_ state: PretrainState, checkpoint ckpt: String) throws {
        guard let m = sapiens2 else { throw TrainingError.notReady("the Sapiens2 MAE model") }
        guard state.sapiens2 == sapiens2ConfigText, state.decoder == recipe.decoderConfig else {
            throw TrainingError.badCheckpoint(path: ckpt, reason: "the recipe's Sapiens2 model differs from the checkpoint's (or it is not a Sapiens2 pretraining checkpoint)")
        }
        let backbone = (ckpt as NSString).appendingPathComponent(Sapiens2Checkpoint.weightsFile)
        let decoder = (ckpt as NSString).appendingPathComponent(Self.decoderFile)
        let b = try Checkpoints.loadTensors(backbone), d = try Checkpoints.loadTensors(decoder)
        if let clash = Set(b.keys).intersection(d.keys).sorted().first {
            throw TrainingError.badCheckpoint(path: decoder, reason: "'\(clash)' is in both \(Sapiens2Checkpoint.weightsFile) and \(Self.decoderFile)")
        }
        try m.load(b.merging(d) { a, _ in a }, strict: true, source: ckpt)
    }

    func sapiens2Loss(_ m: Sapiens2MAE, step: Int, micro: Int, localBatch: Int, dataParallel dp: DataParallel) throws -> Tensor {
        guard let stream else { throw TrainingError.notReady("the pretraining data") }
        let (imgs, failed) = try stream.nextBatch(localBatch)
        for f in failed { logger.warning("skipped undecodable image: \(f)") }
        // Drawn for the global batch; this rank takes the rows of its own samples. The RoPE augmentation is one
        // draw per micro-batch, the same on every rank.
        let rng = noiseRNG(step: step, micro: micro)
        let noise = dp.localRows(Tensor.uniform([recipe.optim.batch_size, m.numPatches], rng: rng))
        let out = m(imgs, noise: noise, rng: rng)
        lastOutput = (imgs, out.pred, out.mask)
        return out.loss
    }

    func sapiens2Metadata() -> [String: String] {
        ["format": "pt", "framework": "sapiens-swift", "kind": "mae-sapiens2",
         "mask_ratio": "\(recipe.model.mask_ratio)", "norm_pix_loss": "\(recipe.model.norm_pix_loss)"]
    }

    /// A Sapiens2 checkpoint folder is a hub pretrain folder plus the decoder (see above).
    public func checkpointFiles() throws -> [String: Data] {
        guard let m = sapiens2 else { return [:] }
        var d = SafeTensors()
        d.metadata = sapiens2Metadata().merging(["decoder": String(decoding: try JSONEncoder().encode(recipe.decoderConfig), as: UTF8.self)]) { a, _ in a }
        for (name, t) in m.decoderParameters() {
            guard t.allFinite else { throw CheckpointError.invalid(path: Self.decoderFile, reason: "tensor '\(name)' holds NaN or Inf; refusing to write it") }
            d.set(name, t)
        }
        return [Sapiens2Checkpoint.configFile: m.config.hubJSON(), Self.decoderFile: try d.serialized()]
    }
}
