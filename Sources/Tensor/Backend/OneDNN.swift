import Foundation

/// oneDNN's GEMMs, opened at run time with dlopen so building never needs it (Debian: `libdnnl2`, from
/// `libdnnl-dev`, which scripts/setup installs). On a CPU with AVX512_BF16 or AMX its bf16 GEMM uses
/// `VDPBF16PS`/AMX tiles with fp32 accumulation; elsewhere it reports "unimplemented", which `load()` checks
/// with a 1×1×1 probe so a caller never gets a GEMM that cannot run.
///
/// Both entry points take row-major operands, like `cblas_sgemm` with `CblasRowMajor`.
public final class OneDNN: @unchecked Sendable {
    typealias BF16GEMM = @convention(c) (CChar, CChar, Int64, Int64, Int64, Float, UnsafePointer<UInt16>, Int64,
                                          UnsafePointer<UInt16>, Int64, Float, UnsafeMutablePointer<Float>, Int64) -> Int32
    typealias SGEMM = @convention(c) (CChar, CChar, Int64, Int64, Int64, Float, UnsafePointer<Float>, Int64,
                                       UnsafePointer<Float>, Int64, Float, UnsafeMutablePointer<Float>, Int64) -> Int32

    public enum LoadError: Error, CustomStringConvertible {
        case notInstalled(String)
        case missingSymbol(String)
        case bf16Unimplemented(status: Int32)
        public var description: String {
            switch self {
            case .notInstalled(let why): return "oneDNN (libdnnl.so.2) could not be opened: \(why); install it with `apt-get install libdnnl2`"
            case .missingSymbol(let s): return "libdnnl.so.2 has no \(s) (oneDNN 2.x expected)"
            case .bf16Unimplemented(let status): return "oneDNN's bf16 GEMM is not implemented on this CPU (status \(status)); it needs AVX512_BF16 or AMX"
            }
        }
    }

    let bf16gemm: BF16GEMM
    let sgemmFn: SGEMM

    private init(bf16gemm: @escaping BF16GEMM, sgemm: @escaping SGEMM) {
        self.bf16gemm = bf16gemm
        self.sgemmFn = sgemm
    }

    /// The library with its fp32 GEMM; `requireBF16` also checks that the bf16 GEMM runs on this CPU.
    public static func load(requireBF16: Bool = true) -> Result<OneDNN, LoadError> {
        var handle: UnsafeMutableRawPointer?
        for name in ["libdnnl.so.2", "libdnnl.so"] {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            if handle != nil { break }
        }
        guard let handle else { return .failure(.notInstalled(dlerror().map { String(cString: $0) } ?? "not found")) }
        guard let b = dlsym(handle, "dnnl_gemm_bf16bf16f32") else { return .failure(.missingSymbol("dnnl_gemm_bf16bf16f32")) }
        guard let s = dlsym(handle, "dnnl_sgemm") else { return .failure(.missingSymbol("dnnl_sgemm")) }
        let lib = OneDNN(bf16gemm: unsafeBitCast(b, to: BF16GEMM.self), sgemm: unsafeBitCast(s, to: SGEMM.self))
        if requireBF16 {
            var a: UInt16 = BF16.bits(1), bb: UInt16 = BF16.bits(1)
            var c: Float = 0
            let status = lib.bf16gemm(CChar(UInt8(ascii: "N")), CChar(UInt8(ascii: "N")), 1, 1, 1, 1, &a, 1, &bb, 1, 0, &c, 1)
            if status != 0 || c != 1 { return .failure(.bf16Unimplemented(status: status)) }
        }
        return .success(lib)
    }

    static func flag(_ t: Bool) -> CChar { CChar(UInt8(ascii: t ? "T" : "N")) }

    /// C = alpha op(A) op(B) + beta C on bf16 operands, fp32 C; returns oneDNN's status (0 = success).
    @discardableResult
    func gemmBF16(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<UInt16>, lda: Int,
                  b: UnsafePointer<UInt16>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) -> Int32 {
        bf16gemm(Self.flag(transA), Self.flag(transB), Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
    }

    /// The fp32 GEMM (for measuring oneDNN against OpenBLAS on our shapes).
    @discardableResult
    public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) -> Int32 {
        sgemmFn(Self.flag(transA), Self.flag(transB), Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
    }
}
