import SapiensData
import Distributed
import Foundation
import Logging
import Models
import NN
import Tensor

public enum TrainingError: Error, CustomStringConvertible {
    case nonFinite(step: Int, count: Int)
    case badCheckpoint(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    /// A trainer's model or data used before `TrainingLoop` built or opened it (a programming error).
    case notReady(String)
    public var description: String {
        switch self {
        case let .nonFinite(s, n):
            return "loss or gradient was NaN/Inf for \(n) consecutive steps (last at step \(s)); stopping. Lower optim.base_lr or check the data."
        case let .badCheckpoint(p, r): return "\(p): cannot resume: \(r)"
        case let .cannotWrite(p, r): return "\(p): cannot write: \(r)"
        case let .notReady(what): return "\(what) is used before the training loop built it"
        }
    }
}

/// What `state.json` in a pretraining checkpoint holds.
public struct PretrainState: TrainingState {
    public var kind = "mae-pretrain"
    public var step: Int
    /// Next sample position of the data stream.
    public var position: Int
    public var seed: Int
    public var recipe: String
    public var encoder: ViTConfig
    public var decoder: MAEDecoderConfig
    public var skippedImages: Int
    /// Sapiens2 pretraining: the backbone's config.json (nil for the ViT MAE, and in older checkpoints).
    public var sapiens2: String? = nil
    /// GEMM precision the run computed in (nil: before it was recorded, fp32).
    public var precision: String? = nil
}

public struct PretrainSummary {
    public var outDir: String
    public var steps: Int
    public var firstLoss: Float?
    public var lastLoss: Float?
    public var checkpoint: String?
    public var skippedImages: Int
    public var seconds: Double
}

/// MAE pretraining: the model, its corpus and augmentation, the masking noise, the reconstruction pictures
/// and what its checkpoints record. `TrainingLoop` runs it (schedule, accumulation, clipping, AdamW, logging,
/// atomic checkpoints, exact resume). Every random draw is a function of (seed, step, position), so a killed
/// run resumed from its last checkpoint replays the same losses bit for bit.
public final class MAEPretrainer: TrainingJob {
    public let recipe: PretrainRecipe
    public let recipeText: String
    public let outDir: String
    public let totalSteps: Int
    public var logger = Logger(label: "sapiens.pretrain")
    public var showProgress = true
    /// Folder for rendered synthetic corpora (shared between runs).
    public var cacheDir = "datasets/generated"
    /// The ranks to train over (default: the process's MPI world, a single rank without mpirun).
    public var communicator: Communicator?
    /// Built and opened by `TrainingLoop` through `build` and `openData`: the ViT MAE, or Sapiens2's.
    var model: MAE?
    public internal(set) var sapiens2: Sapiens2MAE?
    var stream: ImageStream?
    /// The last micro-batch's images, prediction and mask, for the reconstruction pictures.
    var lastOutput: (imgs: Tensor, pred: Tensor, mask: Tensor)?

    public init(recipe: PretrainRecipe, recipeText: String, outDir: String, steps: Int? = nil) {
        self.recipe = recipe
        self.recipeText = recipeText
        self.outDir = outDir
        self.totalSteps = steps ?? recipe.optim.total_steps
    }

    func makeCorpus() throws -> ImageCorpus {
        let d = recipe.data
        switch d.source {
        case "folder": return try ImageCorpus.folder(d.path)
        case "shards": return try ImageCorpus.shards(folder: d.path)
        default:
            let bar = ProgressBar(total: d.synthetic_images, label: "rendering synthetic corpus", unit: "img")
            return try ImageCorpus.synthetic(images: d.synthetic_images, height: d.synthetic_height, width: d.synthetic_width,
                                             people: d.synthetic_people, seed: recipe.seed, cacheDir: cacheDir) { done, _ in
                if self.showProgress { bar.update(done) }
            }
        }
    }

    /// Deterministic per-(step, micro-batch) generator for the masking noise.
    func noiseRNG(step: Int, micro: Int) -> RNG {
        RNG(seed: UInt64(truncatingIfNeeded: recipe.seed) &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(step) &* 1_000_003 &+ UInt64(micro))
    }

    public func run(resume: Bool) throws -> PretrainSummary {
        let o = try TrainingLoop.run(self, resume: resume)
        return PretrainSummary(outDir: outDir, steps: o.steps, firstLoss: o.firstLoss, lastLoss: o.lastLoss, checkpoint: o.checkpoint,
                               skippedImages: o.skippedImages, seconds: o.seconds)
    }

    // MARK: what the training loop asks of MAE pretraining

    public var settings: LoopSettings {
        LoopSettings(totalSteps: totalSteps, batchSize: recipe.optim.batch_size, accumulationSteps: recipe.optim.accumulation_steps,
                     baseLR: recipe.peakLR, schedule: recipe.lrSchedule, gradClip: recipe.optim.grad_clip,
                     maxNonFiniteSteps: recipe.run.max_nonfinite_steps, logEvery: recipe.run.log_every,
                     checkpointEvery: recipe.run.checkpoint_every, keepCheckpoints: recipe.run.keep_checkpoints, label: "pretrain", precision: recipe.computePrecision)
    }

    var reconstructionDir: String { (outDir as NSString).appendingPathComponent("reconstructions") }

    public func checkBeforeStart() throws { try recipe.checkFitsInMemory(path: "recipe '\(recipe.name)'") }

    public func prepareFolders() throws {
        try FileManager.default.createDirectory(atPath: reconstructionDir, withIntermediateDirectories: true)
    }

    public func build() throws -> (named: [(String, Tensor)], trainable: [Tensor], optimizer: AdamW) {
        lastOutput = nil
        if recipe.isSapiens2 { return try buildSapiens2() }
        let m = MAE(encoder: recipe.encoderConfig, decoder: recipe.decoderConfig, maskRatio: recipe.model.mask_ratio,
                    normPixLoss: recipe.model.norm_pix_loss, rng: RNG(seed: UInt64(truncatingIfNeeded: recipe.seed)))
        m.setActivationCheckpointing(every: recipe.model.activation_checkpointing.every)
        model = m
        lastOutput = nil
        let named = m.namedParameters()
        let opt = AdamW(groups: standardParameterGroups(named, weightDecay: recipe.optim.weight_decay), lr: recipe.peakLR,
                        betas: (recipe.optim.beta1, recipe.optim.beta2))
        return (named, m.trainableParameters(), opt)
    }

    public func restore(_ state: PretrainState, checkpoint ckpt: String) throws {
        if recipe.isSapiens2 { return try restoreSapiens2(state, checkpoint: ckpt) }
        guard let model else { throw TrainingError.notReady("the MAE model") }
        guard state.encoder == recipe.encoderConfig, state.decoder == recipe.decoderConfig else {
            throw TrainingError.badCheckpoint(path: ckpt, reason: "the recipe's model differs from the checkpoint's")
        }
        let path = (ckpt as NSString).appendingPathComponent("model.safetensors")
        try model.load(try Checkpoints.loadTensors(path), strict: true, source: path)
    }

    public func openData(position: Int, dataParallel dp: DataParallel) throws -> TrainingStream {
        let corpus = try dp.afterMainOnly("rank 0 prepares the corpus") { try makeCorpus() }
        let kind = recipe.isSapiens2 ? "Sapiens2 MAE" : "MAE"
        logger.info("data: \(corpus.description); model: \(kind) \(recipe.model.encoder) (\(model?.parameterCount ?? sapiens2?.parameterCount ?? 0) parameters), effective batch \(recipe.effectiveBatch), peak lr \(recipe.peakLR)")
        let aug = MAEAugmentation(size: recipe.encoderConfig.imageHeight, scale: recipe.data.crop_scale_min...recipe.data.crop_scale_max,
                                  flipProbability: recipe.data.hflip_probability)
        let s = ImageStream(corpus: corpus, augmentation: aug, seed: UInt64(truncatingIfNeeded: recipe.seed), position: position,
                            workers: recipe.data.loader_workers, rank: dp.rank, ranks: dp.size)
        stream = s
        return s
    }

    public func loss(step: Int, micro: Int, localBatch: Int, dataParallel dp: DataParallel) throws -> Tensor {
        if let sapiens2 { return try sapiens2Loss(sapiens2, step: step, micro: micro, localBatch: localBatch, dataParallel: dp) }
        guard let model, let stream else { throw TrainingError.notReady("the MAE model or its data") }
        let (imgs, failed) = try stream.nextBatch(localBatch)
        for f in failed { logger.warning("skipped undecodable image: \(f)") }
        // Drawn for the global batch; this rank takes the rows of its own samples.
        let noise = dp.localRows(Tensor.uniform([recipe.optim.batch_size, model.numPatches], rng: noiseRNG(step: step, micro: micro)))
        let out = model(imgs, noise: noise)
        lastOutput = (imgs, out.pred, out.masking.mask)
        return out.loss
    }

    public func state(step: Int, position: Int, skippedImages: Int) -> PretrainState {
        PretrainState(step: step, position: position, seed: recipe.seed, recipe: recipeText, encoder: recipe.encoderConfig,
                      decoder: recipe.decoderConfig, skippedImages: skippedImages, sapiens2: sapiens2ConfigText)
    }

    public func checkpointMetadata() throws -> [String: String] {
        if recipe.isSapiens2 { return sapiens2Metadata() }
        return ["format": "pt", "framework": "sapiens-swift", "kind": "mae",
         "encoder": String(decoding: try JSONEncoder().encode(recipe.encoderConfig), as: UTF8.self),
         "decoder": String(decoding: try JSONEncoder().encode(recipe.decoderConfig), as: UTF8.self),
         "mask_ratio": "\(recipe.model.mask_ratio)", "norm_pix_loss": "\(recipe.model.norm_pix_loss)"]
    }

    /// Reconstructions of the step's last micro-batch every `reconstruction_every` steps and at the end.
    public func afterStep(_ step: Int, writes: Bool, log: MetricsLog?) throws {
        guard writes, step % recipe.run.reconstruction_every == 0 || step == totalSteps, let last = lastOutput else { return }
        let path = (reconstructionDir as NSString).appendingPathComponent(String(format: "step-%07d.png", step))
        let patch = sapiens2?.config.patchSize ?? recipe.encoderConfig.patchSize
        do {
            try Reconstruction.save(images: last.imgs, pred: last.pred, mask: last.mask, patch: patch,
                                    normPixLoss: recipe.model.norm_pix_loss, path: path)
        } catch {
            logger.warning("could not write reconstruction \(path): \(error)")
        }
    }

    public func writePlots(metricsPath: String) { writePlot(metricsPath: metricsPath) }

    func writePlot(metricsPath: String) {
        let recs = MetricsLog.read(path: metricsPath)
        let pts = recs.compactMap { r -> (Double, Double)? in
            guard let s = (r["step"] as? NSNumber)?.doubleValue, let l = (r["loss"] as? NSNumber)?.doubleValue else { return nil }
            return (s, l)
        }
        let svg = LinePlot.svg(title: "\(recipe.name): \(recipe.isSapiens2 ? "Sapiens2 " : "")MAE loss", xLabel: "step", series: [("loss", pts)])
        try? AtomicFile.write(Data(svg.utf8), to: (outDir as NSString).appendingPathComponent("loss.svg"))
    }
}
