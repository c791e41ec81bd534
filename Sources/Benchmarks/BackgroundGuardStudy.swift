import SapiensData
import Foundation
import Inference
import Metrics
import Models
import Synth
import Tasks
import Training

/// The measurement behind the background guard: the same synthetic scenes (same people, poses, cameras;
/// only the background differs, because the renderer draws it from its own random stream) rendered with
/// scenery and on a plain colour (`sapiens synth --background none`), scored by a depth checkpoint with
/// exact labels. Depth error is aligned per image (least-squares scale and shift, on the ground-truth
/// person pixels), as `sapiens evaluate` does. The study also scores the person mask the written depth and
/// normals use (`ImageResult.outputForeground`), which the guard's cut-out gives when it triggers.
public enum BackgroundGuardStudy {
    public struct Arm: Codable, Sendable {
        public var name: String
        public var metrics: DepthMetrics
        /// Images on which the guard composited a background.
        public var triggered: Int
        /// The written outputs' person mask against the true person, means over images.
        public var mask: MaskScore
    }

    /// A person mask against the true one: the share of the mask on the person (precision) and the share of
    /// the person in the mask (recall); NaN where the share is of nothing.
    public struct MaskScore: Codable, Sendable {
        public var precision: Double
        public var recall: Double

        /// `mask` nil means every pixel (no mask known).
        public init(mask: [Bool]?, person: [Bool]) {
            var both = 0, masked = 0, people = 0
            for p in person.indices {
                let m = mask?[p] ?? true
                if m { masked += 1 }
                if person[p] { people += 1; if m { both += 1 } }
            }
            precision = masked > 0 ? Double(both) / Double(masked) : .nan
            recall = people > 0 ? Double(both) / Double(people) : .nan
        }

        public init(precision: Double, recall: Double) { self.precision = precision; self.recall = recall }

        /// Means over images, skipping NaN.
        static func mean(_ scores: [MaskScore]) -> MaskScore {
            MaskScore(precision: finiteMean(scores.map(\.precision)), recall: finiteMean(scores.map(\.recall)))
        }
    }

    /// The aligned RMSE of the images with one number of people (those with a box), means over them.
    public struct PeopleSplit: Codable, Sendable {
        public var people: Int
        public var images: Int
        public var scenery: Double
        public var plainGuardOff: Double
        public var plainGuardOn: Double
        /// The best constant per image: what alignment alone achieves on these images.
        public var constant: Double
    }

    public struct Report: Codable, Sendable {
        public var checkpoint: String
        public var images: Int
        public var size: String
        public var seed: Int
        /// People per image in the rendered scenes ("1-2").
        public var people: String
        /// The scenery arm's background: procedural (painted backdrop) or room (floor and wall in perspective).
        public var sceneryKind: String
        public var guardBackground: String
        /// The segmentation checkpoint whose person mask the outputs use (nil: depth alone, as
        /// `sapiens infer --task depth` runs).
        public var segCheckpoint: String?
        /// With scenery (the reference; the guard runs as in `sapiens infer`, and should rarely trigger).
        public var scenery: Arm
        /// Plain colour, guard off.
        public var plainUnguarded: Arm
        /// Plain colour, guard on.
        public var plainGuarded: Arm
        /// Images whose aligned RMSE the guard lowered.
        public var improvedImages: Int
        /// Per-image aligned RMSE on the plain renders, guard off and on (same order as the images).
        public var plainRMSEGuardOff: [Double]
        public var plainRMSEGuardOn: [Double]
        /// The guard's effect, paired per image (on − off): mean, bootstrap 95 % interval, sign test.
        public var guardEffect: PairedComparison
        /// RMSE of the best constant per image (the ground truth's spread on the person): what alignment
        /// alone achieves, so a model near it is not using the image and no guard can matter.
        public var constantRMSE: Double
        /// The same errors split by the number of people in the image: on two people, most of the error is
        /// their depth offset, which only the scene can give away.
        public var byPeople: [PeopleSplit]

        public var table: String {
            func masked(_ a: Arm) -> String {
                "| \(a.name) | \(String(format: "%.3f", a.mask.precision)) | \(String(format: "%.3f", a.mask.recall)) |"
            }
            func split() -> String {
                guard byPeople.count > 1 else { return "" }
                let rows = byPeople.map { p in
                    "| \(p.people) | \(p.images) | " + [p.scenery, p.plainGuardOff, p.plainGuardOn, p.constant].map { String(format: "%.4f", $0) }.joined(separator: " | ") + " |"
                }
                return "\nAligned RMSE (m) by the number of people in the image:\n\n"
                    + "| people | images | scenery | plain colour, guard off | plain colour, guard on | a constant per image |\n|---|---|---|---|---|---|\n"
                    + rows.joined(separator: "\n") + "\n"
            }
            func row(_ a: Arm) -> String {
                let m = a.metrics
                return "| \(a.name) | \(String(format: "%.4f", m.absRel)) | \(String(format: "%.4f", m.rmse)) | \(String(format: "%.3f", m.delta1)) | \(a.triggered)/\(images) |"
            }
            return """
            | input (\(images) synthetic images, \(size), \(people) people) | AbsRel | RMSE (m) | δ<1.25 | guard triggered |
            |---|---|---|---|---|
            \(row(scenery))
            \(row(plainUnguarded))
            \(row(plainGuarded))
            | a constant per image (no model; alignment alone) | – | \(String(format: "%.4f", constantRMSE)) | – | – |

            \(guardEffect.summary("RMSE, guard on − off, paired per image", unit: " m"))
            \(split())

            The person mask the written depth and normals use (`.depth.png`, `.depth_vis.png`, `.normal_vis.png`), \(segCheckpoint == nil ? "depth alone, as `sapiens infer --task depth` runs" : "with this segmentation checkpoint, as `sapiens infer --task all` runs"):

            | input | mask on the person (precision) | person in the mask (recall) |
            |---|---|---|
            \(masked(scenery))
            \(masked(plainUnguarded))
            \(masked(plainGuarded))
            """
        }
    }

    public static func run(checkpoint: String, images: Int = 100, height: Int = 256, width: Int = 192, seed: Int = 7_000_001,
                           people: String = "1-2", scenery sceneryKind: SynthConfig.Background = .procedural, cacheDir: String = "datasets/generated", guardConfig: BackgroundGuard = BackgroundGuard(),
                           guardBackgroundName: String = "procedural", segCheckpoint: String? = nil,
                           progress: ((Int, Int) -> Void)? = nil) throws -> Report {
        let model = try TaskCheckpoint.load(path: checkpoint, overrides: .init(task: .depth))
        let predictor = TaskPredictor(model: model)
        // With a segmentation checkpoint, the person mask is the one `sapiens infer --task all` uses: the
        // segmentation of the image as it is, less the backdrop the guard keyed out.
        let segPredictor = try segCheckpoint.map { TaskPredictor(model: try TaskCheckpoint.load(path: $0, overrides: .init(task: .seg))) }
        func corpus(_ bg: SynthConfig.Background) throws -> LabelledCorpus {
            let dir = try ImageCorpus.renderSynthetic(images: images, height: height, width: width, people: people, seed: seed,
                                                      cacheDir: cacheDir, background: bg)
            return try LabelledCorpus.shards(folder: dir, labels: LabelSpec())
        }
        let scenery = try corpus(sceneryKind), plain = try corpus(.none)
        var on = guardConfig; on.enabled = true
        var evals = [DepthEvaluator(alignScaleShift: true), DepthEvaluator(alignScaleShift: true), DepthEvaluator(alignScaleShift: true)]
        var triggered = [0, 0, 0]
        var masks: [[MaskScore]] = [[], [], []]
        var constant = 0.0
        var perImage: [(people: Int, rmse: [Double], constant: Double)] = []
        for i in 0..<images {
            let a = try scenery.sample(at: i), b = try plain.sample(at: i)
            guard let gt = b.depth else { throw InferenceError.input(path: plain.name(of: i), problem: "has no depth label") }
            let fg = b.mask
            let mask = (0..<gt.count).map { i in gt[i] > 0 && (fg.map { $0[i] > 0 } ?? true) }
            let truth = gt.map(Double.init)
            let person = mask.indices.filter { mask[$0] }.map { truth[$0] }
            let mean = person.reduce(0, +) / Double(max(1, person.count))
            let imageConstant = (person.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, person.count))).squareRoot()
            constant += imageConstant / Double(images)
            let inputs: [(Image, Bool)] = [(a.image, true), (b.image, false), (b.image, true)]
            let segs = segPredictor.map { p in [a.image, b.image].map { p.dense([$0])[0].classes } }
            var rmse: [Double] = []
            for (k, (img, guarded)) in inputs.enumerated() {
                var g = on; g.enabled = guarded
                let r = g.apply(img, name: "study-\(i)")
                if r.composited { triggered[k] += 1 }
                let pred = predictor.dense([r.image])[0].values.map(Double.init)
                let m = try evals[k].add(prediction: pred, groundTruth: truth, mask: mask)
                rmse.append(m?.rmse ?? .nan)
                masks[k].append(MaskScore(mask: ImageResult.outputForeground(seg: segs?[min(k, 1)], guarded: r), person: mask))
            }
            perImage.append((b.boxes.count, rmse, imageConstant))
            progress?(i + 1, images)
        }
        let names = ["\(sceneryKind == .procedural ? "" : sceneryKind.name + " ")scenery (guard on, as default)", "plain colour, guard off", "plain colour, guard on"]
        let arms = try (0..<3).map { Arm(name: names[$0], metrics: try evals[$0].report().metrics, triggered: triggered[$0], mask: MaskScore.mean(masks[$0])) }
        let off = perImage.map { $0.rmse[1] }, onRMSE = perImage.map { $0.rmse[2] }
        let effect = PairedComparison(baseline: off, treatment: onRMSE)
        let byPeople = Dictionary(grouping: perImage, by: \.people).sorted { $0.key < $1.key }.map { n, group in
            PeopleSplit(people: n, images: group.count, scenery: finiteMean(group.map { $0.rmse[0] }), plainGuardOff: finiteMean(group.map { $0.rmse[1] }),
                        plainGuardOn: finiteMean(group.map { $0.rmse[2] }), constant: finiteMean(group.map(\.constant)))
        }
        return Report(checkpoint: checkpoint, images: images, size: "\(height)x\(width)", seed: seed, people: people,
                      sceneryKind: sceneryKind.name, guardBackground: guardBackgroundName, segCheckpoint: segCheckpoint,
                      scenery: arms[0], plainUnguarded: arms[1], plainGuarded: arms[2], improvedImages: effect.lower,
                      plainRMSEGuardOff: off, plainRMSEGuardOn: onRMSE, guardEffect: effect, constantRMSE: constant, byPeople: byPeople)
    }
}

/// The mean of the finite values; NaN when there are none.
private func finiteMean(_ v: [Double]) -> Double {
    let finite = v.filter(\.isFinite)
    return finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
}
