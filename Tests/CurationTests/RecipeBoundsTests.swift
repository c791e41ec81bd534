import Foundation
import XCTest
import Curation

/// Hostile curation recipes: empty, aliased, over-nested, oversized, non-finite.
final class RecipeBoundsTests: XCTestCase {
    func message(_ yaml: String) -> String {
        do { _ = try CurationRecipe.parse(yaml: yaml, file: "c.yaml"); return "no error" } catch { return "\(error)" }
    }

    func testEmptyRecipesAreErrors() {
        for text in ["", "  \n", "# comment only\n", "---\n", "~\n"] {
            XCTAssertTrue(message(text).hasPrefix("c.yaml: ") && message(text).contains("the recipe is empty"), "'\(text)': \(message(text))")
        }
    }

    func testAnchorsAndAliasesAreRefused() {
        var yaml = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for i in 1..<12 { yaml += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ", ") + "]\n" }
        XCTAssertTrue(message(yaml).contains("anchors and aliases"), message(yaml))
        XCTAssertTrue(message("person_detection: &p {min_score: 0.5}\noutput: *p\n").contains("anchors and aliases"))
    }

    func testNestingAndNonFiniteValues() {
        XCTAssertTrue(message(String(repeating: "{a: ", count: 50_000)).contains("more than 256"))
        XCTAssertTrue(message("person_detection:\n  min_score: .nan\n").contains("expected a number"))
        XCTAssertTrue(message("output:\n  max_side: 1e400\n").contains("output.max_side"))
    }

    func testOversizedFileIsRefused() throws {
        let path = NSTemporaryDirectory() + "big-curate-\(getpid()).yaml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: UInt8(ascii: "#"), count: 2 << 20).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CurationRecipe.load(path: path)) { XCTAssertTrue("\($0)".contains("larger than 1024 KiB"), "\($0)") }
    }
}
