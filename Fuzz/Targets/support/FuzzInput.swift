import Foundation

/// What every fuzz target shares: the input as a file, for readers that take a path (HDF5, JSON).
///
/// One file per process, rewritten for each input, in /dev/shm when it exists so the campaign does not
/// wear a disk. Readers must never trap on it; an error thrown back is the expected outcome.
public enum FuzzInput {
    static let path: String = {
        let dir = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        return "\(dir)/sapiens-fuzz-\(getpid())"
    }()

    /// Writes the input to this process's scratch file (with `suffix`) and passes its path to `body`.
    public static func withFile(_ data: UnsafePointer<UInt8>, _ size: Int, suffix: String = "", _ body: (String) throws -> Void) {
        let p = path + suffix
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes: data, count: size))
        try? body(p)
    }

    public static func bytes(_ data: UnsafePointer<UInt8>, _ size: Int) -> [UInt8] {
        Array(UnsafeBufferPointer(start: data, count: size))
    }
}
