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
/// When a returned buffer would take the pool over its bound, the buffers idle longest are freed to
/// make room (least recently returned first). A process that changes workload (training, then
/// inference at another batch size) thus keeps pooling the sizes it uses now, instead of a pool full
/// of the old sizes refusing the new ones and every step going back to malloc and fresh pages.
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
    private let lock = NSLock()
    /// Upper bound on memory held idle in the pool.
    public var capacityBytes = 3 << 30

    /// Entries in the return log (for tests of its bound).
    var logLength: Int { lock.lock(); defer { lock.unlock() }; return returned.count }

    /// Bytes held idle right now.
    public var idleBytes: Int { lock.lock(); defer { lock.unlock() }; return pooledBytes }

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        lock.lock()
        if var list = free[n], let idle = list.popLast() {
            free[n] = list.isEmpty ? nil : list
            pooledBytes -= n * 4
            idleBuffers -= 1
            lock.unlock()
            return idle.ptr
        }
        lock.unlock()
        guard let raw = aligned_alloc_wrapper(bytes: n * 4) else {
            // Out of memory is not recoverable here; report the size we tried.
            fatalError("Tensor engine: out of memory allocating \(n * 4) bytes")
        }
        return raw
    }

    func give(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let n = max(count, 1)
        guard n * 4 <= capacityBytes else { Foundation.free(p); return }
        var evicted: [UnsafeMutablePointer<Float>] = []
        lock.lock()
        while pooledBytes + n * 4 > capacityBytes, let old = evictOldest() { evicted.append(old) }
        nextStamp += 1
        free[n, default: []].append(Idle(ptr: p, stamp: nextStamp))
        returned.append((n, nextStamp))
        pooledBytes += n * 4
        idleBuffers += 1
        compactIfStale()
        lock.unlock()
        for q in evicted { Foundation.free(q) }
    }

    /// Removes the buffer returned longest ago from the pool (lock held).
    private func evictOldest() -> UnsafeMutablePointer<Float>? {
        while returnedHead < returned.count {
            let (n, stamp) = returned[returnedHead]
            returnedHead += 1
            guard var list = free[n], let first = list.first, first.stamp == stamp else { continue }
            list.removeFirst()
            free[n] = list.isEmpty ? nil : list
            pooledBytes -= n * 4
            idleBuffers -= 1
            return first.ptr
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
        lock.lock(); defer { lock.unlock() }
        for (_, list) in free { for idle in list { Foundation.free(idle.ptr) } }
        free = [:]
        returned = []
        returnedHead = 0
        idleBuffers = 0
        pooledBytes = 0
    }

    private func aligned_alloc_wrapper(bytes: Int) -> UnsafeMutablePointer<Float>? {
        var raw: UnsafeMutableRawPointer?
        let rounded = (bytes + 63) & ~63
        guard posix_memalign(&raw, 64, rounded) == 0, let r = raw else { return nil }
        return r.bindMemory(to: Float.self, capacity: rounded / 4)
    }
}
