import XCTest
@testable import SapiensData

/// Found by the fuzz targets' message check: errors that quote a file's own bytes (an .npy header, a
/// pickle key) printed its newlines, so one refusal spread over several lines.
final class OneLineErrorTests: XCTestCase {
    func testAnNPYHeaderWithANewlineGivesAOneLineError() {
        var header = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (3,\n -), }".utf8)
        while (10 + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0a)
        let bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xff), UInt8(header.count >> 8)] + header
        XCTAssertThrowsError(try NPY.decode(bytes, name: "x.npy")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("x.npy: "), text)
            XCTAssertFalse(text.contains("\n"), text)
            XCTAssertTrue(text.contains("\\n"), "the newline is shown escaped: \(text)")
        }
    }

    func testEveryDataErrorIsOneLine() {
        let e = DataError.invalidContent("a.json", "key 'x\ny' is unknown\r")
        XCTAssertEqual(e.description, "a.json: key 'x\\ny' is unknown\\r")
    }
}

/// Found by the recipes fuzz target: Yams' message quotes the offending line and a caret under it.
final class YAMLErrorSummaryTests: XCTestCase {
    func testAYAMLSyntaxErrorIsSummarisedOnOneLine() {
        XCTAssertThrowsError(try BoundedYAML.compose("\u{07}\u{0} S \n")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("not valid YAML: 1:1: error: reader: control characters are not allowed"), text)
            XCTAssertFalse(text.contains("\n"), text)
        }
    }
}

/// Found by the recipes fuzz campaign (Fuzz/corpus/recipes/regression-mapping-as-key.yaml): a mapping used
/// as a key made Yams' constructor force-unwrap nil and trap.
final class YAMLComplexKeyTests: XCTestCase {
    func testAListOrMappingAsAKeyIsRefusedBeforeYamsConstructsIt() {
        for text in ["run:\n? log_every: 10\n  checkpoint_every: 200\n", "? [a, b]\n: 1\n", "a:\n  - ? {x: 1}\n    : 2\n"] {
            XCTAssertThrowsError(try BoundedYAML.compose(text), text) { error in
                XCTAssertTrue("\(error)".contains("a key must be a plain value"), "\(error)")
            }
        }
        XCTAssertNoThrow(try BoundedYAML.compose("? plain\n: 1\nb: [1, {c: 2}]\n"))
    }
}
