@testable import Curation
import Foundation
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

/// Detector files are user input: values that cannot be stored, and invalid JSON, are errors naming the
/// file, the line and the field.
final class DetectionValueTests: XCTestCase {
    func message(_ text: String) throws -> String {
        let root = NSTemporaryDirectory() + "detvalues-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/dets.jsonl"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        do { _ = try DetectionTable.load(path: path); return "no error" } catch {
            let m = "\(error)"
            XCTAssertTrue(m.hasPrefix(path + ": "), m)
            return m
        }
    }

    func testNonFiniteAndOutOfRangeValuesAreRefused() throws {
        let good = "{\"file_name\":\"a.jpg\",\"detections\":[]}\n"
        let m1 = try message(good + #"{"file_name":"b.jpg","detections":[{"bbox":[0,0,1e39,4],"score":0.9}]}"#)
        XCTAssertTrue(m1.contains("line 2") && m1.contains("detections[0].bbox[2]") && m1.contains("32-bit float"), m1)
        let m2 = try message(good + #"{"file_name":"b.jpg","detections":[{"bbox":[0,0,3,4],"score":18446744073709551616}]}"#)
        XCTAssertTrue(m2.contains("line 2") && m2.contains("detections[0].score") && m2.contains("[0, 1]"), m2)
        let m3 = try message(good + #"{"file_name":"b.jpg","detections":[{"bbox":[0,0,3,4],"score":1e400}]}"#)
        XCTAssertTrue(m3.contains("line 2") && m3.contains("not valid JSON"), m3)
        let m4 = try message(good + #"{"file_name":"b.jpg","detections":[{"bbox":[0,0,3,4],"score":tru}]}"#)
        XCTAssertTrue(m4.contains("line 2") && m4.contains("column"), m4)
    }
}
