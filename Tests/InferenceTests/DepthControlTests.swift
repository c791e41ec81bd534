import SapiensData
import Foundation
import Inference
import XCTest

final class DepthControlTests: XCTestCase {
    func testNearIsBrightFarIsTheFloorBackgroundIsBlack() {
        let w = 10, h = 10
        // Relative depth increasing to the right (larger = farther); the left column is background.
        let depth = (0..<(w * h)).map { Float($0 % w) / Float(w - 1) }
        let fg = (0..<(w * h)).map { $0 % w != 0 }
        let img = DepthControl.image(depth: depth, width: w, height: h, foreground: fg, personFloor: 32)
        XCTAssertEqual(img.channels, 3)
        XCTAssertEqual(img.width, w)
        for y in 0..<h {
            XCTAssertEqual(img[0, y, 0], 0, "background")
            XCTAssertEqual(img[1, y, 0], 255, "nearest person pixel")
            XCTAssertEqual(img[w - 1, y, 0], 32, "farthest person pixel")
            for x in 1..<(w - 1) { XCTAssertGreaterThan(img[x, y, 0], img[x + 1, y, 0], "inverted: farther is darker") }
            XCTAssertEqual(img[5, y, 0], img[5, y, 2], "gray RGB")
        }
        let whole = DepthControl.image(depth: depth, width: w, height: h, foreground: nil)
        XCTAssertEqual(whole[0, 0, 0], 255); XCTAssertEqual(whole[w - 1, 0, 0], 0, "without a foreground the full range is used")
    }
}
