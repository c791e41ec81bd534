import SapiensData
import Foundation
import Inference
import Synth
import Training
import XCTest

final class BackgroundGuardTests: XCTestCase {
    func testPlainBorderIsDetectedAndTexturedIsNot() {
        let plain = BackgroundCheck.measure(plainBackgroundImage())
        XCTAssertEqual(plain.finding, .plainBorder)
        XCTAssertEqual(plain.borderColour, [40, 200, 90])
        XCTAssertGreaterThan(plain.borderUniformity, 0.99)
        let busy = BackgroundCheck.measure(texturedImage())
        XCTAssertEqual(busy.finding, .usable)
        XCTAssertLessThan(busy.borderUniformity, 0.5)
    }

    func testThresholdsDecide() {
        var t = BackgroundCheck.Thresholds()
        t.minUniformBorder = 1.01   // nothing can be that uniform
        XCTAssertEqual(BackgroundCheck.measure(plainBackgroundImage(), thresholds: t).finding, .usable)
    }

    func testTransparentPixelsAreDetectedAndCompositedByAlpha() {
        var rgba = Image(width: 20, height: 20, channels: 4)
        for p in 0..<400 {
            let inside = (p % 20) >= 5 && (p % 20) < 15
            rgba.pixels[4 * p] = 200; rgba.pixels[4 * p + 1] = 10; rgba.pixels[4 * p + 2] = 10
            rgba.pixels[4 * p + 3] = inside ? 255 : 0
        }
        let g = BackgroundGuard().apply(rgba, name: "cut-out")
        XCTAssertEqual(g.check.finding, .transparent)
        XCTAssertEqual(g.check.transparentShare, 0.5, accuracy: 1e-9)
        XCTAssertTrue(g.composited)
        let bg = BackgroundGuard().background(width: 20, height: 20, name: "cut-out")
        for p in 0..<400 {
            let inside = (p % 20) >= 5 && (p % 20) < 15
            for c in 0..<3 {
                XCTAssertEqual(g.image.pixels[3 * p + c], inside ? rgba.pixels[4 * p + c] : bg.pixels[3 * p + c], "pixel \(p) channel \(c)")
            }
        }
    }

    func testKeyedCompositeReplacesTheBackgroundAndKeepsThePersonInterior() throws {
        let img = plainBackgroundImage()
        let g = BackgroundGuard().apply(img, name: "plain")
        XCTAssertTrue(g.composited)
        let fg = try XCTUnwrap(g.foreground)
        var replaced = 0, kept = 0, total = 0
        for p in 0..<(img.width * img.height) {
            let x = p % img.width, y = p / img.width
            let deepInside = abs(x - img.width / 2) < img.width / 5 - 2 && y > img.height / 6 + 2 && y < img.height * 5 / 6 - 2
            let farOutside = abs(x - img.width / 2) > img.width / 5 + 2 || y < img.height / 6 - 2 || y > img.height * 5 / 6 + 2
            if deepInside {
                XCTAssertEqual(fg[p], 1)
                kept += (0..<3).allSatisfy { g.image.pixels[3 * p + $0] == img.pixels[3 * p + $0] } ? 1 : 0
                total += 1
            }
            if farOutside { XCTAssertEqual(fg[p], 0); replaced += (0..<3).contains { g.image.pixels[3 * p + $0] != img.pixels[3 * p + $0] } ? 1 : 0 }
        }
        XCTAssertEqual(kept, total, "person pixels away from the edge are untouched")
        XCTAssertGreaterThan(replaced, img.width * img.height / 3, "the flat colour is gone")
        XCTAssertEqual(BackgroundCheck.measure(g.image).finding, .usable, "the composite has a background")
    }

    /// A noisy backdrop with specks beyond the colour tolerance, and a person whose edge column is half
    /// backdrop (anti-aliasing): the specks become background, the edge keeps its person half only, and the
    /// pixels next to the person are the new background's, with no fringe of the old colour.
    func testKeyedMatteLeavesNoFringeOfTheOldColour() throws {
        let w = 64, h = 80
        let key: [Int] = [40, 200, 90], person: [Int] = [200, 60, 60]
        var img = Image(width: w, height: h, channels: 3)
        let specks = [(5, 5), (50, 70), (10, 60), (56, 12)]
        for y in 0..<h {
            for x in 0..<w {
                let noise = (x * 7 + y * 13) % 17 - 8
                for c in 0..<3 {
                    let backdrop = key[c] + (c == 1 ? -noise : noise) + (specks.contains { $0 == (x, y) } ? (c == 1 ? -25 : 25) : 0)
                    let v: Int
                    if x >= 24 && x < 40 && y >= 16 && y < 64 { v = person[c] }
                    else if x == 23 && y >= 16 && y < 64 { v = (person[c] + backdrop) / 2 }
                    else { v = backdrop }
                    img[x, y, c] = UInt8(v)
                }
            }
        }
        let guardian = BackgroundGuard()
        let g = guardian.apply(img, name: "fringe")
        let fg = try XCTUnwrap(g.foreground)
        let bg = guardian.background(width: w, height: h, name: "fringe")
        for (x, y) in specks {
            XCTAssertEqual(fg[y * w + x], 0, "speck at \(x),\(y)")
            for c in 0..<3 { XCTAssertEqual(g.image[x, y, c], bg[x, y, c]) }
        }
        for y in 20..<60 {
            XCTAssertEqual(fg[y * w + 23], 0.5, accuracy: 0.1, "edge pixel at y \(y)")
            XCTAssertEqual(fg[y * w + 22], 0, "backdrop next to the person, y \(y)")
            XCTAssertEqual(fg[y * w + 30], 1)
            for c in 0..<3 {
                XCTAssertEqual(g.image[22, y, c], bg[22, y, c])
                XCTAssertEqual(Double(g.image[23, y, c]), Double(person[c] + Int(bg[23, y, c])) / 2, accuracy: 12, "edge pixel at y \(y), channel \(c)")
            }
        }
    }

    func testSwitchedOffGuardMeasuresButDoesNotComposite() {
        let img = plainBackgroundImage()
        let g = BackgroundGuard(enabled: false).apply(img, name: "plain")
        XCTAssertTrue(g.check.triggered)
        XCTAssertFalse(g.composited)
        XCTAssertEqual(g.image, img)
    }

    func testBackgroundChoiceIsReproducible() {
        let a = BackgroundGuard().background(width: 16, height: 12, name: "x.jpg")
        XCTAssertEqual(a, BackgroundGuard().background(width: 16, height: 12, name: "x.jpg"))
        XCTAssertNotEqual(a, BackgroundGuard().background(width: 16, height: 12, name: "y.jpg"))
    }

    /// The renderer's plain-colour people trigger the guard; its scenery does not (nearly never).
    func testSyntheticRendersWithAndWithoutBackgrounds() throws {
        let dir = scratchFolder("bgsynth")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func rate(_ bg: SynthConfig.Background) throws -> Double {
            let path = try ImageCorpus.renderSynthetic(images: 40, height: 128, width: 96, people: "1-2", seed: 11, cacheDir: dir, background: bg)
            let corpus = try LabelledCorpus.shards(folder: path, labels: LabelSpec())
            var n = 0
            for i in 0..<corpus.count where BackgroundCheck.measure(try corpus.sample(at: i).image).triggered { n += 1 }
            return Double(n) / Double(corpus.count)
        }
        XCTAssertGreaterThanOrEqual(try rate(.none), 0.95)
        XCTAssertLessThanOrEqual(try rate(.procedural), 0.05)
    }
}
