import SapiensData
import Foundation
import Models
import Tensor
import XCTest

/// Sapiens2 against HF transformers (scripts/sapiens2_parity.py wrote Tests/Fixtures/Sapiens2Parity): each
/// folder is what `save_pretrained` wrote for one `Sapiens2For*` class (tiny, random weights of realistic
/// scale); we load it as a user would and compare our raw outputs with transformers' fp32 ones on the same
/// pixels. Relative L2 error must be at most 1e-4.
final class Sapiens2ParityTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/Sapiens2Parity").path
    static let tolerance: Float = 1e-4

    func path(_ parts: String...) -> String { ([Self.root] + parts).joined(separator: "/") }

    func npy(_ p: String) throws -> Tensor {
        let a = try NPY.read(path: p)
        return Tensor(shape: a.shape, data: a.values)
    }

    func relativeL2(_ a: Tensor, _ b: Tensor) -> Float {
        var num = 0.0, den = 0.0
        let (av, bv) = (a.toArray(), b.toArray())
        for i in 0..<a.count {
            let d = Double(av[i]) - Double(bv[i])
            num += d * d
            den += Double(bv[i]) * Double(bv[i])
        }
        return Float((num / max(den, 1e-30)).squareRoot())
    }

    /// Loads `folder`, runs it on the fixture pixels, and checks each named output.
    func check(_ folder: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let model = try Sapiens2Checkpoint.load(folder: path(folder))
        let pixels = try npy(path("pixel_values.npy"))
        XCTAssertNil(model.inputProblem(height: pixels.shape[2], width: pixels.shape[3]))
        var outputs: [String: Tensor] = [:]
        withNoGrad {
            let o = model(pixels)
            switch model.config.task {
            case .backbone:
                outputs["last_hidden_state"] = o.lastHiddenState
                outputs["pooler_output"] = o.lastHiddenState.slice(axis: 1, start: 0, length: 1).reshaped([1, -1])
            case .segmentation: outputs["logits"] = o.head
            case .pose:
                outputs["heatmaps"] = o.head
                outputs["heatmaps_flip"] = model.flippedHeatmaps(pixels)
            case .normal: outputs["normals"] = o.head
            case .pointmap:
                outputs["pointmaps"] = o.head
                outputs["scales"] = o.scale
            case .matting:
                outputs["foregrounds"] = o.head?.slice(axis: 1, start: 0, length: 3)
                outputs["alphas"] = o.head?.slice(axis: 1, start: 3, length: 1)
            }
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: path(folder, "expected"))
            .filter { $0.hasSuffix(".npy") && !$0.hasPrefix("post_") }.map { String($0.dropLast(4)) }.sorted()
        XCTAssertFalse(names.isEmpty, "\(folder): no expected outputs", file: file, line: line)
        for name in names {
            let want = try npy(path(folder, "expected", name + ".npy"))
            guard let got = outputs[name] else { XCTFail("\(folder): we produce no \(name)", file: file, line: line); continue }
            XCTAssertEqual(got.shape, want.shape, "\(folder)/\(name)", file: file, line: line)
            guard got.shape == want.shape else { continue }
            let err = relativeL2(got, want)
            print("Sapiens2 parity \(folder)/\(name) \(want.shape): relative L2 \(err)")
            XCTAssertLessThanOrEqual(err, Self.tolerance, "\(folder)/\(name)", file: file, line: line)
        }
    }

    func testBareModel() throws { try check("model") }
    func testSegmentation() throws { try check("seg") }
    func testSegmentationBF16Weights() throws { try check("seg_bf16") }
    func testSegmentationShardedFolder() throws { try check("seg_sharded") }
    func testPoseWithFlipTest() throws { try check("pose") }
    func testNormal() throws { try check("normal") }
    func testNormalF16Weights() throws { try check("normal_f16") }
    func testPointmapWithScale() throws { try check("pointmap") }
    func testMatting() throws { try check("matting") }

    /// The fixture folders cover what the issue asks of them (so a regenerated fixture cannot quietly drop a case).
    func testFixturesCoverTheVariants() throws {
        let configs = try ["model", "seg", "pose", "normal", "pointmap", "matting"].map {
            try Sapiens2Config.load(path: path($0, "config.json"))
        }
        XCTAssertEqual(Set(configs.map(\.task)), Set(Sapiens2Task.allCases))
        XCTAssertTrue(configs.contains { !$0.useGatedMLP } && configs.contains { $0.useGatedMLP })
        XCTAssertTrue(configs.contains { $0.numRegisterTokens == 0 } && configs.contains { $0.numRegisterTokens > 0 })
        XCTAssertTrue(configs.contains { Set($0.numKeyValueHeadsPerLayer).count >= 3 })
        XCTAssertTrue(configs.contains { $0.head?.usePixelShuffle == true } && configs.contains { $0.head?.usePixelShuffle == false })
        XCTAssertTrue(configs.contains { $0.head?.hasScaleBranch == true })
        XCTAssertTrue(configs.contains { !$0.useQKNorm })
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("seg_sharded", Sapiens2Checkpoint.indexFile)))
        XCTAssertGreaterThan(try Sapiens2Checkpoint.weightFiles(folder: path("seg_sharded")).count, 1)
        // Weights of realistic scale: norms and LayerScale away from 1.
        let st = try SafeTensors.load(path: path("seg", "model.safetensors"))
        for name in ["backbone.blocks.0.ln1.weight", "backbone.blocks.0.attn.gamma.weight", "backbone.blocks.0.attn.q_norm.weight"] {
            let t = try st.tensor(name)
            XCTAssertGreaterThan(t.toArray().map { Swift.abs($0 - 1) }.max() ?? 0, 0.05, name)
        }
    }
}
