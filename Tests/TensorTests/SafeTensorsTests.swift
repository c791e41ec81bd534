import Foundation
import Tensor
import XCTest

final class SafeTensorsTests: XCTestCase {
    var dir: String!
    override func setUp() {
        dir = NSTemporaryDirectory() + "st-tests-\(getpid())-\(UInt32.random(in: 0...UInt32.max))/"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func testRoundTripAllDTypes() throws {
        var st = SafeTensors()
        st.metadata = ["format": "pt", "note": "round trip"]
        let x = Tensor(shape: [2, 3], data: [1, -2.5, 3.25, 0, 1e-3, 65504])
        st.set("f32", x)
        st.set("f16", x, dtype: .F16)
        st.set("bf16", x, dtype: .BF16)
        st.set("ids", IndexTensor(shape: [3], data: [0, -7, 1 << 40]))
        st.set("u8", bytes: [0, 128, 255], shape: [3])
        let path = dir + "all.safetensors"
        try st.write(to: path)
        let back = try SafeTensors.load(path: path)
        XCTAssertEqual(back.metadata, st.metadata)
        XCTAssertEqual(try back.tensor("f32").toArray(), x.toArray())
        let f16 = try back.tensor("f16").toArray(), bf16 = try back.tensor("bf16").toArray()
        for (a, b) in zip(f16, x.toArray()) { XCTAssertEqual(a, b, accuracy: Swift.abs(b) * 1e-3 + 1e-6) }
        for (a, b) in zip(bf16, x.toArray()) { XCTAssertEqual(a, b, accuracy: Swift.abs(b) * 8e-3 + 1e-6) }
        XCTAssertEqual(try back.indices("ids").data, [0, -7, 1 << 40])
        XCTAssertEqual(try back.bytes("u8"), [0, 128, 255])
        XCTAssertEqual(back.entries["bf16"]?.dtype, .BF16)
    }

    func testLayoutIsWhatPythonExpects() throws {
        var st = SafeTensors()
        st.set("b", Tensor.ones([3]))
        st.set("a", Tensor.zeros([1, 2]))
        let data = try st.serialized()
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0, "header padded to 8 bytes")
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: [String: Any]]
        XCTAssertEqual(header["a"]?["data_offsets"] as? [Int], [0, 8])
        XCTAssertEqual(header["b"]?["data_offsets"] as? [Int], [8, 20], "offsets contiguous with no gaps")
        XCTAssertEqual(data.count, 8 + n + 20)
    }

    func testTruncatedAndMalformedFilesNameTheProblem() throws {
        var st = SafeTensors()
        st.set("w", Tensor.ones([64]))
        let good = try st.serialized()
        let cases: [(String, Data, String)] = [
            ("empty", Data(), "shorter than the 8-byte header"),
            ("truncated-header", good.prefix(20), "exceeds the file size"),
            ("truncated-data", good.prefix(good.count - 10), "outside"),
            ("garbage-json", Data([16, 0, 0, 0, 0, 0, 0, 0]) + Data("not json at all!".utf8), "not a JSON object"),
        ]
        for (name, bytes, expected) in cases {
            let path = dir + name + ".safetensors"
            try bytes.write(to: URL(fileURLWithPath: path))
            XCTAssertThrowsError(try SafeTensors.load(path: path), name) { e in
                XCTAssertTrue("\(e)".contains(path), "error names the file: \(e)")
                XCTAssertTrue("\(e)".contains(expected), "\(name): \(e)")
            }
        }
        XCTAssertThrowsError(try SafeTensors.load(path: dir + "missing.safetensors")) { e in
            XCTAssertTrue("\(e)".contains("missing.safetensors"))
        }
    }

    func testAtomicWriteLeavesNoTempFiles() throws {
        var st = SafeTensors()
        st.set("w", Tensor.ones([4]))
        try st.write(to: dir + "m.safetensors")
        try st.write(to: dir + "m.safetensors")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["m.safetensors"])
    }
}
