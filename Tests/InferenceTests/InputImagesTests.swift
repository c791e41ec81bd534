import SapiensData
import Foundation
import Inference
import XCTest

final class InputImagesTests: XCTestCase {
    func testFoldersExpandAndImagesGetCOCOIds() throws {
        let dir = scratchFolder("inputs")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/a/b", withIntermediateDirectories: true)
        let img = texturedImage(width: 8, height: 8)
        for p in ["a/000000000139.jpg", "a/b/photo.png", "a/notes.txt", "c.png", "a/b/c.png"] {
            try FileIO.writeAtomically(p.hasSuffix("txt") ? Array("x".utf8) : try ImageCodec.encodePNG(img), to: dir + "/" + p)
        }
        let inputs = try InputImages.expand([dir + "/a", dir + "/c.png"])
        XCTAssertEqual(inputs.map { ($0.path as NSString).lastPathComponent }, ["000000000139.jpg", "c.png", "photo.png", "c.png"])
        XCTAssertEqual(inputs.map(\.imageID), [139, 2, 3, 4], "numeric stems are COCO ids; others their 1-based position")
        XCTAssertEqual(Set(inputs.map(\.stem)).count, 4, "stems are unique")
        try FileIO.writeAtomically(Array(#"{"images": [{"id": 7, "file_name": "x/photo.png"}, {"id": 8, "file_name": "c.png"}, {"id": 9, "file_name": "000000000139.jpg"}]}"#.utf8), to: dir + "/coco.json")
        XCTAssertEqual(try InputImages.expand([dir + "/a"], cocoImages: dir + "/coco.json").map(\.imageID), [9, 8, 7])
        XCTAssertThrowsError(try InputImages.expand([dir + "/missing.png"])) { e in XCTAssertTrue("\(e)".contains("missing.png"), "\(e)") }
    }

    func testDetectionBoxesFilterByCategoryAndScore() throws {
        let dir = scratchFolder("boxes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let json = #"[{"image_id": 1, "category_id": 1, "bbox": [1, 2, 30, 40], "score": 0.5}, {"image_id": 1, "category_id": 1, "bbox": [5, 5, 10, 10], "score": 0.9}, {"image_id": 1, "category_id": 3, "bbox": [0, 0, 9, 9], "score": 0.99}, {"image_id": 2, "category_id": 1, "bbox": [0, 0, 9, 9], "score": 0.1}]"#
        try FileIO.writeAtomically(Array(json.utf8), to: dir + "/dets.json")
        let b = try PersonBoxes.read(path: dir + "/dets.json")
        XCTAssertEqual(b.boxes(for: 1).map(\.score), [0.9, 0.5], "people only, best first")
        XCTAssertTrue(b.boxes(for: 2).isEmpty, "below --box-score")
        try FileIO.writeAtomically(Array("[{\"image_id\": 1}]".utf8), to: dir + "/bad.json")
        XCTAssertThrowsError(try PersonBoxes.read(path: dir + "/bad.json")) { e in XCTAssertTrue("\(e)".contains("bad.json"), "\(e)") }
    }
}
