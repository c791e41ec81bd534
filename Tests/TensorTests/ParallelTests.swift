import CKernels
@testable import Tensor
import XCTest

/// The threaded paths (worker pool, GEMM slabs, attention query blocks) against plain references,
/// on shapes large enough that the parallel code actually runs.
final class ParallelTests: XCTestCase {
    private var savedThreads = 0
    private var savedMode = GEMMThreading.engine

    override func setUp() {
        savedThreads = EngineThreads.count
        savedMode = GEMMThreading.mode
    }

    override func tearDown() {
        EngineThreads.count = savedThreads
        GEMMThreading.mode = savedMode
    }

    func testPoolRunsEveryItemOnceAcrossManyRegions() {
        for threads in [2, 3] {
            EngineThreads.count = threads
            for n in [2, 3, 7, 64, 1000] {
                let hits = UnsafeMutablePointer<Int>.allocate(capacity: n)
                hits.initialize(repeating: 0, count: n)
                defer { hits.deallocate() }
                for _ in 0..<50 { parallelJobs(n) { i, w in
                    precondition(w < threads)
                    _ = sk_atomic_fetch_add(hits + i, 1)
                } }
                for i in 0..<n { XCTAssertEqual(hits[i], 50, "item \(i) of \(n) with \(threads) threads") }
            }
        }
    }

    func testNestedRegionsRunInline() {
        EngineThreads.count = 2
        var total = [Int](repeating: 0, count: 8)
        total.withUnsafeMutableBufferPointer { t in
            let p = t.baseAddress!
            parallelFor(8) { i in
                var s = 0
                parallelFor(10) { j in s += j }   // nested: runs on this thread, so `s` is not shared
                p[i] = s
            }
        }
        XCTAssertEqual(total, [Int](repeating: 45, count: 8))
    }

    func testEngineThreadsFromEnvironment() {
        XCTAssertEqual(EngineThreads.fromEnvironment(["SAPIENS_THREADS": "3"]), 3)
        XCTAssertGreaterThanOrEqual(EngineThreads.fromEnvironment(["SAPIENS_THREADS": "zero"]), 1)
        XCTAssertGreaterThanOrEqual(EngineThreads.fromEnvironment([:]), 1)
        XCTAssertEqual(GEMMThreading.from(["SAPIENS_GEMM_THREADING": "openblas"]), .openblas)
        XCTAssertEqual(GEMMThreading.from([:]), .engine)
    }

    private func naive(_ a: Tensor, _ b: Tensor, transA: Bool, transB: Bool) -> [Double] {
        let m = transA ? a.shape[1] : a.shape[0], k = transA ? a.shape[0] : a.shape[1]
        let n = transB ? b.shape[0] : b.shape[1]
        var c = [Double](repeating: 0, count: m * n)
        for i in 0..<m { for p in 0..<k {
            let av = Double(transA ? a[flat: p * m + i] : a[flat: i * k + p])
            for j in 0..<n { c[i * n + j] += av * Double(transB ? b[flat: j * k + p] : b[flat: p * n + j]) }
        } }
        return c
    }

    /// Row slabs (tall C) and column slabs (wide C), odd sizes, every transpose combination.
    func testSplitGemmMatchesReference() {
        EngineThreads.count = 3
        GEMMThreading.mode = .engine
        for (m, n, k) in [(131, 67, 45), (9, 1500, 40), (301, 300, 7)] {
            XCTAssertGreaterThanOrEqual(m * n * k, gemmSplitThreshold)
            for ta in [false, true] { for tb in [false, true] {
                let a = rand(ta ? [k, m] : [m, k], seed: 1), b = rand(tb ? [n, k] : [k, n], seed: 2)
                let c = a.matmul(b, transA: ta, transB: tb)
                let ref = naive(a, b, transA: ta, transB: tb)
                var worst = 0.0
                for i in 0..<ref.count { worst = max(worst, Swift.abs(Double(c[flat: i]) - ref[i])) }
                XCTAssertLessThan(worst, 1e-3, "\(m)x\(n)x\(k) transA \(ta) transB \(tb)")
            } }
        }
    }

    /// Linear forward and backward agree between engine-split GEMMs and single-threaded OpenBLAS.
    func testLinearSameUnderBothThreadingModes() {
        func run(_ mode: GEMMThreading, threads: Int) -> [[Float]] {
            GEMMThreading.mode = mode
            EngineThreads.count = threads
            let x = rand([3, 70, 96], seed: 3), w = rand([200, 96], seed: 4), b = rand([200], seed: 5)
            for t in [x, w, b] { t.requiresGrad = true }
            let y = x.linear(w, b).gelu()
            (y * rand(y.shape, seed: 6)).sum().backward()
            return [y.toArray(), x.grad?.toArray() ?? [], w.grad?.toArray() ?? [], b.grad?.toArray() ?? []]
        }
        let split = run(.engine, threads: 3), single = run(.engine, threads: 1)
        for (s, r) in zip(split, single) {
            XCTAssertEqual(s.count, r.count)
            for (u, v) in zip(s, r) { XCTAssertEqual(u, v, accuracy: 1e-3 * max(1, Swift.abs(v))) }
        }
    }

    /// Sequences longer than one query block (several forward jobs per head), batch 1, against
    /// attention composed from primitive ops; gradients through both must agree too.
    func testAttentionQueryBlocksMatchComposed() {
        EngineThreads.count = 2
        let B = 1, L = 150, H = 3, D = 24, hd = D / H
        let x1 = rand([B, L, 3 * D], seed: 12), x2 = x1.copy()
        x1.requiresGrad = true
        x2.requiresGrad = true
        let fused = x1.attention(heads: H)
        func head(_ t: Tensor, _ i: Int) -> Tensor {
            t.slice(axis: 2, start: i * D, length: D).reshaped([B, L, H, hd]).permuted([0, 2, 1, 3])
        }
        let p = head(x2, 0).matmul(head(x2, 1), transB: true).softmax(scale: 1 / Float(hd).squareRoot())
        let ref = p.matmul(head(x2, 2)).permuted([0, 2, 1, 3]).reshaped([B, L, D])
        for (a, b) in zip(fused.toArray(), ref.toArray()) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let proj = rand(fused.shape, seed: 13)
        (fused * proj).sum().backward()
        (ref * proj).sum().backward()
        guard let g1 = x1.grad, let g2 = x2.grad else { return XCTFail("no gradient") }
        for (a, b) in zip(g1.toArray(), g2.toArray()) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    /// The bias is filled slab by slab inside the split GEMM: row slabs (tall C, 197 rows as a ViT at
    /// batch 1) and column slabs (wide C), against a plain reference, on 1, 2 and 3 threads.
    func testLinearBiasFilledPerSlabMatchesReference() {
        GEMMThreading.mode = .engine
        for (rows, inF, outF) in [(197, 64, 192), (9, 40, 1500)] {
            let x = rand([rows, inF], seed: 21), w = rand([outF, inF], seed: 22), b = rand([outF], seed: 23)
            let ref = naive(x, w, transA: false, transB: true)
            XCTAssertGreaterThanOrEqual(rows * inF * outF, gemmSplitThreshold)
            for threads in [1, 2, 3] {
                EngineThreads.count = threads
                let y = x.linear(w, b)
                var worst = 0.0
                for r in 0..<rows { for j in 0..<outF {
                    worst = max(worst, Swift.abs(Double(y[flat: r * outF + j]) - (ref[r * outF + j] + Double(b[flat: j]))))
                } }
                XCTAssertLessThan(worst, 1e-3, "\(rows)x\(inF)->\(outF) on \(threads) threads")
            }
        }
    }
}
