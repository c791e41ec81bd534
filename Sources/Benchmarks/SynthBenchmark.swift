import Foundation
import Synth

/// Rendering throughput, for `sapiens bench`: images per second at a given size, labels
/// included, encoding and writing excluded.
public enum SynthBenchmark {
    public struct Result: Sendable {
        public var images: Int
        public var seconds: Double
        public var threads: Int
        public var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }
    }

    public static func run(count: Int = 200, height: Int = 256, width: Int = 192, peoplePerImage: ClosedRange<Int> = 1...3,
                           threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> Result {
        let config = SynthConfig(count: count, height: height, width: width, peoplePerImage: peoplePerImage, seed: 1)
        let renderer = try Renderer(config: config)
        _ = renderer.render(index: 0)   // warm caches and lazy globals outside the timing
        let start = DispatchTime.now().uptimeNanoseconds
        let samples = SynthBatch.render(renderer: renderer, indices: Array(0..<count), threads: threads)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Result(images: samples.count, seconds: seconds, threads: threads)
    }
}
