import SapiensData
import XCTest

final class UDPHeatmapTests: XCTestCase {
    let codec = UDPHeatmap(inputWidth: 96, inputHeight: 128, heatmapWidth: 24, heatmapHeight: 32, sigma: 1.5)

    func testEncodeThenDecodeRecoversSubPixelPositions() {
        let points: [(Float, Float)] = [(10.3, 20.7), (47.9, 63.2), (80.5, 111.1), (30.0, 5.5)]
        let kp: [Float] = points.flatMap { [$0.0, $0.1, Float(2)] }
        let (maps, weights) = codec.encode(keypoints: kp, count: points.count)
        XCTAssertEqual(weights, [1, 1, 1, 1])
        let decoded = codec.decode(maps, count: points.count)
        for (p, d) in zip(points.prefix(3), decoded) {
            // One heatmap pixel is 4 input pixels; DARK must do far better than the 2 px of a plain arg-max.
            XCTAssertEqual(d.x, p.0, accuracy: 0.5, "x of \(p)")
            XCTAssertEqual(d.y, p.1, accuracy: 0.5, "y of \(p)")
            XCTAssertGreaterThan(d.score, 0.8)
        }
        // The last point is 1.2 heatmap pixels from the top edge. mmpose's DARK blurs the map zero-padded, which
        // pulls such a peak inwards by about a pixel; decoding as mmpose does keeps that (x is unaffected).
        XCTAssertEqual(decoded[3].x, 30, accuracy: 0.5)
        XCTAssertGreaterThan(decoded[3].y, 5.5 + 0.5)
        XCTAssertLessThan(decoded[3].y, 5.5 + 1.5)
    }

    func testUnlabelledAndFarOutsideKeypointsGetZeroWeightAndEmptyMaps() {
        let kp: [Float] = [40, 40, 0, -100, 50, 2, 50, 500, 1]
        let (maps, weights) = codec.encode(keypoints: kp, count: 3)
        XCTAssertEqual(weights, [0, 0, 0])
        XCTAssertEqual(maps.max(), 0)
    }

    func testMirroredHeatmapsMergeExactlyUnderUDP() {
        // A keypoint at x and its mirror at W - x give mirror-image heatmaps; merging them with a swap of
        // channels 0 and 1 must reproduce the direct maps exactly (UDP's point).
        let W: Float = 96
        let kp: [Float] = [20.25, 40, 2, 70.5, 90, 2]
        let mirroredKP: [Float] = [W - 70.5, 90, 2, W - 20.25, 40, 2]   // left/right swap their places
        let direct = codec.encode(keypoints: kp, count: 2).heatmaps
        let mirrored = codec.encode(keypoints: mirroredKP, count: 2).heatmaps
        let merged = UDPHeatmap.mergeFlipped(direct, mirrored, count: 2, width: 24, height: 32, flipIndex: [1, 0])
        for (a, b) in zip(direct, merged) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }
}

final class TopDownTests: XCTestCase {
    func testKeypointLandsOnTheSamePixelAsTheImageAfterTheCrop() {
        // A white dot in a dark image, labelled as keypoint 0: after the top-down warp the brightest crop
        // pixel must be where the warped keypoint says.
        var img = Image(width: 200, height: 150, channels: 3, fill: 10)
        for c in 0..<3 { img[120, 60, c] = 255; img[121, 60, c] = 255; img[120, 61, c] = 255; img[121, 61, c] = 255 }
        var s = LabelledSample(image: img)
        s.boxes = [PersonBox(x: 90, y: 20, w: 60, h: 100)]
        s.numKeypoints = 1
        s.keypoints = [121, 61, 2]
        let (crop, _) = TopDownAugmentation.crop(s, person: 0, width: 48, height: 64)
        let kp = crop.keypoints!
        var best = (0, 0, UInt8(0))
        for y in 0..<64 { for x in 0..<48 where crop.image[x, y, 0] > best.2 { best = (x, y, crop.image[x, y, 0]) } }
        XCTAssertEqual(Float(best.0) + 0.5, kp[0], accuracy: 1.0)
        XCTAssertEqual(Float(best.1) + 0.5, kp[1], accuracy: 1.0)
        XCTAssertEqual(kp[2], 2)
    }

    func testAugmentedCropKeepsOnlyThatPersonAndSwapsOnFlip() {
        var s = LabelledSample(image: Image(width: 100, height: 100, channels: 3, fill: 50))
        s.boxes = [PersonBox(x: 10, y: 10, w: 30, h: 60), PersonBox(x: 60, y: 20, w: 30, h: 60)]
        s.numKeypoints = 2
        s.keypoints = [20, 30, 2, 30, 30, 2, 70, 40, 2, 80, 40, 2]
        let aug = TopDownAugmentation(outWidth: 24, outHeight: 32, scale: 1...1, rotationProbability: 0, shiftProbability: 0,
                                      flipProbability: 1, backgroundProbability: 0, jitter: nil, keypointFlip: [1, 0])
        var rng = SeededRandom(seed: 1)
        let out = aug.apply(s, person: 1, rng: &rng)
        XCTAssertEqual(out.keypoints!.count, 6, "only person 1's two keypoints")
        // Flipped: the former right keypoint (x 80) is now keypoint 0 and lies left of keypoint 1.
        XCTAssertLessThan(out.keypoints![0], out.keypoints![3])
    }
}

final class LetterboxTests: XCTestCase {
    func testPlacesAndUndoesAWideImage() {
        let lb = Letterbox(sourceWidth: 400, sourceHeight: 200, inputWidth: 96, inputHeight: 128)
        XCTAssertEqual(lb.width, 96)
        XCTAssertEqual(lb.height, 48)
        XCTAssertEqual(lb.y, 40)
        // A map that is the x coordinate of the input comes back as (about) the x coordinate of the source.
        var plane = [Float](repeating: -1, count: 96 * 128)
        for y in 40..<88 { for x in 0..<96 { plane[y * 96 + x] = Float(x) + 0.5 } }
        let back = lb.undo(planar: plane, channels: 1)
        XCTAssertEqual(back.count, 400 * 200)
        XCTAssertEqual(back[100 * 400 + 200], 48, accuracy: 0.6)
        XCTAssertFalse(back.contains(-1), "padding must not leak into the result")
        let ids = lb.undoArgmax(planar: plane.map { $0 > 48 ? 0 : 1 } + plane.map { $0 > 48 ? 1 : 0 }, channels: 2)
        XCTAssertEqual(ids[10 * 400 + 10], 0)
        XCTAssertEqual(ids[10 * 400 + 390], 1)
    }

    func testIdentityWhenSizesMatch() {
        let lb = Letterbox(sourceWidth: 96, sourceHeight: 128, inputWidth: 96, inputHeight: 128)
        XCTAssertTrue(lb.isIdentity)
        let v = (0..<(96 * 128)).map(Float.init)
        XCTAssertEqual(lb.undo(planar: v, channels: 1), v)
    }
}
