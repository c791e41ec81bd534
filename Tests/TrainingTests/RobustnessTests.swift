import SapiensData
import Foundation
import Synth
import Training
import XCTest

final class RobustnessTests: XCTestCase {
    /// metrics.jsonl that cannot be created, or a write that fails (a full disk), is an error naming the
    /// file, not a run that silently logs nothing or a trap.
    func testUnwritableMetricsLogIsAnErrorNamingTheFile() throws {
        XCTAssertThrowsError(try MetricsLog(path: "/nonexistent-sapiens-dir/metrics.jsonl")) { e in
            XCTAssertTrue("\(e)".contains("/nonexistent-sapiens-dir/metrics.jsonl: cannot write"), "\(e)")
        }
        guard FileManager.default.fileExists(atPath: "/dev/full") else { throw XCTSkip("no /dev/full") }
        XCTAssertThrowsError(try MetricsLog(path: "/dev/full").append(["step": 1, "loss": 0.5])) { e in
            XCTAssertTrue("\(e)".contains("/dev/full: cannot write"), "\(e)")
        }
    }

    /// Cached synthetic renders are reused only when made by this renderer version: a marker from an
    /// older one (or a killed render with none) means the folder is rendered again.
    func testCachedRendersFromAnOlderRendererAreRedone() throws {
        let dir = scratchDir("render-cache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func render() throws -> String {
            try ImageCorpus.renderSynthetic(images: 2, height: 64, width: 48, people: "1-1", seed: 9, cacheDir: dir)
        }
        let folder = try render()
        let marker = folder + "/.complete", planted = folder + "/planted"
        let current = try String(contentsOfFile: marker, encoding: .utf8)
        XCTAssertEqual(current, "synth renderer output version \(Renderer.outputVersion), shards with checksum header\n")
        FileManager.default.createFile(atPath: planted, contents: Data())
        XCTAssertEqual(try render(), folder)
        XCTAssertTrue(FileManager.default.fileExists(atPath: planted), "a current cache is reused as it is")
        try "synth renderer output version \(Renderer.outputVersion - 1)\n".write(toFile: marker, atomically: true, encoding: .utf8)
        XCTAssertEqual(try render(), folder)
        XCTAssertFalse(FileManager.default.fileExists(atPath: planted), "an older renderer's cache is rendered again")
        // A cache from before shards carried their checksum header (the same renderer) is rendered again too.
        FileManager.default.createFile(atPath: planted, contents: Data())
        try "synth renderer output version \(Renderer.outputVersion)\n".write(toFile: marker, atomically: true, encoding: .utf8)
        XCTAssertEqual(try render(), folder)
        XCTAssertFalse(FileManager.default.fileExists(atPath: planted), "unsealed shards are rendered again")
        XCTAssertEqual(try String(contentsOfFile: marker, encoding: .utf8), current)
        XCTAssertEqual(try LabelledCorpus.shards(folder: folder, labels: LabelSpec()).count, 2)
    }

    func trainer(_ yaml: String, _ dir: String) throws -> MAEPretrainer {
        let r = try StrictYAML.decode(PretrainRecipe.self, defaults: PretrainRecipe(), yaml: yaml, path: "test.yaml")
        try r.validate(path: "test.yaml")
        let t = MAEPretrainer(recipe: r, recipeText: yaml, outDir: dir + "/run")
        t.cacheDir = dir + "/cache"
        t.showProgress = false
        return t
    }

    func testDivergenceStopsWithAClearMessageAndNoCorruptCheckpoint() throws {
        let dir = scratchDir("nan")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = try trainer(microRecipe(steps: 20, lr: 1e6), dir)
        XCTAssertThrowsError(try t.run(resume: false)) { e in
            XCTAssertTrue("\(e)".contains("NaN/Inf") && "\(e)".contains("consecutive"), "\(e)")
        }
        XCTAssertTrue(Checkpoints.list(root: dir + "/run/checkpoints").isEmpty, "no checkpoint from a diverged model")
    }

    func testUndecodableImagesAreSkippedCountedAndNamed() throws {
        let dir = scratchDir("skip")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let images = dir + "/images"
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        for i in 0..<6 {
            var img = Image(width: 40, height: 40, channels: 3, fill: UInt8(30 * i))
            for p in stride(from: 0, to: img.pixels.count, by: 7) { img.pixels[p] = UInt8((p * 13 + i) % 256) }
            try ImageCodec.save(img, path: images + "/ok-\(i).png")
        }
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: URL(fileURLWithPath: images + "/broken.jpg"))
        try Data().write(to: URL(fileURLWithPath: images + "/empty.png"))
        let yaml = microRecipe(steps: 3).replacingOccurrences(of: "data: {source: synthetic, synthetic_images: 48, synthetic_height: 64, synthetic_width: 48}",
                                                             with: "data: {source: folder, path: \(images)}")
        let t = try trainer(yaml, dir)
        let s = try t.run(resume: false)
        XCTAssertEqual(s.steps, 3)
        XCTAssertEqual(s.skippedImages, 6, "the two bad files, each time an epoch reaches them")
        let state = try String(contentsOfFile: try XCTUnwrap(s.checkpoint) + "/state.json", encoding: .utf8)
        XCTAssertTrue(state.contains("\"skippedImages\" : 6"), state)
    }
}
