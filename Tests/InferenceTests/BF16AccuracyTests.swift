import SapiensData
import Foundation
import Inference
import Models
import Tasks
import Tensor
import Training
import XCTest

/// bf16 against fp32 (issue 27, item 5) on the official-architecture parity models: the same predictor run once
/// with fp32 GEMMs and once with bf16 operands and fp32 accumulation (the emulated engine, which computes what
/// AVX512_BF16/AMX compute, so it runs on any CPU). Bounds from the issue: seg class agreement ≥ 99.5 %, depth
/// Pearson ≥ 0.999, normals ≤ 1° mean, pose ≤ 0.5 px median. The models are the v1 fixtures (mmpretrain ViT with
/// the official heads, 1024×768 input, seeded random weights), transformers' Sapiens2 seg and normal classes, and
/// a trained seg model (Tests/Fixtures/BF16Trained).
///
/// The seg bound is asserted on the trained model only. A random-weight seg head's class logits are nearly tied
/// almost everywhere, so the share of pixels whose argmax a bf16 rounding flips measures the missing margins, not
/// bf16: those fixtures report their agreement and assert only a floor (98 %) that a wrong rounding or a GEMM on
/// the wrong operands would break.
final class BF16AccuracyTests: XCTestCase {
    /// Class agreement that random-weight seg fixtures must keep (see above); the issue's 99.5 % is for trained models.
    static let randomWeightSegFloor = 0.98

    let bf16 = BF16Backend(engine: .emulated)

    override func tearDown() {
        Backends.current = CPUBackend.shared
        super.tearDown()
    }

    /// `body` under fp32, then under bf16.
    func both<T>(_ body: () throws -> T) rethrows -> (fp32: T, bf16: T) {
        Backends.current = CPUBackend.shared
        let a = try body()
        Backends.current = bf16
        defer { Backends.current = CPUBackend.shared }
        return (a, try body())
    }

    // MARK: v1, official architecture

    typealias V1 = SapiensV1ParityTests

    func v1Model(_ name: String) throws -> (images: [Image], model: TaskModel, dir: String) {
        let data = try Data(contentsOf: URL(fileURLWithPath: V1.fixtures + "/manifest.json"))
        let m = try JSONDecoder().decode(V1.Manifest.self, from: data)
        guard let entry = m.models.first(where: { $0.name == name }) else { throw CocoaError(.fileReadCorruptFile) }
        let dir = scratchFolder("bf16-\(name)")
        let out = dir + "/" + (entry.file as NSString).deletingPathExtension + ".safetensors"
        _ = try PthConversion.convert(input: V1.fixtures + "/checkpoints/" + entry.file, output: out)
        let model = try TaskCheckpoint.load(path: out)
        let images = try m.images.map { try ImageCodec.load(path: V1.fixtures + "/images/" + $0) }
        return (images, model, dir)
    }

    func agreement(_ a: [Int], _ b: [Int]) -> Double {
        Double(zip(a, b).filter { $0 == $1 }.count) / Double(max(a.count, 1))
    }

    func testRandomWeightSegClassAgreement() throws {
        for name in ["seg_goliath", "seg_lip"] {
            let (images, model, dir) = try v1Model(name)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let predictor = TaskPredictor(model: model)
            for (i, img) in images.enumerated() {
                let (a, b) = both { predictor.dense([img])[0].classes.map(Int.init) }
                XCTAssertEqual(a.count, b.count)
                let agree = agreement(a, b)
                print("bf16 vs fp32 \(name) (random weights) image \(i): \(String(format: "%.3f", 100 * agree)) % of pixels the same class")
                XCTAssertGreaterThanOrEqual(agree, Self.randomWeightSegFloor, "\(name) image \(i)")
            }
        }
    }

    func testDepthPearson() throws {
        let (images, model, dir) = try v1Model("depth")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let predictor = TaskPredictor(model: model)
        for (i, img) in images.enumerated() {
            let (a, b) = both { predictor.dense([img])[0].values }
            let r = V1.pearson(a, b)
            print("bf16 vs fp32 depth image \(i): Pearson \(String(format: "%.6f", r))")
            XCTAssertGreaterThanOrEqual(r, 0.999, "depth image \(i)")
        }
    }

    func testNormalMeanAngle() throws {
        let (images, model, dir) = try v1Model("normal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let predictor = TaskPredictor(model: model)
        for (i, img) in images.enumerated() {
            let (a, b) = both { predictor.dense([img])[0].values }
            let deg = V1.meanAngle(a, b)
            print("bf16 vs fp32 normal image \(i): mean \(String(format: "%.4f", deg))°")
            XCTAssertLessThanOrEqual(deg, 1, "normal image \(i)")
        }
    }

    func testPoseMedianPixels() throws {
        let (images, model, dir) = try v1Model("pose_coco")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let predictor = TaskPredictor(model: model)
        for (i, img) in images.enumerated() {
            let (a, b) = both { predictor.pose(img, boxes: []) }
            XCTAssertEqual(a.count, 1)
            XCTAssertEqual(b.count, 1)
            guard let p = a.first, let q = b.first, p.keypoints.count == q.keypoints.count else { continue }
            let u = p.keypoints.map { Double($0) }, v = q.keypoints.map { Double($0) }
            var d: [Double] = []
            for i in 0..<(u.count / 3) {
                let dx: Double = u[3 * i] - v[3 * i], dy: Double = u[3 * i + 1] - v[3 * i + 1]
                d.append((dx * dx + dy * dy).squareRoot())
            }
            d.sort()
            let median = d.count % 2 == 1 ? d[d.count / 2] : 0.5 * (d[d.count / 2 - 1] + d[d.count / 2])
            print("bf16 vs fp32 pose image \(i): median \(String(format: "%.4f", median)) px, max \(String(format: "%.2f", d.last ?? 0)) px")
            XCTAssertLessThanOrEqual(median, 0.5, "pose image \(i)")
        }
    }

    // MARK: A trained model

    static let trained = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/BF16Trained").path

    /// The issue's seg bound where it means something: a seg model trained on the synthetic people (its logits have
    /// real margins), on synthetic people it never saw in training (the recipe's validation seed).
    func testTrainedSegClassAgreement() throws {
        let model = try TaskCheckpoint.load(path: Self.trained + "/seg-tiny-synthetic.safetensors")
        XCTAssertEqual(model.config.task, .seg)
        let dir = scratchFolder("bf16-trained-seg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let corpus = try LabelledCorpus.synthetic(images: 8, height: 256, width: 192, people: "1-2", seed: 1000003, cacheDir: dir,
                                                  labels: LabelSpec())
        let predictor = TaskPredictor(model: model)
        var same = 0, total = 0, worst = 1.0
        for i in 0..<corpus.count {
            let img = try corpus.sample(at: i).image
            let (a, b) = both { predictor.dense([img])[0].classes.map(Int.init) }
            XCTAssertEqual(a.count, b.count)
            XCTAssertGreaterThan(Set(a).count, 1, "image \(i): the model paints more than one class")
            same += zip(a, b).filter { $0 == $1 }.count
            total += a.count
            worst = min(worst, agreement(a, b))
        }
        let agree = Double(same) / Double(max(total, 1))
        print("bf16 vs fp32 trained seg (\(corpus.count) unseen synthetic images): \(String(format: "%.3f", 100 * agree)) % of pixels the same class, worst image \(String(format: "%.3f", 100 * worst)) %")
        XCTAssertGreaterThanOrEqual(agree, 0.995)
    }

    // MARK: Sapiens2 (transformers' classes)

    static let sapiens2 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Sapiens2Parity").path

    func sapiens2Outputs(_ folder: String) throws -> (fp32: Tensor, bf16: Tensor) {
        let model = try Sapiens2Checkpoint.load(folder: Self.sapiens2 + "/" + folder)
        let a = try NPY.read(path: Self.sapiens2 + "/pixel_values.npy")
        let pixels = Tensor(shape: a.shape, data: a.values)
        var out: [Tensor] = []
        for backend in [CPUBackend.shared, bf16] as [any Backend] {
            Backends.current = backend
            withNoGrad {
                if let head = model(pixels).head { out.append(head) }
            }
        }
        Backends.current = CPUBackend.shared
        guard out.count == 2 else { throw CocoaError(.fileReadCorruptFile) }
        return (out[0], out[1])
    }

    /// (C, H, W) channel vectors of an NCHW tensor with N = 1, pixel-major.
    func pixelVectors(_ t: Tensor) -> [[Float]] {
        let c = t.shape[1], hw = t.count / c
        let v = t.toArray()
        return (0..<hw).map { p in (0..<c).map { v[$0 * hw + p] } }
    }

    func testSapiens2RandomWeightSegClassAgreement() throws {
        let (a, b) = try sapiens2Outputs("seg")
        let argmax = { (t: Tensor) in self.pixelVectors(t).map { px in px.indices.max { px[$0] < px[$1] } ?? 0 } }
        let agree = agreement(argmax(a), argmax(b))
        print("bf16 vs fp32 Sapiens2 seg (random weights) \(a.shape): \(String(format: "%.3f", 100 * agree)) % of pixels the same class")
        XCTAssertGreaterThanOrEqual(agree, Self.randomWeightSegFloor)
    }

    func testSapiens2NormalMeanAngle() throws {
        let (a, b) = try sapiens2Outputs("normal")
        XCTAssertEqual(a.shape[1], 3)
        let deg = V1.meanAngle(pixelVectors(a).flatMap { $0 }, pixelVectors(b).flatMap { $0 })
        print("bf16 vs fp32 Sapiens2 normal \(a.shape): mean \(String(format: "%.4f", deg))°")
        XCTAssertLessThanOrEqual(deg, 1)
    }
}
