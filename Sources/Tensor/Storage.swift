import Foundation

/// Float buffer owned by one or more tensors (reshape views share it).
///
/// Buffers come from `BufferPool`, so a training loop that allocates the same sizes every step
/// reuses memory instead of going back to malloc (and the page-fault cost of fresh pages).
public final class Storage: @unchecked Sendable {
    public let ptr: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        self.ptr = BufferPool.shared.take(count)
    }

    public convenience init(count: Int, fill: Float) {
        self.init(count: count)
        ptr.update(repeating: fill, count: count)
    }

    deinit { BufferPool.shared.give(ptr, count: count) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: ptr, count: count) }
}

/// Size-keyed free lists of 64-byte-aligned buffers, bounded in total bytes.
public final class BufferPool: @unchecked Sendable {
    public static let shared = BufferPool()
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var pooledBytes = 0
    private let lock = NSLock()
    /// Upper bound on memory held idle in the pool.
    public var capacityBytes = 3 << 30

    func take(_ count: Int) -> UnsafeMutablePointer<Float> {
        let n = max(count, 1)
        lock.lock()
        if var list = free[n], let p = list.popLast() {
            free[n] = list
            pooledBytes -= n * 4
            lock.unlock()
            return p
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
        lock.lock()
        if pooledBytes + n * 4 <= capacityBytes {
            free[n, default: []].append(p)
            pooledBytes += n * 4
            lock.unlock()
        } else {
            lock.unlock()
            Foundation.free(p)
        }
    }

    /// Returns every idle buffer to the system.
    public func drain() {
        lock.lock(); defer { lock.unlock() }
        for (_, list) in free { for p in list { Foundation.free(p) } }
        free = [:]
        pooledBytes = 0
    }

    private func aligned_alloc_wrapper(bytes: Int) -> UnsafeMutablePointer<Float>? {
        var raw: UnsafeMutableRawPointer?
        let rounded = (bytes + 63) & ~63
        guard posix_memalign(&raw, 64, rounded) == 0, let r = raw else { return nil }
        return r.bindMemory(to: Float.self, capacity: rounded / 4)
    }
}
