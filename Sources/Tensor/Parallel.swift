import CKernels
import Foundation

/// Number of worker threads the engine's own loops (and, by default, its GEMMs) use.
/// `SAPIENS_THREADS=N` sets it; the default is the number of active cores.
public enum EngineThreads {
    nonisolated(unsafe) public static var count = EngineThreads.fromEnvironment(ProcessInfo.processInfo.environment)

    /// SAPIENS_THREADS when it is a positive integer, else the active core count (at most 64).
    public static func fromEnvironment(_ env: [String: String]) -> Int {
        if let s = env["SAPIENS_THREADS"], let n = Int(s.trimmingCharacters(in: .whitespaces)), n > 0 { return min(n, 256) }
        return max(1, min(ProcessInfo.processInfo.activeProcessorCount, 64))
    }
}

/// Persistent workers for the engine's parallel loops.
///
/// Why not DispatchQueue.concurrentPerform: a training step issues thousands of short parallel
/// regions (a GEMM slab, a layer-norm pass), and waking pooled GCD threads costs tens of
/// microseconds each time. These workers spin briefly on a region counter after each region, so
/// the next one starts in well under a microsecond, and then sleep on a condition so an idle
/// process does not burn the cores.
///
/// A region is a set of items handed out one at a time (an atomic counter), and the caller works
/// on them too. The caller waits only for helpers that actually joined the region: a helper that
/// is descheduled (the cores are shared) or asleep simply finds the region closed when it wakes.
///
/// One region runs at a time. A region started while another is running (a nested call, or a
/// second thread using the engine) runs inline on the calling thread, so it never deadlocks.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Shared words, each on its own cache line.
    private let words = UnsafeMutablePointer<Int>.allocate(capacity: 64)
    /// Id of the latest region; helpers wait for it to change.
    private var epoch: UnsafeMutablePointer<Int> { words }
    /// (open region id << 20) | helpers inside it. 0 when no region is open.
    private var gate: UnsafeMutablePointer<Int> { words + 16 }
    /// Next item to hand out.
    private var next: UnsafeMutablePointer<Int> { words + 32 }
    /// 1 while a region is running.
    private var busy: UnsafeMutablePointer<Int> { words + 48 }

    private var job: ((Int, Int) -> Void)?
    private var items = 0
    private var helpersAllowed = 0
    private var region = 0
    private var helpers = 0
    private var sleepers = 0
    private let wake = NSCondition()
    /// How long an idle helper spins before it sleeps. Gaps between regions (graph bookkeeping,
    /// small inline ops) often exceed 100 µs at batch 1, and a futex wake-up costs tens of µs.
    private let spinNanoseconds: UInt64 = 1_000_000

    private init() { words.initialize(repeating: 0, count: 64) }

    /// Whether a region is running (on any thread). Callers inside one should not split work further.
    var isBusy: Bool { sk_atomic_load(busy) != 0 }

    /// Runs body(item, worker) for every item in 0..<n on up to `workers` threads; `worker` is
    /// 0 for the calling thread and 1..<workers for helpers. Returns when every item is done.
    func run(items n: Int, workers: Int, _ body: (_ item: Int, _ worker: Int) -> Void) {
        if n <= 1 || workers <= 1 || sk_atomic_cas(busy, 0, 1) == 0 {
            for i in 0..<n { body(i, 0) }
            return
        }
        defer { sk_atomic_store(busy, 0) }
        while helpers < workers - 1 { spawnHelper() }
        region = region % (1 << 40) + 1
        let open = region << 20
        withoutActuallyEscaping(body) { body in
            job = body
            items = n
            helpersAllowed = workers - 1
            sk_atomic_store(next, 0)
            sk_atomic_store(gate, open)
            sk_atomic_store(epoch, region)
            wake.lock()
            if sleepers > 0 { wake.broadcast() }
            wake.unlock()
            while true {
                let i = sk_atomic_fetch_add(next, 1)
                if i >= n { break }
                body(i, 0)
            }
            // Close the region once no helper is inside it; late helpers then skip it.
            var spins = 0
            while sk_atomic_cas(gate, open, 0) == 0 {
                spins += 1
                if spins < 4096 { sk_cpu_relax() } else { sched_yield() }
            }
            job = nil
        }
    }

    private func spawnHelper() {
        helpers += 1
        let index = helpers, start = sk_atomic_load(epoch)
        let t = Thread { [self] in helperLoop(index: index, seen: start) }
        t.stackSize = 4 << 20
        t.name = "sapiens-worker-\(index)"
        t.start()
    }

    private func helperLoop(index: Int, seen start: Int) {
        var seen = start
        while true {
            waitForRegion(after: seen)
            seen = sk_atomic_load(epoch)
            guard join(seen) else { continue }
            // Inside the region: it cannot close (nor its fields change) until we leave.
            if index <= helpersAllowed, let job {
                let n = items
                while true {
                    let i = sk_atomic_fetch_add(next, 1)
                    if i >= n { break }
                    job(i, index)
                }
            }
            _ = sk_atomic_fetch_add(gate, -1)
        }
    }

    private func join(_ id: Int) -> Bool {
        var v = sk_atomic_load(gate)
        while v >> 20 == id {
            if sk_atomic_cas(gate, v, v + 1) != 0 { return true }
            v = sk_atomic_load(gate)
        }
        return false
    }

    private func waitForRegion(after seen: Int) {
        var spins = 0
        var deadline: UInt64 = 0
        while sk_atomic_load(epoch) == seen {
            sk_cpu_relax()
            spins += 1
            if spins & 255 != 0 { continue }
            let now = DispatchTime.now().uptimeNanoseconds
            if deadline == 0 { deadline = now + spinNanoseconds; continue }
            if now < deadline { continue }
            wake.lock()
            sleepers += 1
            while sk_atomic_load(epoch) == seen { wake.wait() }
            sleepers -= 1
            wake.unlock()
            return
        }
    }
}

/// Splits 0..<n into contiguous chunks and runs them on the engine's threads.
/// Small jobs run inline: even a fast dispatch costs about as much as 10^3-10^4 simple element
/// operations. There are a few chunks per thread, so a thread that loses its core for a while
/// costs only its current chunk.
@inline(__always)
func parallelRanges(_ n: Int, minChunk: Int = 1 << 15, _ body: (Range<Int>) -> Void) {
    let threads = EngineThreads.count
    let chunks = min(4 * threads, max(1, n / max(minChunk, 1)))
    if chunks <= 1 || threads <= 1 || WorkerPool.shared.isBusy { body(0..<n); return }
    let step = (n + chunks - 1) / chunks
    WorkerPool.shared.run(items: chunks, workers: threads) { c, _ in
        let lo = c * step, hi = min(n, lo + step)
        if lo < hi { body(lo..<hi) }
    }
}

/// Runs `body(i)` for i in 0..<n across the engine's threads (items handed out one at a time).
func parallelFor(_ n: Int, _ body: (Int) -> Void) {
    parallelJobs(n) { i, _ in body(i) }
}

/// Runs `body(job, worker)` for job in 0..<n, handing jobs out one at a time to whichever thread is
/// free (for items of uneven cost, or when a core is shared with another process). `worker` is in
/// 0..<parallelWorkers(n), for per-worker scratch buffers.
func parallelJobs(_ n: Int, _ body: (_ job: Int, _ worker: Int) -> Void) {
    let workers = parallelWorkers(n)
    if workers <= 1 || WorkerPool.shared.isBusy { for i in 0..<n { body(i, 0) }; return }
    WorkerPool.shared.run(items: n, workers: workers, body)
}

/// Worker count the parallel helpers use for `n` items (for sizing per-worker scratch).
func parallelWorkers(_ n: Int) -> Int { max(1, min(EngineThreads.count, n)) }

/// The engine's parallel loops for code outside this module (optimiser, clipping).
public enum Parallel {
    /// Runs `body(job)` for job in 0..<n on the engine's threads, jobs handed out one at a time.
    public static func forEach(_ n: Int, _ body: (Int) -> Void) { parallelFor(n, body) }

    /// Contiguous pieces of at most `chunk` elements covering arrays of the given lengths, as
    /// (array, offset, length), so many small and large arrays can be processed as even jobs.
    public static func chunks(lengths: [Int], chunk: Int = 1 << 16) -> [(array: Int, offset: Int, count: Int)] {
        var out: [(array: Int, offset: Int, count: Int)] = []
        for (i, n) in lengths.enumerated() {
            var o = 0
            while o < n { out.append((i, o, Swift.min(chunk, n - o))); o += chunk }
        }
        return out
    }
}
