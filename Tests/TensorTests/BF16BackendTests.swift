import Foundation
import Tensor
import XCTest

/// The bf16 backend (issue 27): bf16 rounding, GEMMs with bf16 operands and fp32 accumulation through every op
/// that multiplies matrices, the precision selection behind `--dtype`, and oneDNN where it is installed.
final class BF16BackendTests: XCTestCase {
    let emulated = BF16Backend(engine: .emulated)

    override func tearDown() {
        Backends.current = CPUBackend.shared
        super.tearDown()
    }

    // MARK: rounding

    func testRoundingIsNearestTiesToEven() {
        XCTAssertEqual(BF16.bits(1), 0x3F80)
        XCTAssertEqual(BF16.bits(-2), 0xC000)
        // bf16 keeps 7 mantissa bits: the ulp at 1 is 2^-7.
        XCTAssertEqual(BF16.rounded(1 + 0x1p-8), 1, "a tie rounds to the even mantissa (0)")
        XCTAssertEqual(BF16.rounded(1 + 0x1p-7 + 0x1p-8), 1 + 0x1p-6, "a tie rounds to the even mantissa (2), here up")
        XCTAssertEqual(BF16.rounded(1 + 0x1p-8 + 0x1p-20), 1 + 0x1p-7, "above the tie rounds up")
        XCTAssertEqual(BF16.rounded(1 + 0x1p-8 - 0x1p-20), 1, "below the tie rounds down")
        XCTAssertTrue(BF16.rounded(.nan).isNaN)
        XCTAssertEqual(BF16.rounded(.infinity), .infinity)
        XCTAssertEqual(BF16.rounded(.greatestFiniteMagnitude), .infinity, "past bf16's largest finite value")
        XCTAssertEqual(BF16.rounded(-0.0).sign, .minus)
        // Idempotent, and within half an ulp of the input: 8 significant bits, so at most 2^-8 relative.
        let rng = RNG(seed: 1)
        for _ in 0..<10_000 {
            let x = rng.normal() * 100
            let r = BF16.rounded(x)
            XCTAssertEqual(BF16.rounded(r), r)
            XCTAssertLessThanOrEqual(abs(r - x), abs(x) * 0x1p-8)
        }
    }

    /// The block conversions (a C kernel over bands of rows on the engine's threads) give exactly the scalar
    /// rounding above, on special values (NaNs with payloads, infinities, subnormals, ties, the overflow to
    /// infinity) and random ones, with a leading dimension wider than the block and a block large enough to split.
    func testBlockConversionIsTheScalarRoundingEverywhere() {
        let specials: [UInt32] = [0, 0x8000_0000, 0x7F80_0000, 0xFF80_0000, 0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0xFF80_1234,
                                  0x7FBF_FFFF, 0x0000_0001, 0x8000_8000, 0x0000_8000, 0x3F80_8000, 0x3F81_8000, 0x3F80_7FFF,
                                  0x7F7F_FFFF, 0xFF7F_FFFF, 0x7F7F_7FFF, 0x0080_0000, 0x007F_FFFF]
        let rng = RNG(seed: 9)
        let rows = 301, cols = 517, ld = 530
        var src = [Float](repeating: -1, count: rows * ld)
        for i in 0..<src.count {
            if i < specials.count * 37, i % 37 == 0 { src[i] = Float(bitPattern: specials[i / 37]); continue }
            let u = UInt32(truncatingIfNeeded: Int(rng.uniform() * 4_294_967_295))
            src[i] = i % 2 == 0 ? Float(bitPattern: u) : rng.normal() * 10
        }
        var bits = [UInt16](repeating: 0, count: rows * cols), rounded = [Float](repeating: 0, count: rows * cols)
        src.withUnsafeBufferPointer { s in
            bits.withUnsafeMutableBufferPointer { BF16.convert(s.baseAddress!, ld: ld, rows: rows, cols: cols, into: $0.baseAddress!) }
            rounded.withUnsafeMutableBufferPointer { BF16.round(s.baseAddress!, ld: ld, rows: rows, cols: cols, into: $0.baseAddress!) }
        }
        var mismatches = 0
        for r in 0..<rows {
            for c in 0..<cols {
                let x = src[r * ld + c], want = BF16.bits(x)
                if bits[r * cols + c] != want || rounded[r * cols + c].bitPattern != UInt32(want) << 16 { mismatches += 1 }
            }
        }
        XCTAssertEqual(mismatches, 0)
        XCTAssertTrue(rounded.contains { $0.isNaN } && rounded.contains { $0 == .infinity }, "the specials are in the block")
    }

    // MARK: GEMM

    /// C = alpha op(A) op(B) + beta C (or + bias) in Double from the bf16-rounded operands.
    func reference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: [Float], lda: Int, b: [Float], ldb: Int,
                   beta: Float, c: [Float], ldc: Int, bias: [Float]?) -> [Double] {
        var out = [Double](repeating: 0, count: m * ldc)
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let av = transA ? a[p * lda + i] : a[i * lda + p]
                    let bv = transB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(BF16.rounded(av)) * Double(BF16.rounded(bv))
                }
                let start = bias.map { Double($0[j]) } ?? Double(beta) * Double(c[i * ldc + j])
                out[i * ldc + j] = Double(alpha) * s + start
            }
        }
        return out
    }

    func testEmulatedGEMMIsBF16OperandsWithFP32Accumulation() {
        let rng = RNG(seed: 7)
        let m = 13, n = 11, k = 37
        for transA in [false, true] {
            for transB in [false, true] {
                for withBias in [false, true] {
                    let lda = (transA ? m : k) + 3, ldb = (transB ? k : n) + 2, ldc = n + 5
                    let a = (0..<((transA ? k : m) * lda)).map { _ in rng.normal() }
                    let b = (0..<((transB ? n : k) * ldb)).map { _ in rng.normal() }
                    let c0 = (0..<(m * ldc)).map { _ in rng.normal() }
                    let bias = withBias ? (0..<n).map { _ in rng.normal() } : nil
                    var c = c0
                    let biasBuffer = UnsafeMutablePointer<Float>.allocate(capacity: n)
                    defer { biasBuffer.deallocate() }
                    if let bias { biasBuffer.update(from: bias, count: n) }
                    emulated.gemmRowMajor(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b, ldb: ldb,
                                          beta: 0.5, c: &c, ldc: ldc, rowBias: bias == nil ? nil : UnsafePointer(biasBuffer))
                    let ref = reference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 0.75, a: a, lda: lda, b: b, ldb: ldb,
                                        beta: 0.5, c: c0, ldc: ldc, bias: bias)
                    var worst = 0.0
                    for i in 0..<m { for j in 0..<n { worst = max(worst, abs(Double(c[i * ldc + j]) - ref[i * ldc + j])) } }
                    XCTAssertLessThan(worst, 1e-4, "transA \(transA) transB \(transB) bias \(withBias)")
                    // Padding columns of C are untouched.
                    for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], c0[i * ldc + j]) } }
                }
            }
        }
    }

    func testEmulatedGEMMReallyRoundsOperands() {
        let rng = RNG(seed: 3)
        let x = Tensor.randn([32, 64], rng: rng), w = Tensor.randn([48, 64], rng: rng)
        let fp32 = x.linear(w, nil).toArray()
        Backends.current = emulated
        let bf16 = x.linear(w, nil).toArray()
        Backends.current = CPUBackend.shared
        let diff = zip(fp32, bf16).map { Double(abs($0 - $1)) }
        let rms = (fp32.map { Double($0 * $0) }.reduce(0, +) / Double(fp32.count)).squareRoot()
        let maxDiff = diff.max() ?? 0
        XCTAssertGreaterThan(maxDiff, 1e-4 * rms, "bf16 operands must change the result")
        XCTAssertLessThan(maxDiff, 0.05 * rms, "but only by bf16's rounding (about 2^-9 per operand)")
    }

    func rounded(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, data: t.toArray().map(BF16.rounded)) }

    /// Single-GEMM ops under the bf16 backend equal the fp32 ops on bf16-rounded inputs and weights (bias fp32).
    func testLinearAndConvolutionsMultiplyInBF16() {
        let rng = RNG(seed: 11)
        let x = Tensor.randn([2, 5, 9, 7], rng: rng)
        let w = Tensor.randn([6, 5, 3, 3], rng: rng), b = Tensor.randn([6], rng: rng)
        let wt = Tensor.randn([5, 4, 2, 2], rng: rng), bt = Tensor.randn([4], rng: rng)
        let xl = Tensor.randn([10, 24], rng: rng), wl = Tensor.randn([12, 24], rng: rng), bl = Tensor.randn([12], rng: rng)

        let refConv = rounded(x).conv2d(rounded(w), b, stride: 1, padding: 1).toArray()
        let refDeconv = rounded(x).convTranspose2d(rounded(wt), bt, stride: 2, padding: 0).toArray()
        let refLinear = rounded(xl).linear(rounded(wl), bl).toArray()
        let fp32Conv = x.conv2d(w, b, stride: 1, padding: 1).toArray()

        Backends.current = emulated
        let conv = x.conv2d(w, b, stride: 1, padding: 1).toArray()
        let deconv = x.convTranspose2d(wt, bt, stride: 2, padding: 0).toArray()
        let linear = xl.linear(wl, bl).toArray()
        Backends.current = CPUBackend.shared

        func maxDiff(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max() ?? .infinity }
        XCTAssertEqual(conv.count, refConv.count)
        XCTAssertLessThan(maxDiff(conv, refConv), 1e-4)
        XCTAssertEqual(deconv.count, refDeconv.count)
        XCTAssertLessThan(maxDiff(deconv, refDeconv), 1e-4)
        XCTAssertLessThan(maxDiff(linear, refLinear), 1e-4)
        XCTAssertGreaterThan(maxDiff(conv, fp32Conv), 1e-4, "the convolution's GEMM must see bf16 operands")
    }

    /// Attention's GEMMs (scores and probabilities × values) go through the backend: the result moves by about
    /// bf16's rounding and no more; softmax stays fp32, so rows still mix values convexly.
    func testAttentionRunsItsGEMMsInBF16() {
        let rng = RNG(seed: 5)
        let qkv = Tensor.randn([2, 40, 3 * 32], rng: rng)
        let fp32 = qkv.attention(heads: 4).toArray()
        let flash32 = qkv.flashAttention(heads: 4).toArray()
        Backends.current = emulated
        let bf16 = qkv.attention(heads: 4).toArray()
        let flash16 = qkv.flashAttention(heads: 4).toArray()
        Backends.current = CPUBackend.shared
        for (name, a, b) in [("attention", fp32, bf16), ("flash attention", flash32, flash16)] {
            let d = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            XCTAssertGreaterThan(d, 1e-5, "\(name): bf16 must change the result")
            XCTAssertLessThan(d, 0.05, "\(name): by bf16 rounding only (max |Δ| \(d))")
        }
    }

    /// The attention backward's block products (transposed score blocks, dQ from the dSᵀ block read transposed) go
    /// through the backend too: the gradients move by about bf16's rounding and no more. 37 tokens and a head width
    /// of 10 leave partial blocks and padded panels.
    func testFlashAttentionBackwardRunsInBF16() {
        let rng = RNG(seed: 6)
        let x = Tensor.randn([2, 37, 3 * 40], rng: rng), seed = Tensor.randn([2, 37, 40], rng: rng)
        func gradient() -> [Float] {
            let v = x.copy()
            v.requiresGrad = true
            v.flashAttention(heads: 4).backward(seed)
            return v.grad?.toArray() ?? []
        }
        let g32 = gradient()
        Backends.current = emulated
        let g16 = gradient()
        Backends.current = CPUBackend.shared
        XCTAssertEqual(g32.count, x.count)
        XCTAssertEqual(g16.count, x.count)
        let d = zip(g32, g16).map { abs($0 - $1) }.max() ?? .infinity
        let scale = g32.map(abs).max() ?? 0
        XCTAssertGreaterThan(d, 1e-5, "bf16 must change the gradient")
        XCTAssertLessThan(d, 0.05 * scale, "by bf16 rounding only (max |Δ| \(d), max |g| \(scale))")
    }

    // MARK: selection (--dtype)

    let none = CPUFeatures(avx512BF16: false, amxBF16: false)
    let zen4 = CPUFeatures(flags: "fpu avx2 fma avx512f avx512_bf16".split(separator: " ").map(String.init))
    let noLibrary: () -> Result<OneDNN, OneDNN.LoadError> = { .failure(.notInstalled("test")) }

    func testCPUFeatureFlags() {
        XCTAssertTrue(zen4.avx512BF16)
        XCTAssertFalse(zen4.amxBF16)
        let spr = CPUFeatures(flags: ["avx512_bf16", "amx_bf16", "amx_tile"])
        XCTAssertTrue(spr.amxBF16)
        XCTAssertEqual(spr.bf16Description, "AMX-BF16 and AVX512_BF16")
        XCTAssertFalse(CPUFeatures(flags: ["amx_bf16"]).amxBF16, "AMX without tile state is not usable")
        XCTAssertFalse(none.hasBF16)
    }

    func testSelection() {
        let fp32 = Precision.select(.fp32, features: zen4, environment: [:], loadOneDNN: noLibrary)
        XCTAssertTrue(fp32.backend === CPUBackend.shared)
        XCTAssertNil(fp32.message)

        let bf16NoCPU = Precision.select(.bf16, features: none, environment: [:], loadOneDNN: noLibrary)
        XCTAssertEqual(bf16NoCPU.precision, .fp32)
        XCTAssertTrue(bf16NoCPU.backend === CPUBackend.shared)
        XCTAssertTrue(bf16NoCPU.message?.hasPrefix("warning:") == true)
        XCTAssertTrue(bf16NoCPU.message?.contains("AVX512_BF16") == true, "the warning names the missing feature")

        let autoNoCPU = Precision.select(.auto, features: none, environment: [:], loadOneDNN: noLibrary)
        XCTAssertEqual(autoNoCPU.precision, .fp32)
        XCTAssertFalse(autoNoCPU.message?.hasPrefix("warning:") ?? false, "auto falling back is not a warning")

        let noLib = Precision.select(.auto, features: zen4, environment: [:], loadOneDNN: noLibrary)
        XCTAssertEqual(noLib.precision, .fp32)
        XCTAssertTrue(noLib.message?.contains("libdnnl") == true)

        // The emulation only on explicit request, and never for auto.
        let emu = Precision.select(.bf16, features: none, environment: [Precision.emulationVariable: "1"], loadOneDNN: noLibrary)
        XCTAssertEqual(emu.precision, .bf16)
        XCTAssertEqual(emu.backend.name, "cpu-bf16-emulated")
        let autoEmu = Precision.select(.auto, features: none, environment: [Precision.emulationVariable: "1"], loadOneDNN: noLibrary)
        XCTAssertEqual(autoEmu.precision, .fp32)
    }

    // MARK: oneDNN (when installed)

    func testOneDNNMatchesTheEmulationWhereItRuns() throws {
        guard case .success(let lib) = OneDNN.load(requireBF16: false) else { throw XCTSkip("libdnnl.so.2 not installed") }
        // Its fp32 GEMM agrees with OpenBLAS (so the library and calling convention are right).
        let rng = RNG(seed: 9)
        let m = 17, n = 9, k = 33
        let a = (0..<(m * k)).map { _ in rng.normal() }, b = (0..<(k * n)).map { _ in rng.normal() }
        var c1 = [Float](repeating: 0, count: m * n), c2 = c1
        lib.sgemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n, beta: 0, c: &c1, ldc: n)
        CPUBackend.shared.gemmRowMajor(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: n,
                                       beta: 0, c: &c2, ldc: n, rowBias: nil)
        XCTAssertLessThan(zip(c1, c2).map { abs($0 - $1) }.max() ?? .infinity, 1e-4)

        switch OneDNN.load() {
        case .failure(let error):
            // Without AVX512_BF16/AMX oneDNN's bf16 GEMM is unimplemented, and load() must say so.
            XCTAssertFalse(CPUFeatures.host.hasBF16, "\(error)")
            guard case .bf16Unimplemented = error else { return XCTFail("\(error)") }
        case .success(let bf16lib):
            let onednn = BF16Backend(engine: .oneDNN(bf16lib))
            var c3 = c1, c4 = c1
            let bias = (0..<n).map { Float($0) }
            onednn.gemmRowMajor(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k,
                                beta: 0, c: &c3, ldc: n, rowBias: bias)
            emulated.gemmRowMajor(transA: false, transB: true, m: m, n: n, k: k, alpha: 1, a: a, lda: k, b: b, ldb: k,
                                  beta: 0, c: &c4, ldc: n, rowBias: bias)
            XCTAssertLessThan(zip(c3, c4).map { abs($0 - $1) }.max() ?? .infinity, 1e-3)
        }
    }
}
