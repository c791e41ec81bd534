import SapiensData
import Foundation
import XCTest
import Curation

final class DetectionInputTests: XCTestCase {
    private func errorText(_ body: () throws -> Any) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    func testMalformedJSONLinesNameTheLineAndField() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/dets.jsonl"
        let good = "{\"file_name\":\"a.jpg\",\"detections\":[]}\n"
        let cases: [(String, [String])] = [
            (good + "{\"file_name\":\"b.jpg\",\"detections\":[{\"bbox\":[1,2,3],\"score\":0.9}]}\n", ["line 2", "detections[0].bbox", "[x, y, w, h]"]),
            (good + "\n" + "{\"file_name\": oops}\n", ["line 3", "not valid JSON"]),
            (good + "{\"detections\":[]}\n", ["line 2", "file_name", "missing"]),
            (good + "{\"file_name\":\"c.jpg\",\"detections\":[{\"bbox\":[1,2,3,4],\"score\":\"high\"}]}\n", ["line 2", "detections[0].score", "expected a number"]),
            (good + good, ["line 2", "already appeared"]),
        ]
        for (text, needles) in cases {
            try Array(text.utf8).write(to: path)
            let message = errorText { try DetectionTable.load(path: path) }
            XCTAssertTrue(message.contains(path), message)
            for n in needles { XCTAssertTrue(message.contains(n), "'\(n)' not in: \(message)") }
        }
    }

    func testCOCOResultsWithImagesList() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let results = root + "/results.json", list = root + "/images.json"
        try Array("""
        [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 100, 350], "score": 0.97},
         {"image_id": 1, "category_id": 3, "bbox": [0, 0, 50, 50], "score": 0.99}]
        """.utf8).write(to: results)
        try Array("""
        {"images": [{"id": 1, "file_name": "x/one.jpg"}, {"id": 2, "file_name": "two.jpg"}]}
        """.utf8).write(to: list)
        let t = try DetectionTable.load(path: results, cocoImages: list)
        XCTAssertEqual(t.detections(for: "x/one.jpg")?.count, 2)
        XCTAssertEqual(t.detections(for: "./x/one.jpg")?.first?.box.h, 350)
        XCTAssertEqual(t.detections(for: "two.jpg")?.count, 0, "listed without boxes: ran, found nobody")
        XCTAssertNil(t.detections(for: "three.jpg"), "not listed: never ran")

        XCTAssertTrue(errorText { try DetectionTable.load(path: results) }.contains("images list"))
        try Array("[{\"image_id\": 5, \"category_id\": 1, \"bbox\": [0, 0, 1, 1], \"score\": 0.5}]".utf8).write(to: results)
        let unknown = errorText { try DetectionTable.load(path: results, cocoImages: list) }
        XCTAssertTrue(unknown.contains("[0].image_id") && unknown.contains("5"), unknown)
        try Array("[{\"image_id\": 1, \"bbox\": [0, 0, 1], \"score\": 0.5}]".utf8).write(to: results)
        XCTAssertTrue(errorText { try DetectionTable.load(path: results, cocoImages: list) }.contains("[0].bbox"))
    }

    func testListFileAndShardInputs() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let entries = Array(try Corpus.entries().prefix(3))  // a_orig (kept), aspect_bad, aspect_ok (kept)
        let (images, dets) = try Corpus.write(entries, root: root)
        let list = root + "/list.txt"
        try Array("# corpus\nimages/a_orig.jpg\n\nimages/aspect_ok.jpg\n".utf8).write(to: list)
        // The list's lines are the keys, so the detector file must use them.
        let d = try String(contentsOfFile: dets, encoding: .utf8).replacingOccurrences(of: "\"file_name\":\"", with: "\"file_name\":\"images/")
        try Array(d.utf8).write(to: dets)
        let recipe = try CurationRecipe.parse(yaml: testRecipeYAML)
        XCTAssertEqual(try ImageSource.detect(path: list), .list(list))
        let fromList = try Curator.run(options: CurationOptions(images: .list(list), detections: dets, recipe: recipe, out: root + "/a"))
        XCTAssertEqual([fromList.inputs, fromList.kept], [2, 2])

        // The kept shards become the input of a second curation, boxes standing in for detections.
        let shards = root + "/a/shards"
        XCTAssertEqual(try ImageSource.detect(path: shards), .shards(try FileManager.default.contentsOfDirectory(atPath: shards).sorted().map { shards + "/" + $0 }))
        var strict = recipe
        strict.personDetection.minBoxSize = 200    // boxes were scaled to the 256 px output
        strict.imageQuality.minShortSide = 100
        let again = try Curator.run(options: CurationOptions(images: try ImageSource.detect(path: shards), detections: nil, recipe: strict, out: root + "/b"))
        XCTAssertEqual(again.inputs, 2)
        XCTAssertEqual(again.kept, 1, "aspect_ok's box shrank to 320*256/750 = 109 px")
        XCTAssertEqual(again.rejected[.boxTooSmall], 1)
        _ = images
    }
}
