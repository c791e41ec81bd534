import Foundation
import XCTest
import SapiensData

/// COCO files and .npy arrays that are broken or lie about their sizes, built here: each gives an error
/// naming the file and the place (line and column for bad JSON, the JSON path for bad values), never a trap.
final class MalformedJSONAndNPYTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func save(_ text: String, _ name: String) throws -> String {
        let path = dir + "/" + name
        try FileIO.writeAtomically(Array(text.utf8), to: path)
        return path
    }

    func save(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = dir + "/" + name
        try FileIO.writeAtomically(bytes, to: path)
        return path
    }

    func testInvalidJSONGivesLineAndColumn() throws {
        let path = try save("[{\"image_id\": 1, \"category_id\": 1,\n  \"bbox\": [1, 2, 3, 4], \"score\": nope}]", "dets.json")
        assertThrowsDataError(try COCODetections.read(path: path), mentioning: "dets.json") {
            $0.description.contains("not valid JSON") && $0.description.contains("line 2, column")
        }
        let cut = try save("[{\"image_id\": 1,\n", "cut.json")
        assertThrowsDataError(try COCODetections.read(path: cut), mentioning: "cut.json") { $0.description.contains("line 2") }
        let kp = try save("{\"images\": [], \n\"annotations\": [,], \"categories\": []}", "kp.json")
        assertThrowsDataError(try COCOKeypointDataset.read(path: kp), mentioning: "kp.json") { $0.description.contains("line 2, column") }
    }

    func testValuesBeyondFloatAndBadScoresAreRefused() throws {
        let big = try save(#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 1e39, 5], "score": 0.9}]"#, "big.json")
        assertThrowsDataError(try COCODetections.read(path: big), mentioning: "big.json") {
            $0.description.contains("[0].bbox[2]") && $0.description.contains("32-bit float")
        }
        let score = try save(#"[{"image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 5], "score": 18446744073709551616}]"#, "score.json")
        assertThrowsDataError(try COCODetections.read(path: score), mentioning: "score.json") { $0.description.contains("[0, 1]") }
        let id = try save(#"[{"image_id": 1e30, "category_id": 1, "bbox": [0, 0, 4, 5], "score": 0.5}]"#, "id.json")
        assertThrowsDataError(try COCODetections.read(path: id), mentioning: "id.json") { $0.description.contains("[0].image_id") }
        let kscore = try save(#"[{"image_id": 1, "keypoints": [1, 2, 1], "score": 1e300}]"#, "kscore.json")
        assertThrowsDataError(try COCOKeypointResults.read(path: kscore), mentioning: "kscore.json") { $0.description.contains("[0].score") }
    }

    func testKeypointCountsMustBeConsistent() throws {
        func dataset(_ annotation: String) -> String {
            """
            {"images": [{"id": 1, "file_name": "a.jpg", "width": 10, "height": 10}],
             "categories": [{"id": 1, "keypoints": ["a", "b"]}],
             "annotations": [\(annotation)]}
            """
        }
        let short = try save(dataset(#"{"id": 1, "image_id": 1, "keypoints": [1, 2, 2], "bbox": [0, 0, 1, 1]}"#), "short.json")
        assertThrowsDataError(try COCOKeypointDataset.read(path: short), mentioning: "short.json") {
            $0.description.contains("annotations[0].keypoints") && $0.description.contains("expected 2 keypoints")
        }
        let negative = try save(dataset(#"{"id": 1, "image_id": 1, "keypoints": [1, 2, 2, 3, 4, 0], "bbox": [0, 0, 1, 1], "num_keypoints": -3}"#), "neg.json")
        assertThrowsDataError(try COCOKeypointDataset.read(path: negative), mentioning: "neg.json") {
            $0.description.contains("annotations[0].num_keypoints")
        }
        let typed = try save(dataset(#"{"id": 1, "image_id": "1", "keypoints": [1, 2, 2, 3, 4, 0], "bbox": [0, 0, 1, 1]}"#), "typed.json")
        assertThrowsDataError(try COCOKeypointDataset.read(path: typed), mentioning: "typed.json") {
            $0.description.contains("annotations[0].image_id") && $0.description.contains("expected a number")
        }
        let good = try save(dataset(#"{"id": 1, "image_id": 1, "keypoints": [1, 2, 2, 3, 4, 0], "bbox": [0, 0, 1, 1], "num_keypoints": 1}"#), "good.json")
        XCTAssertEqual(try COCOKeypointDataset.read(path: good).annotations.first?.numKeypoints, 1)
    }

    /// The header's shape is multiplied with overflow checks and must match the bytes that follow exactly.
    func testNPYShapesThatOverflowOrDisagreeWithTheFileAreRefused() throws {
        let good = try NPY.encode(NPYArray(shape: [2, 2], values: [1, 2, 3, 4]))
        XCTAssertEqual(try NPY.decode(good, name: "good.npy").values, [1, 2, 3, 4])
        func withShape(_ shape: String) throws -> [UInt8] {
            var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shape), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            let n = header.utf8.count
            return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(n & 0xFF), UInt8(n >> 8)] + Array(header.utf8) + Array(good.suffix(16))
        }
        // shape.reduce(1, *) and count * 4 trapped on these.
        for shape in ["(4294967296, 4294967296, 4)", "(9223372036854775807, 2)", "(3037000500, 3037000500)"] {
            assertThrowsDataError(try NPY.decode(try withShape(shape), name: "huge.npy"), mentioning: "huge.npy") {
                $0.description.contains("too large") || $0.description.contains("needs")
            }
        }
        assertThrowsDataError(try NPY.decode(try withShape("(2, 3)"), name: "short.npy"), mentioning: "short.npy") {
            $0.description.contains("holds 16 bytes") && $0.description.contains("needs 24")
        }
        assertThrowsDataError(try NPY.decode(try withShape("(3,)"), name: "long.npy"), mentioning: "long.npy") {
            $0.description.contains("needs 12")
        }
        assertThrowsDataError(try NPY.decode(try withShape("(-2, 2)"), name: "neg.npy"), mentioning: "neg.npy")
        XCTAssertEqual(try NPY.decode(try withShape("(4,)"), name: "ok.npy").shape, [4])
    }
}
