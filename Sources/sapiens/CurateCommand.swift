import ArgumentParser
import Curation
import Distributed
import Foundation
import Training

struct CurateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curate",
        abstract: "Filter a human-image corpus the Humans-300M way (detector score, box size, quality, near-duplicates) into HDF5 shards, with a manifest of every input.",
        subcommands: [CurateRun.self, CurateMerge.self], defaultSubcommand: CurateRun.self)
}

struct CurateRun: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Curate one worker's share of a corpus.")

    @Option(help: "A folder tree of images, a list file (one path per line), or a folder of HDF5 shards.") var images: String
    @Option(help: "Detector output: COCO detection results JSON or JSON Lines (optional for shard input, whose stored boxes are used).") var detections: String?
    @Option(name: .customLong("coco-images"), help: "COCO images list (id -> file_name), needed with COCO results.") var cocoImages: String?
    @Option(help: "Curation recipe YAML (default: the paper's rule; see recipes/curate-humans300m.yaml).") var recipe: String?
    @Option(help: "Output folder (shards, manifest.jsonl, report).") var out: String
    @Option(help: "This worker's share, k/n (0-based k). Under mpirun -np N, rank k takes k/N into OUT/rank-k-of-N and rank 0 merges into OUT/merged.") var shard: String?
    @Flag(help: "Continue an interrupted run in --out.") var resume = false

    func validate() throws {
        if let shard { do { _ = try ShardSpec(parsing: shard) } catch { throw ValidationError("--shard: \(error)") } }
        if let cocoImages, detections == nil { throw ValidationError("--coco-images \(cocoImages) is only read with --detections") }
    }

    func run() throws {
        do {
            var o = CurationOptions(images: try ImageSource.detect(path: images), detections: detections, cocoImages: cocoImages,
                                    recipe: try recipe.map { try CurationRecipe.load(path: $0) } ?? CurationRecipe(), out: out)
            if let shard { o.shard = try ShardSpec(parsing: shard) }
            o.resume = resume
            var bar: ProgressBar?
            let comm = Communicator.launchedByMPI() ? try Communicator.world : nil
            let show = comm?.isMain ?? true
            let progress: (CurationProgress) -> Void = { p in
                guard show else { return }
                if bar == nil { bar = ProgressBar(total: p.total ?? 0, label: comm.map { "curate rank 0 of \($0.size)" } ?? "curate", unit: "img") }
                bar?.update(p.processed, extra: "kept \(p.kept)")
            }
            if let comm {
                if let merged = try Curator.runDistributed(options: o, comm: comm, progress: progress).merged {
                    print("rank folders: \((0..<comm.size).map { Curator.rankFolder(out, rank: $0, of: comm.size) }.joined(separator: " "))")
                    print("merged (\(comm.size) ranks): \(Curator.mergedFolder(out))")
                    printSummary(merged)
                }
                return
            }
            printSummary(try Curator.run(options: o, progress: progress))
        } catch { throw fail(error) }
    }
}

struct CurateMerge: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Combine worker outputs and run the cross-shard near-duplicate pass.")
    @Argument(help: "Worker output folders.") var dirs: [String]
    @Option(help: "Merged output folder.") var out: String
    @Option(help: "The recipe the workers used.") var recipe: String?

    func validate() throws {
        guard !dirs.isEmpty else { throw ValidationError("give at least one worker output folder") }
    }

    func run() throws {
        do {
            printSummary(try Curator.merge(dirs: dirs, out: out, recipe: try recipe.map { try CurationRecipe.load(path: $0) } ?? CurationRecipe()))
        } catch { throw fail(error) }
    }
}

func printSummary(_ s: CurationSummary) {
    print("inputs \(s.inputs) = kept \(s.kept) + rejected \(s.rejectedTotal)\(s.complete ? "" : " (stopped early)")")
    for (reason, n) in s.rejected.sorted(by: { $0.value > $1.value }) { print("  \(reason): \(n)") }
    print("manifest: \(s.manifest)")
    print("shards: \(s.shards.count)\(s.shards.first.map { " (\($0) …)" } ?? "")")
}
