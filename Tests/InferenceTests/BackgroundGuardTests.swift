import Data
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
