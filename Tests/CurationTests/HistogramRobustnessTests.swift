@testable import Curation
import XCTest

/// Scores and box sides reach the histogram from manifests and detector files, so any Double can arrive.
final class HistogramRobustnessTests: XCTestCase {
    func testHugeAndNonFiniteValuesNeverTrap() {
        var h = Histogram(lower: 0, upper: 1, bins: 10)
        // Int(t * bins) trapped for each of the first four.
        for v in [18446744073709551616.0, 1e30, -1e30, Double.greatestFiniteMagnitude, -Double.greatestFiniteMagnitude] { h.add(v) }
        for v in [Double.nan, .infinity, -.infinity] { h.add(v) }
        XCTAssertEqual(h.counts.reduce(0, +), 5, "finite values are counted, non-finite ones skipped")
        XCTAssertEqual(h.counts.first, 2, "huge negatives land in the first bin")
        XCTAssertEqual(h.counts.last, 3, "huge positives land in the last bin")
    }

    func testInRangeValuesLandInTheirBin() {
        var h = Histogram(lower: 0, upper: 1, bins: 4)
        for v in [0.0, 0.3, 0.55, 0.99, 1.0] { h.add(v) }
        XCTAssertEqual(h.counts, [1, 1, 1, 2])
    }

    func testAnEmptyRangeDoesNotTrap() {
        var h = Histogram(lower: 5, upper: 5, bins: 3)
        h.add(5)    // 0/0: NaN, skipped
        h.add(6)    // +inf: last bin
        h.add(4)    // -inf: first bin
        XCTAssertEqual(h.counts, [1, 0, 1])
    }
}
