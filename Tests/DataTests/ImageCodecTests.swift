import Foundation
import XCTest
import SapiensData

final class ImageCodecTests: XCTestCase {
    func testPNGRoundTripIsExactForEveryChannelLayout() throws {
        for channels in [1, 3, 4] {
            let image = gradientImage(width: 37, height: 23, channels: channels)
            let decoded = try ImageCodec.decode(try ImageCodec.encodePNG(image), name: "mem.png")
            XCTAssertEqual(decoded, image, "channels \(channels)")
        }
    }

    func testJPEGRoundTripIsCloseForRGBAndGray() throws {
        for channels in [1, 3] {
            let image = gradientImage(width: 64, height: 48, channels: channels)
            let bytes = try ImageCodec.encodeJPEG(image, quality: 95)
            let decoded = try ImageCodec.decode(bytes, name: "mem.jpg")
            XCTAssertEqual(decoded.channels, channels)
            XCTAssertEqual(decoded.width, 64)
            XCTAssertEqual(decoded.height, 48)
            XCTAssertLessThan(meanAbsoluteDifference(decoded, image), 4)
        }
    }

    func testReducedSizeJPEGDecode() throws {
        let image = gradientImage(width: 64, height: 48)
        let small = try ImageCodec.decode(try ImageCodec.encodeJPEG(image), name: "mem.jpg", jpegScaleDenominator: 4)
        XCTAssertEqual(small.width, 16)
        XCTAssertEqual(small.height, 12)
    }

    func testPNG16RoundTripKeepsFullRange() throws {
        let values: [UInt16] = [0, 1, 255, 256, 1000, 40000, 65534, 65535]
        let bytes = try ImageCodec.encodePNG16(width: 4, height: 2, channels: 1, values: values)
        let decoded = try ImageCodec.decodePNG16(bytes, name: "depth.png")
        XCTAssertEqual(decoded.width, 4)
        XCTAssertEqual(decoded.height, 2)
        XCTAssertEqual(decoded.channels, 1)
        XCTAssertEqual(decoded.values, values)
        let rgb: [UInt16] = (0..<12).map { UInt16($0 * 5000) }
        let rgbDecoded = try ImageCodec.decodePNG16(try ImageCodec.encodePNG16(width: 2, height: 2, channels: 3, values: rgb), name: "n.png")
        XCTAssertEqual(rgbDecoded.values, rgb)
    }

    func testSixteenBitPNGDecodesToHighByteAsImage() throws {
        let values: [UInt16] = [0x0000, 0x12FF, 0xAB00, 0xFFFF]
        let bytes = try ImageCodec.encodePNG16(width: 2, height: 2, channels: 1, values: values)
        let image = try ImageCodec.decode(bytes, name: "sixteen.png")
        XCTAssertEqual(image.pixels, [0x00, 0x12, 0xAB, 0xFF])
    }

    func testPaletteAndOneBitPNGsExpand() throws {
        // Hand-made files: a 4x2 palette PNG (red, green, blue) and a 3x2 1-bit gray PNG.
        let palette = [UInt8](Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAQAAAACCAMAAABIdo1RAAAACVBMVEX/AAAA/wAAAP8tSs2KAAAAD0lEQVR4nGNgYGRiAGFGAAArAAiXKq+7AAAAAElFTkSuQmCC")!)
        let p = try ImageCodec.decode(palette, name: "palette.png")
        XCTAssertEqual(p.channels, 3)
        XCTAssertEqual(Array(p.pixels[0..<6]), [255, 0, 0, 0, 255, 0])
        XCTAssertEqual(Array(p.pixels[12..<15]), [0, 255, 0])  // second row starts with index 1
        let oneBit = [UInt8](Data(base64Encoded: "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACAQAAAAC1D1u3AAAADElEQVR4nGNYwLAAAAKEAUFGix2MAAAAAElFTkSuQmCC")!)
        let g = try ImageCodec.decode(oneBit, name: "onebit.png")
        XCTAssertEqual(g.channels, 1)
        XCTAssertEqual(g.pixels, [255, 0, 255, 255, 0, 255])
    }

    func testExifOrientationRotatesOnDecode() throws {
        // Left half dark, right half bright; orientation 6 means "rotate 90 degrees clockwise to view".
        var image = Image(width: 32, height: 16, channels: 1)
        for y in 0..<16 { for x in 16..<32 { image[x, y, 0] = 250 } }
        let bytes = try ImageCodec.encodeJPEG(image, quality: 95, exifOrientation: 6)
        let upright = try ImageCodec.decode(bytes, name: "rotated.jpg")
        XCTAssertEqual(upright.width, 16)
        XCTAssertEqual(upright.height, 32)
        XCTAssertLessThan(upright[8, 4, 0], 30)     // the old left half is now on top
        XCTAssertGreaterThan(upright[8, 28, 0], 220)
        let mirrored = try ImageCodec.decode(try ImageCodec.encodeJPEG(image, quality: 95, exifOrientation: 2), name: "m.jpg")
        XCTAssertGreaterThan(mirrored[4, 8, 0], 220)
    }

    func testEveryExifOrientationInvertsItsOwnStoredForm() {
        // Storing an upright image under orientation k means applying the inverse of k; 5 and 7 are self-inverse,
        // 6 and 8 invert each other, 2, 3, 4 are mirrors.
        let image = gradientImage(width: 5, height: 3)
        let inverse = [2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6]
        for (k, inv) in inverse {
            XCTAssertEqual(image.applyingExifOrientation(inv).applyingExifOrientation(k), image, "orientation \(k)")
        }
    }

    func testRealPhotosDecode() throws {
        let astronaut = try ImageCodec.load(path: try sharedFile("images/skimage_astronaut.png"))
        XCTAssertEqual([astronaut.width, astronaut.height, astronaut.channels], [512, 512, 3])
        let ascent = try ImageCodec.load(path: try sharedFile("images/pywt_ascent.png"))
        XCTAssertEqual([ascent.width, ascent.height, ascent.channels], [512, 512, 1])
        let portrait = try ImageCodec.load(path: try sharedFile("images/mahotas_luispedro.jpg"))
        XCTAssertEqual([portrait.width, portrait.height, portrait.channels], [300, 377, 3])
    }

    func testSaveIsAtomicAndByExtension() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let image = gradientImage(width: 20, height: 10)
        try ImageCodec.save(image, path: dir + "/a.png")
        try ImageCodec.save(image, path: dir + "/b.jpg")
        XCTAssertEqual(try ImageCodec.load(path: dir + "/a.png"), image)
        XCTAssertEqual(try ImageCodec.load(path: dir + "/b.jpg").width, 20)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir).sorted(), ["a.png", "b.jpg"])
        assertThrowsDataError(try ImageCodec.save(image, path: dir + "/c.bmp"), mentioning: "c.bmp")
    }
}
