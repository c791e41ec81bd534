import Distributed
import Foundation
import Logging
import Tensor

public enum DataParallelError: Error, CustomStringConvertible {
    case batchNotDivisible(batch: Int, ranks: Int, field: String)
    public var description: String {
        switch self {
        case let .batchNotDivisible(b, n, field):
            return "\(field) = \(b) is the global batch and must be divisible by the number of ranks (\(n)); each rank takes \(field) / \(n). Choose a batch that is a multiple of \(n) or another rank count."
        }
    }
}

/// Data-parallel training over MPI ranks, shared by the MAE pretrainer and the fine-tuner.
///
/// A global batch B on N ranks is B/N per rank; rank k takes items k, k+N, … of the global order, so the
/// N ranks together see the single-process batch. After backward the gradients are averaged (bucketed
/// allreduce), which gives every rank the single-process gradient up to float summation order; the loss is
/// averaged the same way. Rank 0 alone writes files. On one rank (no mpirun) every collective is a no-op.
public final class DataParallel {
    public let comm: Communicator
    public let buckets: GradientBuckets
    public var rank: Int { comm.rank }
    public var size: Int { comm.size }
    /// Only rank 0 writes checkpoints, metrics, plots and images.
    public var writes: Bool { comm.isMain }

    public init(comm: Communicator, parameters: [Tensor], bucketBytes: Int = GradientBuckets.defaultBucketBytes) {
        self.comm = comm
        buckets = GradientBuckets(parameters: parameters, bucketBytes: bucketBytes)
    }

    /// The per-rank batch for a global batch, or a clear error when the ranks cannot split it evenly.
    public func localBatch(_ global: Int, field: String = "optim.batch_size") throws -> Int {
        guard global % size == 0 else { throw DataParallelError.batchNotDivisible(batch: global, ranks: size, field: field) }
        return global / size
    }

    /// Engine and BLAS threads for this rank: the host's cores split between its ranks (or
    /// SAPIENS_THREADS_PER_RANK). A single process keeps its defaults. Returns the count set, if any.
    @discardableResult
    public static func applyThreadsPerRank(_ comm: Communicator) -> Int? {
        guard comm.usesMPI || ProcessInfo.processInfo.environment["SAPIENS_THREADS_PER_RANK"] != nil else { return nil }
        let t = ThreadsPerRank.count(ranksOnHost: ThreadsPerRank.ranksOnHost(jobSize: comm.size))
        BLAS.threads = t
        EngineThreads.count = t
        return t
    }

    /// What one step agreed on across the ranks.
    public struct StepAgreement {
        /// Mean over ranks of each rank's loss (the global-batch loss when the loss is a per-sample mean).
        public var loss: Float
        public var allFinite: Bool
        /// The largest number of stream strides any rank used (to commit the shared data position).
        public var strides: Int
    }

    /// One small allreduce per step: loss sum, non-finite flag and each rank's stride count.
    public func agree(lossSum: Float, finite: Bool, strides: Int, step: Int) throws -> StepAgreement {
        guard comm.usesMPI else { return StepAgreement(loss: lossSum, allFinite: finite, strides: strides) }
        var v = [Double](repeating: 0, count: 2 + size)
        v[0] = finite ? Double(lossSum) : 0
        v[1] = finite ? 0 : 1
        v[2 + rank] = Double(strides)
        try comm.allreduce(&v, .sum, "loss and data position (step \(step + 1))")
        return StepAgreement(loss: Float(v[0] / Double(size)), allFinite: v[1] == 0, strides: Int(v[2...].max() ?? 0))
    }

    /// Averages the gradients of every parameter across the ranks.
    public func averageGradients(step: Int) throws {
        try buckets.allreduceAverage(comm, what: "gradients (step \(step + 1))")
    }

    /// Rows k, k+N, … of a (B, …) tensor: this rank's share of a tensor drawn for the global batch.
    public func localRows(_ t: Tensor) -> Tensor {
        guard size > 1 else { return t }
        let rows = t.shape[0] / size, per = t.count / t.shape[0]
        let out = Tensor.empty([rows] + t.shape.dropFirst())
        for j in 0..<rows { out.copyValues(from: t, sourceOffset: (rank + j * size) * per, count: per, at: j * per) }
        return out
    }

    /// Waits for rank 0's one-off work (rendering a synthetic corpus) before the others read its result.
    public func afterMainOnly<T>(_ what: String, _ body: () throws -> T) throws -> T {
        guard comm.isDistributed else { return try body() }
        if comm.isMain {
            let r = try body()
            try comm.barrier(what, timeout: 0)
            return r
        }
        try comm.barrier(what, timeout: 0)
        return try body()
    }

    /// Test hooks: SAPIENS_TEST_FAIL_RANK=k with SAPIENS_TEST_FAIL_STEP=s and SAPIENS_TEST_FAIL=kill|hang|mpi-error
    /// makes rank k die (SIGKILL), hang, or issue an invalid MPI call at step s, to exercise the fault handling.
    public func faultHook(step: Int) throws {
        let env = ProcessInfo.processInfo.environment
        guard let r = env["SAPIENS_TEST_FAIL_RANK"].flatMap(Int.init), r == rank,
              let s = env["SAPIENS_TEST_FAIL_STEP"].flatMap(Int.init), s == step else { return }
        if env["SAPIENS_TEST_FAIL"] == "mpi-error" { try comm.invalidAllreduceForTesting() }
        if env["SAPIENS_TEST_FAIL"] == "hang" {
            FileHandle.standardError.write(Data("test hook: rank \(rank) hangs at step \(step)\n".utf8))
            while true { sleep(3600) }
        }
        FileHandle.standardError.write(Data("test hook: rank \(rank) kills itself at step \(step)\n".utf8))
        kill(getpid(), SIGKILL)
    }
}
