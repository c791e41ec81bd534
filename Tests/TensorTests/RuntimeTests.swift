import Foundation
import Models
import NN
import Tensor
import XCTest

final class RuntimeTests: XCTestCase {
    func testCoreTypeWarning() {
        XCTAssertNil(BLAS.coreTypeWarning(environment: [:]))
        let w = BLAS.coreTypeWarning(environment: ["OPENBLAS_CORETYPE": "Haswell"])
        XCTAssertNotNil(w)
        XCTAssertTrue(w?.contains("OPENBLAS_CORETYPE=Haswell") ?? false)
        if BLAS.cpuVectorISA == "avx512" { XCTAssertTrue(w?.contains("half speed") ?? false) }
    }

    /// Narrower than the CPU warns, on any CPU; the CPU's own width or an unknown name is only a note.
    func testCoreTypeWarningComparesKernelWidthWithTheCPU() {
        func say(_ core: String, _ isa: String) -> String { BLAS.coreTypeWarning(environment: ["OPENBLAS_CORETYPE": core], isa: isa) ?? "" }
        XCTAssertTrue(say("Haswell", "avx512").hasPrefix("warning:"))
        XCTAssertTrue(say("Haswell", "avx512").contains("AVX2 GEMM kernels on a CPU with AVX-512 (about half speed)"))
        XCTAssertTrue(say("Sandybridge", "avx2").hasPrefix("warning:"))
        XCTAssertTrue(say("Sandybridge", "avx2").contains("AVX GEMM kernels on a CPU with AVX2"))
        XCTAssertTrue(say("nehalem", "avx2").hasPrefix("warning:"))
        XCTAssertTrue(say("Haswell", "avx2").hasPrefix("note:"))
        XCTAssertTrue(say("Zen", "avx2").hasPrefix("note:"))
        XCTAssertTrue(say("SkylakeX", "avx512").hasPrefix("note:"))
        XCTAssertTrue(say("SomethingNew", "avx512").hasPrefix("note:"))
    }

    /// Backward frees what it no longer needs and the pool recycles buffers, so the bytes the tensor pool holds
    /// after many training steps are what they were after a few. Counted in the pool (live tensors and idle
    /// buffers), not RSS, which depends on the allocator and the machine.
    func testMemoryStaysFlatOverManySteps() {
        let cfg = ViTConfig(width: 64, depth: 2, heads: 2, patchSize: 8, imageHeight: 32, imageWidth: 32)
        let rng = RNG(seed: 1)
        let mae = MAE(encoder: cfg, decoder: MAEDecoderConfig(width: 32, depth: 1, heads: 2), rng: rng)
        let opt = AdamW(groups: standardParameterGroups(mae.namedParameters(), weightDecay: 0.05), lr: 1e-3)
        let imgs = Tensor.randn([8, 3, 32, 32], rng: rng)
        func step() { opt.zeroGrad(); mae(imgs, rng: rng).loss.backward(); opt.step() }
        for _ in 0..<20 { step() }
        let before = BufferPool.shared.usage
        for _ in 0..<300 { step() }
        let after = BufferPool.shared.usage
        XCTAssertGreaterThan(before.liveBytes, 0)
        // Between steps only parameters, gradients, AdamW's moments and the batch are alive: exactly as many bytes.
        XCTAssertEqual(after.liveBytes, before.liveBytes, "live tensor bytes changed over 300 steps")
        // Idle buffers may be shuffled between size classes from step to step; a leak would grow 300-fold.
        XCTAssertLessThanOrEqual(after.heldBytes, before.heldBytes + before.heldBytes / 10, "the pool held \(before.heldBytes) bytes after 20 steps and \(after.heldBytes) after 320")
    }
}
