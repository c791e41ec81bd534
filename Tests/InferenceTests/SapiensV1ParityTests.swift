import SapiensData
import Foundation
import Inference
import Models
import Tasks
import Tensor
import Training
import XCTest

/// Official Sapiens v1 checkpoints give the official results (issue 23): seeded random models built with the official
/// module structure, saved as official `.pth` files, with the official demo's and mmpose's outputs on real photos
/// (`scripts/sapiens_v1_parity.py` wrote all of it into Tests/Fixtures/SapiensV1Parity). Each test does what a user does:
/// convert the `.pth`, load it with the normal inference path, run it on the photos, and compare with the issue's
/// tolerances: seg ≥ 99 % of pixels equal, depth Pearson ≥ 0.999, normals ≤ 1° mean, pose median ≤ 1 px.
final class SapiensV1ParityTests: XCTestCase {
    struct Manifest: Decodable {
        struct Model: Decodable {
            var name: String, task: String, file: String, cfg: Bool
            var patch_padding: Int
        }
        struct Tolerances: Decodable {
            var seg_equal_min: Double, depth_pearson_min: Double, normal_mean_deg_max: Double, pose_median_px_max: Double
        }
        var images: [String]
        var models: [Model]
        var stride: Int
        var tolerances: Tolerances
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/SapiensV1Parity").path

    func manifest() throws -> Manifest {
        let path = Self.fixtures + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            XCTFail("missing \(path) (run scripts/sapiens_v1_parity.py)")
            throw CocoaError(.fileNoSuchFile)
        }
        return try JSONDecoder().decode(Manifest.self, from: data)
    }

    /// The `.pth` converted the way the README tells a user to, into a scratch folder.
    func converted(_ model: Manifest.Model, in dir: String) throws -> String {
        let pth = Self.fixtures + "/checkpoints/" + model.file
        let out = dir + "/" + (model.file as NSString).deletingPathExtension + ".safetensors"
        _ = try PthConversion.convert(input: pth, output: out)
        return out
    }

    func model(_ name: String) throws -> (Manifest, Manifest.Model, TaskModel, String) {
        let m = try manifest()
        guard let entry = m.models.first(where: { $0.name == name }) else {
            XCTFail("manifest has no model \(name)")
            throw CocoaError(.fileReadCorruptFile)
        }
        let dir = scratchFolder("parity-\(name)")
        let file = try converted(entry, in: dir)
        let model = try TaskCheckpoint.load(path: file)
        do { try Self.requireOfficialCheckpointSupport(model) } catch {
            try? FileManager.default.removeItem(atPath: dir)
            throw error
        }
        return (m, entry, model, dir)
    }

    /// Issue 23's fix for official checkpoints (patch padding from the config text or the file-name table, the demo's
    /// stretch preprocessing and single resize) records the patch padding in the loaded configuration. Until it is
    /// on main these comparisons cannot pass, so they are skipped, naming it, rather than failing everyone's CI;
    /// they run as soon as it lands.
    static func requireOfficialCheckpointSupport(_ model: TaskModel) throws {
        let config = model.checkpointMetadata()[TaskModel.metadataKey] ?? ""
        if !config.contains("\"patchPadding\"") {
            throw XCTSkip("needs issue 23's official-checkpoint support (patch padding from the checkpoint's config or the table of released file names, the demo's stretch preprocessing and single resize of the outputs), which is not in this build")
        }
    }

    func photo(_ name: String) throws -> Image { try ImageCodec.load(path: Self.fixtures + "/images/" + name) }
    func stem(_ name: String) -> String { (name as NSString).deletingPathExtension }
    func expected(_ model: String, _ file: String) -> String { Self.fixtures + "/expected/\(model)/\(file)" }

    // MARK: - segmentation

    func checkSeg(_ name: String, classes: Int) throws {
        let (m, entry, model, dir) = try model(name)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(model.config.task, .seg)
        XCTAssertEqual(model.config.head.outChannels, classes)
        let predictor = TaskPredictor(model: model)
        for image in m.images {
            let img = try photo(image)
            let ours = predictor.dense([img])[0].classes
            let ref = try ImageCodec.load(path: expected(name, stem(image) + ".seg.png"))
            XCTAssertEqual(ref.channels, 1)
            XCTAssertEqual(ours.count, ref.pixels.count, "\(image): class map size")
            guard ours.count == ref.pixels.count else { continue }
            let equal = Double(zip(ours, ref.pixels).filter { $0 == $1 }.count) / Double(ours.count)
            print("parity \(name) \(image): \(String(format: "%.3f", 100 * equal)) % of pixels equal (patch padding \(entry.patch_padding))")
            XCTAssertGreaterThanOrEqual(equal, m.tolerances.seg_equal_min, "\(name) on \(image): \(100 * equal) % of pixels equal")
        }
    }

    func testSegGoliathMatchesOfficialDemo() throws { try checkSeg("seg_goliath", classes: 28) }
    func testSegLIPWithPatchPaddingMatchesOfficialDemo() throws { try checkSeg("seg_lip", classes: 20) }

    // MARK: - depth and normals

    /// Every `stride`-th pixel of an H×W×C map, as the fixtures store them.
    func subsample(_ values: [Float], width: Int, height: Int, channels: Int, stride: Int) -> [Float] {
        var out: [Float] = []
        for y in Swift.stride(from: 0, to: height, by: stride) {
            for x in Swift.stride(from: 0, to: width, by: stride) {
                let o = (y * width + x) * channels
                out += values[o..<(o + channels)]
            }
        }
        return out
    }

    static func pearson(_ a: [Float], _ b: [Float]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0.0) { $0 + Double($1) } / n, mb = b.reduce(0.0) { $0 + Double($1) } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (x, y) in zip(a, b) {
            let dx = Double(x) - ma, dy = Double(y) - mb
            sab += dx * dy; saa += dx * dx; sbb += dy * dy
        }
        return sab / (saa * sbb).squareRoot()
    }

    /// Mean angle in degrees between two lists of 3-vectors (each normalised first).
    static func meanAngle(_ a: [Float], _ b: [Float]) -> Double {
        var total = 0.0
        let n = a.count / 3
        for i in 0..<n {
            let u = (0..<3).map { Double(a[3 * i + $0]) }, v = (0..<3).map { Double(b[3 * i + $0]) }
            let lu = max((u[0] * u[0] + u[1] * u[1] + u[2] * u[2]).squareRoot(), 1e-12)
            let lv = max((v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).squareRoot(), 1e-12)
            let c = (u[0] * v[0] + u[1] * v[1] + u[2] * v[2]) / (lu * lv)
            total += acos(min(max(c, -1), 1)) * 180 / .pi
        }
        return total / Double(max(n, 1))
    }

    func testDepthMatchesOfficialDemo() throws {
        let (m, _, model, dir) = try model("depth")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(model.config.task, .depth)
        let predictor = TaskPredictor(model: model)
        for image in m.images {
            let img = try photo(image)
            let ours = predictor.dense([img])[0].values
            let ref = try NPY.read(path: expected("depth", stem(image) + ".depth.npy"))
            let sub = subsample(ours, width: img.width, height: img.height, channels: 1, stride: m.stride)
            XCTAssertEqual(sub.count, ref.values.count, "\(image): depth map size")
            guard sub.count == ref.values.count else { continue }
            let r = Self.pearson(sub, ref.values)
            print("parity depth \(image): Pearson \(String(format: "%.6f", r))")
            XCTAssertGreaterThanOrEqual(r, m.tolerances.depth_pearson_min, "depth on \(image): Pearson \(r)")
        }
    }

    func testNormalWithPatchPaddingMatchesOfficialDemo() throws {
        let (m, entry, model, dir) = try model("normal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(model.config.task, .normal)
        XCTAssertFalse(entry.cfg, "the normal fixture is the one without config text: its padding comes from the file name")
        let predictor = TaskPredictor(model: model)
        for image in m.images {
            let img = try photo(image)
            let ours = predictor.dense([img])[0].values
            let ref = try NPY.read(path: expected("normal", stem(image) + ".normal.npy"))
            let sub = subsample(ours, width: img.width, height: img.height, channels: 3, stride: m.stride)
            XCTAssertEqual(sub.count, ref.values.count, "\(image): normal map size")
            guard sub.count == ref.values.count else { continue }
            let deg = Self.meanAngle(sub, ref.values)
            print("parity normal \(image): mean \(String(format: "%.4f", deg))°")
            XCTAssertLessThanOrEqual(deg, m.tolerances.normal_mean_deg_max, "normal on \(image): mean angle \(deg)°")
        }
    }

    // MARK: - pose

    func testPoseMatchesMMPoseTopDown() throws {
        let (m, _, model, dir) = try model("pose_coco")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        XCTAssertEqual(model.config.task, .pose)
        let predictor = TaskPredictor(model: model)
        for image in m.images {
            let img = try photo(image)
            let people = predictor.pose(img, boxes: [])
            XCTAssertEqual(people.count, 1)
            guard let person = people.first else { continue }
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: expected("pose_coco", stem(image) + ".keypoints.json"))))
            guard let ref = (json as? [String: Any])?["keypoints"] as? [[Double]] else {
                XCTFail("\(image): expected keypoints unreadable"); continue
            }
            XCTAssertEqual(person.keypoints.count, 3 * ref.count)
            guard person.keypoints.count == 3 * ref.count else { continue }
            // Our keypoints are in the continuous frame (pixel i spans [i, i + 1)); mmpose numbers pixel centres
            // 0, 1, …, so its (x, y) is our (x + 0.5, y + 0.5) (TopDownCrop), as the keypoint files write them.
            var d = ref.enumerated().map { i, p in
                hypot(Double(person.keypoints[3 * i]) - 0.5 - p[0], Double(person.keypoints[3 * i + 1]) - 0.5 - p[1])
            }
            d.sort()
            let median = d.count % 2 == 1 ? d[d.count / 2] : 0.5 * (d[d.count / 2 - 1] + d[d.count / 2])
            print("parity pose \(image): median \(String(format: "%.4f", median)) px, max \(String(format: "%.2f", d.last ?? 0)) px")
            XCTAssertLessThanOrEqual(median, m.tolerances.pose_median_px_max, "pose on \(image): median \(median) px")
        }
    }

    // MARK: - the fixtures themselves

    /// The fixtures exercise both patch paddings and both ways of telling it (config text, official file name).
    func testFixturesCoverTheOfficialConfigurations() throws {
        let m = try manifest()
        XCTAssertEqual(Set(m.models.map(\.task)), ["seg", "depth", "normal", "pose"])
        XCTAssertTrue(m.models.contains { $0.patch_padding == 2 && $0.cfg })
        XCTAssertTrue(m.models.contains { $0.patch_padding == 2 && !$0.cfg })
        XCTAssertTrue(m.models.contains { $0.patch_padding == 0 })
        for model in m.models {
            XCTAssertTrue(FileManager.default.fileExists(atPath: Self.fixtures + "/checkpoints/" + model.file), model.file)
        }
    }
}
