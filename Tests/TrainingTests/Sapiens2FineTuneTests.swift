import SapiensData
import Foundation
import Models
import Tasks
import Tensor
import Synth
import Training
import XCTest

/// A micro Sapiens2 fine-tuning recipe: 2 blocks, 32 wide, 2 heads over 1 key/value head (grouped-query),
/// 2 registers, at 32x24 on a 48-image synthetic corpus.
func microSapiens2Recipe(task: String, steps: Int = 30, lr: Double = 3e-3, extra: String = "") -> String {
    let labels: String
    switch task {
    case "seg": labels = "classes: sapiens2_29"
    case "pose": labels = "keypoints: goliath308"
    default: labels = ""
    }
    // The pointmap's three stride-2 scale convolutions need a grid of at least 9x9 patches to keep 2x2 positions.
    let size = task == "pointmap" ? (72, 72, 8) : (32, 24, 8)
    let remap = (task == "seg" ? "label_remap: sapiens28_to_sapiens2_29, " : "") + (task == "matting" ? "background_probability: 0, " : "")
    return """
    name: micro-s2-\(task)
    task: \(task)
    seed: 5
    model: {architecture: sapiens2, encoder: tiny, width: 32, depth: 2, heads: 2, kv_heads: 1, registers: 2, image_height: \(size.0), image_width: \(size.1), patch_size: \(size.2), head: custom, head_width: 16, head_deconvs: 2, head_convs: 1\(labels.isEmpty ? "" : ", " + labels)}
    data: {source: synthetic, \(remap)synthetic_images: 48, synthetic_val_images: 8, synthetic_height: 64, synthetic_width: 48, synthetic_people: "1-1", heatmap_sigma: 1.0, min_keypoints: 1}
    optim: {batch_size: 8, lr: \(lr), warmup_steps: 3, total_steps: \(steps)}
    loss: {class_weights: none}
    eval: {every: 0, visualizations: 2}
    run: {checkpoint_every: 5, keep_checkpoints: 2, log_every: 5}
    \(extra)
    """
}

final class Sapiens2FineTuneTests: XCTestCase {
    func run(_ task: String, steps: Int, dir: String, initFrom: String? = nil, lr: Double = 3e-3) throws -> FineTuneSummary {
        let text = microSapiens2Recipe(task: task, steps: steps, lr: lr)
        let recipe = try StrictYAML.decode(FineTuneRecipe.self, defaults: FineTuneRecipe(), yaml: text, path: "micro-s2-\(task).yaml")
        try recipe.validate(path: "micro-s2-\(task).yaml")
        let t = FineTuner(recipe: recipe, recipeText: text, outDir: dir + "/\(task)", initFrom: initFrom)
        t.cacheDir = dir + "/cache"
        t.showProgress = false
        return try t.run(resume: false)
    }

    func testEverySapiens2TaskTrainsAndReloadsWithEqualOutputs() throws {
        let dir = scratchDir("s2ft-all")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for task in Self.tasks {
            let s = try run(task, steps: 6, dir: dir)
            XCTAssertEqual(s.steps, 6, task)
            XCTAssertTrue(s.lastLoss?.isFinite ?? false, task)
            let e = try XCTUnwrap(s.evaluation, "\(task): validation at the end")
            XCTAssertTrue(e.headlineValue.isFinite, task)
            let ckpt = try XCTUnwrap(s.checkpoint)
            let model = try TaskModel.load(path: ckpt)
            let s2 = try XCTUnwrap(model.sapiens2, task)
            XCTAssertEqual(model.config.task.rawValue, task)
            XCTAssertEqual(s2.config.numKeyValueHeadsPerLayer, [1, 1], "2 blocks: no full-attention quarter, both grouped over 1 key/value head")
            XCTAssertTrue(model.namedParameters().allSatisfy { $0.0.hasPrefix("model.") || $0.0.hasPrefix("decode_head.") || $0.0.hasPrefix("scale_head.") },
                          "transformers' parameter names")
            // The same checkpoint through the inference loader gives the same outputs.
            let again = try TaskCheckpoint.load(path: ckpt)
            let (h, w) = (model.config.backbone.imageHeight, model.config.backbone.imageWidth)
            let x = Tensor(shape: [1, 3, h, w], data: (0..<(3 * h * w)).map { Float(($0 * 37) % 101) / 50 - 1 })
            let (a, b) = withNoGrad { (model.predict(x).toArray(), again.predict(x).toArray()) }
            XCTAssertEqual(a, b, task)
            // The checkpoint folder is a hub folder: our Sapiens2 loader reads it through config.json alone.
            XCTAssertTrue(Sapiens2Checkpoint.isSapiens2Folder(ckpt), "\(task): config.json beside model.safetensors")
            let hub = try Sapiens2Checkpoint.load(folder: ckpt)
            XCTAssertEqual(hub.config, s2.config, task)
            let (ours, theirs) = withNoGrad { (s2(x), hub(x)) }
            XCTAssertEqual(ours.head?.toArray(), theirs.head?.toArray(), task)
            XCTAssertEqual(ours.scale?.toArray(), theirs.scale?.toArray(), task)
        }
    }

    static let tasks = ["seg", "normal", "pose", "pointmap", "matting"]

    func testSapiens2SegAndNormalLearn() throws {
        let dir = scratchDir("s2ft-learn")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let seg = try run("seg", steps: 60, dir: dir, lr: 5e-3)
        let segUntrained = try run("seg", steps: 1, dir: dir + "/u", lr: 1e-9)
        XCTAssertGreaterThan(seg.evaluation!.metrics["aAcc"]!, segUntrained.evaluation!.metrics["aAcc"]! + 0.1,
                             "trained seg must beat the untrained model clearly")
        let normal = try run("normal", steps: 60, dir: dir, lr: 5e-3)
        let normalUntrained = try run("normal", steps: 1, dir: dir + "/u", lr: 1e-9)
        XCTAssertLessThan(normal.evaluation!.metrics["mean"]!, normalUntrained.evaluation!.metrics["mean"]! - 5,
                          "trained normals must beat the untrained model's mean angle clearly")
    }

    func testSapiens2PointmapAndMattingLearn() throws {
        let dir = scratchDir("s2ft-learn2")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let pm = try run("pointmap", steps: 60, dir: dir, lr: 5e-3)
        let pmUntrained = try run("pointmap", steps: 1, dir: dir + "/u", lr: 1e-9)
        XCTAssertLessThan(pm.evaluation!.metrics["L2"]!, pmUntrained.evaluation!.metrics["L2"]! * 0.7,
                          "trained pointmaps must be clearly closer than the untrained model's")
        let mat = try run("matting", steps: 60, dir: dir, lr: 5e-3)
        let matUntrained = try run("matting", steps: 1, dir: dir + "/u", lr: 1e-9)
        XCTAssertLessThan(mat.evaluation!.metrics["SAD"]!, matUntrained.evaluation!.metrics["SAD"]! * 0.7,
                          "trained mattes must have clearly less SAD than the untrained model's")
    }

    /// Pose at 64x48 (heatmaps 32x24, sigma 1.5) on a 64-wide, 2-block backbone: before the pose predictor's
    /// N(0, 0.001) initialisation this stayed at all-zero heatmaps (PCK@0.05 at chance).
    func testSapiens2PoseLearns() throws {
        let dir = scratchDir("s2ft-pose")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (pck0, pck) = try poseLearningPCK(model: "{architecture: sapiens2, encoder: tiny, width: 64, depth: 2, heads: 2, kv_heads: 1, registers: 2, image_height: 64, image_width: 48, patch_size: 8, head: custom, head_width: 32, head_deconvs: 2, head_convs: 1, keypoints: goliath308}", dir: dir)
        XCTAssertGreaterThan(pck, pck0 + 0.04, "trained pose must place clearly more keypoints within 5% of the box than the untrained model (\(pck0) -> \(pck))")
    }

    /// The renderer's new labels: alpha is the colour samples' coverage, the pointmap the depth unprojected.
    func testRendererAlphaAndPointmapLabels() throws {
        let s = try Renderer.render(index: 3, config: SynthConfig(count: 1, height: 64, width: 48, peoplePerImage: 1...1))
        XCTAssertTrue(s.alpha.allSatisfy { [0, 0.25, 0.5, 0.75, 1].contains($0) }, "four samples per edge pixel")
        let pm = s.pointmap
        var partial = 0
        for i in 0..<(s.width * s.height) {
            if s.alpha[i] > 0 && s.alpha[i] < 1 { partial += 1 }
            if s.mask[i] == 0 { XCTAssertEqual(pm[3 * i + 2], 0); continue }
            XCTAssertEqual(pm[3 * i + 2], s.depth[i])
            let u = s.camera.fx * pm[3 * i] / pm[3 * i + 2] + s.camera.cx, v = s.camera.fy * pm[3 * i + 1] / pm[3 * i + 2] + s.camera.cy
            XCTAssertEqual(u, Float(i % s.width) + 0.5, accuracy: 1e-3)
            XCTAssertEqual(v, Float(i / s.width) + 0.5, accuracy: 1e-3)
        }
        XCTAssertGreaterThan(partial, 0, "silhouette pixels are partly covered")
        XCTAssertGreaterThan(s.alpha.filter { $0 == 1 }.count, 0)
    }

    /// The focal a pointmap target is canonicalised with is read back from the points, after any zoom or flip.
    func testIntrinsicsFitRecoversThePinhole() {
        let (w, h) = (20, 16)
        let (fx, fy, cx, cy): (Float, Float, Float, Float) = (31, 29, 9.5, 7.25)
        var hwc = [Float](repeating: 0, count: 3 * w * h), valid = [Float](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w where (x + y) % 3 != 0 {
            let z = 2 + 0.1 * Float(x % 5) + 0.05 * Float(y)
            let p = y * w + x
            hwc[3 * p] = (Float(x) - cx) * z / fx; hwc[3 * p + 1] = (Float(y) - cy) * z / fy; hwc[3 * p + 2] = z
            valid[p] = 1
        } }
        let k = PointmapTask.fitIntrinsics(hwc, valid: valid, width: w, height: h)
        XCTAssertEqual(k?.fx ?? 0, fx, accuracy: 1e-2); XCTAssertEqual(k?.fy ?? 0, fy, accuracy: 1e-2)
        XCTAssertEqual(k?.cx ?? 0, cx, accuracy: 1e-2); XCTAssertEqual(k?.cy ?? 0, cy, accuracy: 1e-2)
        XCTAssertNil(PointmapTask.fitIntrinsics(hwc, valid: [Float](repeating: 0, count: w * h), width: w, height: h))
    }

    func testSapiens2BackboneInitCopiesTheBackboneOnly() throws {
        let dir = scratchDir("s2ft-init")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let first = try run("normal", steps: 3, dir: dir, lr: 1e-2)
        let ck = try XCTUnwrap(first.checkpoint)
        let s = try run("seg", steps: 1, dir: dir, initFrom: ck, lr: 1e-12)
        let seg = try TaskModel.load(path: try XCTUnwrap(s.checkpoint))
        let normal = try TaskModel.load(path: ck)
        let name = "model.model.layer.1.attention.q_proj.weight"
        let a = seg.stateDict()[name], b = normal.stateDict()[name]
        XCTAssertNotNil(a, "parameter \(name)")
        XCTAssertEqual(a?.toArray(), b?.toArray(), "with a vanishing lr the seg backbone is the normal model's")
        XCTAssertThrowsError(try run("seg", steps: 1, dir: dir + "/bad", initFrom: dir + "/nothing-here", lr: 1e-12)) {
            XCTAssertTrue("\($0)".contains("nothing-here"), "\($0)")
        }
    }

    func testDiceLossMatchesTheDefinitionAndItsGradient() throws {
        // 1 image, 3 classes, 2x2 pixels; one pixel ignored. Reference value by hand from the definition.
        let logits = Tensor(shape: [1, 3, 2, 2], data: [0.2, -1, 0.5, 2, 1, 0.3, -0.2, 0.1, -0.5, 0.7, 1.5, 0])
        logits.requiresGrad = true
        let labels = IndexTensor(shape: [1, 2, 2], data: [1, 2, 255, 1])
        let loss = Sapiens2Losses.dice(logits, labels)
        var p = [[Float]](repeating: [0, 0, 0], count: 4)
        let v = logits.toArray()
        for i in 0..<4 {
            let e = (0..<3).map { Foundation.exp(v[$0 * 4 + i]) }
            let s = e.reduce(0, +)
            p[i] = e.map { $0 / s }
        }
        var expected: Float = 0
        for c in [1, 2] {
            var inter: Float = 0, pp: Float = 0, gg: Float = 0
            for i in [0, 1, 3] {
                let g: Float = labels.data[i] == c ? 1 : 0
                inter += p[i][c] * g; pp += p[i][c] * p[i][c]; gg += g * g
            }
            expected += (2 * inter + 1e-3) / (pp + gg + 1e-3)
        }
        expected = 1 - expected / 2
        XCTAssertEqual(loss.item(), expected, accuracy: 1e-5)
        loss.backward()
        let grad = try XCTUnwrap(logits.grad).toArray()
        for i in 0..<v.count {
            let h: Float = 1e-2
            func at(_ d: Float) -> Float {
                var w = v; w[i] += d
                return withNoGrad { Sapiens2Losses.dice(Tensor(shape: [1, 3, 2, 2], data: w), labels).item() }
            }
            XCTAssertEqual(grad[i], (at(h) - at(-h)) / (2 * h), accuracy: 2e-3, "d loss / d logit \(i)")
        }
    }

    func testSapiens2RecipeErrorsNameTheField() {
        var r = FineTuneRecipe()
        r.model.architecture = "sapiens3"
        XCTAssertThrowsError(try r.validate(path: "r.yaml")) { XCTAssertTrue("\($0)".contains("model.architecture"), "\($0)") }
        r = FineTuneRecipe(); r.model.architecture = "sapiens2"; r.task = "depth"
        XCTAssertThrowsError(try r.validate(path: "r.yaml")) { XCTAssertTrue("\($0)".contains("task"), "\($0)") }
        r = FineTuneRecipe(); r.model.architecture = "sapiens2"; r.task = "normal"; r.model.encoder = "sapiens2_7b"
        XCTAssertThrowsError(try r.validate(path: "r.yaml")) { XCTAssertTrue("\($0)".contains("model.encoder"), "\($0)") }
        r.model.encoder = "sapiens2_0.4b"; r.model.head = "sapiens"; r.model.image_height = 1024; r.model.image_width = 768
        XCTAssertNoThrow(try r.validate(path: "r.yaml"))
        r = FineTuneRecipe(); r.model.architecture = "sapiens2"; r.task = "pointmap"; r.model.image_height = 32; r.model.image_width = 32
        XCTAssertThrowsError(try r.validate(path: "r.yaml")) { XCTAssertTrue("\($0)".contains("image_height"), "\($0)") }
        // transformers' strict config fields typed float refuse "100": floats keep their decimal point.
        var c = Sapiens2Config(task: .segmentation)
        c.head = Sapiens2HeadConfig(upsampleOutChannels: [8]); c.numKeyValueHeadsPerLayer = Array(repeating: 16, count: 24)
        let text = String(decoding: c.hubJSON(), as: UTF8.self)
        XCTAssertTrue(text.contains("\"rope_theta\" : 100.0"), text)
        XCTAssertTrue(text.contains("\"pos_embed_rescale\" : 2.0"), text)
        XCTAssertEqual(try Sapiens2Config.parse(c.hubJSON(), path: "config.json"), c)
        r = FineTuneRecipe(); r.model.architecture = "sapiens2"; r.task = "normal"; r.model.kv_heads = 2
        XCTAssertThrowsError(try r.validate(path: "r.yaml")) { XCTAssertTrue("\($0)".contains("kv_heads"), "\($0)") }
    }
}
