import SapiensData
import Foundation
import Inference
import Models
import XCTest

final class TryOnTests: XCTestCase {
    func testBundleHasEveryFileAtTheImageSizeAndTheRequestRoundTrips() throws {
        let dir = scratchFolder("tryon")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Every class counts as garment, so a random segmentation still yields a mask.
        let t = try TryOn(seg: tinyModel(.seg), depth: tinyModel(.depth), mask: GarmentMask(classes: Set(0...27), dilation: 1, feather: 2))
        let photo = texturedImage(width: 45, height: 60)
        let a = try t.analyse(photo, name: "p")
        XCTAssertEqual(a.weights.count, 45 * 60)
        XCTAssertEqual(a.maskShare, 1, accuracy: 1e-9)
        var req = TryOnRequest(prompt: "a red wool sweater")
        req.seed = 7
        let files = try TryOnBundle.write(a, request: req, outDir: dir)
        for key in ["image", "mask", "masked_image", "control", "request", "seg_vis", "readme"] { XCTAssertNotNil(files[key], key) }
        for name in ["image.png", "mask.png", "masked.png", "control.png"] {
            let img = try ImageCodec.load(path: dir + "/" + name)
            XCTAssertEqual([img.width, img.height], [45, 60], name)
        }
        XCTAssertEqual(try ImageCodec.load(path: dir + "/mask.png").pixels, a.weights, "mask.png holds the feathered weights")
        XCTAssertEqual(try ImageCodec.load(path: dir + "/control.png").channels, 3, "ControlNet wants RGB")
        let back = try TryOnRequest.read(path: dir + "/request.json")
        XCTAssertEqual(back.prompt, "a red wool sweater")
        XCTAssertEqual(back.seed, 7)
        XCTAssertEqual([back.width, back.height], [45, 60])
        let text = try String(contentsOfFile: dir + "/request.json", encoding: .utf8)
        XCTAssertTrue(text.contains("\"controlnet_conditioning_scale\"") && text.contains("\"negative_prompt\""), "snake_case keys for the Python script")
    }

    func testGivenLabelsReplaceTheSegmentationModel() throws {
        let w = 30, h = 24
        var labels = [UInt8](repeating: 0, count: w * h)
        for y in 6..<18 { for x in 10..<20 { labels[y * w + x] = 22 } }
        let t = try TryOn(seg: nil, depth: tinyModel(.depth), mask: GarmentMask(classes: [22], dilation: 0, feather: 0))
        let a = try t.analyse(texturedImage(width: w, height: h), name: "p", labels: labels)
        XCTAssertEqual(a.weights, labels.map { $0 == 22 ? 255 : 0 })
        XCTAssertEqual(a.result.foreground, labels.map { $0 != 0 })
        XCTAssertTrue((0..<(w * h)).allSatisfy { labels[$0] != 0 || a.control.pixels[3 * $0] == 0 }, "control is black off the person")
        XCTAssertThrowsError(try t.analyse(texturedImage(width: w, height: h), name: "p")) { e in XCTAssertTrue("\(e)".contains("--seg-labels"), "\(e)") }
        XCTAssertThrowsError(try t.analyse(texturedImage(width: w, height: h), name: "p", labels: [0, 22])) { e in XCTAssertTrue("\(e)".contains("30x24"), "\(e)") }
    }

    func testWrongCheckpointsAreRefused() {
        XCTAssertThrowsError(try TryOn(seg: tinyModel(.depth), depth: tinyModel(.depth), mask: GarmentMask(classes: [22]))) { e in
            XCTAssertTrue("\(e)".contains("--checkpoint-seg"), "\(e)")
        }
        XCTAssertThrowsError(try TryOn(seg: tinyModel(.seg), depth: tinyModel(.normal), mask: GarmentMask(classes: [22]))) { e in
            XCTAssertTrue("\(e)".contains("--checkpoint-depth"), "\(e)")
        }
    }

    /// The composite `sapiens tryon --inpainted` writes, read back from disk: outside the mask, the original.
    func testCompositeFileKeepsTheOriginalOutsideTheMask() throws {
        let dir = scratchFolder("tryon-composite")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let photo = randomImage(width: 33, height: 21, seed: 8)
        var seg = [UInt8](repeating: 0, count: 33 * 21)
        for p in 200..<400 { seg[p] = 22 }
        let wts = GarmentMask(classes: [22], dilation: 1, feather: 3).weights(seg, width: 33, height: 21)
        let files = try TryOnBundle.writeComposite(original: photo, generated: randomImage(width: 64, height: 40, seed: 9), weights: wts,
                                                   outDir: dir, name: "tryon.png")
        let out = try ImageCodec.load(path: try XCTUnwrap(files["composite"]))
        for p in 0..<(33 * 21) where wts[p] == 0 { XCTAssertEqual(Array(out.pixels[(3 * p)..<(3 * p + 3)]), Array(photo.pixels[(3 * p)..<(3 * p + 3)])) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/before_after.png"))
    }

    /// scripts/tryon_diffusers.py --check validates a bundle with the standard library only (skipped without python3).
    func testDiffusersScriptAcceptsTheBundle() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/tryon_diffusers.py").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: script), script)
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("python3 not installed")
        }
        let dir = scratchFolder("tryon-py")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try TryOn(seg: tinyModel(.seg), depth: tinyModel(.depth), mask: GarmentMask(classes: Set(0...27)))
        try TryOnBundle.write(try t.analyse(texturedImage(width: 30, height: 40), name: "p"), request: TryOnRequest(prompt: "x"), outDir: dir)
        func run() throws -> (Int32, String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: python)
            p.arguments = [script, dir, "--check"]
            let pipe = Pipe()
            p.standardOutput = pipe; p.standardError = pipe
            try p.run(); p.waitUntilExit()
            return (p.terminationStatus, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
        }
        let (ok, text) = try run()
        XCTAssertEqual(ok, 0, text)
        XCTAssertTrue(text.contains("bundle ok: 30x40"), text)
        try FileManager.default.removeItem(atPath: dir + "/control.png")
        let (bad, why) = try run()
        XCTAssertNotEqual(bad, 0)
        XCTAssertTrue(why.contains("control.png"), why)
    }
}
