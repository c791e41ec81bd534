import SapiensData
import Foundation
import XCTest

/// `TorchBilinear` against F.interpolate(bilinear, align_corners=False): golden vectors written by
/// scripts/torch_bilinear_golden.py.
final class TorchBilinearTests: XCTestCase {
    func floats(_ b64: Any?) throws -> [Float] {
        let data = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(b64 as? String)))
        return data.withUnsafeBytes { raw in (0..<(data.count / 4)).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) } }
    }

    func testMatchesTorchInterpolateAndArgmax() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/torch_bilinear_golden.json")
        let doc = try XCTUnwrap(JSONSerialization.jsonObject(with: try Data(contentsOf: url)) as? [String: Any])
        let cases = try XCTUnwrap(doc["cases"] as? [[String: Any]])
        XCTAssertFalse(cases.isEmpty)
        for c in cases {
            let shape = try XCTUnwrap(c["shape"] as? [Int]), size = try XCTUnwrap(c["size"] as? [Int])
            let x = try floats(c["input"]), want = try floats(c["expected"])
            let got = TorchBilinear.resize(planar: x, channels: shape[0], height: shape[1], width: shape[2], toHeight: size[0], toWidth: size[1])
            XCTAssertEqual(got.count, want.count)
            let err = zip(got, want).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertLessThanOrEqual(err, 5e-7, "\(shape) -> \(size): torch's weights exactly, its blend to an ulp")
            let classes = TorchBilinear.argmax(planar: x, channels: shape[0], height: shape[1], width: shape[2], toHeight: size[0], toWidth: size[1])
            XCTAssertEqual(classes.map(Int.init), try XCTUnwrap(c["argmax"] as? [Int]), "\(shape) -> \(size)")
        }
    }
}
