import Dispatch
import Foundation

/// Renders many images across threads. Each image is rendered whole by one thread (no
/// per-pixel sharing), which scales best on few cores; results come back in index order.
public enum SynthBatch {
    public static func render(renderer: Renderer, indices: [Int],
                              threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> [SynthSample] {
        let box = ResultBox(count: indices.count)
        let workers = max(1, min(threads, indices.count))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var k = worker
            while k < indices.count {
                box.set(k, renderer.render(index: indices[k]))
                k += workers
            }
        }
        return box.values.compactMap { $0 }
    }

    /// Slots written by disjoint indices from several threads; the lock makes that explicit.
    private final class ResultBox: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var values: [SynthSample?]
        init(count: Int) { values = Array(repeating: nil, count: count) }
        func set(_ i: Int, _ s: SynthSample) { lock.lock(); values[i] = s; lock.unlock() }
    }
}
