import SapiensData
import Distributed
import Foundation
import Logging
import NN
import Tensor

/// What a checkpoint's `state.json` must hold for the loop to resume: the step, the next sample position of
/// the training stream, and how many samples were skipped as unusable so far.
public protocol TrainingState: Codable {
    var step: Int { get }
    var position: Int { get }
    var skippedImages: Int { get }
    /// The GEMM precision the run computed in (fp32 or bf16; nil in checkpoints from before it was recorded,
    /// which were fp32). The loop sets it; a resume in another precision is refused.
    var precision: String? { get set }
}

/// The training stream as the loop sees it: a position to checkpoint, and strides that ranks agree on before
/// a step is committed (`ImageStream`, `SampleStream`).
public protocol TrainingStream: AnyObject {
    var position: Int { get }
    var strides: Int { get }
    var skipped: [String] { get }
    func commit(strides: Int)
}

extension ImageStream: TrainingStream {}
extension SampleStream: TrainingStream {}

/// The numbers of a recipe the loop reads.
public struct LoopSettings {
    public var totalSteps: Int
    /// Global batch per micro-batch (split over ranks) and micro-batches per optimiser step.
    public var batchSize: Int, accumulationSteps: Int
    public var baseLR: Float
    public var schedule: LRSchedule
    public var gradClip: Float
    public var maxNonFiniteSteps: Int
    public var logEvery: Int, checkpointEvery: Int, keepCheckpoints: Int
    /// Progress bar label, e.g. "pretrain".
    public var label: String
    /// GEMM precision asked for (`optim.precision`).
    public var precision: ComputePrecision

    public init(totalSteps: Int, batchSize: Int, accumulationSteps: Int, baseLR: Float, schedule: LRSchedule, gradClip: Float,
                maxNonFiniteSteps: Int, logEvery: Int, checkpointEvery: Int, keepCheckpoints: Int, label: String,
                precision: ComputePrecision = .fp32) {
        self.totalSteps = totalSteps; self.batchSize = batchSize; self.accumulationSteps = accumulationSteps; self.baseLR = baseLR
        self.schedule = schedule; self.gradClip = gradClip; self.maxNonFiniteSteps = maxNonFiniteSteps; self.logEvery = logEvery
        self.checkpointEvery = checkpointEvery; self.keepCheckpoints = keepCheckpoints; self.label = label
        self.precision = precision
    }
}

/// What a trainer supplies to `TrainingLoop`: its model and optimiser, its data, the loss of one micro-batch,
/// its checkpoint state, and what it does after a step (reconstructions, validation). The loop owns the rest.
/// `MAEPretrainer` and `FineTuner` are the two; a new trainer implements this and calls `TrainingLoop.run`.
public protocol TrainingJob: AnyObject {
    associatedtype State: TrainingState

    var settings: LoopSettings { get }
    var outDir: String { get }
    var recipeText: String { get }
    var logger: Logger { get set }
    var showProgress: Bool { get set }
    /// The ranks to train over (nil: the process's MPI world, a single rank without mpirun).
    var communicator: Communicator? { get }

    /// Checks that need no model (e.g. the memory estimate), before anything is allocated or written.
    func checkBeforeStart() throws
    /// Rank 0 only, after `outDir` exists: folders of the trainer's own outputs.
    func prepareFolders() throws
    /// Builds the model and optimiser: the parameters saved in checkpoints (by name), and those trained.
    func build() throws -> (named: [(String, Tensor)], trainable: [Tensor], optimizer: AdamW)
    /// Checks that a checkpoint's state fits this run and loads its model weights (the loop loads the optimiser).
    func restore(_ state: State, checkpoint: String) throws
    /// Starting without a checkpoint: e.g. the backbone from a pretraining checkpoint.
    func startFresh() throws
    /// Opens the training data at sample `position`, for this rank.
    func openData(position: Int, dataParallel: DataParallel) throws -> TrainingStream
    /// The loss of micro-batch `micro` of `step` on `localBatch` samples of this rank, ready for backward.
    func loss(step: Int, micro: Int, localBatch: Int, dataParallel: DataParallel) throws -> Tensor
    /// What `state.json` records for a checkpoint at `step`.
    func state(step: Int, position: Int, skippedImages: Int) throws -> State
    /// Metadata of the checkpoint's `model.safetensors`.
    func checkpointMetadata() throws -> [String: String]
    /// More files for each checkpoint folder, by name (e.g. the config.json that makes it a hub folder).
    func checkpointFiles() throws -> [String: Data]
    /// After optimiser step `step` (1-based count of steps done), before its checkpoint; `writes` is rank 0.
    func afterStep(_ step: Int, writes: Bool, log: MetricsLog?) throws
    /// Plots from `metrics.jsonl` (rank 0).
    func writePlots(metricsPath: String)
}

extension TrainingJob {
    public func checkBeforeStart() throws {}
    public func prepareFolders() throws {}
    public func startFresh() throws {}
    public func afterStep(_ step: Int, writes: Bool, log: MetricsLog?) throws {}
    public func checkpointFiles() throws -> [String: Data] { [:] }
}

/// What a finished run reports.
public struct TrainingOutcome {
    public var steps: Int
    public var firstLoss: Float?
    public var lastLoss: Float?
    public var checkpoint: String?
    public var skippedImages: Int
    public var seconds: Double
}

/// The one training loop, shared by MAE pretraining and every fine-tune (compare MAE's `engine_pretrain.py`):
/// resume from the latest checkpoint, learning-rate schedule, gradient accumulation, data-parallel loss
/// agreement and gradient averaging, the non-finite policy (skip the step, stop after too many in a row),
/// clipping, AdamW, metrics.jsonl, progress, the trainer's after-step work, and atomic checkpoints.
/// Every random draw is the trainer's function of (seed, step, position), so a run resumed from its last
/// checkpoint replays the same losses bit for bit.
public enum TrainingLoop {
    public static func run<Job: TrainingJob>(_ job: Job, resume: Bool) throws -> TrainingOutcome {
        let started = Date()
        // Refuse a run that cannot fit before the model is allocated or the run folder written.
        try job.checkBeforeStart()
        let fm = FileManager.default
        let comm = try job.communicator ?? Communicator.world
        let threads = DataParallel.applyThreadsPerRank(comm)
        let writes = comm.isMain
        if !writes { job.logger.logLevel = .warning; job.showProgress = false }
        let outDir = job.outDir
        if writes {
            try fm.createDirectory(atPath: outDir, withIntermediateDirectories: true)
            try job.prepareFolders()
            try AtomicFile.write(Data(job.recipeText.utf8), to: (outDir as NSString).appendingPathComponent("recipe.yaml"))
        }
        let s = job.settings
        // The backend is chosen before the model exists and put back when the run ends (tests train in-process).
        let (selection, previousBackend) = TrainingPrecision.apply(s.precision)
        defer { Backends.current = previousBackend }
        let precision = selection.precision
        job.logger.info("\(TrainingPrecision.describe(s.precision, selection))")
        let (named, params, opt) = try job.build()
        let dp = DataParallel(comm: comm, parameters: params)
        let B = s.batchSize, A = s.accumulationSteps
        let localB = try dp.localBatch(B)
        let checkpointRoot = (outDir as NSString).appendingPathComponent("checkpoints")

        var step = 0, position = 0, skippedBefore = 0
        let metricsPath = (outDir as NSString).appendingPathComponent("metrics.jsonl")
        if resume, let ckpt = Checkpoints.latest(root: checkpointRoot) {
            let statePath = (ckpt as NSString).appendingPathComponent("state.json")
            guard let data = fm.contents(atPath: statePath), let state = try? JSONDecoder().decode(Job.State.self, from: data) else {
                throw TrainingError.badCheckpoint(path: statePath, reason: "state.json is missing or unreadable")
            }
            try TrainingPrecision.checkResume(recorded: state.precision, running: precision, statePath: statePath)
            try job.restore(state, checkpoint: ckpt)
            let optimizerPath = (ckpt as NSString).appendingPathComponent("optimizer.safetensors")
            try opt.loadState(try Checkpoints.loadTensors(optimizerPath), source: optimizerPath)
            step = state.step; position = state.position; skippedBefore = state.skippedImages
            if writes { try MetricsLog.truncate(path: metricsPath, afterStep: step) }
            job.logger.info("resumed from \(ckpt) at step \(step)")
        } else {
            if resume { job.logger.notice("no checkpoint under \(checkpointRoot); starting from step 0") }
            if writes { try? fm.removeItem(atPath: metricsPath) }
            try job.startFresh()
        }

        let stream = try job.openData(position: position, dataParallel: dp)
        if comm.isDistributed {
            job.logger.info("data parallel: \(comm.size) ranks, \(localB) of the batch of \(B) per rank, \(threads ?? 0) threads per rank")
        }
        let log: MetricsLog? = writes ? try MetricsLog(path: metricsPath) : nil
        let bar = ProgressBar(total: s.totalSteps, label: s.label, unit: "step")
        var firstLoss: Float?, lastLoss: Float?, nonFinite = 0, lastCheckpoint: String?
        var windowStart = Date(), windowImages = 0

        func checkpoint() throws {
            guard writes else { return }
            var state = try job.state(step: step, position: stream.position, skippedImages: skippedBefore + stream.skipped.count)
            state.precision = precision.rawValue
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            lastCheckpoint = try Checkpoints.save(root: checkpointRoot, step: step, model: named, optimizer: opt.state(), state: try enc.encode(state),
                                                  modelMetadata: try job.checkpointMetadata(), files: try job.checkpointFiles(), keep: s.keepCheckpoints)
            job.writePlots(metricsPath: metricsPath)
        }

        while step < s.totalSteps {
            try dp.faultHook(step: step)
            let lr = s.schedule.lr(base: s.baseLR, step: step)
            opt.lr = lr
            var lossSum: Float = 0
            var finite = true
            for micro in 0..<A {
                let loss = try job.loss(step: step, micro: micro, localBatch: localB, dataParallel: dp)
                let l = loss.item()
                if !l.isFinite { finite = false; break }
                (A > 1 ? loss * (1 / Float(A)) : loss).backward()
                lossSum += l
            }
            // Every rank takes the same decision: a step any rank found non-finite is skipped by all.
            let agreed = try dp.agree(lossSum: lossSum, finite: finite, strides: stream.strides, step: step)
            stream.commit(strides: agreed.strides)
            finite = agreed.allFinite
            if finite { try dp.averageGradients(step: step) }
            let gradNorm = finite ? clipGradNorm(params, maxNorm: s.gradClip) : .nan
            if !finite || !gradNorm.isFinite {
                nonFinite += 1
                opt.zeroGrad()
                job.logger.warning("step \(step): non-finite loss or gradient; step skipped (\(nonFinite) in a row)")
                if nonFinite >= s.maxNonFiniteSteps { throw TrainingError.nonFinite(step: step, count: nonFinite) }
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
                             "images_per_second": ips, "elapsed_s": Date().timeIntervalSince(started), "precision": precision.rawValue])
            if step % s.logEvery == 0 { windowStart = Date(); windowImages = 0 }
            if job.showProgress { bar.update(step, extra: String(format: "loss %.4f  lr %.2e  %.1f img/s", loss, lr, ips)) }
            try job.afterStep(step, writes: writes, log: log)
            if step % s.checkpointEvery == 0 || step == s.totalSteps { try checkpoint() }
        }
        if step > 0 && lastCheckpoint == nil { lastCheckpoint = Checkpoints.latest(root: checkpointRoot) }
        if writes { job.writePlots(metricsPath: metricsPath) }
        return TrainingOutcome(steps: step, firstLoss: firstLoss, lastLoss: lastLoss, checkpoint: lastCheckpoint,
                               skippedImages: skippedBefore + stream.skipped.count, seconds: Date().timeIntervalSince(started))
    }
}
