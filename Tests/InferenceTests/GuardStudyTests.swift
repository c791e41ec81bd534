import Benchmarks
import SapiensData
import Foundation
import Inference
import Models
import Synth
import Training
import XCTest

/// The premises of the background-guard measurement (docs/inference.md): the plain and scenery renders are
/// the same scenes, and each arm runs the guard as it says.
final class GuardStudyTests: XCTestCase {
    func testPlainAndSceneryRendersShareEveryLabel() throws {
        let dir = scratchFolder("same-scenes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func corpus(_ bg: SynthConfig.Background) throws -> LabelledCorpus {
            try LabelledCorpus.shards(folder: try ImageCorpus.renderSynthetic(images: 6, height: 96, width: 72, people: "1-2", seed: 5,
                                                                               cacheDir: dir, background: bg), labels: LabelSpec())
        }
        let a = try corpus(.procedural), b = try corpus(.none)
        for i in 0..<6 {
            let s = try a.sample(at: i), t = try b.sample(at: i)
            XCTAssertEqual(s.depth, t.depth, "image \(i): depth")
            XCTAssertEqual(s.mask, t.mask, "image \(i): mask")
            XCTAssertEqual(s.seg, t.seg, "image \(i): parts")
            XCTAssertEqual(s.keypoints, t.keypoints, "image \(i): keypoints")
            XCTAssertNotEqual(s.image, t.image, "only the background differs")
        }
    }

    func testStudyArmsRunTheGuardAsTheySay() throws {
        let dir = scratchFolder("study")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ckpt = try saveCheckpoint(tinyModel(.depth), to: dir + "/depth.safetensors")
        let r = try BackgroundGuardStudy.run(checkpoint: ckpt, images: 8, height: 96, width: 72, seed: 77, cacheDir: dir)
        XCTAssertEqual(r.images, 8)
        XCTAssertEqual(r.plainGuarded.triggered, 8, "every plain render is composited")
        XCTAssertEqual(r.plainUnguarded.triggered, 0, "guard off")
        XCTAssertEqual(r.scenery.triggered, 0, "scenery is left alone")
        for arm in [r.scenery, r.plainUnguarded, r.plainGuarded] { XCTAssertTrue(arm.metrics.rmse.isFinite && arm.metrics.rmse > 0, arm.name) }
        XCTAssertTrue(r.table.contains("plain colour, guard on"))
        // The paired effect is computed from the same per-image errors the arms average.
        XCTAssertEqual(r.plainRMSEGuardOff.count, 8)
        XCTAssertEqual(r.guardEffect.pairs, 8)
        XCTAssertEqual(r.guardEffect.meanDifference, r.plainGuarded.metrics.rmse - r.plainUnguarded.metrics.rmse, accuracy: 1e-9)
        XCTAssertEqual(r.improvedImages, r.guardEffect.lower)
        XCTAssertTrue(r.table.contains("guard on − off, paired per image"), r.table)
        // Without the guard (and no segmentation) the outputs' mask is every pixel: the whole person, at a
        // precision of the person's share of the image. The guard's cut-out is far tighter.
        XCTAssertEqual(r.plainUnguarded.mask.recall, 1, accuracy: 1e-12)
        XCTAssertLessThan(r.plainUnguarded.mask.precision, 0.6)
        XCTAssertGreaterThan(r.plainGuarded.mask.precision, r.plainUnguarded.mask.precision + 0.2)
        XCTAssertGreaterThan(r.plainGuarded.mask.recall, 0.9)
        XCTAssertTrue(r.table.contains("mask on the person (precision)"), r.table)
        // The split by people count covers every image, and its image-weighted means are the arms' errors.
        XCTAssertEqual(r.byPeople.map(\.images).reduce(0, +), 8)
        XCTAssertEqual(r.byPeople.map(\.people), r.byPeople.map(\.people).sorted())
        func pooled(_ key: KeyPath<BackgroundGuardStudy.PeopleSplit, Double>) -> Double {
            r.byPeople.reduce(0) { $0 + $1[keyPath: key] * Double($1.images) } / 8
        }
        XCTAssertEqual(pooled(\.scenery), r.scenery.metrics.rmse, accuracy: 1e-9)
        XCTAssertEqual(pooled(\.plainGuardOff), r.plainUnguarded.metrics.rmse, accuracy: 1e-9)
        XCTAssertEqual(pooled(\.plainGuardOn), r.plainGuarded.metrics.rmse, accuracy: 1e-9)
        XCTAssertEqual(pooled(\.constant), r.constantRMSE, accuracy: 1e-9)
        XCTAssertEqual(r.byPeople.map(\.people), [1, 2], "seed 77 renders one- and two-person scenes")
        XCTAssertTrue(r.table.contains("by the number of people"), r.table)
        XCTAssertNil(r.segCheckpoint)
        XCTAssertThrowsError(try BackgroundGuardStudy.run(checkpoint: try saveCheckpoint(tinyModel(.seg), to: dir + "/seg.safetensors"), images: 2,
                                                          height: 96, width: 72, cacheDir: dir)) { e in XCTAssertTrue("\(e)".contains("not depth"), "\(e)") }
    }

    func testMaskScore() {
        let person = [true, true, true, false]
        let exact = BackgroundGuardStudy.MaskScore(mask: person, person: person)
        XCTAssertEqual(exact.precision, 1); XCTAssertEqual(exact.recall, 1)
        let whole = BackgroundGuardStudy.MaskScore(mask: nil, person: person)
        XCTAssertEqual(whole.precision, 0.75); XCTAssertEqual(whole.recall, 1)
        let partial = BackgroundGuardStudy.MaskScore(mask: [false, true, true, true], person: person)
        XCTAssertEqual(partial.precision, 2.0 / 3, accuracy: 1e-12); XCTAssertEqual(partial.recall, 2.0 / 3, accuracy: 1e-12)
        XCTAssertTrue(BackgroundGuardStudy.MaskScore(mask: [false, false], person: [true, true]).precision.isNaN)
    }

    /// With a segmentation checkpoint, the guarded arm's mask is the segmentation less the keyed backdrop: never
    /// more of the person than the segmentation alone (the unguarded arm's mask), and none of the backdrop.
    func testSegmentationCheckpointGivesTheMask() throws {
        let dir = scratchFolder("guard-study-seg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let depth = try saveCheckpoint(tinyModel(.depth), to: dir + "/depth.safetensors")
        let seg = try saveCheckpoint(tinyModel(.seg), to: dir + "/seg.safetensors")
        let r = try BackgroundGuardStudy.run(checkpoint: depth, images: 4, height: 96, width: 72, seed: 80, cacheDir: dir, segCheckpoint: seg)
        XCTAssertEqual(r.segCheckpoint, seg)
        XCTAssertTrue(r.table.contains("with this segmentation checkpoint"), r.table)
        XCTAssertLessThanOrEqual(r.plainGuarded.mask.recall, r.plainUnguarded.mask.recall + 1e-12)
        XCTAssertLessThan(r.plainUnguarded.mask.precision, 0.6, "the premise: a random segmentation head marks backdrop as person")
        XCTAssertGreaterThan(r.plainGuarded.mask.precision, r.plainUnguarded.mask.precision + 0.2, "the keyed backdrop is dropped")
        XCTAssertThrowsError(try BackgroundGuardStudy.run(checkpoint: depth, images: 2, height: 96, width: 72, cacheDir: dir, segCheckpoint: depth)) { e in
            XCTAssertTrue("\(e)".contains("not seg"), "\(e)")
        }
    }

    /// `people` reaches the rendered scenes: "1-1" studies single-person images only, and the report says so.
    func testPeopleRangeSelectsTheScenesStudied() throws {
        let dir = scratchFolder("guard-study-people")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ckpt = try saveCheckpoint(tinyModel(.depth), to: dir + "/depth.safetensors")
        let r = try BackgroundGuardStudy.run(checkpoint: ckpt, images: 6, height: 96, width: 72, seed: 78, people: "1-1", cacheDir: dir)
        XCTAssertEqual(r.people, "1-1")
        XCTAssertTrue(r.table.contains("1-1 people"), r.table)
        func boxes(_ people: String) throws -> [Int] {
            let c = try LabelledCorpus.shards(folder: try ImageCorpus.renderSynthetic(images: 6, height: 96, width: 72, people: people, seed: 78,
                                                                                      cacheDir: dir, background: .none), labels: LabelSpec())
            return try (0..<6).map { try c.sample(at: $0).boxes.count }
        }
        XCTAssertEqual(try boxes("1-1"), [Int](repeating: 1, count: 6))
        XCTAssertEqual(r.byPeople.map(\.people), [1])
        XCTAssertFalse(r.table.contains("by the number of people"), "one count, no split table")
        XCTAssertGreaterThan(try boxes("2-3").max() ?? 0, 1, "the same seed with more people renders other scenes")
    }

    /// `scenery: .room` scores the room renders in the scenery arm (and the guard leaves them alone).
    func testRoomSceneryArm() throws {
        let dir = scratchFolder("guard-study-room")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ckpt = try saveCheckpoint(tinyModel(.depth), to: dir + "/depth.safetensors")
        let r = try BackgroundGuardStudy.run(checkpoint: ckpt, images: 4, height: 96, width: 72, seed: 79, scenery: .room, cacheDir: dir)
        XCTAssertEqual(r.sceneryKind, "room")
        XCTAssertTrue(r.scenery.name.hasPrefix("room scenery"), r.scenery.name)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/synth-n4-96x72-p1-2-s79-bgroom/.complete"))
        XCTAssertEqual(r.plainGuarded.triggered, 4)
    }
}
