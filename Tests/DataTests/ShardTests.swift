import Foundation
import XCTest
import SapiensData

func labelledRecord(_ i: Int, width: Int = 12, height: Int = 8) throws -> ShardRecord {
    var r = ShardRecord(id: "img-\(i)", source: "/photos/ü\(i).jpg",
                        jpeg: try ImageCodec.encodeJPEG(gradientImage(width: width, height: height, seed: i)),
                        width: width, height: height)
    let pixels = width * height
    if i % 2 == 0 {
        r.boxes = [PersonBox(x: 1, y: 2, w: 3, h: 4, score: 0.95), PersonBox(x: Float(i), y: 0, w: 5, h: 6, score: 0.5)]
        r.numKeypoints = 17
        r.keypoints = (0..<(2 * 17 * 3)).map { Float($0 + i) }
        r.segPNG = try ImageCodec.encodePNG(Image(width: width, height: height, channels: 1, fill: UInt8(i % 28)))
        r.depth = (0..<pixels).map { Float($0) * 0.01 }
        r.normals = (0..<(pixels * 3)).map { $0 % 3 == 2 ? -1 : 0 }
        r.mask = (0..<pixels).map { $0 % 3 == 0 ? 255 : 0 }
    }
    return r
}

final class ShardTests: XCTestCase {
    func testRoundTripKeepsEveryLabel() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/a.h5"
        let records = try (0..<5).map { try labelledRecord($0) }
        let w = try ShardWriter(path: path)
        for r in records { try w.append(r) }
        try w.finish()
        let reader = try ShardReader(path: path)
        XCTAssertEqual(reader.count, 5)
        XCTAssertEqual(reader.numKeypoints, 17)
        for (i, r) in records.enumerated() {
            XCTAssertEqual(try reader.record(at: i), r, "record \(i)")
        }
        // For a manual h5py check: SAPIENS_SHARD_EXPORT=/tmp/x.h5 then scripts/check_shard_h5py.py /tmp/x.h5
        if let export = ProcessInfo.processInfo.environment["SAPIENS_SHARD_EXPORT"] {
            try FileIO.writeAtomically(try FileIO.read(path: path), to: export)
        }
        // Unlabelled records come back with nil labels, not empty arrays.
        XCTAssertNil(try reader.record(at: 1).depth)
        XCTAssertNil(try reader.record(at: 1).keypoints)
    }

    func testShardAppearsOnlyOnFinish() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/b.h5"
        do {
            let w = try ShardWriter(path: path)
            try w.append(try labelledRecord(0))
            XCTAssertFalse(FileManager.default.fileExists(atPath: path))
            // Dropped without finish(): its temporary file must go too.
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), [])
        let w = try ShardWriter(path: path)
        try w.append(try labelledRecord(0))
        try w.finish()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["b.h5"])
        assertThrowsDataError(try w.append(try labelledRecord(1)), mentioning: "b.h5")
    }

    func testEmptyShardIsReadable() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try ShardWriter(path: dir + "/empty.h5")
        try w.finish()
        XCTAssertEqual(try ShardReader(path: dir + "/empty.h5").count, 0)
    }

    func testBadRecordIsRejectedAndShardStaysUsable() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/c.h5"
        let w = try ShardWriter(path: path)
        var bad = try labelledRecord(0)
        bad.depth = [1, 2, 3]
        assertThrowsDataError(try w.append(bad), mentioning: "img-0")
        var otherK = try labelledRecord(2)
        try w.append(try labelledRecord(0))
        otherK.numKeypoints = 3
        otherK.keypoints = [Float](repeating: 0, count: 9)
        assertThrowsDataError(try w.append(otherK), mentioning: "17")
        try w.finish()
        XCTAssertEqual(try ShardReader(path: path).count, 1)
    }

    func testCorruptAndForeignFilesGiveShardErrors() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileIO.writeAtomically(Array("not hdf5 at all".utf8), to: dir + "/junk.h5")
        assertThrowsDataError(try ShardReader(path: dir + "/junk.h5"), mentioning: "junk.h5")
        let w = try ShardWriter(path: dir + "/good.h5")
        for i in 0..<4 { try w.append(try labelledRecord(i)) }
        try w.finish()
        let bytes = try FileIO.read(path: dir + "/good.h5")
        try FileIO.writeAtomically(Array(bytes.prefix(bytes.count / 2)), to: dir + "/half.h5")
        assertThrowsDataError(try ShardReader(path: dir + "/half.h5").record(at: 3), mentioning: "half.h5")
        assertThrowsDataError(try ShardReader(path: dir + "/good.h5").record(at: 4), mentioning: "good.h5")
        assertThrowsDataError(try ShardReader(path: dir + "/missing.h5"), mentioning: "missing.h5")
    }

    func testDatasetIndexesAcrossShards() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var n = 0
        for (s, size) in [3, 0, 4].enumerated() {
            let w = try ShardWriter(path: dir + "/shard-\(s).h5")
            for _ in 0..<size { try w.append(try labelledRecord(n)); n += 1 }
            try w.finish()
        }
        let ds = try ShardDataset(folder: dir, maxOpenShards: 1)
        XCTAssertEqual(ds.count, 7)
        XCTAssertEqual(ds.counts, [3, 0, 4])
        for i in 0..<7 { XCTAssertEqual(try ds.record(at: i).id, "img-\(i)") }
        XCTAssertEqual(try ds.locate(3).shard, 2)
        assertThrowsDataError(try ds.record(at: 7), mentioning: "7")
    }
}
