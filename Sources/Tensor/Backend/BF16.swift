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
        parallelRanges(rows, minChunk: rowsPerBand(cols)) { r in sk_bf16_round(src + r.lowerBound * ld, ld, r.count, cols, dst + r.lowerBound * cols) }
    }

    /// The same block converted to bf16 bit patterns (what oneDNN's bf16 GEMM reads).
    public static func convert(_ src: UnsafePointer<Float>, ld: Int, rows: Int, cols: Int, into dst: UnsafeMutablePointer<UInt16>) {
        parallelRanges(rows, minChunk: rowsPerBand(cols)) { r in sk_bf16_convert(src + r.lowerBound * ld, ld, r.count, cols, dst + r.lowerBound * cols) }
    }

    /// Every GEMM operand passes through here (a Sapiens-scale forward converts about a billion values), so large
    /// blocks go over the engine's threads in bands of at least 2^16 values; small ones, and calls from inside a
    /// parallel region (the attention blocks), stay on the calling thread.
    private static func rowsPerBand(_ cols: Int) -> Int { max(1, (1 << 16) / max(cols, 1)) }
}
