import SapiensData
import Foundation

/// The default output: HDF5 shards of `shardSize` records (synth-00000.h5, ...) in the Data
/// module's format, records encoded in parallel and appended in index order.
struct ShardSink: SampleSink {
    let outDir: String
    let shardSize: Int
    let jpegQuality: Int
    private var writer: ShardWriter?
    private var inShard = 0
    private var shards: [String] = []

    init(outDir: String, shardSize: Int, jpegQuality: Int) throws {
        self.outDir = outDir
        self.shardSize = shardSize
        self.jpegQuality = jpegQuality
    }

    mutating func write(_ samples: [SynthSample], threads: Int) throws {
        let records = RecordBox(count: samples.count)
        let quality = jpegQuality
        try SynthWriter.parallel(samples.count, threads: threads) { k in
            records.set(k, try SampleEncoding.record(samples[k], jpegQuality: quality))
        }
        for case let r? in records.values {
            if writer == nil || inShard == shardSize {
                try writer?.finish()
                let name = "synth-" + String(format: "%05d", shards.count) + ".h5"
                let path = (outDir as NSString).appendingPathComponent(name)
                writer = try ShardWriter(path: path)
                shards.append(path)
                inShard = 0
            }
            try writer?.append(r)
            inShard += 1
        }
    }

    mutating func finish() throws -> [String] {
        try writer?.finish()
        writer = nil
        return shards
    }

    private final class RecordBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [ShardRecord?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ r: ShardRecord) { lock.lock(); values[i] = r; lock.unlock() }
    }
}
