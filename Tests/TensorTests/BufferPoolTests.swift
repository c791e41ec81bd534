@testable import Tensor
import XCTest

/// The buffer pool's bound: when full, it frees the buffers idle longest, so a new workload's sizes
/// are pooled instead of refused.
final class BufferPoolTests: XCTestCase {
    func testReuseReturnsTheLatestBufferOfThatSize() {
        let pool = BufferPool()
        let a = pool.take(1000), b = pool.take(1000)
        pool.give(a, count: 1000); pool.give(b, count: 1000)
        XCTAssertEqual(pool.idleBytes, 8000)
        XCTAssertEqual(pool.take(1000), b)
        XCTAssertEqual(pool.take(1000), a)
        XCTAssertEqual(pool.idleBytes, 0)
        pool.give(a, count: 1000); pool.give(b, count: 1000)
        pool.drain()
        XCTAssertEqual(pool.idleBytes, 0)
    }

    func testFullPoolEvictsTheOldestAcrossSizes() {
        let pool = BufferPool()
        pool.capacityBytes = 3 * 4096 * 4
        pool.retainBytes = pool.capacityBytes
        // An "old workload" fills the pool with one size.
        let old = (0..<3).map { _ in pool.take(4096) }
        for p in old { pool.give(p, count: 4096) }
        XCTAssertEqual(pool.idleBytes, 3 * 4096 * 4)
        // A new workload's buffers are kept; the oldest of the old ones go.
        let new = (0..<2).map { _ in pool.take(2048) }
        for p in new { pool.give(p, count: 2048) }
        XCTAssertEqual(pool.idleBytes, 2 * 4096 * 4 + 2 * 2048 * 4)
        XCTAssertEqual(pool.take(2048), new[1])
        XCTAssertEqual(pool.take(2048), new[0])
        // The two old buffers returned last survived; the first one returned was freed.
        XCTAssertEqual(pool.take(4096), old[2])
        XCTAssertEqual(pool.take(4096), old[1])
        XCTAssertEqual(pool.idleBytes, 0)
    }

    func testStaleLogEntriesDoNotEvictTheWrongBuffer() {
        let pool = BufferPool()
        pool.capacityBytes = 2 * 1024 * 4
        pool.retainBytes = pool.capacityBytes
        let a = pool.take(1024), b = pool.take(1024)
        pool.give(a, count: 1024)            // log: a
        XCTAssertEqual(pool.take(1024), a)   // a's entry is now stale
        pool.give(b, count: 1024)            // log: a(stale), b
        pool.give(a, count: 1024)            // log: a(stale), b, a
        let c = pool.take(1024)              // takes a (newest); pool holds b
        XCTAssertEqual(c, a)
        let d = pool.take(512)
        pool.give(d, count: 512)             // fits next to b: nothing evicted
        XCTAssertEqual(pool.idleBytes, 1024 * 4 + 512 * 4)
        pool.give(c, count: 1024)            // over by 512 floats: b (oldest live) goes, not d
        XCTAssertEqual(pool.idleBytes, 1024 * 4 + 512 * 4)
        XCTAssertEqual(pool.take(512), d)
        XCTAssertEqual(pool.take(1024), c)
        XCTAssertEqual(pool.idleBytes, 0)
    }

    /// The pool keeps up to `retainBytes` idle, so a repeated pass finds all its buffers again; a fresh
    /// allocation first sheds idle buffers until live + idle is within the largest live + `capacityBytes` so
    /// far, so the peak is what it would be with the smaller bound alone.
    func testRetainedBuffersAreShedBeforeNewMemory() {
        let pool = BufferPool()
        pool.capacityBytes = 2 * 1024 * 4
        pool.retainBytes = 8 * 1024 * 4
        // One "forward pass" of four buffers, all returned: over the capacity, within the retain bound.
        let pass = (0..<4).map { _ in pool.take(1024) }
        for p in pass { pool.give(p, count: 1024) }
        XCTAssertEqual(pool.idleBytes, 4 * 1024 * 4)
        // The next pass reuses every one of them: no new memory, so the peak does not move.
        pool.resetPeak()
        let again = (0..<4).map { _ in pool.take(1024) }
        XCTAssertEqual(Set(again), Set(pass))
        for p in again { pool.give(p, count: 1024) }
        XCTAssertEqual(pool.peakUsage.heldBytes, 4 * 1024 * 4)
        // A small new size fits under the high-water mark (4 x 1024 live + capacity): nothing is shed.
        let small = pool.take(512)
        XCTAssertEqual(pool.usage, BufferPool.Usage(liveBytes: 512 * 4, idleBytes: 4 * 1024 * 4))
        pool.give(small, count: 512)
        XCTAssertEqual(pool.take(512), small)
        // A larger one raises the mark to its live + capacity, and idle buffers beyond that go, the ones
        // returned longest ago first: live + idle at the allocation is 6.5 x 1024 + 2 x 1024 floats.
        let big = pool.take(6 * 1024)
        XCTAssertEqual(pool.usage, BufferPool.Usage(liveBytes: (512 + 6 * 1024) * 4, idleBytes: 2 * 1024 * 4))
        XCTAssertEqual(Set([pool.take(1024), pool.take(1024)]), Set(again.suffix(2)))
        pool.give(small, count: 512)
        pool.give(big, count: 6 * 1024)
        pool.drain()
    }

    func testSteadyLoopKeepsTheLogBounded() {
        let pool = BufferPool()
        for _ in 0..<10_000 { let p = pool.take(256); pool.give(p, count: 256) }
        XCTAssertEqual(pool.idleBytes, 256 * 4)
        XCTAssertLessThanOrEqual(pool.logLength, 2 * 1 + 1025)
        pool.drain()
    }
}

/// The pool's accounting (what the benchmarks report) and the large-buffer path that returns memory to the kernel.
final class BufferPoolUsageTests: XCTestCase {
    func testLiveIdleAndPeakBytes() {
        let pool = BufferPool()
        let a = pool.take(1000), b = pool.take(500)
        XCTAssertEqual(pool.usage, BufferPool.Usage(liveBytes: 6000, idleBytes: 0))
        pool.give(a, count: 1000)
        XCTAssertEqual(pool.usage, BufferPool.Usage(liveBytes: 2000, idleBytes: 4000))
        XCTAssertEqual(pool.take(1000), a)   // reuse moves bytes from idle to live; the held total stays
        XCTAssertEqual(pool.peakUsage.heldBytes, 6000)
        pool.give(a, count: 1000); pool.give(b, count: 500)
        pool.resetPeak()
        XCTAssertEqual(pool.peakUsage, BufferPool.Usage(liveBytes: 0, idleBytes: 6000))
        pool.drain()
        XCTAssertEqual(pool.usage, BufferPool.Usage(liveBytes: 0, idleBytes: 0))
    }

    func testMappedBuffersAreUsableAlignedAndPooled() {
        let pool = BufferPool()
        let n = BufferPool.mapThresholdBytes / 4 + 3   // not a whole number of pages
        let p = pool.take(n)
        XCTAssertEqual(Int(bitPattern: p) % 64, 0)
        p.update(repeating: 1.5, count: n)
        XCTAssertEqual(p[n - 1], 1.5)
        pool.give(p, count: n)
        XCTAssertEqual(pool.take(n), p)
        pool.give(p, count: n)
        // Over the bound, a mapped buffer is unmapped at once instead of pooled.
        pool.capacityBytes = 1024
        pool.retainBytes = 1024
        let q = pool.take(n)
        pool.give(q, count: n)
        XCTAssertEqual(pool.usage.liveBytes, 0)
        pool.drain()
        XCTAssertEqual(pool.usage.idleBytes, 0)
    }
}
