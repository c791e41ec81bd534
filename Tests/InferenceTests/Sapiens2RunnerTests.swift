import SapiensData
import Foundation
import Inference
import Models
import Tensor
import XCTest

/// `sapiens infer` on a Sapiens2 folder, end to end from the photo: the processor's pixels, the model and the
/// files. The raw outputs must equal transformers' (which ran on the processor's pixels of the same photo).
final class Sapiens2RunnerTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Sapiens2Parity").path

    func relativeL2(_ a: [Float], _ b: [Float]) -> Float {
        var num = 0.0, den = 0.0
        for (x, y) in zip(a, b) { num += Double(x - y) * Double(x - y); den += Double(y) * Double(y) }
        return Float((num / max(den, 1e-30)).squareRoot())
    }

    func testEveryTaskFromThePhoto() throws {
        let out = NSTemporaryDirectory() + "s2run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let image = try ImageCodec.load(path: Self.root + "/image.png")
        // (folder, raw file written, expected output file(s), channel range of the raw file they cover)
        let cases: [(String, String, [(String, Range<Int>?)])] = [
            ("seg", "seg.raw_logits.npy", [("logits", nil)]),
            ("normal", "normal.raw_normals.npy", [("normals", nil)]),
            ("pointmap", "pointmap.raw_pointmap.npy", [("pointmaps", nil)]),
            ("matting", "matting.raw_matte.npy", [("foregrounds", 0..<3), ("alphas", 3..<4)]),
            ("pose", "pose.raw_heatmaps.npy", [("heatmaps", nil)]),
        ]
        for (folder, rawName, expected) in cases {
            let runner = try Sapiens2Runner(model: try Sapiens2Checkpoint.load(folder: Self.root + "/" + folder))
            runner.raw = true
            let files = try runner.run(image, stem: folder, outDir: out)
            XCTAssertTrue(files.allSatisfy { FileManager.default.fileExists(atPath: $0) })
            let raw = try NPY.read(path: out + "/\(folder).\(rawName)")
            for (name, channels) in expected {
                let want = try NPY.read(path: Self.root + "/\(folder)/expected/\(name).npy")
                var got = raw.values
                if let channels {
                    let plane = raw.shape.suffix(2).reduce(1, *)
                    got = Array(raw.values[(channels.lowerBound * plane)..<(channels.upperBound * plane)])
                }
                XCTAssertEqual(got.count, want.values.count, "\(folder)/\(name)")
                let err = relativeL2(got, want.values)
                print("Sapiens2 infer \(folder)/\(name) from the photo: relative L2 \(err)")
                XCTAssertLessThanOrEqual(err, 1e-4, "\(folder)/\(name)")
            }
        }
        // The point cloud has one vertex per pixel of the 110 x 150 photo.
        let ply = try FileIO.read(path: out + "/pointmap.pointmap.ply")
        let header = String(decoding: ply.prefix(300), as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("ply\nformat binary_little_endian 1.0\nelement vertex 16500\n"))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/matting.cutout.png"))
        let seg = try ImageCodec.load(path: out + "/seg.seg.png")
        XCTAssertEqual(seg.width, 110)
        XCTAssertEqual(seg.height, 150)
    }

    /// A bare Sapiens2Model (a pretrain folder) writes its normed tokens, which equal transformers' `last_hidden_state`.
    func testBareBackboneWritesItsTokens() throws {
        let out = NSTemporaryDirectory() + "s2run-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: out) }
        let runner = try Sapiens2Runner(model: try Sapiens2Checkpoint.load(folder: Self.root + "/model"))
        let files = try runner.run(try ImageCodec.load(path: Self.root + "/image.png"), stem: "model", outDir: out)
        XCTAssertEqual(files, [out + "/model.backbone.last_hidden_state.npy"])
        let got = try NPY.read(path: out + "/model.backbone.last_hidden_state.npy")
        let want = try NPY.read(path: Self.root + "/model/expected/last_hidden_state.npy")
        XCTAssertEqual(got.values.count, want.values.count)
        let err = relativeL2(got.values, want.values)
        print("Sapiens2 infer bare backbone from the photo: relative L2 \(err)")
        XCTAssertLessThanOrEqual(err, 1e-4)
    }
}
