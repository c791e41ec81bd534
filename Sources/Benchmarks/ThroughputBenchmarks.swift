import SapiensData
import Foundation
import Synth
import Training

/// Throughput figures (images/s) for the data side of the pipeline, printed by `sapiens bench`.
public enum ThroughputBenchmarks {
    public struct Workload {
        public let name: String
        public let run: () throws -> BenchFigure
    }

    static func figure(_ name: String, _ load: CPULoad, imagesPerSecond ips: Double) -> BenchFigure {
        BenchFigure(name: name, ms_min: 1000 / ips, ms_median: 1000 / ips, gflop: 0, gflops: 0,
                    threads: ProcessInfo.processInfo.activeProcessorCount, other_load: load.otherShare(),
                    items_per_second: ips, unit: "images/s")
    }

    public static var all: [Workload] {
        [Workload(name: "synth_render_256x192") {
            let load = CPULoad()
            return figure("synth_render_256x192", load, imagesPerSecond: try SynthBenchmark.run(count: 300, height: 256, width: 192).imagesPerSecond)
        },
        // A shard of 224x224 JPEGs through the MAE augmentation: must outrun the training step rate.
        Workload(name: "loader_mae_224") {
            let load = CPULoad()
            return figure("loader_mae_224", load, imagesPerSecond: try LoaderBenchmark.run(images: 512, size: 224, workers: 2).imagesPerSecond)
        }]
    }
}
