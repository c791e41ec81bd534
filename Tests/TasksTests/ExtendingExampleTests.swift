import SapiensData
import Foundation
import Metrics
import Models
import NN
import Tasks
import Tensor
import XCTest

// The worked example of docs/extending.md, compiled and exercised here so the guide cannot drift from the
// protocol. It is not registered (that is the one line the guide adds to TaskRegistry.swift), so it is used
// through `VisionTask(ForegroundTask())` directly.

/// Person / background: two logits per pixel, trained from the person mask every labelled corpus carries.
struct ForegroundTask: TaskDefinition {
    var name: String { "foreground" }
    func sapiensHead(outChannels: Int) -> HeadConfig { .segmentation(classes: 2) }
    var fixedOutChannels: Int? { 2 }

    func target(_ s: LabelledSample, image: FloatImage, targets: TaskTargets) -> TaskSample {
        let ids = s.mask.map { $0.map { $0 > 0 ? UInt8(1) : 0 } } ?? [UInt8](repeating: SegClasses.ignore, count: s.width * s.height)
        return TaskSample(image: image, target: [], weight: [], labels: ids)
    }

    func stack(_ samples: [TaskSample], into batch: inout TaskBatch, config: TaskModelConfig) {
        let (h, w) = (config.backbone.imageHeight, config.backbone.imageWidth)
        batch.labels = IndexTensor(shape: [samples.count, h, w], data: samples.flatMap { $0.labels.map { Int($0) } })
    }

    func loss(_ prediction: Tensor, _ batch: TaskBatch, options: TaskLoss) -> Tensor {
        guard let labels = batch.labels else { return prediction.sum() * 0 }
        return prediction.crossEntropy(labels, ignoreIndex: Int(SegClasses.ignore))
    }

    func decode(_ raw: [Float], readout: DenseReadout, config: TaskModelConfig) -> DensePrediction {
        DensePrediction(task: VisionTask(self), width: readout.width, height: readout.height,
                        classes: readout.argmax(raw, channels: 2), values: [])
    }

    func scorer(for config: TaskModelConfig) -> any TaskScorer { ForegroundScorer() }
    var plottedMetrics: [String] { ["IoU"] }
}

final class ForegroundScorer: TaskScorer {
    var confusion = SegmentationEvaluator(classCount: 2)

    func add(_ samples: [LabelledSample], ids: [Int], predictor: TaskPredictor, pictures: Int) throws -> [[Image]] {
        var panels: [[Image]] = []
        for (s, p) in zip(samples, densePredictions(samples, predictor: predictor)) {
            guard let mask = s.mask else { continue }
            let truth = mask.map { $0 > 0 ? UInt8(1) : 0 }
            try confusion.add(prediction: p.classes, label: truth)
            if panels.count < pictures {
                let palette: [[UInt8]] = [[0, 0, 0], [255, 255, 255]]
                panels.append([s.image, Visualize.parts(truth, width: s.width, height: s.height, palette: palette),
                               Visualize.parts(p.classes, width: s.width, height: s.height, palette: palette)])
            }
        }
        return panels
    }

    func report(images: Int) throws -> TaskEvaluation {
        let iou = try confusion.report(classNames: ["background", "person"]).perClassIoU[1] ?? 0
        return TaskEvaluation(task: VisionTask(ForegroundTask()), images: images, headline: "IoU", headlineValue: iou,
                              higherIsBetter: true, metrics: ["IoU": iou])
    }
}

final class ExtendingExampleTests: XCTestCase {
    let task = VisionTask(ForegroundTask())

    func config() -> TaskModelConfig {
        let vit = ViTConfig(width: 32, depth: 2, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 24, clsToken: false)
        return TaskModelConfig(task: task, backbone: vit, head: HeadConfig(deconvChannels: [16, 16], convChannels: [16], outChannels: 2))
    }

    /// A 32x24 picture whose left half is a "person" in the mask.
    func sample() -> LabelledSample {
        var pixels = [UInt8](repeating: 40, count: 32 * 24 * 3)
        for y in 0..<32 { for x in 0..<12 { for c in 0..<3 { pixels[(y * 24 + x) * 3 + c] = 200 } } }
        var s = LabelledSample(image: Image(width: 24, height: 32, channels: 3, pixels: pixels))
        s.mask = (0..<(32 * 24)).map { ($0 % 24) < 12 ? 255 : 0 }
        return s
    }

    func testTheGuideExampleTrainsDecodesAndScores() throws {
        let cfg = config()
        try cfg.validate()
        let bad = TaskModelConfig(task: task, backbone: cfg.backbone, head: HeadConfig(deconvChannels: [16], convChannels: [], outChannels: 3))
        XCTAssertThrowsError(try bad.validate(), "the task fixes 2 output channels")
        let model = TaskModel(cfg, rng: RNG(seed: 4))
        XCTAssertTrue(model.namedParameters().contains { $0.0.hasPrefix("decode_head.conv_seg.") }, "default head names")

        let targets = TaskTargets(config: cfg)
        let s = targets.make(sample())
        XCTAssertEqual(s.labels.count, 32 * 24)
        XCTAssertEqual(s.labels[0], 1)
        XCTAssertEqual(s.labels[23], 0)
        let batch = targets.batch([s, s])
        XCTAssertEqual(batch.labels?.shape, [2, 32, 24])

        // A few AdamW steps on the example's loss lower it: the loss is wired to the parameters.
        let opt = AdamW(groups: standardParameterGroups(model.namedParameters(), weightDecay: 0), lr: 3e-3)
        let loss = TaskLoss(task: task)
        let first = loss(model.predict(batch.images), batch)
        let l0 = first.item()
        XCTAssertTrue(l0.isFinite && l0 > 0)
        first.backward(); opt.step(); opt.zeroGrad()
        var last = l0
        for _ in 0..<15 {
            let l = loss(model.predict(batch.images), batch)
            last = l.item()
            l.backward(); opt.step(); opt.zeroGrad()
        }
        XCTAssertLessThan(last, l0)

        let predictor = TaskPredictor(model: model)
        let wide = Image(width: 40, height: 30, channels: 3, fill: 90)
        let pred = predictor.dense([wide])[0]
        XCTAssertEqual(pred.task, task)
        XCTAssertEqual(pred.classes.count, 40 * 30, "decoded at the image's own size")
        XCTAssertTrue(pred.classes.allSatisfy { $0 < 2 })

        let scorer = task.definition.scorer(for: cfg)
        let pictures = try scorer.add([sample(), sample()], ids: [0, 1], predictor: predictor, pictures: 1)
        XCTAssertEqual(pictures.count, 1)
        XCTAssertEqual(pictures.first?.count, 3)
        let report = try scorer.report(images: 2)
        XCTAssertEqual(report.headline, "IoU")
        XCTAssertTrue((0...1).contains(report.headlineValue))
    }

    func testAnUnregisteredTaskIsNotDecodedFromAName() {
        XCTAssertNil(VisionTask(rawValue: "foreground"), "registration is what makes a name known")
        XCTAssertEqual(VisionTask(rawValue: "depth"), .depth)
        XCTAssertEqual(VisionTask.allCases.map(\.rawValue), ["pose", "seg", "depth", "normal", "pointmap", "matting"])
        XCTAssertEqual(TaskRegistry.officialTask(headPrefix: "decode_head", outChannels: 1), .depth)
        XCTAssertEqual(TaskRegistry.officialTask(headPrefix: "decode_head", outChannels: 3), .normal)
        XCTAssertEqual(TaskRegistry.officialTask(headPrefix: "decode_head", outChannels: 20), .seg)
        XCTAssertEqual(TaskRegistry.officialTask(headPrefix: "head", outChannels: 17), .pose)
        XCTAssertNil(TaskRegistry.officialTask(headPrefix: "nothing", outChannels: 17))
    }
}
