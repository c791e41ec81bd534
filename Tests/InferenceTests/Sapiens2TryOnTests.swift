import SapiensData
import Foundation
import Inference
import Models
import Tasks
import XCTest

/// Try-on on Sapiens2 hub folders (the small save_pretrained fixtures): the 29-class garment groups, seg, depth
/// (the pointmap's Z) and normals equal to what `sapiens infer` writes for the same folders, and the guard's
/// cut-out from a matting folder.
final class Sapiens2TryOnTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Sapiens2Parity").path

    func folder(_ name: String) throws -> TryOnModel {
        .sapiens2(try Sapiens2Checkpoint.load(folder: Self.root + "/" + name), path: Self.root + "/" + name)
    }

    func testGarmentGroupsFollowTheVocabulary() throws {
        let v2 = GarmentVocabulary.sapiens2, v1 = GarmentVocabulary.sapiens28
        XCTAssertEqual(v2.count, 29)
        // docs/SEG.md of facebookresearch/sapiens2: Apparel 1, Eyeglass 2, Lower_Clothing 13, Torso 22, Upper_Clothing 23.
        XCTAssertEqual(try v2.classes(for: "upper"), [23])
        XCTAssertEqual(try v2.classes(for: "lower"), [13])
        XCTAssertEqual(try v2.classes(for: "full"), [23, 13, 1])
        XCTAssertEqual(try v2.classes(for: "upper", arms: true, torso: true), [23, 7, 11, 16, 20, 22])
        XCTAssertEqual(try v2.classes(for: "eyeglass, 28"), [2, 28], "names are case-insensitive; ids up to 28 work")
        XCTAssertThrowsError(try v2.classes(for: "29")) { e in XCTAssertTrue("\(e)".contains("Sapiens2-29") && "\(e)".contains("1…28"), "\(e)") }
        // The v1 ids are one lower from Face_Neck on, and v1 has no Eyeglass.
        XCTAssertEqual(try v1.classes(for: "upper", arms: true, torso: true), [22, 6, 10, 15, 19, 21])
        XCTAssertThrowsError(try v1.classes(for: "Eyeglass"))
        XCTAssertEqual(GarmentVocabulary.forClassCount(29), .sapiens2)
        XCTAssertEqual(GarmentVocabulary.forClassCount(28), .sapiens28)
        XCTAssertNil(GarmentVocabulary.forClassCount(20))
        XCTAssertEqual(v2.names(of: [23, 13]), ["Lower_Clothing", "Upper_Clothing"])
    }

    /// Seg, depth and normals on the photo equal the files `sapiens infer` writes for the same folders, and the
    /// bundle names the Sapiens2 classes.
    func testSapiens2FoldersGiveTheInferOutputs() throws {
        let dir = scratchFolder("s2tryon")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let photo = try ImageCodec.load(path: Self.root + "/image.png")
        let (w, h) = (photo.width, photo.height)
        for name in ["seg", "pointmap", "normal"] {
            try Sapiens2Runner(model: try Sapiens2Checkpoint.load(folder: Self.root + "/" + name)).run(photo, stem: name, outDir: dir)
        }
        let t = try TryOn(seg: folder("seg"), depth: folder("pointmap"), normal: folder("normal"), mask: GarmentMask(classes: []))
        XCTAssertEqual(t.vocabulary, .sapiens2)
        t.inference.backgroundGuard.enabled = false   // the files above are of the photo as it is
        t.mask = GarmentMask(classes: Set(1...28), dilation: 0, feather: 0)
        let o = try TryOnJob.run(t, photo: photo, name: "p", request: TryOnRequest(prompt: "x"),
                                 finish: .fallback(GarmentRecolor(colour: (200, 0, 0))), outDir: dir)
        let r = o.analysis.result
        XCTAssertEqual(r.seg, try ImageCodec.load(path: dir + "/seg.seg.png").pixels)
        let points = try NPY.read(path: dir + "/pointmap.pointmap.npy")
        XCTAssertEqual(points.shape, [3, h, w])
        XCTAssertEqual(r.depth, Array(points.values[(2 * w * h)...]), "depth is the pointmap's Z")
        let normals = try NPY.read(path: dir + "/normal.normal.npy").values
        let hwc = try XCTUnwrap(r.normals)
        XCTAssertEqual(hwc.count, 3 * w * h)
        for p in stride(from: 0, to: w * h, by: 37) { for c in 0..<3 { XCTAssertEqual(hwc[3 * p + c], normals[c * w * h + p]) } }
        XCTAssertEqual(o.garmentClasses.count, 28)
        XCTAssertEqual(o.garmentClasses[1], "Eyeglass")
        let request = try TryOnRequest.read(path: dir + "/request.json")
        XCTAssertEqual(request.garmentClasses, o.garmentClasses)
        for f in ["mask.png", "control.png", "seg_vis.png", "fallback.png"] { XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/" + f), f) }
    }

    /// On a plain backdrop the guard composites a background through the matting folder's alpha (the one
    /// `sapiens infer` writes as alpha.png), and depth runs on that composite.
    func testMattingAlphaCutsThePersonOutBeforeDepth() throws {
        let dir = scratchFolder("s2matte")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let photo = plainBackgroundImage(width: 60, height: 80)
        let (w, h, n) = (60, 80, 60 * 80)
        try Sapiens2Runner(model: try Sapiens2Checkpoint.load(folder: Self.root + "/matting")).run(photo, stem: "m", outDir: dir)
        let written = try ImageCodec.load(path: dir + "/m.alpha.png").pixels

        let matted = try TryOn(seg: folder("seg"), depth: folder("pointmap"), matting: folder("matting"), mask: GarmentMask(classes: [23]))
        let a = try matted.analyse(photo, name: "plain")
        let g = try XCTUnwrap(a.result.guarded)
        XCTAssertEqual(g.check.finding, .plainBorder)
        XCTAssertTrue(g.composited && g.matted)
        let alpha = try XCTUnwrap(g.foreground)
        XCTAssertEqual(alpha.count, n)
        for p in 0..<n { XCTAssertEqual(Float(written[p]), (alpha[p] * 255).rounded(), accuracy: 0.5, "alpha at \(p)") }
        XCTAssertTrue(alpha.contains { $0 > 0 && $0 < 1 }, "the fixture's matte is soft, so the blend below is exercised")
        // Each pixel: the photo where alpha is 1, else the predicted pre-multiplied person plus (1 - alpha) of the background.
        let bg = matted.inference.backgroundGuard.background(width: w, height: h, name: "plain")
        let m = try XCTUnwrap(try Sapiens2Dense(try Sapiens2Checkpoint.load(folder: Self.root + "/matting"), path: "matting").matte(photo))
        let fg = try XCTUnwrap(m.foreground)
        for p in stride(from: 0, to: n, by: 7) {
            for c in 0..<3 {
                let want = alpha[p] >= 1 ? Float(photo.pixels[3 * p + c]) : 255 * fg[c * n + p] + (1 - alpha[p]) * Float(bg.pixels[3 * p + c])
                XCTAssertEqual(Float(g.image.pixels[3 * p + c]), min(max(want, 0), 255), accuracy: 0.51, "pixel \(p) channel \(c)")
            }
        }
        // Depth ran on the composite, not on the plain photo.
        let pointmap = try Sapiens2Dense(try Sapiens2Checkpoint.load(folder: Self.root + "/pointmap"), path: "pointmap")
        XCTAssertEqual(a.result.depth, pointmap.depth(g.image))
        XCTAssertNotEqual(a.result.depth, pointmap.depth(photo))

        // Without the matting folder the same photo is keyed on its border colour instead.
        let keyed = try TryOn(seg: folder("seg"), depth: folder("pointmap"), mask: GarmentMask(classes: [23])).analyse(photo, name: "plain")
        let k = try XCTUnwrap(keyed.result.guarded)
        XCTAssertTrue(k.composited)
        XCTAssertFalse(k.matted)
        XCTAssertNotEqual(k.foreground, alpha)
    }

    func testWrongFoldersAreRefused() throws {
        XCTAssertThrowsError(try TryOn(seg: folder("seg"), depth: folder("seg"), mask: GarmentMask(classes: []))) { e in
            XCTAssertTrue("\(e)".contains("--checkpoint-depth") && "\(e)".contains("pointmap"), "\(e)")
        }
        XCTAssertThrowsError(try TryOn(seg: folder("seg"), depth: folder("pointmap"), matting: folder("normal"), mask: GarmentMask(classes: []))) { e in
            XCTAssertTrue("\(e)".contains("--matting"), "\(e)")
        }
        XCTAssertThrowsError(try TryOn(seg: folder("seg"), depth: folder("pointmap"), matting: .task(tinyModel(.depth)), mask: GarmentMask(classes: []))) { e in
            XCTAssertTrue("\(e)".contains("--matting"), "\(e)")
        }
        // A Sapiens2 segmentation with another class set has no garment classes try-on can name.
        var c = try Sapiens2Checkpoint.load(folder: Self.root + "/seg").config
        c.numLabels = 5
        XCTAssertThrowsError(try TryOn(seg: .sapiens2(Sapiens2TaskModel(c), path: "five-classes"), depth: folder("pointmap"), mask: GarmentMask(classes: []))) { e in
            XCTAssertTrue("\(e)".contains("--checkpoint-seg") && "\(e)".contains("five-classes") && "\(e)".contains("29"), "\(e)")
        }
    }
}
