import CKernels

/// bf16 rounding: the top 16 bits of an fp32, rounded to nearest with ties to even, as `VCVTNE2PS2BF16`,
/// oneDNN and PyTorch's `.to(torch.bfloat16)` do. NaN stays a (quiet) NaN; values past bf16's largest finite
/// number round to infinity, as in hardware.
public enum BF16 {
    @inline(__always)
    public static func bits(_ x: Float) -> UInt16 {
        let b = x.bitPattern
        if x.isNaN { return UInt16(truncatingIfNeeded: b >> 16) | 0x0040 }
        return UInt16(truncatingIfNeeded: (b &+ 0x7FFF &+ ((b >> 16) & 1)) >> 16)
    }

    @inline(__always)
    public static func float(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

    /// `x` rounded to the nearest bf16, kept as fp32.
    @inline(__always)
    public static func rounded(_ x: Float) -> Float { float(bits(x)) }

    /// A (rows, cols) block with leading dimension `ld`, rounded into a dense (rows, cols) fp32 block.
    public static func round(_ src: UnsafePointer<Float>, ld: Int, rows: Int, cols: Int, into dst: UnsafeMutablePointer<Float>) {
        inBands(rows: rows, cols: cols) { r0, r1 in sk_bf16_round(src + r0 * ld, ld, r1 - r0, cols, dst + r0 * cols) }
    }

    /// The same block converted to bf16 bit patterns (what oneDNN's bf16 GEMM reads).
    public static func convert(_ src: UnsafePointer<Float>, ld: Int, rows: Int, cols: Int, into dst: UnsafeMutablePointer<UInt16>) {
        inBands(rows: rows, cols: cols) { r0, r1 in sk_bf16_convert(src + r0 * ld, ld, r1 - r0, cols, dst + r0 * cols) }
    }

    /// Every GEMM operand passes through here, so large blocks are split into bands of rows over the engine's
    /// threads (a Sapiens-scale forward converts about a billion values); small ones, and calls from inside a
    /// parallel region (the attention blocks), stay on the calling thread.
    private static func inBands(rows: Int, cols: Int, _ body: (_ r0: Int, _ r1: Int) -> Void) {
        let bands = rows * cols >= 1 << 17 ? min(rows, 4 * EngineThreads.count) : 1
        if bands <= 1 { body(0, rows); return }
        let step = (rows + bands - 1) / bands
        parallelFor(bands) { b in
            let r0 = b * step, r1 = Swift.min(rows, r0 + step)
            if r0 < r1 { body(r0, r1) }
        }
    }
}
