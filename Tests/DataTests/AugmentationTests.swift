import XCTest
import SapiensData

/// A 24x16 sample whose labels all say where "left" things are: a left-foot seg blob, a left-shoulder keypoint,
/// a normal pointing right, depth growing with x, a mask over the left half, one box.
func sidedSample() -> LabelledSample {
    let W = 24, H = 16
    var s = LabelledSample(image: gradientImage(width: W, height: H))
    var seg = [UInt8](repeating: 0, count: W * H)
    for y in 4..<7 { for x in 3..<6 { seg[y * W + x] = 4 } }   // Left_Foot
    seg[0] = 255
    s.seg = seg
    var kp = [Float](repeating: 0, count: 17 * 3)
    kp[5 * 3] = 4.5; kp[5 * 3 + 1] = 5.5; kp[5 * 3 + 2] = 2     // left_shoulder on the blob's centre pixel
    kp[0] = 12.5; kp[1] = 2.5; kp[2] = 1
    s.keypoints = kp
    s.numKeypoints = 17
    s.depth = (0..<(W * H)).map { $0 % W == 0 ? 0 : Float($0 % W) * 0.5 }
    s.normals = (0..<(W * H)).flatMap { $0 % 7 == 0 ? [Float(0), 0, 0] : [Float(0.6), 0, -0.8] }
    s.mask = (0..<(W * H)).map { $0 % W < W / 2 ? 255 : 0 }
    s.boxes = [PersonBox(x: 2, y: 3, w: 8, h: 10, score: 0.9)]
    return s
}

final class AugmentationTests: XCTestCase {
    let flip = KeypointSchema.coco17.flipIndex
    let segFlip = SegClasses.sapiens28.flipMap

    func testFlipTwiceIsIdentity() {
        let s = sidedSample()
        XCTAssertEqual(s.flippedHorizontally(keypointFlip: flip, segFlip: segFlip).flippedHorizontally(keypointFlip: flip, segFlip: segFlip), s)
    }

    func testFlipSwapsSidesAndNegatesNormalX() throws {
        let s = sidedSample()
        let f = s.flippedHorizontally(keypointFlip: flip, segFlip: segFlip)
        let W = s.width
        // The left-foot blob at x 3..5 is now a right-foot blob at x 18..20.
        XCTAssertEqual(f.seg?[5 * W + 19], 13)
        XCTAssertEqual(f.seg?[5 * W + 4], 0)
        XCTAssertEqual(f.seg?[W - 1], 255)
        let kp = try XCTUnwrap(f.keypoints)
        XCTAssertEqual(kp[6 * 3], Float(W) - 4.5)     // the left shoulder became the right shoulder
        XCTAssertEqual(kp[6 * 3 + 2], 2)
        XCTAssertEqual(kp[5 * 3 + 2], 0)
        XCTAssertEqual(kp[0], Float(W) - 12.5)        // the nose has no partner and stays index 0
        let n = try XCTUnwrap(f.normals)
        XCTAssertEqual(Array(n[(1 * W + W - 2) * 3..<((1 * W + W - 2) * 3 + 3)]), [-0.6, 0, -0.8])
        XCTAssertEqual(f.boxes[0].x, Float(W) - 10)
        // The keypoint still sits on its blob.
        XCTAssertEqual(f.seg?[Int(kp[6 * 3 + 1]) * W + Int(kp[6 * 3])], 13)
    }

    func testKeypointsLandOnTheirLabelAfterWarps() throws {
        var rng = SeededRandom(seed: 3)
        var checked = 0
        for _ in 0..<20 {
            let map = Affine2D.crop(x: rng.uniform(-4, 4), y: rng.uniform(-4, 4), width: rng.uniform(12, 20), height: rng.uniform(8, 14),
                                    toWidth: 48, toHeight: 32, rotationDegrees: rng.uniform(-60, 60))
            let w = sidedSample().warped(by: map, width: 48, height: 32)
            let kp = try XCTUnwrap(w.keypoints)
            guard kp[5 * 3 + 2] > 0 else { continue }
            checked += 1
            XCTAssertEqual(w.seg?[Int(kp[5 * 3 + 1]) * 48 + Int(kp[5 * 3])], 4, "map \(map)")
        }
        XCTAssertGreaterThan(checked, 10)
    }

    func testWarpNeverBlendsLabelValues() throws {
        let s = sidedSample()
        let map = Affine2D.crop(x: 1, y: 1, width: 20, height: 13, toWidth: 31, toHeight: 23, rotationDegrees: 17)
        let w = s.warped(by: map, width: 31, height: 23)
        let depths = Set(try XCTUnwrap(s.depth))
        XCTAssertTrue(try XCTUnwrap(w.depth).allSatisfy { depths.contains($0) })
        XCTAssertTrue(try XCTUnwrap(w.seg).allSatisfy { [0, 4, 255].contains($0) })
        XCTAssertTrue(try XCTUnwrap(w.mask).allSatisfy { $0 == 0 || $0 == 255 })
        // Zooming 2x as "moving closer" halves depth.
        let zoomed = s.warped(by: .scale(2, 2), width: 48, height: 32, depthScaling: .divideByZoom)
        XCTAssertEqual(zoomed.depth?[5 * 48 + 9], (s.depth?[2 * 24 + 4] ?? 0) / 2)
    }

    func testRotationTurnsNormals() throws {
        var s = LabelledSample(image: Image(width: 8, height: 8, channels: 3))
        s.normals = [Float](repeating: 0, count: 64 * 3)
        for p in 0..<64 { s.normals?[3 * p] = 1 }
        let map = Affine2D.crop(x: 0, y: 0, width: 8, height: 8, toWidth: 8, toHeight: 8, rotationDegrees: 90)
        let n = try XCTUnwrap(s.warped(by: map, width: 8, height: 8).normals)
        // Turned a quarter counter-clockwise on screen, "right" becomes "up" (-y in OpenCV axes).
        XCTAssertEqual(n[(4 * 8 + 4) * 3], 0, accuracy: 1e-6)
        XCTAssertEqual(n[(4 * 8 + 4) * 3 + 1], -1, accuracy: 1e-6)
    }

    func testBackgroundCompositeKeepsForeground() {
        let s = sidedSample()
        let bg = Image(width: 5, height: 5, channels: 3, fill: 42)
        let c = s.compositedOver(bg)
        let W = s.width
        XCTAssertEqual(c.image[W - 1, 3, 0], 42)
        XCTAssertEqual(c.image[2, 3, 1], s.image[2, 3, 1])
        XCTAssertEqual(c.seg, s.seg)
    }

    func testPhotometricJitterNeutralSettingsChangeNothing() {
        let image = gradientImage(width: 9, height: 7)
        let same = PhotometricJitter.adjust(image, brightness: 1, contrast: 1, saturation: 1, hueRadians: 0)
        XCTAssertLessThanOrEqual(meanAbsoluteDifference(same, image), 0.5)
        let gray = PhotometricJitter.adjust(image, brightness: 1, contrast: 1, saturation: 0, hueRadians: 0)
        XCTAssertTrue((0..<63).allSatisfy { abs(Int(gray.pixels[3 * $0]) - Int(gray.pixels[3 * $0 + 2])) <= 1 })
    }

    func testFineTuneAugmentationIsDeterministicAndConsistent() throws {
        let aug = FineTuneAugmentation(outWidth: 32, outHeight: 48, keypointFlip: flip)
        var r1 = SeededRandom(seed: 9, epoch: 1, index: 5), r2 = SeededRandom(seed: 9, epoch: 1, index: 5)
        let a = aug.apply(sidedSample(), rng: &r1), b = aug.apply(sidedSample(), rng: &r2)
        XCTAssertEqual(a, b)
        XCTAssertEqual([a.width, a.height], [32, 48])
        XCTAssertEqual(a.seg?.count, 32 * 48)
        XCTAssertEqual(a.normals?.count, 32 * 48 * 3)
    }

    func testRandomResizedCropBoxesStayInRange() {
        var rng = SeededRandom(seed: 1)
        for _ in 0..<200 {
            let b = MAEAugmentation.randomResizedCropBox(width: 300, height: 200, scale: 0.2...1, ratio: 0.75...(4.0 / 3), rng: &rng)
            XCTAssertTrue(b.x >= 0 && b.y >= 0 && b.x + b.w <= 300 && b.y + b.h <= 200)
            let area = Double(b.w * b.h) / 60000
            XCTAssertTrue(area > 0.18 && area <= 1.0, "\(b)")
        }
    }

    func testMAEAugmentationShapeAndDeterminism() {
        let aug = MAEAugmentation(size: 32)
        let image = gradientImage(width: 50, height: 40)
        var r1 = SeededRandom(seed: 4, epoch: 0, index: 1), r2 = SeededRandom(seed: 4, epoch: 0, index: 1), r3 = SeededRandom(seed: 4, epoch: 1, index: 1)
        let a = aug.apply(image, rng: &r1)
        XCTAssertEqual([a.channels, a.height, a.width], [3, 32, 32])
        XCTAssertEqual(a, aug.apply(image, rng: &r2))
        XCTAssertNotEqual(a, aug.apply(image, rng: &r3))
    }
}
