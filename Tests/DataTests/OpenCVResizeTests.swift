import SapiensData
import Foundation
import XCTest

/// `resizedLikeOpenCV` against cv2.resize(INTER_LINEAR) itself: golden vectors written by
/// scripts/cv2_resize_golden.py (OpenCV 5.1), compared byte for byte.
final class OpenCVResizeTests: XCTestCase {
    func fixture() throws -> [String: Any] {
        // This file is <root>/Tests/DataTests/OpenCVResizeTests.swift.
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/cv2_resize_golden.json")
        let data = try Data(contentsOf: url)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    func testMatchesOpenCVBitForBit() throws {
        let cases = try XCTUnwrap(try fixture()["cases"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(cases.count, 10)
        for c in cases {
            let src = try XCTUnwrap(c["src"] as? [Int]), dst = try XCTUnwrap(c["dst"] as? [Int])
            let input = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(c["input"] as? String)))
            let expected = try XCTUnwrap(Data(base64Encoded: try XCTUnwrap(c["expected"] as? String)))
            let img = Image(width: src[1], height: src[0], channels: src[2], pixels: [UInt8](input))
            let got = img.resizedLikeOpenCV(width: dst[1], height: dst[0])
            XCTAssertEqual(got.width, dst[1]); XCTAssertEqual(got.height, dst[0])
            let want = [UInt8](expected)
            let differing = zip(got.pixels, want).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(src) -> \(dst): \(differing) of \(want.count) bytes differ from cv2")
        }
    }

    /// What makes it cv2's and not ours: no antialiasing (a one-pixel-wide line survives a 4x shrink only where
    /// a sample lands on it), and the same size is a copy.
    func testNoAntialiasingAndIdentity() {
        var img = Image(width: 16, height: 4, channels: 1)
        for y in 0..<4 { img[5, y, 0] = 255 }
        let cv = img.resizedLikeOpenCV(width: 4, height: 1)
        // Output x = 1 samples source x = (1 + 0.5)·4 − 0.5 = 5.5: half of pixel 5, half of pixel 6.
        XCTAssertEqual(cv.pixels, [0, 128, 0, 0])
        XCTAssertEqual(img.resizedLikeOpenCV(width: 16, height: 4), img)
    }
}
