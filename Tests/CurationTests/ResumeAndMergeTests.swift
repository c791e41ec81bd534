import SapiensData
import Foundation
import XCTest
import Curation

final class ResumeAndMergeTests: XCTestCase {
    private func setUpCorpus(_ root: String) throws -> CurationOptions {
        let (images, dets) = try Corpus.write(try Corpus.entries(), root: root)
        var o = CurationOptions(images: .folder(images), detections: dets, recipe: try CurationRecipe.parse(yaml: testRecipeYAML), out: root + "/straight")
        o.writeReport = false
        return o
    }

    private func shardIDs(_ folder: String) throws -> [String] {
        let d = try ShardDataset(folder: folder + "/shards")
        return try (0..<d.count).map { try d.record(at: $0).id }
    }

    func testKilledRunsResumedGiveTheStraightManifest() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let straight = try setUpCorpus(root)
        _ = try Curator.run(options: straight)
        let expected = try String(contentsOfFile: straight.out + "/manifest.jsonl", encoding: .utf8)

        var o = straight
        o.out = root + "/resumed"
        o.stopAfter = 7
        let partial = try Curator.run(options: o)
        XCTAssertFalse(partial.complete)
        XCTAssertEqual(partial.processedThisCall, 7)
        // What a real kill leaves behind: a torn last line and a writer's temporary file.
        let manifest = o.out + "/manifest.jsonl"
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: manifest))
        handle.seekToEndOfFile()
        handle.write(Data("{\"index\":99,\"key\":\"torn".utf8))
        try handle.close()
        try [1, 2, 3].write(to: o.out + "/shards/.train-00009.h5.tmp-dead")

        o.resume = true
        var calls = 0
        while !(try Curator.run(options: o).complete) {
            calls += 1
            XCTAssertLessThan(calls, 20)
        }
        XCTAssertGreaterThan(calls, 1, "several interrupted calls before completion")
        XCTAssertEqual(try String(contentsOfFile: manifest, encoding: .utf8), expected)
        XCTAssertEqual(try shardIDs(o.out), try shardIDs(straight.out))
        XCTAssertFalse(FileManager.default.fileExists(atPath: o.out + "/shards/.train-00009.h5.tmp-dead"))
        // A finished run resumed again does nothing and still accounts for every input.
        let again = try Curator.run(options: o)
        XCTAssertEqual(again.processedThisCall, 0)
        XCTAssertEqual(again.inputs, try Corpus.entries().count)
    }

    func testShardedRunsMergeIntoTheStraightRunIncludingCrossShardDuplicates() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var straight = try setUpCorpus(root)
        // Put the near-duplicate pair on different workers so only the merge can catch it.
        let orig = "a_orig.jpg"
        let half = try ShardSpec(index: 0, count: 2)
        var dupName = "z_dup.jpg"
        var i = 0
        while half.owns(key: orig) == half.owns(key: dupName) { i += 1; dupName = "z_dup\(i).jpg" }
        if dupName != "z_dup.jpg" {
            try FileManager.default.moveItem(atPath: root + "/images/z_dup.jpg", toPath: root + "/images/" + dupName)
            let d = try String(contentsOfFile: straight.detections ?? "", encoding: .utf8).replacingOccurrences(of: "z_dup.jpg", with: dupName)
            try Array(d.utf8).write(to: straight.detections ?? "")
        }
        _ = try Curator.run(options: straight)

        var parts: [String] = []
        for k in 0..<2 {
            var o = straight
            o.shard = try ShardSpec(index: k, count: 2)
            o.out = root + "/part\(k)"
            let s = try Curator.run(options: o)
            XCTAssertGreaterThan(s.inputs, 0)
            parts.append(o.out)
        }
        let workerManifests = try parts.map { try String(contentsOfFile: $0 + "/manifest.jsonl", encoding: .utf8) }
        XCTAssertFalse(workerManifests.joined().contains("near_duplicate"), "workers alone cannot see the cross-shard pair")

        let merged = try Curator.merge(dirs: parts.reversed(), out: root + "/merged", recipe: straight.recipe)
        XCTAssertEqual(try String(contentsOfFile: merged.manifest, encoding: .utf8),
                       try String(contentsOfFile: straight.out + "/manifest.jsonl", encoding: .utf8))
        XCTAssertEqual(try shardIDs(root + "/merged"), try shardIDs(straight.out))
        XCTAssertEqual(merged.rejected[.nearDuplicate], 1)
        XCTAssertTrue(FileManager.default.fileExists(atPath: root + "/merged/report.md"))

        XCTAssertThrowsError(try Curator.merge(dirs: [parts[0]], out: root + "/bad", recipe: straight.recipe)) {
            XCTAssertTrue("\($0)".contains("missing shard(s) 1/2"), "\($0)")
        }
    }

    func testShardSpecParsing() throws {
        XCTAssertEqual(try ShardSpec(parsing: "3/8"), try ShardSpec(index: 3, count: 8))
        XCTAssertThrowsError(try ShardSpec(parsing: "8/8"))
        XCTAssertThrowsError(try ShardSpec(parsing: "x"))
        // Every key belongs to exactly one worker.
        let specs = try (0..<3).map { try ShardSpec(index: $0, count: 3) }
        for key in ["a.jpg", "b/c.png", "d"] { XCTAssertEqual(specs.filter { $0.owns(key: key) }.count, 1) }
    }
}
