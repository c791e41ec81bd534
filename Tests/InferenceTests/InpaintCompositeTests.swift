import SapiensData
import Foundation
import Inference
import XCTest

final class InpaintCompositeTests: XCTestCase {
    func weights(_ w: Int, _ h: Int) -> [UInt8] {
        var seg = [UInt8](repeating: 0, count: w * h)
        for y in (h / 4)..<(h * 3 / 4) { for x in (w / 3)..<(w * 2 / 3) { seg[y * w + x] = 22 } }
        return GarmentMask(classes: [22], dilation: 2, feather: 5).weights(seg, width: w, height: h)
    }

    /// A generated image of the photo's shape at the generator's working size passes; one of another shape is
    /// flagged with how much fitting it would stretch it.
    func testStretchFlagsAGeneratedImageOfAnotherShape() throws {
        let photo = Image(width: 512, height: 341, channels: 3)
        XCTAssertNil(InpaintComposite.stretch(original: photo, generated: Image(width: 512, height: 341, channels: 3)))
        XCTAssertNil(InpaintComposite.stretch(original: photo, generated: Image(width: 1024, height: 680, channels: 3)), "8-px grid rounding")
        XCTAssertNil(InpaintComposite.stretch(original: Image(width: 2000, height: 50, channels: 3), generated: Image(width: 1024, height: 24, channels: 3)),
                     "a thin strip rounds by a large share of its short side")
        let s = try XCTUnwrap(InpaintComposite.stretch(original: photo, generated: Image(width: 1024, height: 1024, channels: 3)))
        XCTAssertEqual(s, 512.0 / 341 - 1, accuracy: 1e-9)
    }

    /// The try-on guarantee: every pixel whose feathered weight is 0 is the original, bit for bit, whatever the
    /// generated image's size; weight 255 takes the (resized) generated pixel.
    func testOutsideTheMaskIsBitIdenticalForEveryGeneratedSize() throws {
        let w = 61, h = 47
        let original = randomImage(width: w, height: h, seed: 1)
        let wts = weights(w, h)
        XCTAssertTrue(wts.contains(0) && wts.contains(255) && wts.contains { $0 > 0 && $0 < 255 })
        for (gw, gh) in [(w, h), (128, 96), (40, 40), (1024, 768)] {
            let generated = randomImage(width: gw, height: gh, seed: 2)
            let out = try InpaintComposite.composite(original: original, generated: generated, weights: wts)
            XCTAssertEqual(out.width, w); XCTAssertEqual(out.height, h); XCTAssertEqual(out.channels, 3)
            let resized = gw == w && gh == h ? generated : generated.resized(width: w, height: h, interpolation: .bicubic, antialias: true)
            var changedInside = 0
            for p in 0..<(w * h) {
                for c in 0..<3 {
                    switch wts[p] {
                    case 0: XCTAssertEqual(out.pixels[3 * p + c], original.pixels[3 * p + c], "outside the mask, pixel \(p), generated \(gw)x\(gh)")
                    case 255: XCTAssertEqual(out.pixels[3 * p + c], resized.pixels[3 * p + c])
                    default:
                        let lo = min(original.pixels[3 * p + c], resized.pixels[3 * p + c]), hi = max(original.pixels[3 * p + c], resized.pixels[3 * p + c])
                        XCTAssertTrue((lo...hi).contains(out.pixels[3 * p + c]), "feather blends between the two")
                    }
                    if wts[p] == 255 && out.pixels[3 * p + c] != original.pixels[3 * p + c] { changedInside += 1 }
                }
            }
            XCTAssertGreaterThan(changedInside, 0, "the generated pixels arrive")
        }
    }

    func testGrayAndRGBAOriginalsKeepTheirPixels() throws {
        let w = 30, h = 20, wts = weights(w, h)
        let gray = randomImage(width: w, height: h, channels: 1, seed: 3)
        let out = try InpaintComposite.composite(original: gray, generated: randomImage(width: 64, height: 64, seed: 4), weights: wts)
        XCTAssertEqual(out.channels, 3)
        for p in 0..<(w * h) where wts[p] == 0 { for c in 0..<3 { XCTAssertEqual(out.pixels[3 * p + c], gray.pixels[p]) } }
        let rgba = randomImage(width: w, height: h, channels: 4, seed: 5)
        let out4 = try InpaintComposite.composite(original: rgba, generated: randomImage(width: w, height: h, seed: 6), weights: wts)
        XCTAssertEqual(out4.channels, 4)
        for p in 0..<(w * h) {
            XCTAssertEqual(out4.pixels[4 * p + 3], rgba.pixels[4 * p + 3], "alpha is kept")
            if wts[p] == 0 { XCTAssertEqual(Array(out4.pixels[(4 * p)..<(4 * p + 4)]), Array(rgba.pixels[(4 * p)..<(4 * p + 4)])) }
        }
        XCTAssertThrowsError(try InpaintComposite.composite(original: gray, generated: gray, weights: [0, 1])) { e in
            XCTAssertTrue("\(e)".contains("30x20"), "\(e)")
        }
    }
}
