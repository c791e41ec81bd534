import CKernels
import Foundation

/// One recorded op: its inputs and how to turn the output's gradient into theirs.
final class Node {
    var inputs: [Tensor]
    /// Returns one gradient per input (nil where the input needs none). Released after use so
    /// that saved activations are freed as backward walks the graph.
    var backward: ((Tensor) -> [Tensor?])?
    init(inputs: [Tensor], backward: @escaping (Tensor) -> [Tensor?]) {
        self.inputs = inputs
        self.backward = backward
    }
}

/// Whether ops record history. Off inside `withNoGrad`, for inference.
public enum GradMode {
    nonisolated(unsafe) public static var isEnabled = true
}

/// Runs `body` with autograd recording off: outputs keep no graph and no saved buffers.
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    let old = GradMode.isEnabled
    GradMode.isEnabled = false
    defer { GradMode.isEnabled = old }
    return try body()
}

extension Tensor {
    /// Builds an op's output and, when any input needs a gradient, records how to backpropagate.
    static func record(_ out: Tensor, _ inputs: [Tensor], _ backward: @escaping (Tensor) -> [Tensor?]) -> Tensor {
        if GradMode.isEnabled && inputs.contains(where: { $0.requiresGrad }) {
            out.requiresGrad = true
            out.node = Node(inputs: inputs, backward: backward)
        }
        return out
    }

    /// Reverse-mode autograd from this tensor. A non-scalar output needs an explicit seed gradient.
    /// Gradients of leaves accumulate into `.grad` (so micro-batches can be summed); the graph is
    /// consumed as it goes.
    public func backward(_ seed: Tensor? = nil) {
        precondition(seed != nil || count == 1, "backward() on a non-scalar \(shape) needs a seed gradient")
        precondition(requiresGrad, "backward() on a tensor that does not require grad")
        // Popped as the walk goes, so a tensor (an activation) is freed as soon as its node has run and its
        // consumers are done, not held until the whole backward ends.
        var order = topologicalOrder()
        var grads: [ObjectIdentifier: Tensor] = [ObjectIdentifier(self): seed ?? Tensor.ones(shape)]
        while let t = order.popLast() {
            guard let g = grads.removeValue(forKey: ObjectIdentifier(t)) else { continue }
            if let node = t.node {
                guard let bw = node.backward else { continue }
                let gin = bw(g)
                for (inp, gi) in zip(node.inputs, gin) {
                    guard let gi, inp.requiresGrad else { continue }
                    precondition(gi.shape == inp.shape, "backward produced \(gi.shape) for input \(inp.shape)")
                    let key = ObjectIdentifier(inp)
                    if let prev = grads[key] { grads[key] = prev.addingRaw(gi) } else { grads[key] = gi }
                }
                node.backward = nil
                node.inputs = []
                t.node = nil
            } else if t.requiresGrad {
                t.accumulateGrad(g)
            }
        }
    }

    func accumulateGrad(_ g: Tensor) {
        if let existing = grad {
            backend.axpy(1, g.ptr, existing.ptr, existing.count)
        } else {
            grad = g.copy()   // the incoming gradient may be shared with another input
        }
    }

    /// Drops this tensor's gradient (before the next accumulation window).
    public func zeroGrad() { grad = nil }

    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Bool)] = [(self, false)]
        while let (t, expanded) = stack.popLast() {
            if expanded { order.append(t); continue }
            let id = ObjectIdentifier(t)
            if visited.contains(id) { continue }
            visited.insert(id)
            stack.append((t, true))
            if let node = t.node {
                for inp in node.inputs where inp.requiresGrad && !visited.contains(ObjectIdentifier(inp)) {
                    stack.append((inp, false))
                }
            }
        }
        return order
    }

    /// Elementwise sum without recording (used inside backward).
    func addingRaw(_ other: Tensor) -> Tensor {
        let out = Tensor.empty(shape)
        backend.add(ptr, other.ptr, out.ptr, count)
        return out
    }
}
