import Foundation

/// Bounds the time one rank may wait inside a collective. A background thread checks the deadline of the
/// operation in progress; when it passes, the rank names itself and the operation on stderr and exits with
/// code 124 (as `timeout(1)` does). mpirun sees the exit and stops the other ranks, so a rank that died or
/// hung ends the job instead of blocking it.
public final class Watchdog: @unchecked Sendable {
    public static let exitCode: Int32 = 124
    public static let defaultTimeout = 300.0

    /// Seconds from `SAPIENS_MPI_TIMEOUT` (default 300; 0 disables the watchdog).
    public static func timeout(from env: [String: String]) -> Double {
        guard let s = env["SAPIENS_MPI_TIMEOUT"], let v = Double(s), v >= 0 else { return defaultTimeout }
        return v
    }

    public let timeout: Double
    public var rankLabel = "rank 0"
    private let lock = NSCondition()
    private var operation: String?
    private var deadline = Date.distantFuture
    private var started = false

    public init(timeout: Double) { self.timeout = timeout }

    /// Runs `body` (one blocking collective) with a deadline of `timeout` (or this watchdog's) seconds.
    public func guarding<T>(_ operation: String, timeout: Double? = nil, _ body: () throws -> T) rethrows -> T {
        let limit = timeout ?? self.timeout
        guard limit > 0 else { return try body() }
        lock.lock()
        if !started { start() }
        self.operation = operation
        deadline = Date().addingTimeInterval(limit)
        lock.broadcast()
        lock.unlock()
        defer {
            lock.lock()
            self.operation = nil
            deadline = .distantFuture
            lock.unlock()
        }
        return try body()
    }

    private func start() {
        started = true
        let t = Thread { [unowned self] in self.watch() }
        t.name = "mpi-watchdog"
        t.start()
    }

    private func watch() {
        lock.lock()
        while true {
            if let op = operation, Date() >= deadline {
                let limit = timeout
                lock.unlock()
                let msg = "error: [\(rankLabel)] \(op) did not complete within \(String(format: "%g", limit)) s (SAPIENS_MPI_TIMEOUT): another rank has died or hung. Exiting with code \(Watchdog.exitCode).\n"
                FileHandle.standardError.write(Data(msg.utf8))
                _exit(Watchdog.exitCode)
            }
            _ = lock.wait(until: operation == nil ? Date().addingTimeInterval(3600) : min(deadline, Date().addingTimeInterval(0.5)))
        }
    }
}
