import Benchmarks
import Foundation
import XCTest
import Curation

final class BenchmarkTests: XCTestCase {
    func testBenchmarkReportsThroughputOnGeneratedJPEGs() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let r = try CurationBenchmark.run(images: 6, side: 320, workDir: root)
        XCTAssertEqual(r.images, 6)
        XCTAssertGreaterThan(r.imagesPerSecond, 0)
        XCTAssertEqual(r.meanWidth, 320)
        XCTAssertGreaterThan(r.meanBytes, 1000)
        XCTAssertGreaterThan(r.kept, 0, "generated images pass the default rules")
    }
}
