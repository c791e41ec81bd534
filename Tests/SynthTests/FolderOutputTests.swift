import SapiensData
import Foundation
import XCTest
import Synth

/// The folder format must round-trip: files exist, decode, and carry the rendered labels.
final class FolderOutputTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "synth-folder-\(UUID().uuidString)"
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testFolderFormatWritesDecodableLabels() throws {
        let config = SynthConfig(count: 5, height: 64, width: 48, peoplePerImage: 1...2, seed: 9, format: .folder, contactSheetCount: 3)
        var calls: [(Int, Int)] = []
        let summary = try SynthWriter.run(config: config, outDir: dir) { calls.append(($0, $1)) }
        XCTAssertEqual(summary.images, 5)
        XCTAssertEqual(calls.last?.0, 5)
        XCTAssertEqual(calls.last?.1, 5)

        let sample = try Renderer(config: config).render(index: 3)
        let seg = try ImageCodec.load(path: dir + "/seg/0000003.png")
        XCTAssertEqual(seg.pixels, sample.segmentation)
        let jpg = try ImageCodec.load(path: dir + "/images/0000003.jpg")
        XCTAssertEqual(jpg.width, 48); XCTAssertEqual(jpg.height, 64)

        let depth = try FileIO.read(path: dir + "/depth/0000003.npy")
        XCTAssertEqual(Array(depth.prefix(6)), [0x93] + Array("NUMPY".utf8))
        let headerLength = Int(depth[8]) | Int(depth[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        XCTAssertTrue(String(decoding: depth[10..<(10 + headerLength)], as: UTF8.self).contains("'shape': (64, 48)"))
        XCTAssertEqual(depth.count, 10 + headerLength + 64 * 48 * 4)
        let values = stride(from: 10 + headerLength, to: depth.count, by: 4).map { o in
            Float(bitPattern: UInt32(depth[o]) | UInt32(depth[o + 1]) << 8 | UInt32(depth[o + 2]) << 16 | UInt32(depth[o + 3]) << 24)
        }
        XCTAssertEqual(values, sample.depth)

        let json = try JSONSerialization.jsonObject(with: Data(try FileIO.read(path: dir + "/annotations/person_keypoints.json")))
        let coco = try XCTUnwrap(json as? [String: Any])
        XCTAssertEqual((coco["images"] as? [Any])?.count, 5)
        let annotations = try XCTUnwrap(coco["annotations"] as? [[String: Any]])
        XCTAssertEqual(annotations.count, summary.people)
        XCTAssertEqual((annotations.first?["keypoints"] as? [Any])?.count, 51)
        XCTAssertEqual((annotations.first?["foot_kpts"] as? [Any])?.count, 18)

        let sheet = try ImageCodec.load(path: dir + "/" + SynthWriter.contactSheetName)
        XCTAssertEqual(sheet.height, 3 * (64 + 2) + 2)
        XCTAssertEqual(sheet.width, 4 * 48 + 5 * 2)
    }
}
