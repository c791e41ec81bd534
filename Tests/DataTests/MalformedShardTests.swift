import CHDF5
import Foundation
import XCTest
@testable import SapiensData

/// Shards whose attributes, shapes and offsets lie, written here dataset by dataset. Every size read from a
/// shard is checked against the file (with overflow-checked arithmetic) before anything is allocated, and
/// the error names the shard and the dataset.
final class MalformedShardTests: XCTestCase {
    var dir = ""
    var written = 0
    override func setUpWithError() throws {
        dir = try temporaryFolder()
        // These shards are written dataset by dataset, without ShardWriter's checksum header, to reach the
        // checks behind it (ShardIntegrityTests covers the header itself).
        ShardIntegrity.acceptUnsealed = true
    }
    override func tearDown() {
        ShardIntegrity.acceptUnsealed = false
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// What a one-record shard holds; each test changes one part.
    struct Layout {
        var count: Int64 = 1
        var numKeypoints: Int64 = 0
        var keypointShape = [0, 0, 3]
        var width: Int32 = 4, height: Int32 = 2
        var imageRows = 10
        var ids = ["a"]
        var offsets: [String: [Int64]] = [:]
        var depthRows = 0
        var writtenValues = true
    }

    /// Writes `layout` as a shard. Datasets beyond `writtenValues` are declared but never written, as a
    /// forged extent would be.
    func write(_ layout: Layout) throws -> String {
        // A fresh name each time: HDF5 refuses to truncate a file a reader may still hold open.
        written += 1
        let path = dir + "/bad-\(written).h5"
        let f = try HDF5File.create(path: path)
        defer { f.close() }
        let u8 = chdf5_native_uint8(), f32 = chdf5_native_float(), i32 = chdf5_native_int32(), i64 = chdf5_native_int64()
        for field in ShardLayout.all { try f.createGroup(field.group) }
        try f.writeFixed(ShardLayout.image.valuesPath, type: u8, shape: [layout.imageRows],
                         values: layout.writtenValues ? [UInt8](repeating: 7, count: layout.imageRows) : [])
        try f.writeFixed(ShardLayout.boxes.valuesPath, type: f32, shape: [0, 5], values: [Float]())
        try f.writeFixed(ShardLayout.keypoints.valuesPath, type: f32, shape: layout.keypointShape, values: [Float]())
        try f.writeFixed(ShardLayout.seg.valuesPath, type: u8, shape: [0], values: [UInt8]())
        try f.writeFixed(ShardLayout.depth.valuesPath, type: f32, shape: [layout.depthRows],
                         values: [Float](repeating: 1, count: layout.depthRows))
        try f.writeFixed(ShardLayout.normals.valuesPath, type: f32, shape: [0, 3], values: [Float]())
        try f.writeFixed(ShardLayout.mask.valuesPath, type: u8, shape: [0], values: [UInt8]())
        let n = layout.ids.count
        try f.writeStrings(ShardLayout.id, layout.ids)
        try f.writeStrings(ShardLayout.source, layout.ids)
        try f.writeFixed(ShardLayout.width, type: i32, shape: [n], values: [Int32](repeating: layout.width, count: n))
        try f.writeFixed(ShardLayout.height, type: i32, shape: [n], values: [Int32](repeating: layout.height, count: n))
        for field in ShardLayout.all {
            var o = layout.offsets[field.group] ?? [Int64](repeating: 0, count: n + 1)
            if layout.offsets[field.group] == nil && field.group == ShardLayout.image.group { o[n] = Int64(layout.imageRows) }
            if layout.offsets[field.group] == nil && field.group == ShardLayout.depth.group { o[n] = Int64(layout.depthRows) }
            try f.writeFixed(field.offsetsPath, type: i64, shape: [o.count], values: o)
        }
        try f.setAttribute("format", string: ShardLayout.format)
        try f.setAttribute("version", int: ShardLayout.version)
        try f.setAttribute("count", int: layout.count)
        try f.setAttribute("num_keypoints", int: layout.numKeypoints)
        return path
    }

    func assertShardError(_ body: @autoclosure () throws -> Any, _ expected: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try body()
            XCTFail("expected a shard error mentioning \(expected)", file: file, line: line)
        } catch let e as DataError {
            let text = e.description
            XCTAssertTrue(text.contains("/bad-"), "names the shard: \(text)", file: file, line: line)
            XCTAssertFalse(text.contains("\n"), text, file: file, line: line)
            for part in expected { XCTAssertTrue(text.contains(part), "'\(part)' missing from: \(text)", file: file, line: line) }
        } catch {
            XCTFail("expected a DataError, got \(error)", file: file, line: line)
        }
    }

    func testTheHandWrittenLayoutIsAValidShard() throws {
        let r = try ShardReader(path: try write(Layout()))
        XCTAssertEqual(r.count, 1)
        XCTAssertEqual(try r.imageBytes(at: 0), [UInt8](repeating: 7, count: 10))
    }

    func testOffsetsOfTwoToTheSixtySecondAreRefused() throws {
        // read(start:rows:) trapped on these (start + rows, then a 2^62-element allocation).
        var l = Layout()
        l.offsets[ShardLayout.image.group] = [0, 1 << 62]
        assertShardError(try ShardReader(path: try write(l)), ["image/offsets", "ends at row 4611686018427387904", "image/bytes has 10 rows"])
        l.offsets[ShardLayout.image.group] = [0, Int64.max]
        assertShardError(try ShardReader(path: try write(l)), ["image/offsets"])
        l.offsets[ShardLayout.image.group] = [0, -5]
        assertShardError(try ShardReader(path: try write(l)), ["image/offsets", "non-decreasing"])
    }

    func testAHugeNumKeypointsIsRefusedBeforeAllocating() throws {
        var l = Layout()
        l.numKeypoints = 1 << 40
        assertShardError(try ShardReader(path: try write(l)), ["num_keypoints", "1099511627776"])
        l.numKeypoints = -3
        assertShardError(try ShardReader(path: try write(l)), ["num_keypoints"])
        // Within the bound but disagreeing with the keypoints dataset.
        l.numKeypoints = 17
        assertShardError(try ShardReader(path: try write(l)), ["keypoints/values", "[0, 0, 3]"])
    }

    func testADatasetClaimingMoreThanTheFileHoldsIsNotAllocated() throws {
        // The extent says 2^40 bytes of image, nothing was ever written: reading it would allocate a terabyte
        // of fill values.
        var l = Layout()
        l.imageRows = 1 << 40
        l.writtenValues = false
        let path = try write(l)
        let reader = try ShardReader(path: path)
        assertShardError(try reader.imageBytes(at: 0), ["image/bytes", "more than a", "byte file can hold"])
    }

    func testForgedCountsAreRefused() throws {
        var l = Layout()
        l.count = 1 << 62
        let path = try write(l)
        assertShardError(try ShardReader(path: path), ["count attribute 4611686018427387904"])
        assertShardError(try ShardDataset(paths: [path]), ["count attribute"])
        l.count = 2
        assertShardError(try ShardReader(path: try write(l)), ["id", "expected [2]"])
        l.count = -1
        assertShardError(try ShardReader(path: try write(l)), ["count attribute -1"])
    }

    func testRecordSizesAreCheckedBeforeLabelsAreRead() throws {
        var l = Layout()
        l.width = Int32.max
        l.height = Int32.max
        assertShardError(try ShardReader(path: try write(l)).record(at: 0), ["record 0", "2147483647x2147483647"])
        l.width = -4
        assertShardError(try ShardReader(path: try write(l)).record(at: 0), ["record 0", "size -4x2"])
        l = Layout()
        l.depthRows = 7
        assertShardError(try ShardReader(path: try write(l)).record(at: 0), ["record 0 depth", "7 rows", "4x2"])
    }

    /// Found by scripts/fuzz (Fuzz/corpus/hdf5/regression-gcol-free-space-size-0.h5): a global heap object
    /// with index 0 and size 0 made libhdf5 1.10's H5Aread loop forever on a string attribute.
    func testAGlobalHeapObjectThatNeverAdvancesIsRefusedBeforeLibHDF5ReadsIt() throws {
        var bytes = try FileIO.read(path: try write(Layout()))
        let gcol = Array("GCOL".utf8)
        guard let at = (0..<bytes.count - 4).first(where: { Array(bytes[$0..<$0 + 4]) == gcol }) else {
            return XCTFail("the shard's string attributes should live in a global heap collection")
        }
        // The collection's first object: index (2), references (2), reserved (4), size (8), after a 16-byte header.
        let object = at + 16
        for i in 0..<2 { bytes[object + i] = 0 }
        for i in 8..<16 { bytes[object + i] = 0 }
        written += 1
        let path = dir + "/bad-\(written).h5"
        try FileIO.writeAtomically(bytes, to: path)
        assertShardError(try ShardReader(path: path), ["global heap", "byte \(object)"])
    }

    /// Every prefix of a real shard and a sample of byte flips: an error naming the file, never a trap.
    func testTruncatedAndCorruptedShardsGiveErrors() throws {
        let good = dir + "/good.h5"
        let w = try ShardWriter(path: good)
        for i in 0..<3 { try w.append(try labelledRecord(i)) }
        try w.finish()
        let bytes = try FileIO.read(path: good)
        for end in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 200)) {
            let path = dir + "/cut.h5"
            try FileIO.writeAtomically(Array(bytes.prefix(end)), to: path)
            do {
                let r = try ShardReader(path: path)
                for i in 0..<r.count { _ = try? r.record(at: i) }
            } catch let e as DataError {
                XCTAssertEqual(e.file, path, "\(e)")
            }
        }
        // A fixed sequence of flips (an LCG), so a failure reproduces.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        for _ in 0..<300 {
            var b = bytes
            b[next() % b.count] ^= UInt8(1 + next() % 255)
            let path = dir + "/flip.h5"
            try FileIO.writeAtomically(b, to: path)
            do {
                let r = try ShardReader(path: path)
                for i in 0..<r.count { _ = try? r.record(at: i) }
            } catch let e as DataError {
                XCTAssertEqual(e.file, path, "\(e)")
            }
        }
    }
}
