import Foundation
import XCTest

/// Finds files in ../shared (beside the repository root) and reads golden JSON from them.
/// A missing file fails the test with its path, because a silent skip would hide a broken checkout.
enum SharedReference {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "required reference file missing: \(path) (expected in ../shared beside the repository root)" }
    }

    /// `relative` is inside shared/, e.g. "reference/golden_metrics.json".
    static func url(_ relative: String) throws -> URL {
        // This file is <root>/Tests/MetricsTests/SharedReference.swift.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let url = root.deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent(relative)
        guard FileManager.default.fileExists(atPath: url.path) else { throw Missing(path: url.path) }
        return url
    }

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: url(relative))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], "\(relative) is not a JSON object")
    }

    static func goldenMetrics(_ section: String) throws -> [String: Any] {
        try XCTUnwrap(json("reference/golden_metrics.json")[section] as? [String: Any],
                      "golden_metrics.json has no section \(section)")
    }
}

/// JSONSerialization gives NSNumber-backed Any; these read nested arrays as the metric APIs want them.
func doubles(_ value: Any?) throws -> [Double] { try XCTUnwrap(value as? [Double], "expected an array of numbers") }
func doubles2(_ value: Any?) throws -> [[Double]] { try XCTUnwrap(value as? [[Double]], "expected a 2-D array of numbers") }
func doubles3(_ value: Any?) throws -> [[[Double]]] { try XCTUnwrap(value as? [[[Double]]], "expected a 3-D array of numbers") }
func number(_ value: Any?) throws -> Double { try XCTUnwrap(value as? Double, "expected a number") }

func assertClose(_ actual: Double, _ expected: Double, _ what: String, tolerance: Double = 1e-4,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual, expected, accuracy: tolerance, what, file: file, line: line)
}
