import SapiensData
import Foundation
import XCTest

/// The command line through the built `sapiens` binary: typed options and `validate()` refuse bad values and
/// flag combinations before any model loads, and `sapiens tryon` runs on Sapiens2 folders with --matting.
final class CLIOptionsTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/Fixtures/Sapiens2Parity").path

    func sapiens(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let exe = Self.root.appendingPathComponent(".build/release/sapiens").path
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            throw XCTSkip("\(exe) is not built; run `swift build -c release` (scripts/test does) before the tests")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = arguments
        p.currentDirectoryURL = Self.root
        let pipe = Pipe()
        p.standardOutput = pipe; p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testBadValuesAndCombinationsAreRefusedBeforeAnyWork() throws {
        let image = Self.fixtures + "/image.png"
        var r = try sapiens(["infer", "--task", "bogus", "--checkpoint", Self.fixtures + "/seg", "--out", "/nonexistent/x", image])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("bogus") && r.output.contains("pointmap"), r.output)
        r = try sapiens(["infer", "--task", "pointmap", "--checkpoint", Self.fixtures + "/seg", "--out", "/nonexistent/x", image])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("Sapiens2 seg model"), r.output)
        r = try sapiens(["infer", "--task", "pointmap", "--checkpoint", "/nonexistent/model.safetensors", "--out", "/nonexistent/x", image])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("Sapiens2 checkpoints only"), r.output)
        r = try sapiens(["infer", "--checkpoint", Self.fixtures + "/seg", "--out", "/nonexistent/x", "--resize", "squash", image])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("squash") && r.output.contains("letterbox"), r.output)
        r = try sapiens(["tryon", image, "--mask", "mask.png", "--out", "/nonexistent/x"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("--mask goes with --inpainted"), r.output)
        r = try sapiens(["tryon", image, "--checkpoint-seg", "s", "--checkpoint-depth", "d", "--pattern", "plaid", "--out", "/nonexistent/x"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("plaid") && r.output.contains("stripes"), r.output)
        r = try sapiens(["evaluate", "--task", "pose", "--gt", "gt.json"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("--gt and --results go together"), r.output)
        r = try sapiens(["pretrain", "--recipe", "recipes/none.yaml", "--steps", "0"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("--steps must be at least 1"), r.output)
    }

    func testTryonOnSapiens2FoldersWithMatting() throws {
        let dir = scratchFolder("cli-tryon")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let photo = dir + "/plain.png"
        try ImageCodec.save(plainBackgroundImage(width: 60, height: 80), path: photo)
        let out = dir + "/bundle"
        let r = try sapiens(["tryon", photo, "--checkpoint-seg", Self.fixtures + "/seg", "--checkpoint-depth", Self.fixtures + "/pointmap",
                             "--checkpoint-normal", Self.fixtures + "/normal", "--matting", Self.fixtures + "/matting", "--garment", "full", "--out", out])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("cut out with the matting alpha"), r.output)
        XCTAssertTrue(r.output.contains("garment Apparel+Lower_Clothing+Upper_Clothing"), r.output)
        for f in ["image.png", "mask.png", "control.png", "request.json", "guard_input.png", "fallback.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + f), f)
        }
    }
}
