import CBLAS
import Foundation

/// Who parallelises a GEMM. `SAPIENS_GEMM_THREADING=openblas` selects OpenBLAS's own threads;
/// the default, `engine`, keeps OpenBLAS at one thread and splits each large GEMM into slabs of
/// C over the engine's workers. The engine's way lets one warm pool serve both GEMMs and the
/// loops between them, and lets many small GEMMs (attention heads, batched matmul) run side by
/// side instead of each being split thinly.
public enum GEMMThreading: String, Sendable {
    case engine, openblas

    nonisolated(unsafe) public static var mode: GEMMThreading = from(ProcessInfo.processInfo.environment)

    public static func from(_ env: [String: String]) -> GEMMThreading {
        GEMMThreading(rawValue: env["SAPIENS_GEMM_THREADING"]?.lowercased() ?? "") ?? .engine
    }

    /// Whether GEMMs are split by the engine right now (OpenBLAS then runs single-threaded).
    static var engineSplits: Bool {
        guard mode == .engine else { return false }
        _ = configured
        return true
    }

    /// In engine mode OpenBLAS must not spawn its own threads on top of ours.
    private static let configured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()
}

/// Below this many multiply-adds a GEMM runs on one thread: splitting costs more than it saves.
let gemmSplitThreshold = 1 << 18

/// C[M,N] = alpha * op(A) op(B) + beta * C, row-major. In engine mode a large product is split
/// into row slabs (or column slabs, when C is wide and short) that the engine's workers compute
/// with single-threaded sgemm; inside a parallel region it always runs on the calling thread.
///
/// With `rowBias` (N values), C starts as that row in every row instead (beta is ignored): each
/// worker fills its own slab just before its product, so the fill is parallel and still in cache.
func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
           a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
           beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int, rowBias: UnsafePointer<Float>? = nil) {
    let workers = EngineThreads.count
    if m == 0 || n == 0 { return }
    let beta = rowBias == nil ? beta : 1
    /// Fills rows r0..<r1, columns c0..<c1 of C with the bias.
    func fill(_ r0: Int, _ r1: Int, _ c0: Int, _ c1: Int) {
        guard let rowBias else { return }
        for r in r0..<r1 { (c + r * ldc + c0).update(from: rowBias + c0, count: c1 - c0) }
    }
    guard GEMMThreading.engineSplits, workers > 1, m * n * k >= gemmSplitThreshold, !WorkerPool.shared.isBusy else {
        fill(0, m, 0, n)
        rawSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    // Slabs follow the AVX-512 kernels' register tile, 16 wide along C's columns (OpenBLAS's M)
    // and 4 along its rows (OpenBLAS's N), so a 197-row C splits 100/97 rather than 112/85. Two
    // slabs per worker when C is large, so a worker that loses its core (shared machines) holds up
    // only a small slab.
    let splitRows = m >= n || n < 32 * workers
    let extent = splitRows ? m : n
    let tile = splitRows ? 4 : 16
    let parts = min(extent >= 128 * workers ? 2 * workers : workers, max(1, extent / 16))
    if parts <= 1 { fill(0, m, 0, n); rawSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return }
    let step = ((extent + parts - 1) / parts + tile - 1) / tile * tile
    WorkerPool.shared.run(items: parts, workers: workers) { w, _ in
        let lo = w * step, hi = min(extent, lo + step)
        guard lo < hi else { return }
        if splitRows {
            fill(lo, hi, 0, n)
            rawSgemm(transA, transB, hi - lo, n, k, alpha, transA ? a + lo : a + lo * lda, lda, b, ldb, beta, c + lo * ldc, ldc)
        } else {
            fill(0, m, lo, hi)
            rawSgemm(transA, transB, m, hi - lo, k, alpha, a, lda, transB ? b + lo * ldb : b + lo, ldb, beta, c + lo, ldc)
        }
    }
}

@inline(__always)
private func rawSgemm(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                      _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                      _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
