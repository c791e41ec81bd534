import Foundation
import XCTest
@testable import SapiensData

/// Images whose headers lie, built here from valid encodes: the size is checked against `ImageLimits`
/// before anything is decoded, so a 69-byte PNG claiming 65535x65535 fails at once instead of allocating
/// 12.9 GB, and damaged data is an error, never a trap or a hang.
final class MalformedImageTests: XCTestCase {
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    static func bigEndian32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// A valid PNG whose IHDR then claims `width`x`height` (with a correct CRC, so libpng believes it).
    static func pngClaiming(width: UInt32, height: UInt32) throws -> [UInt8] {
        var png = try ImageCodec.encodePNG(gradientImage(width: 4, height: 4))
        // Signature (8), IHDR length (4), "IHDR" (4), then width, height.
        png.replaceSubrange(16..<24, with: bigEndian32(width) + bigEndian32(height))
        let crc = crc32(Array(png[12..<29]))
        png.replaceSubrange(29..<33, with: bigEndian32(crc))
        return png
    }

    /// A valid baseline JPEG whose frame header then claims `width`x`height`.
    static func jpegClaiming(width: UInt16, height: UInt16) throws -> [UInt8] {
        var jpeg = try ImageCodec.encodeJPEG(gradientImage(width: 16, height: 16))
        guard let sof = (0..<(jpeg.count - 1)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }) else {
            throw DataError.invalidArgument("encoder wrote no SOF0")
        }
        // FF C0, length (2), precision (1), height (2), width (2).
        jpeg.replaceSubrange((sof + 5)..<(sof + 9), with: [UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF)])
        return jpeg
    }

    /// An 8x8 progressive JPEG (cv2.imencode with IMWRITE_JPEG_PROGRESSIVE, quality 50): 10 scans.
    static let progressive = Array(Data(base64Encoded: """
        /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/\
        2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wgARCAAIAAgDASIAAhEBAxEB/8QA\
        FQABAQAAAAAAAAAAAAAAAAAAAAH/xAAVAQEBAAAAAAAAAAAAAAAAAAABAv/aAAwDAQACEAMQAAABgs//xAAWEAEBAQAAAAAAAAAAAAAAAAABAhH/2gAIAQEA\
        AQUCMJ//xAAXEQEAAwAAAAAAAAAAAAAAAAABAAIR/9oACAEDAQE/AWg5P//EABcRAAMBAAAAAAAAAAAAAAAAAAABAjH/2gAIAQIBAT8Bhaf/xAAWEAADAAAA\
        AAAAAAAAAAAAAAAAEYH/2gAIAQEABj8CjP/EABcQAQEBAQAAAAAAAAAAAAAAAAERACH/2gAIAQEAAT8hdza8UN//2gAMAwEAAgADAAAAEPP/xAAYEQACAwAA\
        AAAAAAAAAAAAAAAAAWGh8P/aAAgBAwEBPxBA0LUf/8QAFREBAQAAAAAAAAAAAAAAAAAAAQD/2gAIAQIBAT8QJZ//xAAZEAEBAQADAAAAAAAAAAAAAAABESEx\
        QVH/2gAIAQEAAT8QiShUK6xITTrx2c//2Q==
        """)!)

    func assertTooLarge(_ bytes: [UInt8], limits: ImageLimits = .standard, _ expected: [String],
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ImageCodec.decode(bytes, name: "photos/bad.img", limits: limits), file: file, line: line) { e in
            guard case DataError.tooLarge = e else { return XCTFail("expected tooLarge, got \(e)", file: file, line: line) }
            let text = "\(e)"
            XCTAssertTrue(text.hasPrefix("photos/bad.img: image too large"), text, file: file, line: line)
            for part in expected { XCTAssertTrue(text.contains(part), "'\(part)' missing from: \(text)", file: file, line: line) }
        }
    }

    func testPNGClaimingFourGigapixelsFailsBeforeAllocating() throws {
        let png = try Self.pngClaiming(width: 65535, height: 65535)
        assertTooLarge(png, ["65535x65535", "32768 px"])
        // Within the side limit but over the pixel budget.
        assertTooLarge(try Self.pngClaiming(width: 20000, height: 20000), ["20000x20000", "400 MP", "100 MP limit"])
        // The 16-bit path checks too.
        XCTAssertThrowsError(try ImageCodec.decodePNG16(png, name: "labels/d.png")) { e in
            guard case DataError.tooLarge = e else { return XCTFail("\(e)") }
        }
    }

    func testJPEGClaimingAHugeOrExtremeSizeFailsBeforeDecoding() throws {
        assertTooLarge(try Self.jpegClaiming(width: 65500, height: 65500), ["65500x65500"])
        assertTooLarge(try Self.jpegClaiming(width: 1, height: 65500), ["1x65500", "at most 32768 px"])
        assertTooLarge(try Self.jpegClaiming(width: 65500, height: 1), ["65500x1"])
        // Asking for a scaled-down decode does not dodge the check: libjpeg still works at full size.
        XCTAssertThrowsError(try ImageCodec.decode(try Self.jpegClaiming(width: 60000, height: 60000), name: "x.jpg", jpegScaleDenominator: 8)) { e in
            guard case DataError.tooLarge = e else { return XCTFail("\(e)") }
        }
    }

    func testLimitsAreConfigurable() throws {
        let jpeg = try ImageCodec.encodeJPEG(gradientImage(width: 16, height: 12))
        let png = try ImageCodec.encodePNG(gradientImage(width: 16, height: 12))
        XCTAssertEqual(try ImageCodec.decode(jpeg, name: "a.jpg", limits: .standard).width, 16)
        assertTooLarge(jpeg, limits: ImageLimits(maxPixels: 100, maxSide: 100), ["16x12", "192"])
        assertTooLarge(png, limits: ImageLimits(maxPixels: 10_000, maxSide: 15), ["at most 15 px"])
        XCTAssertEqual(try ImageCodec.decode(png, name: "a.png", limits: ImageLimits(maxPixels: 192, maxSide: 16)).height, 12)
        let env = ImageLimits.fromEnvironment(["SAPIENS_MAX_IMAGE_MEGAPIXELS": "0.5", "SAPIENS_MAX_IMAGE_SIDE": "900"])
        XCTAssertEqual(env, ImageLimits(maxPixels: 500_000, maxSide: 900))
        XCTAssertEqual(ImageLimits.fromEnvironment(["SAPIENS_MAX_IMAGE_MEGAPIXELS": "lots"]), .standard)
        XCTAssertEqual(ImageLimits.standard.maxPixels, 100_000_000)
    }

    func testAProgressiveJPEGWithThousandsOfScansIsRefused() throws {
        let good = Self.progressive
        XCTAssertEqual(try ImageCodec.decode(good, name: "p.jpg").width, 8, "the untouched file decodes")
        // Repeat the last scan (its Huffman table and SOS segment) 600 times before EOI: each scan re-walks
        // the image, which is how a small file keeps a decoder busy for a long time.
        guard let lastDHT = (0..<(good.count - 1)).last(where: { good[$0] == 0xFF && good[$0 + 1] == 0xC4 }) else {
            return XCTFail("fixture has no DHT")
        }
        let scan = Array(good[lastDHT..<(good.count - 2)])
        let hostile = Array(good[..<(good.count - 2)]) + Array([[UInt8]](repeating: scan, count: 600).joined()) + [0xFF, 0xD9]
        XCTAssertThrowsError(try ImageCodec.decode(hostile, name: "many-scans.jpg")) { e in
            XCTAssertTrue("\(e)".hasPrefix("many-scans.jpg: "), "\(e)")
            XCTAssertTrue("\(e)".contains("scans"), "\(e)")
        }
    }

    /// Every prefix of a valid JPEG, PNG and progressive JPEG decodes or fails with an error naming it.
    func testEveryTruncationIsAnErrorOrAnImage() throws {
        let files: [(String, [UInt8])] = [
            ("t.jpg", try ImageCodec.encodeJPEG(gradientImage(width: 24, height: 16))),
            ("t.png", try ImageCodec.encodePNG(gradientImage(width: 24, height: 16))),
            ("p.jpg", Self.progressive),
        ]
        for (name, bytes) in files {
            for end in 0..<bytes.count {
                do {
                    let img = try ImageCodec.decode(Array(bytes.prefix(end)), name: name)
                    XCTAssertEqual(img.pixels.count, img.width * img.height * img.channels)
                } catch let e as DataError {
                    XCTAssertEqual(e.file, name, "\(e)")
                }
            }
        }
    }

    /// Single-byte corruptions all through the file: never a trap, and any error names the file.
    func testByteFlipsAreAnErrorOrAnImage() throws {
        let files: [(String, [UInt8])] = [
            ("f.jpg", try ImageCodec.encodeJPEG(gradientImage(width: 24, height: 16))),
            ("f.png", try ImageCodec.encodePNG(gradientImage(width: 24, height: 16))),
            ("g.jpg", Self.progressive),
        ]
        for (name, bytes) in files {
            for i in 0..<bytes.count {
                for flip: UInt8 in [0x01, 0x80, 0xFF] {
                    var b = bytes
                    b[i] ^= flip
                    do { _ = try ImageCodec.decode(b, name: name) } catch let e as DataError {
                        XCTAssertEqual(e.file, name, "\(e)")
                    }
                }
            }
        }
    }
}
