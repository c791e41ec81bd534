/// Fused optimizer updates, in place on parameter ranges. They live under the ops (and reach the
/// backend) because they touch four buffers per element and must not allocate.
public enum OptimizerKernels {
    /// One AdamW step (PyTorch semantics, decoupled weight decay) on values `offset..<offset+n` of a
    /// parameter, its gradient and its two moment buffers. `bc1`, `bc2` are 1 - beta^t.
    public static func adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, offset: Int, count n: Int,
                             lr: Float, beta1: Float, beta2: Float, eps: Float, weightDecay: Float, bc1: Float, bc2: Float) {
        precondition(offset >= 0 && offset + n <= param.count && grad.count == param.count && m.count == param.count && v.count == param.count,
                     "AdamW ranges do not match the parameter")
        backend.adamw(param.ptr + offset, grad.ptr + offset, m.ptr + offset, v.ptr + offset, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2)
    }

    /// Sum of squares of values `offset..<offset+n` (for gradient-norm clipping), in double.
    public static func sumOfSquares(_ t: Tensor, offset: Int, count n: Int) -> Double {
        precondition(offset >= 0 && offset + n <= t.count, "range outside the tensor")
        return backend.sumsq(t.ptr + offset, n)
    }

    /// Scales values `offset..<offset+n` in place.
    public static func scale(_ t: Tensor, by factor: Float, offset: Int, count n: Int) {
        precondition(offset >= 0 && offset + n <= t.count, "range outside the tensor")
        backend.affine(t.ptr + offset, factor, 0, t.ptr + offset, n)
    }
}
