import Distributed
import Foundation
import Models
import NN
import Tensor
import Training

/// `sapiens bench-mpi`: the figures of the data-parallel scaling model, step = compute/N + allreduce(bytes, N),
/// on the current rank count. Every rank runs the same work; rank 0's timings are reported.
public enum MPIBenchmarks {
    public struct Figure: Codable, Sendable {
        public var name: String
        public var ranks: Int
        public var threads_per_rank: Int
        public var bytes: Int
        public var ms_min: Double
        public var ms_median: Double
        public var global_batch: Int?
        public var local_batch: Int?
        /// For the step figure: the median of its gradient allreduce alone.
        public var allreduce_ms_median: Double?
        public var images_per_second: Double?
        public var note: String?
    }

    /// The scaling model's communication term for a gradient of `parameters` floats on `nodes` nodes: a ring
    /// allreduce sends (and receives) 2(N−1)/N × bytes per node, so at `gbitPerSecond` it takes that / bandwidth
    /// (latency and the reduction arithmetic ignored; both are small at this size).
    public struct AllreducePrediction: Codable, Sendable {
        public var name = "predicted_ring_allreduce"
        public var model: String
        public var parameters: Int
        public var gradient_bytes: Int
        public var nodes: Int
        public var gbit_per_second: Double
        public var bytes_per_node: Double
        public var seconds: Double
    }

    public static func predictRingAllreduce(model: String = "sapiens_0.3b MAE (1024 px, 512/8/16 decoder)",
                                            parameters: Int = MAE.parameterCount(encoder: .sapiens_0_3b, decoder: .standard),
                                            nodes: Int = 64, gbitPerSecond: Double = 100) -> AllreducePrediction {
        let bytes = parameters * 4
        let perNode = 2 * Double(nodes - 1) / Double(nodes) * Double(bytes)
        return AllreducePrediction(model: model, parameters: parameters, gradient_bytes: bytes, nodes: nodes, gbit_per_second: gbitPerSecond,
                                   bytes_per_node: perNode, seconds: perNode / (gbitPerSecond * 1e9 / 8))
    }

    static func time(_ comm: Communicator, reps: Int, warmup: Int = 2, _ body: () throws -> Void) throws -> [Double] {
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        for _ in 0..<max(1, reps) {
            try comm.barrier("bench alignment")
            let t0 = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        return times.sorted()
    }

    static func median(_ sorted: [Double]) -> Double { sorted[sorted.count / 2] }

    /// Runs the three figures and hands each to `emit` (rank 0 prints them).
    public static func run(comm: Communicator, recipe: PretrainRecipe, globalBatch: Int, reps: Int, emit: (Figure) throws -> Void) throws {
        let threads = DataParallel.applyThreadsPerRank(comm) ?? EngineThreads.count
        let note = comm.usesMPI ? nil : "single process without mpirun: collectives are no-ops"

        // 1. One allreduce of the ViT-Tiny MAE gradient (ViT-Tiny/16 at 224 px, 12 blocks, 128-wide decoder).
        let tiny = PretrainRecipe()
        let tinyMAE = MAE(encoder: tiny.encoderConfig, decoder: tiny.decoderConfig, rng: RNG(seed: 1))
        let tinyParams = tinyMAE.trainableParameters()
        let floats = tinyParams.map(\.count).reduce(0, +)
        let flat = UnsafeMutablePointer<Float>.allocate(capacity: floats)
        defer { flat.deallocate() }
        flat.initialize(repeating: 1, count: floats)
        let one = try time(comm, reps: reps) { try comm.allreduceSum(flat, count: floats, "bench gradient buffer") }
        try emit(Figure(name: "allreduce_vit_tiny_mae_grad", ranks: comm.size, threads_per_rank: threads, bytes: floats * 4,
                        ms_min: one[0], ms_median: median(one), note: note))

        // 2. The same gradients through the trainer's buckets (pack, allreduce, unpack averaged).
        for p in tinyParams { p.grad = Tensor(shape: p.shape, fill: 0.5) }
        let dpTiny = DataParallel(comm: comm, parameters: tinyParams)
        let bucketed = try time(comm, reps: reps) { try dpTiny.averageGradients(step: 0) }
        try emit(Figure(name: "bucketed_allreduce_vit_tiny_mae_grad", ranks: comm.size, threads_per_rank: threads, bytes: floats * 4,
                        ms_min: bucketed[0], ms_median: median(bucketed),
                        note: "\(dpTiny.buckets.count) bucket(s) of at most \(GradientBuckets.defaultBucketBytes >> 20) MiB" + (note.map { "; " + $0 } ?? "")))

        // 3. A full training step of the recipe's MAE at the global batch: forward + backward on B/N images,
        //    gradient allreduce, clip, AdamW.
        let model = MAE(encoder: recipe.encoderConfig, decoder: recipe.decoderConfig, maskRatio: recipe.model.mask_ratio,
                        normPixLoss: recipe.model.norm_pix_loss, rng: RNG(seed: 2))
        let named = model.namedParameters()
        let params = model.trainableParameters()
        let opt = AdamW(groups: standardParameterGroups(named, weightDecay: recipe.optim.weight_decay), lr: 1e-4,
                        betas: (recipe.optim.beta1, recipe.optim.beta2))
        let dp = DataParallel(comm: comm, parameters: params)
        let local = try dp.localBatch(globalBatch, field: "--batch")
        let S = recipe.encoderConfig.imageHeight
        let imgs = Tensor.uniform([local, 3, S, S], -1, 1, rng: RNG(seed: UInt64(3 + comm.rank)))
        var reduceTimes: [Double] = []
        var step = 0
        let steps = try time(comm, reps: reps) {
            let noise = dp.localRows(Tensor.uniform([globalBatch, model.numPatches], rng: RNG(seed: UInt64(step))))
            let out = model(imgs, noise: noise)
            out.loss.backward()
            _ = try dp.agree(lossSum: out.loss.item(), finite: true, strides: 0, step: step)
            let t0 = DispatchTime.now().uptimeNanoseconds
            try dp.averageGradients(step: step)
            reduceTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            _ = clipGradNorm(params, maxNorm: 1)
            opt.step()
            opt.zeroGrad()
            step += 1
        }
        let reduceSorted = Array(reduceTimes.suffix(steps.count)).sorted()
        try emit(Figure(name: "mae_step_\(recipe.name)", ranks: comm.size, threads_per_rank: threads, bytes: dp.buckets.totalFloats * 4,
                        ms_min: steps[0], ms_median: median(steps), global_batch: globalBatch, local_batch: local,
                        allreduce_ms_median: median(reduceSorted), images_per_second: Double(globalBatch) / (median(steps) / 1000), note: note))
    }
}
