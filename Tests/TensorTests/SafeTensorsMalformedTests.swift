import Foundation
import Tensor
import XCTest

/// Hostile and damaged safetensors files, each built here byte by byte. Every one must be refused with an
/// error naming the file (and the tensor, where there is one), never a trap and never a silent load.
final class SafeTensorsMalformedTests: XCTestCase {
    let path = "/models/bad.safetensors"

    /// 8-byte little-endian length, the header text, then `data`. `length` overrides the stated length.
    func file(_ header: String, data: Data = Data(), length: UInt64? = nil) -> Data {
        var out = Data()
        var n = (length ?? UInt64(header.utf8.count)).littleEndian
        withUnsafeBytes(of: &n) { out.append(contentsOf: $0) }
        out.append(Data(header.utf8))
        out.append(data)
        return out
    }

    func assertRejected(_ bytes: Data, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.parse(bytes, path: path), file: file, line: line) { e in
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix(path), "error names the file: \(text)", file: file, line: line)
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            for part in expected {
                XCTAssertTrue(text.contains(part), "'\(part)' missing from: \(text)", file: file, line: line)
            }
        }
    }

    func goodFile() throws -> Data {
        var st = SafeTensors()
        st.set("a", Tensor(shape: [2, 2], data: [1, 2, 3, 4]))
        st.set("b", Tensor(shape: [3], data: [5, 6, 7]))
        return try st.serialized()
    }

    func testShapeWhoseSizeOverflowsIsRefusedNotATrap() {
        // shape.reduce(1, *) * 4 used to trap here.
        let h = #"{"w":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,0]}}"#
        assertRejected(file(h), ["tensor 'w'", "overflows"])
        let big = #"{"w":{"dtype":"F64","shape":[4611686018427387904,2],"data_offsets":[0,0]}}"#
        assertRejected(file(big), ["tensor 'w'", "overflows"])
        // A zero dimension makes the tensor empty, but strides over the other dimensions would still overflow.
        for shape in ["[4611686018427387904,4611686018427387904,0]", "[0,4611686018427387904,4611686018427387904]"] {
            assertRejected(file(#"{"w":{"dtype":"U8","shape":\#(shape),"data_offsets":[0,0]}}"#), ["tensor 'w'", "overflows"])
        }
    }

    func testHeaderLengthOffByOneIsRefused() throws {
        let good = try goodFile()
        XCTAssertNoThrow(try SafeTensors.parse(good, path: path))
        let n = good.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        for stated in [n - 1, n + 1] {
            var bytes = good
            var le = stated.littleEndian
            withUnsafeBytes(of: &le) { bytes.replaceSubrange(0..<8, with: $0) }
            XCTAssertThrowsError(try SafeTensors.parse(bytes, path: path), "header length \(stated) instead of \(n)") { e in
                XCTAssertTrue("\(e)".hasPrefix(path), "\(e)")
            }
        }
        // Our writer pads the header with spaces, so one byte short still parses as JSON: the data region is
        // then one byte longer than the tensors, which is exactly what the coverage check must catch.
        var short = good
        var le = (n - 1).littleEndian
        withUnsafeBytes(of: &le) { short.replaceSubrange(0..<8, with: $0) }
        if short[8 + Int(n) - 1] == 0x20 { assertRejected(short, ["not fully covered"]) }
    }

    func testAByteInsertedIntoTheDataIsRefused() throws {
        let good = try goodFile()
        for at in [good.count - 1, good.count - 13, good.count] {
            var bytes = good
            bytes.insert(0x42, at: at)
            assertRejected(bytes, ["not fully covered"])
        }
    }

    func testGapsAndOverlapsBetweenTensorsAreRefused() {
        let gap = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[3,5]}}"#
        assertRejected(file(gap, data: Data(count: 5)), ["tensor 'b'", "gap"])
        let overlap = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#
        assertRejected(file(overlap, data: Data(count: 3)), ["tensor 'b'", "overlap"])
        let late = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}}"#
        assertRejected(file(late, data: Data(count: 3)), ["tensor 'a'", "gap"])
        let same = #"{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        assertRejected(file(same, data: Data(count: 2)), ["overlap"])
    }

    func testOffsetsMustAgreeWithShapeAndDType() {
        let h = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#
        assertRejected(file(h, data: Data(count: 4)), ["tensor 'a'", "has 4 bytes", "needs 8"])
        let outside = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        assertRejected(file(outside, data: Data(count: 4)), ["tensor 'a'", "outside"])
        let reversed = #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#
        assertRejected(file(reversed, data: Data(count: 4)), ["tensor 'a'", "ordered"])
    }

    func testWrongJSONTypesAreRefused() {
        let cases: [(String, [String])] = [
            (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, ["tensor 'a'", "negative"]),
            (#"{"a":{"dtype":"U8","shape":[1.5],"data_offsets":[0,0]}}"#, ["tensor 'a'", "shape", "not an integer"]),
            (#"{"a":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}"#, ["tensor 'a'", "shape", "not an integer"]),
            (#"{"a":{"dtype":"U8","shape":[true],"data_offsets":[0,1]}}"#, ["tensor 'a'", "shape", "not an integer"]),
            (#"{"a":{"dtype":"U8","shape":"3","data_offsets":[0,3]}}"#, ["tensor 'a'", "shape", "not an array"]),
            (#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1e30]}}"#, ["tensor 'a'", "data_offsets", "not an integer"]),
            (#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,18446744073709551616]}}"#, ["tensor 'a'", "data_offsets"]),
            (#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,2]}}"#, ["tensor 'a'", "data_offsets"]),
            (#"{"a":{"dtype":"U8","shape":[1]}}"#, ["tensor 'a'", "data_offsets", "missing"]),
            (#"{"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}}"#, ["tensor 'a'", "unknown dtype 'Q4'"]),
            (#"{"a":{"dtype":7,"shape":[1],"data_offsets":[0,1]}}"#, ["tensor 'a'", "dtype"]),
            (#"{"a":[1,2,3]}"#, ["tensor 'a'", "not an object"]),
            (#"{"__metadata__":{"k":3}}"#, ["__metadata__", "'k'"]),
            (#"{"__metadata__":[1]}"#, ["__metadata__"]),
            (#"[1,2,3]"#, ["not a JSON object"]),
        ]
        for (header, expected) in cases { assertRejected(file(header, data: Data(count: 1)), expected) }
    }

    func testInvalidJSONGivesItsPosition() {
        let h = "{\"a\":{\"dtype\":\"U8\",\n\"shape\":[1],\"data_offsets\":[0,1]}, x}"
        assertRejected(file(h, data: Data(count: 1)), ["not valid JSON", "line 2", "column"])
    }

    func testHeaderLengthBeyondTheFileOrTheLimitIsRefused() {
        assertRejected(file("{}", length: UInt64.max), ["header length", "exceeds the file size"])
        assertRejected(file("{}", length: 1 << 62), ["exceeds the file size"])
        assertRejected(Data([1, 2, 3]), ["shorter than the 8-byte header"])
    }

    func testEmptyAndZeroSizedTensorsStillLoad() throws {
        XCTAssertEqual(try SafeTensors.parse(file("{}"), path: path).names, [])
        XCTAssertEqual(try SafeTensors.parse(file("{}  "), path: path).names, [], "space padding is allowed")
        let h = #"{"__metadata__":{"format":"pt"},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[0,0]},"#
            + #""x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#
        let st = try SafeTensors.parse(file(h, data: Data([7, 9])), path: path)
        XCTAssertEqual(st.names, ["e", "x"])
        XCTAssertEqual(try st.tensor("e").shape, [0, 3])
        XCTAssertEqual(try st.bytes("x"), [7, 9])
        XCTAssertEqual(st.metadata, ["format": "pt"])
    }

    /// Every single-byte truncation and every single-byte flip in the header of a valid file either loads
    /// or fails with an error naming the file; none may trap.
    func testEveryTruncationAndHeaderByteFlipIsHandled() throws {
        let good = try goodFile()
        for end in 0..<good.count {
            XCTAssertThrowsError(try SafeTensors.parse(good.prefix(end), path: path), "prefix \(end)")
        }
        let n = Int(good[0]) | Int(good[1]) << 8
        for i in 0..<(8 + n) {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var bytes = good
                bytes[i] ^= flip
                do { _ = try SafeTensors.parse(bytes, path: path) } catch {
                    XCTAssertTrue("\(error)".hasPrefix(path), "byte \(i) ^ \(flip): \(error)")
                }
            }
        }
    }
}
