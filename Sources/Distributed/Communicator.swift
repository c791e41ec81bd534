import CMPI
import Foundation

public enum DistributedError: Error, CustomStringConvertible {
    case mpi(operation: String, rank: Int, message: String)
    case unavailable(String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .mpi(op, rank, msg): return "MPI error on rank \(rank) in \(op): \(msg)"
        case let .unavailable(msg): return msg
        case let .invalid(msg): return msg
        }
    }
}

/// The ranks of one job and the collectives the trainers need (allreduce, broadcast, barrier).
///
/// Open MPI is a run-time dependency: a process that mpirun did not start (no `OMPI_COMM_WORLD_SIZE` in its
/// environment) is rank 0 of 1 and never loads the library; under mpirun, `libmpi.so.40` is dlopen'd. So the
/// build never needs MPI, and every command runs unchanged without it.
///
/// Every collective runs under a watchdog (`SAPIENS_MPI_TIMEOUT` seconds, default 300): if it does not
/// complete in time, the rank prints which operation it was waiting in and exits with code 124, and mpirun
/// then stops the other ranks, so a dead or hung rank never hangs the job. MPI errors are returned
/// (MPI_ERRORS_RETURN) and thrown as `DistributedError.mpi` with MPI's message.
public final class Communicator: @unchecked Sendable {
    public let rank: Int
    public let size: Int
    /// True when mpirun started this process (even with one rank): collectives go through MPI.
    public let usesMPI: Bool
    public let watchdog: Watchdog
    private var finalized = false

    public var isMain: Bool { rank == 0 }
    public var isDistributed: Bool { size > 1 }

    /// The process's communicator: MPI_COMM_WORLD under mpirun, else a single rank. Initialised on first use.
    public static var world: Communicator {
        get throws { try worldResult.get() }
    }
    /// The world if it was already initialised (for error paths that must not start MPI).
    public static var worldIfStarted: Communicator? { started ? try? worldResult.get() : nil }

    nonisolated(unsafe) private static var started = false
    private static let worldResult: Result<Communicator, Error> = {
        started = true
        return Result { try Communicator(environment: ProcessInfo.processInfo.environment) }
    }()

    /// Whether this process was started by Open MPI's mpirun (without loading anything).
    public static func launchedByMPI(_ env: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        env["OMPI_COMM_WORLD_SIZE"] != nil
    }

    init(environment env: [String: String]) throws {
        watchdog = Watchdog(timeout: Watchdog.timeout(from: env))
        guard Communicator.launchedByMPI(env) else {
            rank = 0; size = 1; usesMPI = false
            if let n = Int(env["PMI_SIZE"] ?? ""), n > 1 {
                // MPICH / Slurm PMI: each process would run the whole job alone and write the same folder.
                FileHandle.standardError.write(Data("warning: PMI_SIZE=\(n) but this is not Open MPI's mpirun; running as a single rank (only Open MPI is supported)\n".utf8))
            }
            return
        }
        var err = [CChar](repeating: 0, count: 512)
        guard cmpi_load(&err, err.count) == 0 else {
            throw DistributedError.unavailable("started by mpirun (OMPI_COMM_WORLD_SIZE=\(env["OMPI_COMM_WORLD_SIZE"] ?? "?")) but " + String(cString: err))
        }
        let envRank = Int(env["OMPI_COMM_WORLD_RANK"] ?? "") ?? -1
        watchdog.rankLabel = envRank >= 0 ? "rank \(envRank)" : "rank ?"
        var provided: Int32 = 0
        try watchdog.guarding("MPI_Init_thread") {
            try Communicator.check(cmpi_init_thread(CMPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread", rank: envRank)
        }
        try Communicator.check(cmpi_set_errors_return(), "MPI_Comm_set_errhandler", rank: envRank)
        var r: Int32 = 0, s: Int32 = 0
        try Communicator.check(cmpi_comm_rank(&r), "MPI_Comm_rank", rank: envRank)
        try Communicator.check(cmpi_comm_size(&s), "MPI_Comm_size", rank: envRank)
        rank = Int(r); size = Int(s); usesMPI = true
        watchdog.rankLabel = "rank \(rank) of \(size)"
        // Finalize on a normal exit; failures go through abort() instead (Finalize would wait for the others).
        atexit { Communicator.worldIfStarted?.finalize() }
    }

    static func check(_ code: Int32, _ op: String, rank: Int) throws {
        guard code != CMPI_SUCCESS else { return }
        var buf = [CChar](repeating: 0, count: Int(CMPI_MAX_ERROR_STRING) + 1)
        cmpi_error_string(code, &buf)
        throw DistributedError.mpi(operation: op, rank: rank, message: String(cString: buf))
    }

    /// MPI takes an Int32 count: large buffers go in pieces.
    private static let maxChunk = 1 << 30

    /// Sums `count` floats in place across the ranks. `what` names the operation in timeout and error messages.
    public func allreduceSum(_ buf: UnsafeMutablePointer<Float>, count: Int, _ what: String) throws {
        guard usesMPI else { return }
        try watchdog.guarding("allreduce of \(what)") {
            var off = 0
            while off < count {
                let n = min(Communicator.maxChunk, count - off)
                try Communicator.check(cmpi_allreduce_in_place(buf + off, Int32(n), cmpi_float(), cmpi_op_sum()), "MPI_Allreduce (\(what))", rank: rank)
                off += n
            }
        }
    }

    /// Averages `count` floats in place across the ranks.
    public func allreduceAverage(_ buf: UnsafeMutablePointer<Float>, count: Int, _ what: String) throws {
        guard usesMPI else { return }
        try allreduceSum(buf, count: count, what)
        if size > 1 {
            let inv = 1 / Float(size)
            for i in 0..<count { buf[i] *= inv }
        }
    }

    public enum Reduction { case sum, max }

    /// Reduces a few doubles (losses, flags, counters) in place.
    public func allreduce(_ values: inout [Double], _ op: Reduction, _ what: String) throws {
        guard usesMPI, !values.isEmpty else { return }
        let n = values.count, rank = self.rank
        try watchdog.guarding("allreduce of \(what)") {
            try values.withUnsafeMutableBufferPointer { b in
                try Communicator.check(cmpi_allreduce_in_place(b.baseAddress, Int32(n), cmpi_double(), op == .sum ? cmpi_op_sum() : cmpi_op_max()),
                                       "MPI_Allreduce (\(what))", rank: rank)
            }
        }
    }

    /// An allreduce MPI must reject (count −1), for the test of the error path: MPI_ERRORS_RETURN makes it
    /// return, and the code arrives as `DistributedError.mpi` with MPI's message.
    public func invalidAllreduceForTesting() throws {
        guard usesMPI else { return }
        var x: Float = 0
        try Communicator.check(cmpi_allreduce_in_place(&x, -1, cmpi_float(), cmpi_op_sum()), "MPI_Allreduce (test of the error path)", rank: rank)
    }

    /// Copies rank `root`'s floats to every rank.
    public func broadcast(_ buf: UnsafeMutablePointer<Float>, count: Int, root: Int = 0, _ what: String) throws {
        guard usesMPI else { return }
        try watchdog.guarding("broadcast of \(what)") {
            var off = 0
            while off < count {
                let n = min(Communicator.maxChunk, count - off)
                try Communicator.check(cmpi_bcast(buf + off, Int32(n), cmpi_float(), Int32(root)), "MPI_Bcast (\(what))", rank: rank)
                off += n
            }
        }
    }

    /// Waits for every rank. `timeout` overrides the watchdog's (0 = wait without limit; for phases of
    /// unbounded length, such as the rest of a curation, where mpirun still ends the job if a rank dies).
    public func barrier(_ what: String, timeout: Double? = nil) throws {
        guard usesMPI else { return }
        try watchdog.guarding("barrier (\(what))", timeout: timeout) {
            try Communicator.check(cmpi_barrier(), "MPI_Barrier (\(what))", rank: rank)
        }
    }

    /// Ends every rank of the job (after printing `message` with this rank's name). Single rank: exit(code).
    public func abort(code: Int32 = 1, message: String) -> Never {
        FileHandle.standardError.write(Data("\(usesMPI ? "[\(watchdog.rankLabel)] " : "")\(message)\n".utf8))
        if usesMPI { _ = cmpi_abort(code) }
        exit(code)
    }

    /// MPI_Finalize once, under the watchdog (it synchronises with the other ranks).
    public func finalize() {
        guard usesMPI, !finalized else { return }
        finalized = true
        watchdog.guarding("MPI_Finalize") { _ = cmpi_finalize() }
    }
}
