import Dispatch

/// Number of worker threads the engine's own loops use (BLAS has its own setting).
public enum EngineThreads {
    nonisolated(unsafe) public static var count = max(1, min(ProcessInfo.processInfo.activeProcessorCount, 64))
}

import Foundation

/// Splits 0..<n into contiguous chunks and runs them on the engine's threads.
/// Small jobs run inline: a dispatch costs about as much as 10^4 simple element operations.
@inline(__always)
func parallelRanges(_ n: Int, minChunk: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let workers = min(EngineThreads.count, max(1, n / minChunk))
    if workers <= 1 { body(0..<n); return }
    let step = (n + workers - 1) / workers
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let lo = w * step, hi = min(n, lo + step)
        if lo < hi { body(lo..<hi) }
    }
}

/// Runs `body(i)` for i in 0..<n across the engine's threads (for coarse work items).
func parallelFor(_ n: Int, _ body: (Int) -> Void) {
    if n <= 1 || EngineThreads.count <= 1 { for i in 0..<n { body(i) }; return }
    let workers = min(EngineThreads.count, n)
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        var i = w
        while i < n { body(i); i += workers }
    }
}
