/// Placeholder until the Data module's ShardWriter lands: `--format h5` reports that it is
/// not available yet instead of writing something else.
struct ShardSink: SampleSink {
    init(outDir: String, shardSize: Int, jpegQuality: Int) throws {
        throw SynthError.output(path: outDir, problem: "HDF5 shard output needs Data.ShardWriter, not merged yet; use --format folder")
    }
    mutating func write(_ samples: [SynthSample], threads: Int) throws {}
    mutating func finish() throws -> [String] { [] }
}
