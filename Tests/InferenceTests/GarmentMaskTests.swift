import SapiensData
import Foundation
import Inference
import XCTest

final class GarmentMaskTests: XCTestCase {
    func testDistanceTransformIsExactEuclidean() {
        let w = 23, h = 17
        var rng = SeededRandom(seed: 9)
        let mask = (0..<(w * h)).map { _ in rng.chance(0.04) }
        let d = DistanceTransform.distance(to: mask, width: w, height: h)
        let on = (0..<(w * h)).filter { mask[$0] }
        XCTAssertFalse(on.isEmpty)
        for p in 0..<(w * h) {
            let brute = on.map { q -> Float in
                let dx = Float(p % w - q % w), dy = Float(p / w - q / w)
                return (dx * dx + dy * dy).squareRoot()
            }.min() ?? .infinity
            XCTAssertEqual(d[p], brute, accuracy: 1e-4, "pixel \(p)")
        }
        XCTAssertTrue(DistanceTransform.distance(to: [Bool](repeating: false, count: 6), width: 3, height: 2).allSatisfy { $0 == .infinity })
    }

    func testGarmentSpecs() throws {
        let names = SegClasses.sapiens28.names
        func ids(_ s: Set<UInt8>) -> Set<String> { Set(s.map { names[Int($0)] }) }
        XCTAssertEqual(ids(try GarmentMask.classes(for: "upper")), ["Upper_Clothing"])
        XCTAssertEqual(ids(try GarmentMask.classes(for: "lower")), ["Lower_Clothing"])
        XCTAssertEqual(ids(try GarmentMask.classes(for: "full")), ["Upper_Clothing", "Lower_Clothing", "Apparel"])
        XCTAssertEqual(ids(try GarmentMask.classes(for: "upper", arms: true, torso: true)),
                       ["Upper_Clothing", "Left_Upper_Arm", "Left_Lower_Arm", "Right_Upper_Arm", "Right_Lower_Arm", "Torso"])
        XCTAssertEqual(try GarmentMask.classes(for: "torso, 12"), [21, 12], "names are case-insensitive; ids work")
        XCTAssertThrowsError(try GarmentMask.classes(for: "Scarf")) { e in XCTAssertTrue("\(e)".contains("--garment") && "\(e)".contains("Scarf"), "\(e)") }
        XCTAssertThrowsError(try GarmentMask.classes(for: "0"), "Background is not a garment")
    }

    func testWeightsAreFullOnTheDilatedGarmentRampOverTheFeatherAndZeroBeyond() {
        let w = 40, h = 30
        var seg = [UInt8](repeating: 0, count: w * h)
        for y in 10..<20 { for x in 12..<28 { seg[y * w + x] = 22 } }          // Upper_Clothing
        for y in 20..<28 { for x in 12..<28 { seg[y * w + x] = 12 } }          // Lower_Clothing
        let m = GarmentMask(classes: [22], dilation: 2, feather: 4)
        let wts = m.weights(seg, width: w, height: h)
        let d = DistanceTransform.distance(to: seg.map { $0 == 22 }, width: w, height: h)
        for p in 0..<(w * h) {
            if d[p] <= 2 { XCTAssertEqual(wts[p], 255, "dilated garment at \(p)") }
            else if d[p] >= 6 { XCTAssertEqual(wts[p], 0, "beyond the feather at \(p)") }
            else { XCTAssertTrue(wts[p] > 0 && wts[p] < 255, "feather band at \(p): \(wts[p])") }
        }
        // Along a row leaving the garment, weights never increase.
        let row = 15 * w
        for x in 28..<(w - 1) { XCTAssertGreaterThanOrEqual(wts[row + x], wts[row + x + 1]) }
        XCTAssertEqual(wts[27 * w + 20], 0, "trousers beyond the shirt's dilation + feather stay out")
        XCTAssertEqual(GarmentMask(classes: [22], dilation: 0, feather: 0).weights(seg, width: w, height: h), seg.map { $0 == 22 ? 255 : 0 })
    }
}
