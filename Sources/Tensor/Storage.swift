import Foundation

/// Float buffer owned by one or more tensors (reshape views share it).
///
/// Buffers come from the backend that allocated them (the CPU backend's `BufferPool`, so a training
/// loop that allocates the same sizes every step reuses memory instead of going back to malloc and
/// the page-fault cost of fresh pages). The pointer is internal: code outside the Tensor target
/// reads and writes values through `Tensor`'s value API, so a backend may keep them elsewhere.
public final class Storage: @unchecked Sendable {
    let ptr: UnsafeMutablePointer<Float>
    public let count: Int
    /// Who allocated the buffer, and so who takes it back.
    let owner: any Backend

    public init(count: Int) {
        self.count = count
        self.owner = backend
        self.ptr = owner.allocate(count)
    }

    public convenience init(count: Int, fill: Float) {
        self.init(count: count)
        ptr.update(repeating: fill, count: count)
    }

    deinit { owner.release(ptr, count: count) }

    var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: ptr, count: count) }
}

/// Size-keyed free lists of 64-byte-aligned buffers, bounded in total bytes.
///
/// Two bounds. Before the pool allocates anything new it sheds idle buffers until live + idle is within
/// the largest live bytes + `capacityBytes` (1 GiB) seen so far, so the process's peak is what it was when
/// the pool held at most 1 GiB idle; otherwise it keeps up to `retainBytes` idle (a quarter of RAM),
/// memory the process already holds. A repeated workload, such as
/// inference image after image, then finds every buffer of the previous pass again instead of unmapping
/// it and faulting fresh pages in: on the Sapiens seg head at 1024x768 that was 2–3 s of 14 s of page
/// clearing on a VM (where the host also reclaims what the guest frees).
///
/// When a returned buffer would take the pool over a bound, the buffers idle longest are freed to
/// make room (least recently returned first). A process that changes workload (training, then
/// inference at another batch size) thus keeps pooling the sizes it uses now, instead of a pool full
/// of the old sizes refusing the new ones and every step going back to malloc and fresh pages.
///
/// Buffers of `mapThresholdBytes` or more are mapped from the kernel and unmapped when freed. Through
/// malloc they would not reliably leave the process: glibc raises its mmap threshold to the size of each
/// mapped chunk it frees (up to 32 MiB), after which such buffers come from its heap, where a freed
/// chunk stays resident until the heap's top is free. At Sapiens scale (1–64 MiB activations) that
/// slack cost gigabytes of resident memory that no tensor held.
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()
    private struct Idle { var ptr: UnsafeMutablePointer<Float>; var stamp: Int }
    /// Per size, idle buffers oldest first.
    private var free: [Int: [Idle]] = [:]
    /// (size, stamp) in the order buffers were returned; entries whose buffer was taken again are stale.
    private var returned: [(count: Int, stamp: Int)] = []
    private var returnedHead = 0
    private var idleBuffers = 0
    private var nextStamp = 0
    private var pooledBytes = 0
    /// The largest live + capacityBytes at a fresh allocation so far (see `take`).
    private var highWater = 0
    private var live = 0
    private var peak = Usage(liveBytes: 0, idleBytes: 0)
    private let lock = NSLock()
    /// Upper bound on memory held idle in the pool: 1 GiB, or `SAPIENS_POOL_MIB` MiB. Idle buffers count in
    /// the process's resident memory, at its peak too, so a larger pool only saves page faults.
    public var capacityBytes = BufferPool.defaultCapacity
    static var defaultCapacity: Int { mebibytes("SAPIENS_POOL_MIB") ?? 1 << 30 }
    /// Upper bound on memory held idle between fresh allocations (see the type's comment): a quarter of the
    /// machine's memory, or `SAPIENS_POOL_RETAIN_MIB` MiB; never below `capacityBytes`.
    public var retainBytes = BufferPool.defaultRetain
    static var defaultRetain: Int { mebibytes("SAPIENS_POOL_RETAIN_MIB") ?? Int(ProcessInfo.processInfo.physicalMemory / 4) }
    private static func mebibytes(_ name: String) -> Int? {
        guard let text = ProcessInfo.processInfo.environment[name], let mib = Int(text), mib >= 0, mib <= 1 << 30 else { return nil }
        return mib << 20
    }
    private var retainBound: Int { max(retainBytes, capacityBytes) }
    /// Buffers at least this large bypass malloc (see above).
    public static let mapThresholdBytes = 1 << 20

    /// Bytes in buffers handed out and not yet returned (tensors alive), and bytes held idle.
    public struct Usage: Equatable, Sendable {
        public var liveBytes: Int
        public var idleBytes: Int
        public var heldBytes: Int { liveBytes + idleBytes }
    }

    /// Entries in the return log (for tests of its bound).
    var logLength: Int { lock.lock(); defer { lock.unlock() }; return returned.count }

    /// Bytes held idle right now.
    public var idleBytes: Int { lock.lock(); defer { lock.unlock() }; return pooledBytes }

    /// Live and idle bytes right now.
    public var usage: Usage { lock.lock(); defer { lock.unlock() }; return Usage(liveBytes: live, idleBytes: pooledBytes) }

    /// The usage at the moment the pool held the most (live + idle) since the last `resetPeak()`.
    public var peakUsage: Usage { lock.lock(); defer { lock.unlock() }; return peak }

    public func resetPeak() {
        lock.lock(); defer { lock.unlock() }
        peak = Usage(liveBytes: live, idleBytes: pooledBytes)
    }

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        lock.lock()
        live += n * 4
        if var list = free[n], let idle = list.popLast() {
            free[n] = list.isEmpty ? nil : list
            pooledBytes -= n * 4
            idleBuffers -= 1
            lock.unlock()
            return idle.ptr
        }
        // New memory: first shed idle buffers so that live + idle stays within the largest live + capacity so
        // far. The peak is then what a pool holding at most `capacityBytes` idle would reach, and a pass
        // that stays under its earlier high-water mark keeps the buffers the rest of it will ask for.
        highWater = max(highWater, live + capacityBytes)
        var evicted: [(UnsafeMutablePointer<Float>, Int)] = []
        while live + pooledBytes > highWater, let old = evictOldest() { evicted.append(old) }
        notePeak()
        lock.unlock()
        for (q, m) in evicted { BufferPool.release(q, bytes: m * 4) }
        guard let raw = BufferPool.allocate(bytes: n * 4) else {
            // Out of memory is not recoverable here; report the size we tried.
            fatalError("Tensor engine: out of memory allocating \(n * 4) bytes")
        }
        return raw
    }

    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let n = max(count, 1)
        let bound = retainBound
        guard n * 4 <= bound else {
            lock.lock(); live -= n * 4; lock.unlock()
            BufferPool.release(p, bytes: n * 4)
            return
        }
        var evicted: [(UnsafeMutablePointer<Float>, Int)] = []
        lock.lock()
        live -= n * 4
        while pooledBytes + n * 4 > bound, let old = evictOldest() { evicted.append(old) }
        nextStamp += 1
        free[n, default: []].append(Idle(ptr: p, stamp: nextStamp))
        returned.append((n, nextStamp))
        pooledBytes += n * 4
        idleBuffers += 1
        compactIfStale()
        lock.unlock()
        for (q, m) in evicted { BufferPool.release(q, bytes: m * 4) }
    }

    /// Records a new high-water mark of held bytes (lock held).
    private func notePeak() {
        if live + pooledBytes > peak.heldBytes { peak = Usage(liveBytes: live, idleBytes: pooledBytes) }
    }

    /// Removes the buffer returned longest ago from the pool (lock held); returns it with its float count.
    private func evictOldest() -> (UnsafeMutablePointer<Float>, Int)? {
        while returnedHead < returned.count {
            let (n, stamp) = returned[returnedHead]
            returnedHead += 1
            guard var list = free[n], let first = list.first, first.stamp == stamp else { continue }
            list.removeFirst()
            free[n] = list.isEmpty ? nil : list
            pooledBytes -= n * 4
            idleBuffers -= 1
            return (first.ptr, n)
        }
        return nil
    }

    /// Keeps the return log proportional to what is idle: drops consumed and stale entries (lock held).
    private func compactIfStale() {
        guard returned.count > 2 * idleBuffers + 1024 else { return }
        var entries: [(count: Int, stamp: Int)] = []
        entries.reserveCapacity(idleBuffers)
        for (n, list) in free { for idle in list { entries.append((n, idle.stamp)) } }
        entries.sort { $0.stamp < $1.stamp }
        returned = entries
        returnedHead = 0
    }

    /// Returns every idle buffer to the system.
    public func drain() {
        lock.lock()
        let idle = free
        free = [:]
        returned = []
        returnedHead = 0
        idleBuffers = 0
        pooledBytes = 0
        lock.unlock()
        for (n, list) in idle { for i in list { BufferPool.release(i.ptr, bytes: n * 4) } }
    }

    private static let pageSize = max(Int(sysconf(Int32(_SC_PAGESIZE))), 4096)

    /// 64-byte-aligned memory: page-aligned mappings for large buffers, posix_memalign for the rest.
    private static func allocate(bytes: Int) -> UnsafeMutablePointer<Float>? {
        if bytes >= mapThresholdBytes {
            let mapped = (bytes + pageSize - 1) / pageSize * pageSize
            guard let m = mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), m != MAP_FAILED else { return nil }
            return m.bindMemory(to: Float.self, capacity: mapped / 4)
        }
        var raw: UnsafeMutableRawPointer?
        let rounded = (bytes + 63) & ~63
        guard posix_memalign(&raw, 64, rounded) == 0, let r = raw else { return nil }
        return r.bindMemory(to: Float.self, capacity: rounded / 4)
    }

    /// Frees memory from `allocate(bytes:)` of the same size.
    private static func release(_ p: UnsafeMutablePointer<Float>, bytes: Int) {
        if bytes >= mapThresholdBytes {
            munmap(UnsafeMutableRawPointer(p), (bytes + pageSize - 1) / pageSize * pageSize)
        } else {
            Foundation.free(p)
        }
    }
}
