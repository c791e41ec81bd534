import Data
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
    public var description: String {
        switch self {
        case let .nonFinite(s, n):
            return "loss or gradient was NaN/Inf for \(n) consecutive steps (last at step \(s)); stopping. Lower optim.base_lr or check the data."
        case let .badCheckpoint(p, r): return "\(p): cannot resume: \(r)"
        case let .cannotWrite(p, r): return "\(p): cannot write: \(r)"
        }
    }
}

/// What `state.json` in a pretraining checkpoint holds.
public struct PretrainState: Codable {
    public var kind = "mae-pretrain"
    public var step: Int
    /// Next sample position of the data stream.
    public var position: Int
    public var seed: Int
    public var recipe: String
    public var encoder: ViTConfig
    public var decoder: MAEDecoderConfig
    public var skippedImages: Int
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

/// MAE pretraining loop: schedule, accumulation, clipping, AdamW, logging, reconstructions,
/// atomic checkpoints and exact resume. Every random draw is a function of (seed, step, position),
/// so a killed run resumed from its last checkpoint replays the same losses bit for bit.
public final class MAEPretrainer {
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

    public init(recipe: PretrainRecipe, recipeText: String, outDir: String, steps: Int? = nil) {
        self.recipe = recipe
        self.recipeText = recipeText
        self.outDir = outDir
        self.totalSteps = steps ?? recipe.optim.total_steps
    }

    var checkpointRoot: String { (outDir as NSString).appendingPathComponent("checkpoints") }

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
        let started = Date()
        // Refuse a run that cannot fit before the model is allocated or the run folder written (the CLI checked too, naming the file).
        try recipe.checkFitsInMemory(path: "recipe '\(recipe.name)'")
        let fm = FileManager.default
        let comm = try communicator ?? Communicator.world
        let threads = DataParallel.applyThreadsPerRank(comm)
        let writes = comm.isMain
        if !writes { logger.logLevel = .warning; showProgress = false }
        let reconDir = (outDir as NSString).appendingPathComponent("reconstructions")
        if writes {
            try fm.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            try fm.createDirectory(atPath: reconDir, withIntermediateDirectories: true)
            try AtomicFile.write(Data(recipeText.utf8), to: (outDir as NSString).appendingPathComponent("recipe.yaml"))
        }

        let enc = recipe.encoderConfig, dec = recipe.decoderConfig
        let model = MAE(encoder: enc, decoder: dec, maskRatio: recipe.model.mask_ratio, normPixLoss: recipe.model.norm_pix_loss,
                        rng: RNG(seed: UInt64(truncatingIfNeeded: recipe.seed)))
        let named = model.namedParameters()
        let opt = AdamW(groups: standardParameterGroups(named, weightDecay: recipe.optim.weight_decay), lr: recipe.peakLR,
                        betas: (recipe.optim.beta1, recipe.optim.beta2))
        let params = model.trainableParameters()
        let dp = DataParallel(comm: comm, parameters: params)
        let B = recipe.optim.batch_size, A = recipe.optim.accumulation_steps
        let localB = try dp.localBatch(B)
        let schedule = recipe.lrSchedule

        var step = 0, position = 0, skippedBefore = 0
        let metricsPath = (outDir as NSString).appendingPathComponent("metrics.jsonl")
        if resume, let ckpt = Checkpoints.latest(root: checkpointRoot) {
            let statePath = (ckpt as NSString).appendingPathComponent("state.json")
            guard let data = fm.contents(atPath: statePath), let state = try? JSONDecoder().decode(PretrainState.self, from: data) else {
                throw TrainingError.badCheckpoint(path: statePath, reason: "state.json is missing or unreadable")
            }
            guard state.encoder == enc, state.decoder == dec else {
                throw TrainingError.badCheckpoint(path: ckpt, reason: "the recipe's model differs from the checkpoint's")
            }
            try model.load(try Checkpoints.loadTensors((ckpt as NSString).appendingPathComponent("model.safetensors")), strict: true,
                           source: (ckpt as NSString).appendingPathComponent("model.safetensors"))
            try opt.loadState(try Checkpoints.loadTensors((ckpt as NSString).appendingPathComponent("optimizer.safetensors")),
                              source: (ckpt as NSString).appendingPathComponent("optimizer.safetensors"))
            step = state.step
            position = state.position
            skippedBefore = state.skippedImages
            if writes { try MetricsLog.truncate(path: metricsPath, afterStep: step) }
            logger.info("resumed from \(ckpt) at step \(step)")
        } else {
            if resume { logger.notice("no checkpoint under \(checkpointRoot); starting from step 0") }
            if writes { try? fm.removeItem(atPath: metricsPath) }
        }

        let corpus = try dp.afterMainOnly("rank 0 prepares the corpus") { try makeCorpus() }
        if comm.isDistributed {
            logger.info("data parallel: \(comm.size) ranks, \(localB) of the batch of \(B) per rank, \(threads ?? 0) threads per rank")
        }
        logger.info("data: \(corpus.description); model: MAE \(recipe.model.encoder) (\(model.parameterCount) parameters), effective batch \(recipe.effectiveBatch), peak lr \(recipe.peakLR)")
        let aug = MAEAugmentation(size: enc.imageHeight, scale: recipe.data.crop_scale_min...recipe.data.crop_scale_max,
                                  flipProbability: recipe.data.hflip_probability)
        let stream = ImageStream(corpus: corpus, augmentation: aug, seed: UInt64(truncatingIfNeeded: recipe.seed), position: position,
                                 workers: recipe.data.loader_workers, rank: comm.rank, ranks: comm.size)
        let log: MetricsLog? = writes ? try MetricsLog(path: metricsPath) : nil
        let bar = ProgressBar(total: totalSteps, label: "pretrain", unit: "step")
        var firstLoss: Float?, lastLoss: Float?, nonFinite = 0, lastCheckpoint: String?
        var windowStart = Date(), windowImages = 0

        func checkpoint() throws {
            guard writes else { return }
            let state = PretrainState(step: step, position: stream.position, seed: recipe.seed, recipe: recipeText, encoder: enc, decoder: dec,
                                      skippedImages: skippedBefore + stream.skipped.count)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            lastCheckpoint = try Checkpoints.save(root: checkpointRoot, step: step, model: named, optimizer: opt.state(), state: try enc.encode(state),
                                                  modelMetadata: ["format": "pt", "framework": "sapiens-swift", "kind": "mae",
                                                                  "encoder": String(decoding: try JSONEncoder().encode(self.recipe.encoderConfig), as: UTF8.self),
                                                                  "decoder": String(decoding: try JSONEncoder().encode(dec), as: UTF8.self),
                                                                  "mask_ratio": "\(self.recipe.model.mask_ratio)",
                                                                  "norm_pix_loss": "\(self.recipe.model.norm_pix_loss)"],
                                                  keep: recipe.run.keep_checkpoints)
            writePlot(metricsPath: metricsPath)
        }

        while step < totalSteps {
            try dp.faultHook(step: step)
            let lr = schedule.lr(base: recipe.peakLR, step: step)
            opt.lr = lr
            var lossSum: Float = 0
            var finite = true
            var lastOut: (imgs: Tensor, out: MAE.Output)?
            for micro in 0..<A {
                let (imgs, failed) = try stream.nextBatch(localB)
                for f in failed { logger.warning("skipped undecodable image: \(f)") }
                // Drawn for the global batch; this rank takes the rows of its own samples.
                let noise = dp.localRows(Tensor.uniform([B, model.numPatches], rng: noiseRNG(step: step, micro: micro)))
                let out = model(imgs, noise: noise)
                let l = out.loss.item()
                if !l.isFinite { finite = false; break }
                (A > 1 ? out.loss * (1 / Float(A)) : out.loss).backward()
                lossSum += l
                lastOut = (imgs, out)
            }
            let agreed = try dp.agree(lossSum: lossSum, finite: finite, strides: stream.strides, step: step)
            stream.commit(strides: agreed.strides)
            finite = agreed.allFinite
            if finite { try dp.averageGradients(step: step) }
            let gradNorm = finite ? clipGradNorm(params, maxNorm: recipe.optim.grad_clip) : .nan
            if !finite || !gradNorm.isFinite {
                nonFinite += 1
                opt.zeroGrad()
                logger.warning("step \(step): non-finite loss or gradient; step skipped (\(nonFinite) in a row)")
                if nonFinite >= recipe.run.max_nonfinite_steps { throw TrainingError.nonFinite(step: step, count: nonFinite) }
                step += 1
                continue
            }
            nonFinite = 0
            opt.step()
            opt.zeroGrad()
            let loss = agreed.loss / Float(A)
            if firstLoss == nil { firstLoss = loss }
            lastLoss = loss
            step += 1
            windowImages += B * A
            let dt = Date().timeIntervalSince(windowStart)
            let ips = dt > 0 ? Double(windowImages) / dt : 0
            try log?.append(["step": step, "loss": Double(loss), "lr": Double(lr), "grad_norm": Double(gradNorm),
                        "images_per_second": ips, "elapsed_s": Date().timeIntervalSince(started)])
            if step % recipe.run.log_every == 0 { windowStart = Date(); windowImages = 0 }
            if showProgress { bar.update(step, extra: String(format: "loss %.4f  lr %.2e  %.1f img/s", loss, lr, ips)) }
            if writes, step % recipe.run.reconstruction_every == 0 || step == totalSteps, let last = lastOut {
                let path = (reconDir as NSString).appendingPathComponent(String(format: "step-%07d.png", step))
                do { try Reconstruction.save(model: model, images: last.imgs, output: last.out, path: path) } catch {
                    logger.warning("could not write reconstruction \(path): \(error)")
                }
            }
            if step % recipe.run.checkpoint_every == 0 || step == totalSteps { try checkpoint() }
        }
        if step > 0 && lastCheckpoint == nil { lastCheckpoint = Checkpoints.latest(root: checkpointRoot) }
        if writes { writePlot(metricsPath: metricsPath) }
        return PretrainSummary(outDir: outDir, steps: step, firstLoss: firstLoss, lastLoss: lastLoss, checkpoint: lastCheckpoint,
                               skippedImages: skippedBefore + stream.skipped.count, seconds: Date().timeIntervalSince(started))
    }

    func writePlot(metricsPath: String) {
        let recs = MetricsLog.read(path: metricsPath)
        let pts = recs.compactMap { r -> (Double, Double)? in
            guard let s = (r["step"] as? NSNumber)?.doubleValue, let l = (r["loss"] as? NSNumber)?.doubleValue else { return nil }
            return (s, l)
        }
        let svg = LinePlot.svg(title: "\(recipe.name): MAE loss", xLabel: "step", series: [("loss", pts)])
        try? AtomicFile.write(Data(svg.utf8), to: (outDir as NSString).appendingPathComponent("loss.svg"))
    }
}
