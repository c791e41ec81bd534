import SapiensData
import Foundation
import Inference
import XCTest

final class GarmentRecolorTests: XCTestCase {
    /// A shaded orange "garment" (lightness varies across it, like folds) on a gray image.
    func shadedGarment() -> (Image, [UInt8]) {
        let w = 40, h = 30
        var img = Image(width: w, height: h, channels: 3, fill: 128)
        var wts = [UInt8](repeating: 0, count: w * h)
        for y in 5..<25 {
            for x in 8..<32 {
                let shade = 0.55 + 0.45 * Float(x - 8) / 24
                let p = y * w + x
                img.pixels[3 * p] = UInt8(230 * shade); img.pixels[3 * p + 1] = UInt8(120 * shade); img.pixels[3 * p + 2] = UInt8(40 * shade)
                wts[p] = 255
            }
        }
        return (img, wts)
    }

    func testSolidRecolourKeepsLightnessAndTakesTheTargetHue() {
        let (img, wts) = shadedGarment()
        let target: (UInt8, UInt8, UInt8) = (40, 90, 170)
        let out = GarmentRecolor(colour: target).apply(img, weights: wts)
        let t = Lab(r: target.0, g: target.1, b: target.2)
        var hueError: Float = 0, n: Float = 0
        for p in 0..<(img.width * img.height) {
            let a = Lab(r: img.pixels[3 * p], g: img.pixels[3 * p + 1], b: img.pixels[3 * p + 2])
            let b = Lab(r: out.pixels[3 * p], g: out.pixels[3 * p + 1], b: out.pixels[3 * p + 2])
            if wts[p] == 0 {
                XCTAssertEqual(Array(out.pixels[(3 * p)..<(3 * p + 3)]), Array(img.pixels[(3 * p)..<(3 * p + 3)]), "outside untouched")
                continue
            }
            XCTAssertEqual(b.l, a.l, accuracy: 1.0, "lightness (the shading) is kept at pixel \(p)")
            hueError += abs(atan2f(b.b, b.a) - atan2f(t.b, t.a)); n += 1
            XCTAssertLessThan(b.b, 0, "now blue (b* < 0), was orange")
        }
        XCTAssertLessThan(hueError / n, 0.15, "hue follows the target")
    }

    func testPatternKeepsShadingAsALightnessOffset() {
        let (img, wts) = shadedGarment()
        var r = GarmentRecolor(colour: (90, 110, 170), pattern: .stripes)
        r.period = 6
        XCTAssertEqual(r.lightness, 1)
        let out = r.apply(img, weights: wts)
        // Within one stripe colour the change in L is the same everywhere, so the original's gradient survives.
        var deltas: [Float] = []
        var lights = Set<Int>()
        for p in 0..<(img.width * img.height) where wts[p] > 0 {
            let a = Lab(r: img.pixels[3 * p], g: img.pixels[3 * p + 1], b: img.pixels[3 * p + 2])
            let b = Lab(r: out.pixels[3 * p], g: out.pixels[3 * p + 1], b: out.pixels[3 * p + 2])
            lights.insert(Int(b.l - a.l))
            if (p / img.width) % 6 == 0 { deltas.append(b.l - a.l) }   // rows in the middle of the first colour's stripes
        }
        XCTAssertGreaterThan(lights.count, 2, "two stripe colours show up")
        let spread = (deltas.max() ?? 0) - (deltas.min() ?? 0)
        XCTAssertLessThan(spread, 2.5, "a constant lightness offset within a stripe: shading preserved")
    }

    func testColourParsing() throws {
        XCTAssertTrue(try Lab.parseColour("#2a4d8f") == (0x2a, 0x4d, 0x8f))
        XCTAssertTrue(try Lab.parseColour("10, 20,30") == (10, 20, 30))
        XCTAssertThrowsError(try Lab.parseColour("navy")) { e in XCTAssertTrue("\(e)".contains("--colour"), "\(e)") }
    }

    func testLabRoundTrip() {
        for (r, g, b) in [(0, 0, 0), (255, 255, 255), (200, 30, 90), (12, 250, 130)] as [(UInt8, UInt8, UInt8)] {
            let back = Lab(r: r, g: g, b: b).rgb
            XCTAssertTrue(back == (r, g, b), "\((r, g, b)) -> \(back)")
        }
    }
}
