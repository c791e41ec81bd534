import Foundation
import Synth

/// Throughput figures (images/s) for the data side of the pipeline, printed by `sapiens bench`.
public enum ThroughputBenchmarks {
    public struct Workload {
        public let name: String
        public let run: () throws -> BenchFigure
    }

    public static var all: [Workload] {
        [Workload(name: "synth_render_256x192") {
            let load = CPULoad()
            let r = try SynthBenchmark.run(count: 300, height: 256, width: 192)
            return BenchFigure(name: "synth_render_256x192", ms_min: 1000 / r.imagesPerSecond, ms_median: 1000 / r.imagesPerSecond,
                               gflop: 0, gflops: 0, threads: ProcessInfo.processInfo.activeProcessorCount,
                               other_load: load.otherShare(), items_per_second: r.imagesPerSecond, unit: "images/s")
        }]
    }
}
