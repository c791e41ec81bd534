import Foundation

/// The precision the CLI's `--dtype` asks for.
public enum ComputePrecision: String, CaseIterable, Sendable {
    case fp32, bf16, auto
}

/// Picks the backend for a requested precision on this CPU: bf16 only where the CPU multiplies bf16 in
/// hardware (AVX512_BF16 or AMX-BF16) and oneDNN is installed; otherwise fp32, with a warning when bf16 was
/// asked for by name. The bf16 emulation (`BF16Backend.Engine.emulated`) is chosen only when the environment
/// asks for it explicitly (`SAPIENS_BF16_EMULATE=1` with `--dtype bf16`): it measures bf16 numerics on any CPU
/// and is slower than fp32, so it is never picked for speed.
public enum Precision {
    public static let emulationVariable = "SAPIENS_BF16_EMULATE"

    public struct Selection {
        public let backend: any Backend
        /// What the GEMMs compute in: fp32 or bf16.
        public let precision: ComputePrecision
        /// A line for stderr ("warning: ..." or "note: ..."), or nil when there is nothing to say.
        public let message: String?
    }

    /// `setting` names where the request came from in the messages: `--dtype` (the default) or a recipe's
    /// `optim.precision`.
    public static func select(_ requested: ComputePrecision, setting: String = "--dtype", features: CPUFeatures = .host,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              loadOneDNN: () -> Result<OneDNN, OneDNN.LoadError> = { OneDNN.load() }) -> Selection {
        let fp32 = CPUBackend.shared
        if requested == .fp32 { return Selection(backend: fp32, precision: .fp32, message: nil) }
        let flag = "\(setting) \(requested.rawValue)"
        if requested == .bf16, let v = environment[emulationVariable], v == "1" {
            return Selection(backend: BF16Backend(engine: .emulated), precision: .bf16,
                             message: "note: \(flag) with \(emulationVariable)=1: bf16 GEMM numerics emulated on fp32 sgemm (slower than fp32; for accuracy studies only)")
        }
        guard features.hasBF16 else {
            let message = requested == .bf16
                ? "warning: \(flag): this CPU has no AVX512_BF16 and no AMX-BF16 (no bf16 dot product); running fp32"
                : "note: \(flag): fp32 (this CPU has no AVX512_BF16 and no AMX-BF16)"
            return Selection(backend: fp32, precision: .fp32, message: message)
        }
        switch loadOneDNN() {
        case .success(let lib):
            return Selection(backend: BF16Backend(engine: .oneDNN(lib)), precision: .bf16,
                             message: "note: \(flag): bf16 GEMMs with fp32 accumulation through oneDNN (\(features.bf16Description)); norms, softmax and losses in fp32")
        case .failure(let error):
            return Selection(backend: fp32, precision: .fp32, message: "warning: \(flag): \(error); running fp32")
        }
    }

    nonisolated(unsafe) private static var printed: Set<String> = []
    private static let lock = NSLock()

    /// Selects and installs the backend (`Backends.current`), printing its message to stderr once per process.
    /// Call it at start-up, before tensors exist.
    @discardableResult
    public static func apply(_ requested: ComputePrecision, setting: String = "--dtype") -> Selection {
        let selection = select(requested, setting: setting)
        Backends.current = selection.backend
        if let message = selection.message {
            lock.lock()
            let first = printed.insert(message).inserted
            lock.unlock()
            if first { FileHandle.standardError.write(Data((message + "\n").utf8)) }
        }
        return selection
    }
}
