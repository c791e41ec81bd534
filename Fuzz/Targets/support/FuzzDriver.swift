import FuzzDriverC
import Foundation

/// Hands control to libFuzzer with one input callback.
///
/// SwiftPM links each executable with its `main` renamed to `<module>_main`, so libFuzzer's own `main`
/// never runs; the target's main.swift calls `FuzzDriver.main`, which passes the command line to
/// `LLVMFuzzerRunDriver` (every libFuzzer flag works as usual).
public enum FuzzDriver {
    private static var body: ((UnsafePointer<UInt8>, Int) -> CInt)?
    private static let emptyInput: UnsafeMutablePointer<UInt8> = .allocate(capacity: 1)

    public static func main(_ body: @escaping (UnsafePointer<UInt8>, Int) -> CInt) -> Never {
        self.body = body
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let rc = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            // libFuzzer may pass a null pointer for the empty input.
            FuzzDriver.body?(data ?? UnsafePointer(FuzzDriver.emptyInput), size) ?? 0
        }
        exit(rc)
    }
}
