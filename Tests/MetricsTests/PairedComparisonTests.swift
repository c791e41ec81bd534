import Metrics
import XCTest

final class PairedComparisonTests: XCTestCase {
    /// Exact two-sided binomial (p = 0.5) tails, as scipy.stats.binomtest gives them.
    func testSignTestMatchesTheExactBinomial() {
        func p(_ lower: Int, _ higher: Int) -> Double {
            PairedComparison(baseline: [Double](repeating: 1, count: lower + higher),
                             treatment: [Double](repeating: 0, count: lower) + [Double](repeating: 2, count: higher)).signTestP
        }
        XCTAssertEqual(p(0, 10), 2.0 / 1024, accuracy: 1e-12)
        XCTAssertEqual(p(2, 8), 2.0 * (1 + 10 + 45) / 1024, accuracy: 1e-12)   // 0.109375
        XCTAssertEqual(p(8, 2), 0.109375, accuracy: 1e-12)
        XCTAssertEqual(p(5, 5), 1, accuracy: 1e-12)
        XCTAssertEqual(p(60, 140), 1.50706e-8, accuracy: 1e-12)                // 2·P(X ≤ 60), X ~ B(200, 0.5)
    }

    func testAClearShiftIsSignificantAndAZeroMeanOneIsNot() {
        let base = (0..<200).map { 0.2 + 0.05 * sin(Double($0)) }
        let wobble = (0..<200).map { 0.01 * cos(Double($0) * 1.7) }
        let better = PairedComparison(baseline: base, treatment: zip(base, wobble).map { $0 - 0.02 + $1 })
        XCTAssertEqual(better.verdict, .lowers)
        XCTAssertLessThan(better.ci95Low, -0.02)
        XCTAssertGreaterThan(better.ci95High, -0.025)
        XCTAssertLessThan(better.ci95High, 0)
        let worse = PairedComparison(baseline: base, treatment: base.map { $0 + 0.01 })
        XCTAssertEqual(worse.verdict, .raises)
        XCTAssertEqual(worse.meanDifference, 0.01, accuracy: 1e-12)
        let alternating = (0..<200).map { $0 % 2 == 0 ? 0.01 : -0.01 }
        let none = PairedComparison(baseline: base, treatment: zip(base, alternating).map { $0 + $1 })
        XCTAssertEqual(none.verdict, .noSignificantChange)
        XCTAssertEqual(none.meanDifference, 0, accuracy: 1e-12)
        XCTAssertLessThan(none.ci95Low, 0)
        XCTAssertGreaterThan(none.ci95High, 0)
        XCTAssertEqual(none.lower, 100)
        XCTAssertEqual(none.signTestP, 1, accuracy: 1e-12)
        XCTAssertTrue(none.summary("x", unit: " m").hasSuffix("no significant change"), none.summary("x"))
    }

    func testNonFinitePairsAreDroppedAndTheIntervalIsReproducible() {
        let a = PairedComparison(baseline: [1, 2, .nan, 4, 5, 6], treatment: [0.9, 2.2, 3, .infinity, 4.7, 5.9])
        XCTAssertEqual(a.pairs, 4)
        XCTAssertEqual(a.meanDifference, (-0.1 + 0.2 - 0.3 - 0.1) / 4, accuracy: 1e-12)
        XCTAssertEqual(a, PairedComparison(baseline: [1, 2, .nan, 4, 5, 6], treatment: [0.9, 2.2, 3, .infinity, 4.7, 5.9]))
        let empty = PairedComparison(baseline: [], treatment: [])
        XCTAssertEqual(empty.pairs, 0)
        XCTAssertTrue(empty.meanDifference.isNaN)
        XCTAssertEqual(empty.verdict, .noSignificantChange)
    }
}
