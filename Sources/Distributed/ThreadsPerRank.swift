import Foundation

/// Compute threads for one rank: ranks sharing a host split its cores, so N ranks with all cores' worth of
/// BLAS threads each do not oversubscribe the machine (two ranks x 2 BLAS threads on 2 cores collapse).
/// `SAPIENS_THREADS_PER_RANK` overrides; a single process keeps every core.
public enum ThreadsPerRank {
    public static func count(ranksOnHost: Int, cores: Int = ProcessInfo.processInfo.activeProcessorCount,
                             environment env: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        if let s = env["SAPIENS_THREADS_PER_RANK"], let v = Int(s), v >= 1 { return v }
        return max(1, cores / max(1, ranksOnHost))
    }

    /// Ranks on this host as Open MPI reports them (OMPI_COMM_WORLD_LOCAL_SIZE), else the job size.
    public static func ranksOnHost(jobSize: Int, environment env: [String: String] = ProcessInfo.processInfo.environment) -> Int {
        Int(env["OMPI_COMM_WORLD_LOCAL_SIZE"] ?? "") ?? jobSize
    }
}
