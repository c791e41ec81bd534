import Foundation
import XCTest
import SapiensData

final class LabelFormatTests: XCTestCase {
    var dir = ""
    override func setUpWithError() throws { dir = try temporaryFolder() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func save(_ bytes: [UInt8], _ name: String) throws -> String {
        try FileIO.writeAtomically(bytes, to: dir + "/" + name)
        return dir + "/" + name
    }

    func testSegLabelsValidateIdsAndRemapLIP() throws {
        let ids: [UInt8] = [0, 13, 255, 19, 5, 2]
        let path = try save(try SegLabel.encode(LabelMap(width: 3, height: 2, ids: ids)), "lip.png")
        XCTAssertEqual(try SegLabel.read(path: path, classes: .lip20).ids, ids)
        XCTAssertEqual(try SegLabel.read(path: path, classes: .lip20, remap: SegClasses.lipToSapiens28).ids, [0, 2, 255, 17, 22, 3])
        let outOfRange = try save(try SegLabel.encode(LabelMap(width: 2, height: 1, ids: [0, 40])), "bad.png")
        assertThrowsDataError(try SegLabel.read(path: outOfRange, classes: .sapiens28), mentioning: "bad.png") { $0.description.contains("40") }
        let rgb = try save(try ImageCodec.encodePNG(gradientImage(width: 2, height: 2)), "rgb.png")
        assertThrowsDataError(try SegLabel.read(path: rgb, classes: .sapiens28), mentioning: "rgb.png")
        assertThrowsDataError(try SegLabel.read(path: path, classes: .lip20, expectedSize: (4, 2)), mentioning: "lip.png") {
            $0.description.contains("4x2")
        }
        // Palette PNGs carry class ids as indices: this one holds 0, 1, 2 (see ImageCodecTests).
        let palette = try save([UInt8](Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAACCAMAAABIdo1RAAAACVBMVEX/AAAA/wAAAP8tSs2KAAAAD0lEQVR4nGNgYGRiAGFGAAArAAiXKq+7AAAAAElFTkSuQmCC")!), "pal.png")
        XCTAssertEqual(try SegLabel.read(path: palette, classes: .sapiens28).ids, [0, 1, 2, 0, 1, 2, 0, 1])
    }

    func testDepthNPYAndPNG16() throws {
        let values: [Float] = [0, 1.5, 2.25, 0, 10, 3]
        let npy = dir + "/d.npy"
        try NPY.write(NPYArray(shape: [2, 3], values: values), path: npy)
        XCTAssertEqual(try DepthMap.readNPY(path: npy, expectedSize: (3, 2)).values, values)
        let png = try save(try DepthMap(width: 3, height: 2, values: values).encodePNG16(unitsPerMetre: 1000), "d.png")
        let back = try DepthMap.readPNG16(path: png, unitsPerMetre: 1000)
        for (a, b) in zip(back.values, values) { XCTAssertEqual(a, b, accuracy: 1e-3) }
        XCTAssertEqual(back.values[0], 0)  // invalid stays invalid

        try NPY.write(NPYArray(shape: [6], values: values), path: dir + "/flat.npy")
        assertThrowsDataError(try DepthMap.readNPY(path: dir + "/flat.npy"), mentioning: "flat.npy") { $0.description.contains("shape") }
        try NPY.write(NPYArray(shape: [1, 2], values: [1, -2]), path: dir + "/neg.npy")
        assertThrowsDataError(try DepthMap.readNPY(path: dir + "/neg.npy"), mentioning: "neg.npy") { $0.description.contains("negative") }
        try NPY.write(NPYArray(shape: [1, 2], values: [1, .nan]), path: dir + "/nan.npy")
        assertThrowsDataError(try DepthMap.readNPY(path: dir + "/nan.npy"), mentioning: "nan.npy") { $0.description.contains("NaN") }
        let eight = try save(try ImageCodec.encodePNG(Image(width: 2, height: 2, channels: 1)), "eight.png")
        assertThrowsDataError(try DepthMap.readPNG16(path: eight, unitsPerMetre: 256), mentioning: "eight.png") { $0.description.contains("16-bit") }
    }

    func testNPYRejectsBadFiles() throws {
        var bytes = try NPY.encode(NPYArray(shape: [4, 4], values: [Float](repeating: 1, count: 16)))
        let cut = try save(Array(bytes.prefix(bytes.count - 8)), "cut.npy")
        assertThrowsDataError(try NPY.read(path: cut), mentioning: "cut.npy") { $0.description.contains("needs") }
        let junk = try save(Array("PK zip".utf8), "junk.npy")
        assertThrowsDataError(try NPY.read(path: junk), mentioning: "junk.npy")
        // Patch the dtype to big-endian float64, which we refuse rather than misread.
        let descr = Array("<f4".utf8)
        let at = try XCTUnwrap((0..<(bytes.count - 3)).first { Array(bytes[$0..<($0 + 3)]) == descr })
        bytes.replaceSubrange(at..<(at + 3), with: Array(">f8".utf8))
        let big = try save(bytes, "big.npy")
        assertThrowsDataError(try NPY.read(path: big), mentioning: "big.npy") { $0.description.contains(">f8") }
    }

    func testNormalsNPYAndPNGAgree() throws {
        let s = Float(1 / 3.0.squareRoot())
        let values: [Float] = [0, 0, -1,  1, 0, 0,  0, 0, 0,  s, -s, s]
        try NPY.write(NPYArray(shape: [2, 2, 3], values: values), path: dir + "/n.npy")
        let fromNPY = try NormalMap.readNPY(path: dir + "/n.npy")
        for (a, b) in zip(fromNPY.values, values) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let png = try save(try fromNPY.encodePNG16(), "n.png")
        let fromPNG = try NormalMap.readPNG(path: png)
        for (a, b) in zip(fromPNG.values, values) { XCTAssertEqual(a, b, accuracy: 1e-3) }
        XCTAssertEqual(Array(fromPNG.values[6..<9]), [0, 0, 0])  // invalid survives the PNG

        try NPY.write(NPYArray(shape: [1, 1, 3], values: [0.5, 0, 0]), path: dir + "/short.npy")
        assertThrowsDataError(try NormalMap.readNPY(path: dir + "/short.npy"), mentioning: "short.npy") { $0.description.contains("length") }
        try NPY.write(NPYArray(shape: [2, 2], values: [0, 0, 0, 0]), path: dir + "/flat.npy")
        assertThrowsDataError(try NormalMap.readNPY(path: dir + "/flat.npy"), mentioning: "flat.npy") { $0.description.contains("(H, W, 3)") }
    }

    func testMasksAreBinarised() throws {
        let soft = try save(try ForegroundMask.encode(width: 4, height: 1, mask: [0, 100, 200, 255]), "soft.png")
        XCTAssertEqual(try ForegroundMask.read(path: soft).mask, [0, 0, 255, 255])
        let ones = try save(try ForegroundMask.encode(width: 3, height: 1, mask: [0, 1, 1]), "ones.png")
        XCTAssertEqual(try ForegroundMask.read(path: ones).mask, [0, 255, 255])
        let rgb = try save(try ImageCodec.encodePNG(gradientImage(width: 2, height: 2)), "rgbmask.png")
        assertThrowsDataError(try ForegroundMask.read(path: rgb), mentioning: "rgbmask.png")
    }
}
