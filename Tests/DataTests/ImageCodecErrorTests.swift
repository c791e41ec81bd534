import Foundation
import XCTest
import SapiensData

/// Bad input must come back as a typed error that names the file, never a crash or an exit().
final class ImageCodecErrorTests: XCTestCase {
    func testEmptyInput() {
        assertThrowsDataError(try ImageCodec.decode([], name: "empty.jpg"), mentioning: "empty.jpg") {
            if case .empty = $0 { return true } else { return false }
        }
    }

    func testNotAnImage() {
        let text = Array("hello, I am a text file".utf8)
        assertThrowsDataError(try ImageCodec.decode(text, name: "notes.txt"), mentioning: "notes.txt") {
            if case .notAnImage = $0 { return true } else { return false }
        }
    }

    func testTruncatedJPEG() throws {
        let bytes = try ImageCodec.encodeJPEG(gradientImage(width: 64, height: 64), quality: 90)
        let cut = Array(bytes.prefix(bytes.count / 2))
        assertThrowsDataError(try ImageCodec.decode(cut, name: "cut.jpg"), mentioning: "cut.jpg") {
            if case .truncated = $0 { return true } else { return false }
        }
        // Only the header survives: the failure comes from the header reader instead.
        assertThrowsDataError(try ImageCodec.decode(Array(bytes.prefix(40)), name: "stub.jpg"), mentioning: "stub.jpg")
    }

    func testCorruptJPEGHeader() throws {
        var bytes = try ImageCodec.encodeJPEG(gradientImage(width: 16, height: 16), quality: 90)
        for i in 4..<min(bytes.count, 200) { bytes[i] = 0xFF }
        assertThrowsDataError(try ImageCodec.decode(bytes, name: "mangled.jpg"), mentioning: "mangled.jpg")
    }

    func testTruncatedPNG() throws {
        let bytes = try ImageCodec.encodePNG(gradientImage(width: 64, height: 64))
        assertThrowsDataError(try ImageCodec.decode(Array(bytes.prefix(bytes.count / 2)), name: "cut.png"),
                              mentioning: "cut.png") {
            if case .truncated = $0 { return true } else { return false }
        }
        assertThrowsDataError(try ImageCodec.decode(Array(bytes.prefix(12)), name: "stub.png"), mentioning: "stub.png")
    }

    func testCorruptPNGChecksum() throws {
        var bytes = try ImageCodec.encodePNG(gradientImage(width: 16, height: 16))
        bytes[20] ^= 0x55  // inside IHDR, so its CRC no longer matches
        assertThrowsDataError(try ImageCodec.decode(bytes, name: "crc.png"), mentioning: "crc.png") {
            if case .corruptImage = $0 { return true } else { return false }
        }
    }

    func testMissingFileNamesThePath() {
        assertThrowsDataError(try ImageCodec.load(path: "/nonexistent/dir/photo.jpg"), mentioning: "/nonexistent/dir/photo.jpg") {
            if case .io = $0 { return true } else { return false }
        }
    }

    func testInconsistentImageIsRejectedByEncoders() {
        let bad = Image(width: 4, height: 4, channels: 3, pixels: [1, 2, 3])
        assertThrowsDataError(try ImageCodec.encodePNG(bad), mentioning: "PNG")
        assertThrowsDataError(try ImageCodec.encodeJPEG(bad), mentioning: "JPEG")
        assertThrowsDataError(try ImageCodec.encodeJPEG(Image(width: 2, height: 2, channels: 4)), mentioning: "alpha")
    }
}
