import SapiensData
import Foundation
import XCTest

/// Our pose decoding, flip merge and top-down crop against mmpose's own functions, on the golden vectors that
/// `scripts/mmpose_decode_golden.py` wrote from mmpose's sources (open-mmlab/mmpose 759b39c; the functions
/// used are the same in the copy the official Sapiens repository ships).
final class MMPoseDecodeGoldenTests: XCTestCase {
    struct Golden: Decodable {
        struct Decode: Decodable {
            var input_size: [Int], heatmap_size: [Int], names: [String]
            var heatmaps: String, keypoints: [Double], scores: [Double]
        }
        struct Flip: Decodable {
            var input_size: [Int], heatmap_size: [Int], flip_indices: [Int]
            var direct: String, mirrored: String, merged: String, keypoints: [Double], scores: [Double]
        }
        struct Crop: Decodable {
            var box: [Double], input_size: [Int], center: [Double], scale: [Double], fixed_scale: [Double]
            var warp: [Double], points: [Double], back_mapped: [Double]
        }
        struct Warp: Decodable { var box: [Double], size: [Int], matrix: [Double], output: String }
        struct WarpImage: Decodable { var width: Int, height: Int, pixels: String }
        var decode: [Decode], flip: [Flip], crop: [Crop], warp: [Warp], warp_image: WarpImage
    }

    static func load() throws -> Golden {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/mmpose_decode_golden.json").path
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "missing \(path)")
        return try JSONDecoder().decode(Golden.self, from: data)
    }

    static func floats(_ base64: String) throws -> [Float] {
        let bytes = try XCTUnwrap(Data(base64Encoded: base64))
        var out: [Float] = []
        out.reserveCapacity(bytes.count / 4)
        for i in stride(from: 0, to: bytes.count - 3, by: 4) {
            var bits = UInt32(bytes[i + 3])
            bits = bits << 8 | UInt32(bytes[i + 2])
            bits = bits << 8 | UInt32(bytes[i + 1])
            bits = bits << 8 | UInt32(bytes[i])
            out.append(Float(bitPattern: bits))
        }
        return out
    }

    static func bytes(_ base64: String) throws -> [UInt8] { [UInt8](try XCTUnwrap(Data(base64Encoded: base64))) }

    func testDecodeEqualsMMPoseUDPHeatmapWithDarkUDP() throws {
        let golden = try Self.load()
        XCTAssertEqual(golden.decode.count, 3)
        for group in golden.decode {
            let maps = try Self.floats(group.heatmaps)
            let k = group.names.count
            let decoder = MMPoseHeatmapDecoder(inputWidth: group.input_size[0], inputHeight: group.input_size[1],
                                               heatmapWidth: group.heatmap_size[0], heatmapHeight: group.heatmap_size[1])
            let got = decoder.decode(maps, count: k)
            XCTAssertEqual(got.count, k)
            for (j, p) in got.enumerated() {
                let what = "\(group.heatmap_size) \(group.names[j])"
                // A map whose maximum is not positive is refined at (−1, −1) from a stencil that reads other
                // maps' edges, where the Hessian can be nearly singular (regularised by float32's epsilon only):
                // one-ulp differences between OpenCV's blur and ours move such a point by up to ~0.1 heatmap
                // pixels. Those points score ≤ 0 and are never shown; every other point must agree to 1e-4 px.
                let tolerance = group.scores[j] > 0 ? 1e-4 : 0.5
                XCTAssertEqual(p.x, group.keypoints[2 * j], accuracy: tolerance, "x of \(what)")
                XCTAssertEqual(p.y, group.keypoints[2 * j + 1], accuracy: tolerance, "y of \(what)")
                XCTAssertEqual(Double(p.score), group.scores[j], accuracy: 1e-7, "score of \(what)")
            }
        }
    }

    func testFlipMergeEqualsMMPoseFlipHeatmapsWithoutShift() throws {
        let golden = try Self.load()
        for f in golden.flip {
            let (w, h) = (f.heatmap_size[0], f.heatmap_size[1])
            let k = f.flip_indices.count
            let merged = UDPHeatmap.mergeFlipped(try Self.floats(f.direct), try Self.floats(f.mirrored), count: k, width: w, height: h,
                                                 flipIndex: f.flip_indices)
            let want = try Self.floats(f.merged)
            XCTAssertEqual(merged.count, want.count)
            for (a, b) in zip(merged, want) { XCTAssertEqual(a, b, accuracy: 1e-7) }
            let got = MMPoseHeatmapDecoder(inputWidth: f.input_size[0], inputHeight: f.input_size[1], heatmapWidth: w, heatmapHeight: h)
                .decode(merged, count: k)
            for (j, p) in got.enumerated() {
                XCTAssertEqual(p.x, f.keypoints[2 * j], accuracy: 1e-4)
                XCTAssertEqual(p.y, f.keypoints[2 * j + 1], accuracy: 1e-4)
            }
        }
    }

    func testCropCentreScaleMatrixAndBackMappingEqualMMPose() throws {
        let golden = try Self.load()
        XCTAssertFalse(golden.crop.isEmpty)
        for c in golden.crop {
            let b = c.box.map(Float.init)
            let crop = TopDownCrop(mmposeBox: b[0], b[1], b[2], b[3], inputWidth: c.input_size[0], inputHeight: c.input_size[1])
            XCTAssertEqual(Double(crop.centerX), c.center[0], accuracy: 1e-5, "\(c.box)")
            XCTAssertEqual(Double(crop.centerY), c.center[1], accuracy: 1e-5)
            XCTAssertEqual(Double(crop.scaleWidth), c.fixed_scale[0], accuracy: 1e-4)
            XCTAssertEqual(Double(crop.scaleHeight), c.fixed_scale[1], accuracy: 1e-4)
            for (a, want) in zip(crop.warpMatrix, c.warp) { XCTAssertEqual(Double(a), want, accuracy: 1e-5 * max(1, abs(want)), "\(c.box)") }
            for i in 0..<(c.points.count / 2) {
                let p = crop.backMap(c.points[2 * i], c.points[2 * i + 1])
                XCTAssertEqual(p.x, c.back_mapped[2 * i], accuracy: 1e-4, "\(c.box) point \(i)")
                XCTAssertEqual(p.y, c.back_mapped[2 * i + 1], accuracy: 1e-4)
                // The continuous-frame version is the same map, half a pixel over on both sides.
                let q = crop.backMapContinuous(c.points[2 * i] + 0.5, c.points[2 * i + 1] + 0.5)
                XCTAssertEqual(q.x - 0.5, p.x, accuracy: 1e-9)
                XCTAssertEqual(q.y - 0.5, p.y, accuracy: 1e-9)
            }
            // Our PersonBox (continuous frame) of the same box gives the same crop.
            let same = TopDownCrop(box: PersonBox(x: b[0] + 0.5, y: b[1] + 0.5, w: b[2] - b[0], h: b[3] - b[1]),
                                   inputWidth: c.input_size[0], inputHeight: c.input_size[1])
            XCTAssertEqual(Double(same.centerX), c.center[0], accuracy: 1e-4)
            XCTAssertEqual(Double(same.scaleHeight), c.fixed_scale[1], accuracy: 1e-3)
        }
    }

    func testWarpMatchesOpenCVWarpAffineToOneLevel() throws {
        let golden = try Self.load()
        let wi = golden.warp_image
        let image = Image(width: wi.width, height: wi.height, channels: 3, pixels: try Self.bytes(wi.pixels))
        var differing = 0, total = 0
        for w in golden.warp {
            let out = OpenCVWarp.affineLinear(image, matrix: w.matrix, width: w.size[0], height: w.size[1])
            let want = try Self.bytes(w.output)
            XCTAssertEqual(out.pixels.count, want.count)
            for (a, b) in zip(out.pixels, want) {
                XCTAssertLessThanOrEqual(abs(Int(a) - Int(b)), 1, "\(w.box)")
                if a != b { differing += 1 }
                total += 1
            }
        }
        // Only rounding ties may differ (OpenCV fuses multiply-adds in its SIMD paths).
        XCTAssertLessThan(Double(differing), 0.03 * Double(total), "\(differing) of \(total) values differ")
    }

    func testTrainingCropHasTheInferenceCropsGeometry() {
        // Our models train on Affine2D.topDown crops (continuous frame) and are run through TopDownCrop (mmpose's
        // pixel-index frame): the two must be one map, half a pixel apart on each side.
        for (box, size) in [(PersonBox(x: 12.5, y: 30.25, w: 80, h: 210), (96, 128)), (PersonBox(x: 300, y: 20, w: 400, h: 150), (768, 1024))] {
            let train = Affine2D.topDown(box: box, toWidth: size.0, toHeight: size.1)
            let m = TopDownCrop(box: box, inputWidth: size.0, inputHeight: size.1).warpMatrix.map(Double.init)
            for (x, y) in [(0.0, 0.0), (Double(box.x), Double(box.y)), (Double(box.x + box.w), Double(box.y + box.h))] {
                let t = train.apply(x, y)
                let u = m[0] * (x - 0.5) + m[1] * (y - 0.5) + m[2] + 0.5
                let v = m[3] * (x - 0.5) + m[4] * (y - 0.5) + m[5] + 0.5
                XCTAssertEqual(t.x, u, accuracy: 1e-3)
                XCTAssertEqual(t.y, v, accuracy: 1e-3)
            }
        }
    }

    func testDegenerateInputsNeverTrap() {
        let d = MMPoseHeatmapDecoder(inputWidth: 8, inputHeight: 8, heatmapWidth: 4, heatmapHeight: 4)
        XCTAssertTrue(d.decode([Float](repeating: 1, count: 15), count: 1).isEmpty, "too few values")
        XCTAssertTrue(MMPoseHeatmapDecoder(inputWidth: 8, inputHeight: 8, heatmapWidth: 1, heatmapHeight: 4).decode([1, 2, 3, 4], count: 1).isEmpty)
        // An all-zero map is 0/0 in mmpose's rescaling: NaN, not a trap.
        let zero = d.decode([Float](repeating: 0, count: 16), count: 1)
        XCTAssertEqual(zero.count, 1)
        XCTAssertTrue(zero[0].x.isNaN)
        XCTAssertEqual(d.decode([Float](repeating: .nan, count: 16), count: 1).count, 1)
    }
}
