import SapiensData
import Distributed
import Foundation
import Logging
import Models
import Synth
import Tasks
import NN
import Tensor

/// What `state.json` in a fine-tuning checkpoint holds.
public struct FineTuneState: TrainingState {
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
    /// GEMM precision the run computed in (nil: before it was recorded, fp32).
    public var precision: String? = nil
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
/// exact resume (every random draw is a function of the seed and the sample position). `TrainingLoop` runs it;
/// this class supplies the model, the data, the task's loss and the validation.
public final class FineTuner: TrainingJob {
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
    /// Built and opened by `TrainingLoop` through `build` and `openData`.
    var model: TaskModel?
    var stream: SampleStream<TaskSample>?
    var targets: TaskTargets?
    var lossFunction: TaskLoss?
    var validation: LabelledCorpus?
    var lastEvaluation: TaskEvaluation?

    public init(recipe: FineTuneRecipe, recipeText: String, outDir: String, initFrom: String?, steps: Int? = nil) {
        self.recipe = recipe
        self.recipeText = recipeText
        self.outDir = outDir
        self.initFrom = initFrom
        self.totalSteps = steps ?? recipe.optim.total_steps
    }

    public func labelSpec() throws -> LabelSpec {
        let kind = recipe.visionTask.definition.labels
        return LabelSpec(schema: kind == .keypoints ? try recipe.schema() : nil, classes: kind == .classes ? try recipe.classes() : nil,
                         segRemap: recipe.data.label_remap == "lip_to_sapiens28" ? SegClasses.lipToSapiens28
                             : recipe.data.label_remap == "sapiens28_to_sapiens2_29" ? SegClasses.sapiens28ToSapiens2 : nil,
                         segRemapFrom: recipe.data.label_remap == "sapiens28_to_sapiens2_29" ? .sapiens28 : nil,
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
        lastEvaluation = nil
        let o = try TrainingLoop.run(self, resume: resume)
        return FineTuneSummary(outDir: outDir, steps: o.steps, firstLoss: o.firstLoss, lastLoss: o.lastLoss, checkpoint: o.checkpoint,
                               evaluation: lastEvaluation, seconds: o.seconds)
    }

    // MARK: what the training loop asks of fine-tuning

    public var settings: LoopSettings {
        LoopSettings(totalSteps: totalSteps, batchSize: recipe.optim.batch_size, accumulationSteps: recipe.optim.accumulation_steps,
                     baseLR: recipe.optim.lr, schedule: recipe.lrSchedule, gradClip: recipe.optim.grad_clip,
                     maxNonFiniteSteps: recipe.run.max_nonfinite_steps, logEvery: recipe.run.log_every,
                     checkpointEvery: recipe.run.checkpoint_every, keepCheckpoints: recipe.run.keep_checkpoints,
                     label: "finetune \(recipe.visionTask.rawValue)", precision: recipe.computePrecision)
    }

    public func checkBeforeStart() throws { try recipe.checkFitsInMemory(path: "recipe '\(recipe.name)'") }

    public func build() throws -> (named: [(String, Tensor)], trainable: [Tensor], optimizer: AdamW) {
        var config = try recipe.modelConfig()
        if recipe.model.patch_padding < 0, !recipe.isSapiens2, let initFrom {
            // The backbone keeps the patch padding it was trained with unless the recipe says otherwise
            // (Sapiens' own pose and normal configs pad by 2 on an unpadded MAE backbone).
            let file = TaskModel.modelFile(initFrom)
            let meta = CheckpointFile.isTorchCheckpoint(file) ? try CheckpointFile.load(path: file).metadata : try SafeTensors.metadata(path: file)
            let s = try OfficialConfig.backbonePadding(metadata: meta, path: file)
            config.backbone.patchPadding = s.patchPadding
            if s.patchPadding != 0 { logger.info("patch padding \(s.patchPadding) from \(s.origin)") }
            try config.validate()
        }
        let m = TaskModel(config, rng: RNG(seed: UInt64(truncatingIfNeeded: recipe.seed)))
        m.setActivationCheckpointing(every: recipe.model.activation_checkpointing.every)
        model = m
        let named = m.namedParameters()
        let opt = AdamW(groups: m.layerDecayGroups(layerDecay: recipe.optim.layer_decay, weightDecay: recipe.optim.weight_decay),
                        lr: recipe.optim.lr, betas: (recipe.optim.beta1, recipe.optim.beta2))
        let sapiens2 = config.sapiens2 != nil
        var classWeights: [Float]?
        if config.task.definition.labels == .classes && recipe.loss.class_weights == "sapiens" {
            if !sapiens2 && config.head.outChannels == 28 { classWeights = TaskLoss.sapiens28ClassWeights }
            if sapiens2 && config.head.outChannels == Sapiens2Losses.segmentationClassWeights.count { classWeights = Sapiens2Losses.segmentationClassWeights }
        }
        lossFunction = TaskLoss(task: config.task, classWeights: classWeights,
                                ohkmTopK: recipe.loss.ohkm_topk > 0 ? recipe.loss.ohkm_topk : nil, siLogLambda: recipe.loss.silog_lambda,
                                sapiens2: sapiens2)
        targets = TaskTargets(config: config, heatmapSigma: Float(recipe.data.heatmap_sigma))
        return (named, m.trainableParameters(), opt)
    }

    public func restore(_ state: FineTuneState, checkpoint ckpt: String) throws {
        guard let model else { throw TrainingError.notReady("the task model") }
        guard state.model == model.config else { throw TrainingError.badCheckpoint(path: ckpt, reason: "the recipe's model differs from the checkpoint's") }
        try model.loadWeights(path: (ckpt as NSString).appendingPathComponent("model.safetensors"))
    }

    public func startFresh() throws {
        if let initFrom {
            try model?.initBackbone(from: initFrom)
            logger.info("backbone initialised from \(initFrom)")
        } else {
            logger.info("backbone initialised at random (from scratch)")
        }
    }

    public func openData(position: Int, dataParallel dp: DataParallel) throws -> TrainingStream {
        guard let model else { throw TrainingError.notReady("the task model") }
        let config = model.config
        let (train, val) = try dp.afterMainOnly("rank 0 prepares the corpora") { try corpora() }
        validation = val
        let s = try makeStream(corpus: train, config: config, position: position, rank: dp.rank, ranks: dp.size)
        logger.info("task \(config.task.rawValue): train \(train.description); val \(val?.description ?? "none"); model \(model.parameterCount) parameters; effective batch \(recipe.effectiveBatch); lr \(recipe.optim.lr), layer decay \(recipe.optim.layer_decay)")
        stream = s
        return s
    }

    public func loss(step: Int, micro: Int, localBatch: Int, dataParallel dp: DataParallel) throws -> Tensor {
        guard let model, let stream, let targets, let lossFunction else { throw TrainingError.notReady("the task model or its data") }
        let (samples, failed) = try stream.next(localBatch)
        for f in failed { logger.warning("skipped unusable sample: \(f)") }
        let batch = targets.batch(samples)
        return lossFunction(model.predict(batch.images), batch)
    }

    public func state(step: Int, position: Int, skippedImages: Int) throws -> FineTuneState {
        guard let model else { throw TrainingError.notReady("the task model") }
        return FineTuneState(task: model.config.task, step: step, position: position, seed: recipe.seed, recipe: recipeText,
                             model: model.config, initFrom: initFrom ?? "scratch", skippedImages: skippedImages)
    }

    public func checkpointMetadata() throws -> [String: String] { model?.checkpointMetadata() ?? [:] }

    /// A Sapiens2 model's checkpoint folder is also a hub folder: its config.json beside model.safetensors
    /// (transformers' names) lets `Sapiens2For*.from_pretrained` and `sapiens infer` load it as it is.
    public func checkpointFiles() throws -> [String: Data] {
        guard let c = model?.config, let s = c.sapiens2 else { return [:] }
        return [Sapiens2Checkpoint.configFile: s.hubJSON(labelNames: c.labelNames)]
    }

    /// Validation every `eval.every` steps and at the end, on rank 0 while the others wait in the next
    /// step's allreduce.
    public func afterStep(_ step: Int, writes: Bool, log: MetricsLog?) throws {
        let evalNow = step == totalSteps || (recipe.eval.every > 0 && step % recipe.eval.every == 0)
        guard evalNow, writes, let val = validation, let model else { return }
        let dir = (outDir as NSString).appendingPathComponent("val/step-\(String(format: "%07d", step))")
        let e = try TaskEvaluator.evaluate(model: model, corpus: val, options: evaluationOptions(visualizationDir: dir))
        lastEvaluation = e
        var rec: [String: Any] = ["step": step, "kind": "val", "task": model.config.task.rawValue, "images": e.images]
        for (k, v) in e.metrics { rec["val_" + k] = v }
        try log?.append(rec)
        try AtomicFile.write(try e.jsonData(), to: (dir as NSString).appendingPathComponent("metrics.json"))
        logger.info("step \(step) validation: \(e.headline) \(String(format: "%.4f", e.headlineValue))")
    }

    public func writePlots(metricsPath: String) {
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
