import Data
import Distributed
import Foundation
import Logging
import Models
import Synth
import Tasks
import NN
import Tensor

/// What `state.json` in a fine-tuning checkpoint holds.
public struct FineTuneState: Codable {
    public var kind = "finetune"
    public var task: VisionTask
    public var step: Int
    /// Next sample position of the training stream.
    public var position: Int
    public var seed: Int
    public var recipe: String
    public var model: TaskModelConfig
    public var initFrom: String
    public var skippedImages: Int
}

public struct FineTuneSummary {
    public var outDir: String
    public var steps: Int
    public var firstLoss: Float?
    public var lastLoss: Float?
    public var checkpoint: String?
    public var evaluation: TaskEvaluation?
    public var seconds: Double
}

/// Fine-tunes one Sapiens head (pose, seg, depth or normal) on a backbone: layer-wise lr decay, AdamW, warmup
/// then poly / multi-step / cosine, gradient clipping, label-consistent augmentation with random backgrounds,
/// periodic validation with the task's metrics, metrics.jsonl + plots, prediction PNGs, atomic checkpoints and
/// exact resume (every random draw is a function of the seed and the sample position).
public final class FineTuner {
    public let recipe: FineTuneRecipe
    public let recipeText: String
    public let outDir: String
    public let totalSteps: Int
    /// A pretraining checkpoint (MAE or Sapiens names) for the backbone, or nil to train from scratch.
    public let initFrom: String?
    public var logger = Logger(label: "sapiens.finetune")
    public var showProgress = true
    public var cacheDir = "datasets/generated"
    /// The ranks to train over (default: the process's MPI world, a single rank without mpirun).
    public var communicator: Communicator?

    public init(recipe: FineTuneRecipe, recipeText: String, outDir: String, initFrom: String?, steps: Int? = nil) {
        self.recipe = recipe
        self.recipeText = recipeText
        self.outDir = outDir
        self.initFrom = initFrom
        self.totalSteps = steps ?? recipe.optim.total_steps
    }

    var checkpointRoot: String { (outDir as NSString).appendingPathComponent("checkpoints") }

    public func labelSpec() throws -> LabelSpec {
        let kind = recipe.visionTask.definition.labels
        return LabelSpec(schema: kind == .keypoints ? try recipe.schema() : nil, classes: kind == .classes ? try recipe.classes() : nil,
                         segRemap: recipe.data.label_remap == "lip_to_sapiens28" ? SegClasses.lipToSapiens28 : nil,
                         depthPNGUnitsPerMetre: Float(recipe.data.depth_png_units_per_metre))
    }

    /// The training and validation corpora the recipe names.
    public func corpora() throws -> (train: LabelledCorpus, val: LabelledCorpus?) {
        let d = recipe.data, labels = try labelSpec()
        switch d.source {
        case "synthetic":
            func render(_ n: Int, _ seed: Int, _ what: String) throws -> LabelledCorpus {
                let bar = ProgressBar(total: n, label: "rendering synthetic \(what)", unit: "img")
                return try LabelledCorpus.synthetic(images: n, height: d.synthetic_height, width: d.synthetic_width, people: d.synthetic_people,
                                                    seed: seed, cacheDir: cacheDir, labels: labels,
                                                    background: SynthConfig.Background.parse(d.synthetic_background)) { done, _ in if self.showProgress { bar.update(done) } }
            }
            let train = try render(d.synthetic_images, recipe.seed, "training set")
            let val = d.synthetic_val_images > 0 ? try render(d.synthetic_val_images, d.synthetic_val_seed, "validation set") : nil
            return (train, val)
        case "shards":
            return (try LabelledCorpus.shards(folder: d.path, labels: labels), d.val_path.isEmpty ? nil : try LabelledCorpus.shards(folder: d.val_path, labels: labels))
        default:
            return (try LabelledCorpus.folder(d.path, labels: labels), d.val_path.isEmpty ? nil : try LabelledCorpus.folder(d.val_path, labels: labels))
        }
    }

    /// The sample stream: augmented, target-encoded training samples in a reproducible order.
    func makeStream(corpus: LabelledCorpus, config: TaskModelConfig, position: Int, rank: Int = 0, ranks: Int = 1) throws -> SampleStream<TaskSample> {
        let d = recipe.data
        let targets = TaskTargets(config: config, heatmapSigma: Float(d.heatmap_sigma))
        let jitter: PhotometricJitter? = d.photometric_jitter ? PhotometricJitter() : nil
        let (H, W) = (config.backbone.imageHeight, config.backbone.imageWidth)
        let seed = UInt64(truncatingIfNeeded: recipe.seed)
        if config.task.definition.sampling == .personCrops {
            let instances = try corpus.poseInstances(minKeypoints: d.min_keypoints)
            guard !instances.isEmpty else {
                throw DataError.invalidArgument("\(corpus.description): no person with a box and at least \(d.min_keypoints) labelled keypoints")
            }
            logger.info("\(config.task.rawValue): \(instances.count) person instances")
            let aug = TopDownAugmentation(outWidth: W, outHeight: H, padding: d.box_padding, scale: d.scale_min...d.scale_max,
                                          rotationDegrees: d.rotation_degrees, flipProbability: d.hflip_probability,
                                          backgroundProbability: d.background_probability, jitter: jitter, keypointFlip: try recipe.schema().flipIndex)
            return SampleStream(shardCounts: [instances.count], seed: seed, position: position, workers: d.loader_workers, rank: rank, ranks: ranks) { i, rng in
                let inst = instances[i]
                return targets.make(aug.apply(try corpus.sample(at: inst.record), person: inst.person, rng: &rng))
            }
        }
        let aug = FineTuneAugmentation(outWidth: W, outHeight: H, zoom: d.scale_min...d.scale_max, rotationDegrees: d.rotation_degrees,
                                       flipProbability: d.hflip_probability, backgroundProbability: d.background_probability, jitter: jitter,
                                       segFlip: config.task.definition.labels == .classes ? (try recipe.classes()).flipMap : nil)
        return SampleStream(shardCounts: corpus.shardCounts, seed: seed, position: position, workers: d.loader_workers, rank: rank, ranks: ranks) { i, rng in
            targets.make(aug.apply(try corpus.sample(at: i), rng: &rng))
        }
    }

    public func evaluationOptions(visualizationDir: String?) -> TaskEvaluator.Options {
        var o = TaskEvaluator.Options()
        o.limit = recipe.eval.images
        o.flipTest = recipe.eval.flip_test
        o.boxPadding = recipe.data.box_padding
        o.visualizationDir = visualizationDir
        o.visualizations = recipe.eval.visualizations
        return o
    }

    public func run(resume: Bool) throws -> FineTuneSummary {
        let started = Date()
        // Refuse a run that cannot fit before the model is allocated or the run folder written (the CLI checked too, naming the file).
        try recipe.checkFitsInMemory(path: "recipe '\(recipe.name)'")
        let fm = FileManager.default
        let comm = try communicator ?? Communicator.world
        let threads = DataParallel.applyThreadsPerRank(comm)
        let writes = comm.isMain
        if !writes { logger.logLevel = .warning; showProgress = false }
        if writes {
            try fm.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            try AtomicFile.write(Data(recipeText.utf8), to: (outDir as NSString).appendingPathComponent("recipe.yaml"))
        }
        var config = try recipe.modelConfig()
        if recipe.model.patch_padding < 0, let initFrom {
            // The backbone keeps the patch padding it was trained with unless the recipe says otherwise
            // (Sapiens' own pose and normal configs pad by 2 on an unpadded MAE backbone).
            let file = TaskModel.modelFile(initFrom)
            let meta = CheckpointFile.isTorchCheckpoint(file) ? try CheckpointFile.load(path: file).metadata : try SafeTensors.metadata(path: file)
            let s = try OfficialConfig.backbonePadding(metadata: meta, path: file)
            config.backbone.patchPadding = s.patchPadding
            if s.patchPadding != 0 { logger.info("patch padding \(s.patchPadding) from \(s.origin)") }
            try config.validate()
        }
        let model = TaskModel(config, rng: RNG(seed: UInt64(truncatingIfNeeded: recipe.seed)))
        let named = model.namedParameters()
        let opt = AdamW(groups: layerDecayParameterGroups(named, depth: config.backbone.depth, layerDecay: recipe.optim.layer_decay,
                                                          weightDecay: recipe.optim.weight_decay),
                        lr: recipe.optim.lr, betas: (recipe.optim.beta1, recipe.optim.beta2))
        let params = model.trainableParameters()
        let dp = DataParallel(comm: comm, parameters: params)
        let B = recipe.optim.batch_size, A = recipe.optim.accumulation_steps
        let localB = try dp.localBatch(B)
        let schedule = recipe.lrSchedule
        let lossFn = TaskLoss(task: config.task,
                              classWeights: config.task.definition.labels == .classes && recipe.loss.class_weights == "sapiens" && config.head.outChannels == 28
                                  ? TaskLoss.sapiens28ClassWeights : nil,
                              ohkmTopK: recipe.loss.ohkm_topk > 0 ? recipe.loss.ohkm_topk : nil, siLogLambda: recipe.loss.silog_lambda)

        var step = 0, position = 0, skippedBefore = 0
        let metricsPath = (outDir as NSString).appendingPathComponent("metrics.jsonl")
        if resume, let ckpt = Checkpoints.latest(root: checkpointRoot) {
            let statePath = (ckpt as NSString).appendingPathComponent("state.json")
            guard let data = fm.contents(atPath: statePath), let state = try? JSONDecoder().decode(FineTuneState.self, from: data) else {
                throw TrainingError.badCheckpoint(path: statePath, reason: "state.json is missing or unreadable")
            }
            guard state.model == config else { throw TrainingError.badCheckpoint(path: ckpt, reason: "the recipe's model differs from the checkpoint's") }
            try model.loadWeights(path: (ckpt as NSString).appendingPathComponent("model.safetensors"))
            try opt.loadState(try Checkpoints.loadTensors((ckpt as NSString).appendingPathComponent("optimizer.safetensors")),
                              source: (ckpt as NSString).appendingPathComponent("optimizer.safetensors"))
            step = state.step; position = state.position; skippedBefore = state.skippedImages
            if writes { try MetricsLog.truncate(path: metricsPath, afterStep: step) }
            logger.info("resumed from \(ckpt) at step \(step)")
        } else {
            if resume { logger.notice("no checkpoint under \(checkpointRoot); starting from step 0") }
            if writes { try? fm.removeItem(atPath: metricsPath) }
            if let initFrom {
                try model.initBackbone(from: initFrom)
                logger.info("backbone initialised from \(initFrom)")
            } else {
                logger.info("backbone initialised at random (from scratch)")
            }
        }

        let (train, val) = try dp.afterMainOnly("rank 0 prepares the corpora") { try corpora() }
        let stream = try makeStream(corpus: train, config: config, position: position, rank: comm.rank, ranks: comm.size)
        if comm.isDistributed {
            logger.info("data parallel: \(comm.size) ranks, \(localB) of the batch of \(B) per rank, \(threads ?? 0) threads per rank")
        }
        logger.info("task \(config.task.rawValue): train \(train.description); val \(val?.description ?? "none"); model \(model.parameterCount) parameters; effective batch \(recipe.effectiveBatch); lr \(recipe.optim.lr), layer decay \(recipe.optim.layer_decay)")
        let log: MetricsLog? = writes ? try MetricsLog(path: metricsPath) : nil
        let bar = ProgressBar(total: totalSteps, label: "finetune \(config.task.rawValue)", unit: "step")
        var firstLoss: Float?, lastLoss: Float?, nonFinite = 0, lastCheckpoint: String?, lastEval: TaskEvaluation?
        let targets = TaskTargets(config: config, heatmapSigma: Float(recipe.data.heatmap_sigma))
        var windowStart = Date(), windowImages = 0

        // Validation runs on rank 0 while the others wait in the next step's allreduce.
        func validate() throws {
            guard writes, let val else { return }
            let dir = (outDir as NSString).appendingPathComponent("val/step-\(String(format: "%07d", step))")
            let e = try TaskEvaluator.evaluate(model: model, corpus: val, options: evaluationOptions(visualizationDir: dir))
            lastEval = e
            var rec: [String: Any] = ["step": step, "kind": "val", "task": config.task.rawValue, "images": e.images]
            for (k, v) in e.metrics { rec["val_" + k] = v }
            try log?.append(rec)
            try AtomicFile.write(try e.jsonData(), to: (dir as NSString).appendingPathComponent("metrics.json"))
            logger.info("step \(step) validation: \(e.headline) \(String(format: "%.4f", e.headlineValue))")
        }

        func checkpoint() throws {
            guard writes else { return }
            let state = FineTuneState(task: config.task, step: step, position: stream.position, seed: recipe.seed, recipe: recipeText, model: config,
                                      initFrom: initFrom ?? "scratch", skippedImages: skippedBefore + stream.skipped.count)
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            lastCheckpoint = try Checkpoints.save(root: checkpointRoot, step: step, model: named, optimizer: opt.state(), state: try enc.encode(state),
                                                  modelMetadata: model.checkpointMetadata(), keep: recipe.run.keep_checkpoints)
            writePlots(metricsPath: metricsPath)
        }

        while step < totalSteps {
            try dp.faultHook(step: step)
            let lr = schedule.lr(base: recipe.optim.lr, step: step)
            opt.lr = lr
            var lossSum: Float = 0
            var finite = true
            for _ in 0..<A {
                let (samples, failed) = try stream.next(localB)
                for f in failed { logger.warning("skipped unusable sample: \(f)") }
                let batch = targets.batch(samples)
                let loss = lossFn(model.predict(batch.images), batch)
                let l = loss.item()
                if !l.isFinite { finite = false; break }
                (A > 1 ? loss * (1 / Float(A)) : loss).backward()
                lossSum += l
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
            let evalNow = step == totalSteps || (recipe.eval.every > 0 && step % recipe.eval.every == 0)
            if evalNow { try validate() }
            if step % recipe.run.checkpoint_every == 0 || step == totalSteps { try checkpoint() }
        }
        if step > 0 && lastCheckpoint == nil { lastCheckpoint = Checkpoints.latest(root: checkpointRoot) }
        if writes { writePlots(metricsPath: metricsPath) }
        return FineTuneSummary(outDir: outDir, steps: step, firstLoss: firstLoss, lastLoss: lastLoss, checkpoint: lastCheckpoint,
                               evaluation: lastEval, seconds: Date().timeIntervalSince(started))
    }

    func writePlots(metricsPath: String) {
        let recs = MetricsLog.read(path: metricsPath)
        func series(_ key: String) -> [(Double, Double)] {
            recs.compactMap { r in
                guard let s = (r["step"] as? NSNumber)?.doubleValue, let v = (r[key] as? NSNumber)?.doubleValue else { return nil }
                return (s, v)
            }
        }
        let svg = LinePlot.svg(title: "\(recipe.name): \(recipe.task) loss", xLabel: "step", series: [("loss", series("loss"))])
        try? AtomicFile.write(Data(svg.utf8), to: (outDir as NSString).appendingPathComponent("loss.svg"))
        let shown = recipe.visionTask.definition.plottedMetrics
        let valSeries = shown.map { ($0, series("val_" + $0)) }.filter { !$0.1.isEmpty }
        guard !valSeries.isEmpty else { return }
        let valSVG = LinePlot.svg(title: "\(recipe.name): validation", xLabel: "step", series: valSeries)
        try? AtomicFile.write(Data(valSVG.utf8), to: (outDir as NSString).appendingPathComponent("val.svg"))
    }
}
