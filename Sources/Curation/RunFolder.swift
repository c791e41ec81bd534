import SapiensData
import Foundation

/// The layout of a curation output folder, and its `run.json` (the settings a resume must match).
///
///     manifest.jsonl        one record per input, append-only
///     run.json              inputs, shard, recipe; `complete` once the run finished
///     shards/train-NNNNN.h5 kept images (committed whole by rename)
///     report.json, report.md, hist_*.png, contact_*.png
struct RunFolder {
    let path: String

    var manifest: String { path + "/manifest.jsonl" }
    var runFile: String { path + "/run.json" }
    var shardFolder: String { path + "/shards" }
    static func shardName(_ n: Int) -> String { "shards/train-" + String(format: "%05d", n) + ".h5" }
    func file(_ relative: String) -> String { path + "/" + relative }

    func create() throws {
        do { try FileManager.default.createDirectory(atPath: shardFolder, withIntermediateDirectories: true) } catch {
            throw CurationError.output(path, "cannot create output folder: \(error.localizedDescription)")
        }
    }

    /// Committed shards in order; hidden temporaries left by a killed writer are removed.
    func committedShards() throws -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: shardFolder) } catch { return [] }
        for n in names where n.hasPrefix(".") && n.contains(".tmp-") { unlink(shardFolder + "/" + n) }
        return names.filter { $0.hasPrefix("train-") && $0.hasSuffix(".h5") }.sorted().map { "shards/" + $0 }
    }

    struct Settings: Equatable {
        var images: String
        var detections: String
        var shard: String
        var recipe: String
        var complete = false

        var json: [String: Any] {
            ["images": images, "detections": detections, "shard": shard, "recipe": recipe, "complete": complete]
        }

        /// Everything but `complete`: what must not change between a run and its resume.
        func sameRun(as o: Settings) -> Bool {
            images == o.images && detections == o.detections && shard == o.shard && recipe == o.recipe
        }
    }

    func writeSettings(_ s: Settings) throws {
        do {
            let data = try JSONSerialization.data(withJSONObject: s.json, options: [.prettyPrinted, .sortedKeys])
            try FileIO.writeAtomically([UInt8](data), to: runFile)
        } catch let e as DataError { throw CurationError.data(e) } catch {
            throw CurationError.output(runFile, "cannot write: \(error.localizedDescription)")
        }
    }

    func readSettings() throws -> Settings? {
        guard FileManager.default.fileExists(atPath: runFile) else { return nil }
        let bytes: [UInt8]
        do { bytes = try FileIO.read(path: runFile) } catch let e as DataError { throw CurationError.data(e) }
        guard let o = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any],
              let images = o["images"] as? String, let dets = o["detections"] as? String,
              let shard = o["shard"] as? String, let recipe = o["recipe"] as? String else {
            throw CurationError.output(runFile, "damaged run file (expected images, detections, shard, recipe)")
        }
        return Settings(images: images, detections: dets, shard: shard, recipe: recipe, complete: (o["complete"] as? Bool) ?? false)
    }
}
