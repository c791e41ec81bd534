import Distributed
import Foundation

extension Curator {
    /// `mpirun -np N sapiens curate …`: rank k curates shard k/N (the split of `--shard k/N`) into
    /// `OUT/rank-k-of-N`, all ranks meet at a barrier, then rank 0 merges the rank folders (manifests in
    /// index order, the cross-shard duplicate pass, fresh shards, report) into `OUT/merged`, which equals an
    /// unsharded run. Returns rank 0's merged summary, or this rank's own summary on the other ranks.
    public static func runDistributed(options: CurationOptions, comm: Communicator,
                                      progress: ((CurationProgress) -> Void)? = nil) throws -> (own: CurationSummary, merged: CurationSummary?) {
        guard options.shard == .whole else {
            throw CurationError.option("under mpirun each rank is one shard (rank k of N curates k/N); leave out --shard")
        }
        var o = options
        o.shard = try ShardSpec(index: comm.rank, count: comm.size)
        o.out = rankFolder(options.out, rank: comm.rank, of: comm.size)
        let own = try Curator.run(options: o, progress: progress)
        guard own.complete else { throw CurationError.output(o.out, "rank \(comm.rank) stopped before the end; resume the job with --resume") }
        // The ranks' shares take as long as they take; a rank that dies still ends the job through mpirun.
        try comm.barrier("every rank finished its share of the curation", timeout: 0)
        guard comm.isMain else { return (own, nil) }
        let mergedDir = mergedFolder(options.out)
        if options.resume { try? FileManager.default.removeItem(atPath: mergedDir) } // merge is redone whole from the rank folders
        let dirs = (0..<comm.size).map { rankFolder(options.out, rank: $0, of: comm.size) }
        return (own, try Curator.merge(dirs: dirs, out: mergedDir, recipe: options.recipe))
    }

    public static func rankFolder(_ out: String, rank: Int, of size: Int) -> String { out + "/rank-\(rank)-of-\(size)" }
    public static func mergedFolder(_ out: String) -> String { out + "/merged" }
}
