/// Activation checkpointing: trade one extra forward for not keeping a block's activations.
///
/// The forward runs `body` without recording, so nothing inside it is saved; the output's node keeps
/// only the block's input. Its backward runs `body` again with recording on a detached copy of that
/// input and backpropagates the incoming gradient through the fresh graph, which is freed as it goes.
/// The recomputation runs the same ops on the same values, so gradients are bitwise those of the
/// unchecked run. `body` must be deterministic, read only `input` and `parameters` (leaf tensors,
/// whose gradients accumulate into `.grad` during the recompute's backward, as in any backward) and
/// constants; anything else it reads that needs a gradient would get none.
extension Tensor {
    public static func checkpointed(_ input: Tensor, parameters: [Tensor], _ body: @escaping (Tensor) -> Tensor) -> Tensor {
        guard GradMode.isEnabled, input.requiresGrad || parameters.contains(where: { $0.requiresGrad }) else {
            return body(input)
        }
        let out = withNoGrad { body(input) }
        let saved = input.detached()
        let needsInputGrad = input.requiresGrad
        return Tensor.record(out, [input] + parameters) { g in
            let x = saved.detached()
            x.requiresGrad = needsInputGrad
            let old = GradMode.isEnabled
            GradMode.isEnabled = true
            defer { GradMode.isEnabled = old }
            let y = body(x)
            y.backward(g)
            return [x.grad] + parameters.map { _ in nil }
        }
    }
}
