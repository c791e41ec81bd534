import SapiensData
import Foundation
import XCTest
import Curation

final class CurationRulesTests: XCTestCase {
    func testEveryRuleOnBothSidesGivesTheExactKeptSetAndReasons() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let entries = try Corpus.entries()
        let (images, dets) = try Corpus.write(entries, root: root)
        let recipe = try CurationRecipe.parse(yaml: testRecipeYAML)
        var seen: [Int] = []
        let summary = try Curator.run(options: CurationOptions(images: try ImageSource.detect(path: images), detections: dets,
                                                               recipe: recipe, out: root + "/out")) { seen.append($0.processed) }
        XCTAssertEqual(seen, Array(1...entries.count), "progress after every image")

        let records = try manifestObjects(summary.manifest)
        XCTAssertEqual(records.count, entries.count, "one manifest record per input")
        var got: [String: String] = [:]
        for r in records { got[r["key"] as? String ?? "?"] = (r["reason"] as? String) ?? "kept" }
        for e in entries {
            XCTAssertEqual(got[e.name], e.expected?.rawValue ?? "kept", e.name + " " + String(describing: records.first { $0["key"] as? String == e.name }))
        }
        XCTAssertEqual(summary.inputs, summary.kept + summary.rejectedTotal)
        XCTAssertEqual(summary.kept, entries.filter { $0.expected == nil }.count)
        XCTAssertTrue(summary.complete)

        // The measured values travel with the reasons.
        func record(_ key: String) -> [String: Any] { records.first { $0["key"] as? String == key } ?? [:] }
        XCTAssertEqual((record("box_small.jpg")["max_box"] as? NSNumber)?.doubleValue, 299)
        XCTAssertEqual((record("score_low.jpg")["best_score"] as? NSNumber)?.doubleValue ?? 0, 0.89, accuracy: 1e-4)
        XCTAssertEqual((record("crowd_bad.jpg")["people"] as? NSNumber)?.intValue, 4)
        XCTAssertEqual((record("short_bad.jpg")["short_side"] as? NSNumber)?.intValue, 199)
        XCTAssertEqual((record("z_dup.jpg")["duplicate_of"] as? NSNumber)?.intValue, record("a_orig.jpg")["index"] as? Int)
        XCTAssertNotNil(record("truncated.jpg")["detail"] as? String)

        // Kept images are in the shards, in manifest order, shrunk to max_side, boxes scaled with them.
        let data = try ShardDataset(folder: root + "/out/shards")
        let keptKeys = records.filter { $0["status"] as? String == "kept" }.compactMap { $0["key"] as? String }
        XCTAssertEqual(try (0..<data.count).map { try data.record(at: $0).id }, keptKeys)
        let first = try data.record(at: 0)
        XCTAssertEqual(first.id, "a_orig.jpg")
        XCTAssertEqual([first.width, first.height], [256, 205])
        XCTAssertEqual(first.boxes.count, 1)
        XCTAssertEqual(first.boxes[0].h, 320 * 256 / 400, accuracy: 0.5)
        XCTAssertEqual(first.boxes[0].score, 0.95, accuracy: 1e-6)
        let decoded = try ImageCodec.decode(first.jpeg, name: "shard image")
        XCTAssertEqual([decoded.width, decoded.height], [256, 205])

        // The report agrees with the manifest and its plots are real PNGs.
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/out/report.json"))) as? [String: Any]
        XCTAssertEqual(report?["kept"] as? Int, summary.kept)
        XCTAssertEqual((report?["rejected"] as? [String: Int])?["box_too_small"], 1)
        XCTAssertEqual(report?["heuristic_reasons"] as? [String], ["text_or_watermark"])
        for png in ["hist_best_score.png", "hist_max_box.png", "contact_kept.png", "contact_truncated_image.png"] {
            let img = try ImageCodec.load(path: root + "/out/" + png)
            XCTAssertGreaterThan(img.width, 16, png)
        }
        let md = try String(contentsOfFile: root + "/out/report.md", encoding: .utf8)
        XCTAssertTrue(md.contains("text_or_watermark (heuristic)"))
    }

    func testRefusesToOverwriteAFinishedRunWithoutResume() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (images, dets) = try Corpus.write(Array(try Corpus.entries().prefix(3)), root: root)
        let options = CurationOptions(images: .folder(images), detections: dets, recipe: try CurationRecipe.parse(yaml: testRecipeYAML), out: root + "/out")
        _ = try Curator.run(options: options)
        XCTAssertThrowsError(try Curator.run(options: options)) { XCTAssertTrue("\($0)".contains("resume"), "\($0)") }
        var other = options
        other.resume = true
        other.recipe.personDetection.minScore = 0.5
        XCTAssertThrowsError(try Curator.run(options: other)) { XCTAssertTrue("\($0)".contains("different"), "\($0)") }
    }

    func testBoxSizeMeasures() {
        let b = PersonBox(x: 0, y: 0, w: 100, h: 400, score: 1)
        XCTAssertEqual(BoxSizeMeasure.maxSide.size(of: b), 400)
        XCTAssertEqual(BoxSizeMeasure.height.size(of: b), 400)
        XCTAssertEqual(BoxSizeMeasure.minSide.size(of: b), 100)
        XCTAssertEqual(BoxSizeMeasure.sqrtArea.size(of: b), 200)
    }
}
