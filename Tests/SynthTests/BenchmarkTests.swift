import Benchmarks
import XCTest
import Synth

/// The benchmark must time real renders; the throughput figure itself is reported by `sapiens bench`.
final class BenchmarkTests: XCTestCase {
    func testBenchmarkRendersAndReportsARate() throws {
        let r = try SynthBenchmark.run(count: 8, height: 64, width: 48)
        XCTAssertEqual(r.images, 8)
        XCTAssertGreaterThan(r.imagesPerSecond, 0)
        if let full = ProcessInfo.processInfo.environment["SYNTH_BENCH"], let n = Int(full) {
            let b = try SynthBenchmark.run(count: n, height: 256, width: 192)
            print("SYNTH_BENCH \(b.images) images 256x192 in \(b.seconds) s on \(b.threads) threads: \(b.imagesPerSecond) images/s")
        }
    }
}
