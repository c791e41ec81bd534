import SapiensData
import Distributed
import Tensor
import Training
import XCTest

final class StridedStreamTests: XCTestCase {
    /// Items are (dataset index, first draw of the item's seeded generator): order and augmentation seed.
    func stream(rank: Int, ranks: Int, position: Int = 0) -> SampleStream<[UInt64]> {
        SampleStream(shardCounts: [5, 6], seed: 7, position: position, rank: rank, ranks: ranks) { i, rng in [UInt64(i), rng.next()] }
    }

    /// Rank k of R takes items k, k+R, … of the single-process order, across epoch boundaries, so the ranks
    /// together read exactly what one process reads for the global batch.
    func testRanksInterleaveToTheSingleProcessOrder() throws {
        let single = stream(rank: 0, ranks: 1)
        let ranks = (0..<2).map { stream(rank: $0, ranks: 2) }
        for _ in 0..<7 {  // 7 steps of a global batch of 4 cross two epochs of 11 items
            let expected = try single.next(4).items
            let parts = try ranks.map { try $0.next(2).items }
            XCTAssertEqual([parts[0][0], parts[1][0], parts[0][1], parts[1][1]], expected)
            for r in ranks { r.commit(strides: 2) }
            XCTAssertEqual(ranks[0].position, single.position)
        }
    }

    /// Resuming at a global position with another rank count continues the same global order.
    func testResumeWithAnotherRankCount() throws {
        let single = stream(rank: 0, ranks: 1)
        _ = try single.next(6)
        let expected = try single.next(6).items
        let ranks = (0..<3).map { stream(rank: $0, ranks: 3, position: 6) }
        let parts = try ranks.map { try $0.next(2).items }
        XCTAssertEqual((0..<6).map { parts[$0 % 3][$0 / 3] }, expected)
    }

    func testBucketsFollowReverseParameterOrderAndTheSizeLimit() {
        let params = [10, 20, 30, 40].map { Tensor(shape: [$0], fill: 0, requiresGrad: true) }
        let b = GradientBuckets(parameters: params, bucketBytes: 60 * 4)
        XCTAssertEqual(b.count, 2, "40 | 30+20+10 under a 60-float limit")
        XCTAssertEqual(b.totalFloats, 100)
    }
}
