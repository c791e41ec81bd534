import Foundation
import XCTest

/// `scripts/quickstart --tiny`: every stage of the whole loop at toy sizes, through the built `sapiens` binary
/// (scripts/test builds it before the tests run). About a minute on 2 cores.
final class QuickstartTests: XCTestCase {
    func testTinyQuickstartRunsEveryStageAndItsReportLinksResolve() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let exe = root.appendingPathComponent(".build/release/sapiens").path
        guard FileManager.default.isExecutableFile(atPath: exe) else {
            XCTFail("\(exe) is not built; run `swift build -c release` (scripts/test does) before the tests")
            return
        }
        let out = NSTemporaryDirectory() + "sapiens-quickstart-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/bash")
        p.arguments = [root.appendingPathComponent("scripts/quickstart").path, "--tiny", "--no-build", "--out", out]
        p.currentDirectoryURL = root
        let log = out + ".log"
        FileManager.default.createFile(atPath: log, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        p.standardOutput = handle; p.standardError = handle
        try p.run(); p.waitUntilExit()
        try handle.close()
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertEqual(p.terminationStatus, 0, "quickstart failed:\n" + text.suffix(3000))
        guard p.terminationStatus == 0 else { return }

        let report = try String(contentsOfFile: out + "/REPORT.md", encoding: .utf8)
        for section in ["## 1. Engine parity", "## 2. Synthetic people", "## 3. Curation", "## 4. MAE pretraining", "## 5. Fine-tuning",
                        "## 6. Evaluation", "## 7. Inference on photos", "## 8. Background guard", "## 9. Try-on"] {
            XCTAssertTrue(report.contains(section), "REPORT.md lacks \(section)")
        }
        // Every relative link points at a file (the script checks this too; a second look costs nothing).
        let links = report.components(separatedBy: "](").dropFirst().compactMap { $0.split(separator: ")").first.map(String.init) }
        XCTAssertGreaterThan(links.count, 30)
        for l in links where !l.hasPrefix("http") {
            XCTAssertTrue(FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent(l)), "broken link \(l)")
        }
        for t in ["pose", "seg", "depth", "normal"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/eval/\(t).json"), "evaluation of \(t)")
        }
        // Inference: three sample photos (no guard) and four plain-background renders (guard on every one).
        let data = try Data(contentsOf: URL(fileURLWithPath: out + "/infer/infer.json"))
        let records = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        XCTAssertEqual(records.count, 7)
        let composited = records.filter { ($0["backgroundComposited"] as? Bool) == true }.compactMap { $0["image"] as? String }
        XCTAssertEqual(composited.count, 4, "\(composited)")
        XCTAssertTrue(composited.allSatisfy { $0.contains("/plain/") }, "\(composited)")
        for r in records { XCTAssertEqual((r["tasks"] as? [String])?.count, 4) }
        XCTAssertTrue(text.contains("background guard: "), "the guard says when it triggers")
        let kp = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/infer/keypoints.json"))) as? [[String: Any]]
        XCTAssertEqual(kp?.count, 7, "one whole-image person per photo without --boxes")
        for f in ["tryon/mask.png", "tryon/control.png", "tryon/request.json", "tryon/fallback.png", "tryon/before_after.png", "guard-study.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(f)"), f)
        }
    }
}
