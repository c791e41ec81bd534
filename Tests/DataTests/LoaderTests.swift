import Foundation
import XCTest
import SapiensData

/// Counts items made but not yet handed out, to check the queue bound.
final class InFlight: @unchecked Sendable {
    private let lock = NSLock()
    private var current = 0
    private(set) var peak = 0
    func made() { lock.lock(); current += 1; peak = max(peak, current); lock.unlock() }
    func taken() { lock.lock(); current -= 1; lock.unlock() }
}

final class LoaderTests: XCTestCase {
    func testEpochOrderIsAReproduciblePermutationMixingShards() {
        let counts = [5, 0, 7, 3, 9]
        let a = EpochOrder.indices(shardCounts: counts, seed: 7, epoch: 2, shardsPerWindow: 2)
        XCTAssertEqual(a.sorted(), Array(0..<24))
        XCTAssertEqual(a, EpochOrder.indices(shardCounts: counts, seed: 7, epoch: 2, shardsPerWindow: 2))
        XCTAssertNotEqual(a, EpochOrder.indices(shardCounts: counts, seed: 7, epoch: 3, shardsPerWindow: 2))
        XCTAssertEqual(EpochOrder.indices(shardCounts: counts, seed: 7, epoch: 2, shuffle: false), Array(0..<24))
        // With one window over everything, the first few items already come from several shards.
        let shardOf = { (i: Int) in i < 5 ? 0 : i < 12 ? 2 : i < 15 ? 3 : 4 }
        let mixed = EpochOrder.indices(shardCounts: counts, seed: 1, epoch: 0, shardsPerWindow: 8)
        XCTAssertGreaterThan(Set(mixed.prefix(8).map(shardOf)).count, 1)
    }

    func testOutputIsIndependentOfWorkerCountAndTiming() throws {
        func run(workers: Int) throws -> [UInt64] {
            let loader = ParallelLoader<UInt64>(order: Array((0..<40).reversed()), workers: workers, queueDepth: 5, seed: 11, epoch: 1) { index, rng in
                usleep(UInt32(index % 3) * 300)   // finish out of order
                return UInt64(index) << 32 ^ (rng.next() & 0xFFFF_FFFF)
            }
            var out: [UInt64] = []
            while let v = try loader.next() { out.append(v) }
            return out
        }
        let one = try run(workers: 1)
        XCTAssertEqual(one.count, 40)
        XCTAssertEqual(one.map { $0 >> 32 }, (0..<40).reversed().map(UInt64.init))
        XCTAssertEqual(try run(workers: 3), one)
    }

    func testQueueIsBounded() throws {
        let flight = InFlight()
        let loader = ParallelLoader<Int>(order: Array(0..<60), workers: 3, queueDepth: 4) { index, _ in
            flight.made()
            return index
        }
        while try loader.next() != nil {
            flight.taken()
            usleep(200)
        }
        // The depth bounds made-but-not-returned items; the one the consumer has just received but not yet
        // counted as taken adds one.
        XCTAssertLessThanOrEqual(flight.peak, 4 + 1)
        XCTAssertGreaterThanOrEqual(flight.peak, 1)
    }

    func testErrorsSurfaceInOrderAndStoppingEarlyDoesNotHang() throws {
        let loader = ParallelLoader<Int>(order: Array(0..<10), workers: 2, queueDepth: 3) { index, _ in
            if index == 3 { throw DataError.corruptImage("shard-x.h5 record 3", "bad") }
            return index
        }
        XCTAssertEqual(try loader.nextBatch(3), [0, 1, 2])
        assertThrowsDataError(try loader.next(), mentioning: "shard-x.h5 record 3")
        XCTAssertEqual(try loader.next(), 4)
        loader.stop()
        XCTAssertNil(try loader.next())
        // Dropped mid-epoch with work outstanding: deinit must stop the threads, not deadlock.
        var big: ParallelLoader<Int>? = ParallelLoader(order: Array(0..<10_000), workers: 2, queueDepth: 8) { i, _ in i }
        XCTAssertEqual(try big?.next(), 0)
        big = nil
    }

    func testMAELoaderOverShards() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for s in 0..<2 {
            let w = try ShardWriter(path: dir + "/s\(s).h5")
            for i in 0..<5 {
                try w.append(ShardRecord(id: "\(s)-\(i)", source: "", jpeg: try ImageCodec.encodeJPEG(gradientImage(width: 40, height: 30, seed: i)),
                                         width: 40, height: 30))
            }
            if s == 1 {
                // A record whose bytes are not an image: the loader must report it by shard and record.
                try w.append(ShardRecord(id: "broken", source: "", jpeg: Array("oops".utf8), width: 40, height: 30))
            }
            try w.finish()
        }
        let ds = try ShardDataset(folder: dir)
        let loader = ShardLoader.mae(dataset: ds, augmentation: MAEAugmentation(size: 16), seed: 5, epoch: 0, workers: 2)
        var good = 0, errors: [String] = []
        while true {
            do {
                guard let item = try loader.next() else { break }
                XCTAssertEqual([item.channels, item.height, item.width], [3, 16, 16])
                good += 1
            } catch {
                errors.append("\(error)")
            }
        }
        XCTAssertEqual(good, 10)
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.contains("s1.h5 record 5") ?? false, "\(errors)")
        let batch = try FloatBatch(try ShardLoader.mae(dataset: ds, augmentation: MAEAugmentation(size: 16), seed: 5, epoch: 0, shuffle: false).nextBatch(4))
        XCTAssertEqual(batch.data.count, 4 * 3 * 16 * 16)
    }

    func testLabelledLoaderKeepsLabelsAligned() throws {
        let dir = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let w = try ShardWriter(path: dir + "/l.h5")
        for i in 0..<3 { try w.append(try labelledRecord(2 * i)) }
        try w.finish()
        let aug = FineTuneAugmentation(outWidth: 16, outHeight: 24, keypointFlip: KeypointSchema.coco17.flipIndex)
        let loader = ShardLoader.labelled(dataset: try ShardDataset(paths: [dir + "/l.h5"]), augmentation: aug, seed: 1, epoch: 0)
        let items = try loader.nextBatch(10)
        XCTAssertEqual(items.count, 3)
        for s in items {
            XCTAssertEqual([s.width, s.height], [16, 24])
            XCTAssertEqual(s.depth?.count, 16 * 24)
            XCTAssertEqual(s.mask?.count, 16 * 24)
            XCTAssertEqual(s.keypoints?.count, 2 * 17 * 3)
        }
    }

    func testBenchmarkRuns() throws {
        let r = try LoaderBenchmark.run(images: 24, size: 64, workers: 2)
        XCTAssertEqual(r.images, 24)
        XCTAssertGreaterThan(r.imagesPerSecond, 0)
        XCTAssertGreaterThan(r.meanJPEGBytes, 1000)
    }
}

/// The full-size figure for the README, only on request: SAPIENS_LOADER_BENCH=1 swift test -c release --filter LoaderBenchmarkReport
final class LoaderBenchmarkReport: XCTestCase {
    func testFullSizeBenchmark() throws {
        try XCTSkipUnless(ProcessInfo.processInfo.environment["SAPIENS_LOADER_BENCH"] != nil, "set SAPIENS_LOADER_BENCH=1 to run")
        for workers in [1, 2] {
            let r = try LoaderBenchmark.run(images: 512, size: 224, workers: workers)
            print(String(format: "loader: %d workers, %d images %dx%d, %.1f images/s (mean JPEG %d bytes)",
                         workers, r.images, r.imageSize, r.imageSize, r.imagesPerSecond, r.meanJPEGBytes))
            XCTAssertGreaterThan(r.imagesPerSecond, 0)
        }
    }
}
