import XCTest
import SapiensData

final class ImageOpsTests: XCTestCase {
    func testResizeToSameSizeIsIdentity() {
        let image = gradientImage(width: 17, height: 9)
        XCTAssertEqual(image.resized(width: 17, height: 9, interpolation: .bilinear), image)
        XCTAssertEqual(image.resized(width: 17, height: 9, interpolation: .bicubic), image)
    }

    func testResizeKeepsConstantsAndAntialiasesWhenShrinking() {
        let flat = Image(width: 10, height: 10, channels: 3, fill: 77)
        XCTAssertEqual(flat.resized(width: 23, height: 4, interpolation: .bicubic), Image(width: 23, height: 4, channels: 3, fill: 77))
        // A 1-pixel checkerboard shrunk 4x: antialiased gives flat gray, point sampling keeps the pattern.
        var checker = Image(width: 64, height: 64, channels: 1)
        for y in 0..<64 { for x in 0..<64 where (x + y) % 2 == 0 { checker[x, y, 0] = 255 } }
        let smooth = checker.resized(width: 16, height: 16, interpolation: .bilinear, antialias: true)
        XCTAssertTrue(smooth.pixels.allSatisfy { abs(Int($0) - 128) <= 2 }, "\(smooth.pixels.prefix(8))")
        let aliased = checker.resized(width: 16, height: 16, interpolation: .nearest)
        XCTAssertTrue(aliased.pixels.contains(0) || aliased.pixels.contains(255))
    }

    func testCropResizeMatchesCropThenResize() {
        let image = gradientImage(width: 40, height: 30)
        let direct = image.resized(cropX: 8, cropY: 6, cropWidth: 20, cropHeight: 12, width: 10, height: 6)
        let twoStep = image.cropped(x: 8, y: 6, width: 20, height: 12).resized(width: 10, height: 6)
        XCTAssertLessThan(meanAbsoluteDifference(direct, twoStep), 1.0)
    }

    func testCropAndPadFillOutside() {
        let image = gradientImage(width: 4, height: 3, channels: 1)
        let c = image.cropped(x: -1, y: 1, width: 3, height: 3, fill: 9)
        XCTAssertEqual(c[0, 0, 0], 9)
        XCTAssertEqual(c[1, 0, 0], image[0, 1, 0])
        XCTAssertEqual(c[2, 1, 0], image[1, 2, 0])
        XCTAssertEqual(c[1, 2, 0], 9)
        let p = image.padded(top: 1, left: 2, bottom: 0, right: 1, fill: 5)
        XCTAssertEqual([p.width, p.height], [7, 4])
        XCTAssertEqual(p[2, 1, 0], image[0, 0, 0])
        XCTAssertEqual(p[6, 3, 0], 5)
    }

    func testAffineAlgebra() throws {
        let m = Affine2D.crop(x: 3, y: 4, width: 20, height: 10, toWidth: 40, toHeight: 40, rotationDegrees: 30)
        let inv = try XCTUnwrap(m.inverse)
        let round = inv.after(m).apply(7, -2)
        XCTAssertEqual(round.x, 7, accuracy: 1e-9)
        XCTAssertEqual(round.y, -2, accuracy: 1e-9)
        let centre = m.apply(13, 9)
        XCTAssertEqual(centre.x, 20, accuracy: 1e-9)
        XCTAssertEqual(centre.y, 20, accuracy: 1e-9)
        // Top-down (UDP): the box centre lands in the middle, and the padded box's edges on the centres of the
        // first and last output pixels (so x and y scales differ by (192 − 1)/192 against (256 − 1)/256).
        let td = Affine2D.topDown(box: PersonBox(x: 100, y: 50, w: 60, h: 200), toWidth: 192, toHeight: 256)
        let c = td.apply(130, 150)
        XCTAssertEqual(c.x, 96, accuracy: 1e-9)
        XCTAssertEqual(c.y, 128, accuracy: 1e-9)
        let top = td.apply(130, 150 - 200 * 1.25 / 2), bottom = td.apply(130, 150 + 200 * 1.25 / 2)
        XCTAssertEqual(top.y, 0.5, accuracy: 1e-9)
        XCTAssertEqual(bottom.y, 255.5, accuracy: 1e-9)
        XCTAssertEqual(td.a / td.d, (191.0 / 192) / (255.0 / 256), accuracy: 1e-12)
    }

    func testWarpIdentityAndTranslation() {
        let image = gradientImage(width: 12, height: 8)
        XCTAssertEqual(image.warped(by: .identity, width: 12, height: 8), image)
        let shifted = image.warped(by: .translation(3, 1), width: 12, height: 8, interpolation: .nearest, fill: 1)
        XCTAssertEqual(shifted[5, 4, 2], image[2, 3, 2])
        XCTAssertEqual(shifted[0, 0, 0], 1)
        // Bilinear at integer shifts samples exactly on centres.
        XCTAssertEqual(image.warped(by: .translation(-2, 0), width: 10, height: 8)[0, 0, 1], image[2, 0, 1])
    }

    func testColourConversionAndNormalisation() {
        let rgba = Image(width: 1, height: 1, channels: 4, pixels: [200, 100, 0, 128])
        XCTAssertEqual(rgba.toRGB(background: (0, 0, 255)).pixels, [100, 50, 127])
        XCTAssertEqual(Image(width: 1, height: 1, channels: 3, pixels: [255, 255, 255]).toGray().pixels, [255])
        XCTAssertEqual(Image(width: 1, height: 1, channels: 1, pixels: [7]).toRGB().pixels, [7, 7, 7])
        let image = gradientImage(width: 5, height: 4)
        let n = image.normalized(.imagenet)
        XCTAssertEqual([n.channels, n.height, n.width], [3, 4, 5])
        XCTAssertEqual(n[1, 2, 0], (Float(image[1, 2, 0]) - 123.675) / 58.395, accuracy: 1e-5)
        XCTAssertEqual(n[1, 2, 2], (Float(image[1, 2, 2]) - 103.53) / 57.375, accuracy: 1e-5)
        XCTAssertEqual(n.denormalized(.imagenet), image)
    }
}
