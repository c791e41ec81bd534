import Distributed
import Foundation
import Tensor

/// Parameter gradients packed into flat buffers of about `bucketBytes` (25 MB, as PyTorch DDP), so the
/// allreduce runs as a few large messages rather than one per tensor. Buckets follow the parameters in
/// reverse registration order (the order backward produces them), and the buffers are allocated once.
public final class GradientBuckets {
    public static let defaultBucketBytes = 25 << 20

    struct Bucket {
        var params: [Tensor]
        var offsets: [Int]
        var count: Int
        /// The packed gradients (a flat tensor, so its memory comes from the backend like any other).
        var buffer: Tensor
    }

    let buckets: [Bucket]
    public var count: Int { buckets.count }
    public let totalFloats: Int

    public init(parameters: [Tensor], bucketBytes: Int = GradientBuckets.defaultBucketBytes) {
        let limit = max(1, bucketBytes / MemoryLayout<Float>.stride)
        var out: [Bucket] = []
        var params: [Tensor] = [], offsets: [Int] = [], n = 0
        func close() {
            guard !params.isEmpty else { return }
            out.append(Bucket(params: params, offsets: offsets, count: n, buffer: Tensor.empty([n])))
            params = []; offsets = []; n = 0
        }
        for p in parameters.reversed() {
            if n > 0 && n + p.count > limit { close() }
            params.append(p); offsets.append(n); n += p.count
        }
        close()
        buckets = out
        totalFloats = out.map(\.count).reduce(0, +)
    }

    /// Averages every gradient across the ranks: pack a bucket, allreduce it, unpack scaled by 1/size.
    /// A parameter without a gradient contributes zeros and keeps no gradient (all ranks run the same graph).
    public func allreduceAverage(_ comm: Communicator, what: String) throws {
        guard comm.usesMPI else { return }
        let inv = 1 / Float(comm.size)
        for (bi, b) in buckets.enumerated() {
            for (p, off) in zip(b.params, b.offsets) {
                if let g = p.grad { b.buffer.copyValues(from: g, at: off) } else { b.buffer.fill(0, in: off..<off + p.count) }
            }
            let label = "\(what), bucket \(bi + 1)/\(buckets.count) (\(b.count * 4 / 1_000_000) MB)"
            try b.buffer.withUnsafeMutableValues { values in
                guard let base = values.baseAddress else { return }
                try comm.allreduceSum(base, count: b.count, label)
            }
            for (p, off) in zip(b.params, b.offsets) {
                guard let g = p.grad else { continue }
                g.copyValues(from: b.buffer, sourceOffset: off, count: g.count)
                OptimizerKernels.scale(g, by: inv, offset: 0, count: g.count)
            }
        }
    }
}
