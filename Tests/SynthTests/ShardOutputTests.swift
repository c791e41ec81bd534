import SapiensData
import Foundation
import XCTest
import Synth

/// The default output: shards split at `shardSize`, records in index order, labels intact.
final class ShardOutputTests: XCTestCase {
    func testShardsRoundTripTheRenderedLabels() throws {
        let dir = NSTemporaryDirectory() + "synth-h5-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = SynthConfig(count: 5, height: 48, width: 32, peoplePerImage: 1...2, seed: 3, format: .h5, shardSize: 2)
        let summary = try SynthWriter.run(config: config, outDir: dir)
        let shards = summary.files.filter { $0.hasSuffix(".h5") }
        XCTAssertEqual(shards.map { ($0 as NSString).lastPathComponent }, ["synth-00000.h5", "synth-00001.h5", "synth-00002.h5"])

        let renderer = try Renderer(config: config)
        var index = 0
        for path in shards {
            let reader = try ShardReader(path: path)
            for k in 0..<reader.count {
                let r = try reader.record(at: k), s = renderer.render(index: index)
                XCTAssertEqual(r.id, SampleEncoding.id(index))
                XCTAssertEqual(r.numKeypoints, KeypointSet.count)
                XCTAssertEqual(r.keypointPeople, s.people.count)
                XCTAssertEqual(r.boxes.map(\.score), s.people.map(\.score))
                XCTAssertEqual(r.depth, s.depth)
                XCTAssertEqual(r.mask, s.mask)
                XCTAssertEqual(try ImageCodec.decode(try XCTUnwrap(r.segPNG), name: "seg").pixels, s.segmentation)
                index += 1
            }
        }
        XCTAssertEqual(index, 5)
    }
}
