import Foundation
import NN
import Tensor

/// Loads a Sapiens2 model folder as the hub publishes it (what `save_pretrained` writes): `config.json` plus
/// `model.safetensors`, or shards listed by `model.safetensors.index.json`. F32, F16 and BF16 stored weights
/// load (converted to Float32). Names may be in the original facebookresearch layout or transformers' own
/// (`Sapiens2WeightNames`). Any missing, unexpected or wrongly shaped tensor fails the whole load with one
/// error that lists them.
public enum Sapiens2Checkpoint {
    public static let configFile = "config.json"
    public static let weightsFile = "model.safetensors"
    public static let indexFile = "model.safetensors.index.json"

    /// Whether `folder` looks like a Sapiens2 hub folder (a config.json whose model_type is sapiens2).
    public static func isSapiens2Folder(_ folder: String) -> Bool {
        let path = (folder as NSString).appendingPathComponent(configFile)
        guard let data = FileManager.default.contents(atPath: path),
              let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { return false }
        return obj["model_type"] as? String == "sapiens2"
    }

    public static func load(folder: String) throws -> Sapiens2TaskModel {
        let config = try Sapiens2Config.load(path: (folder as NSString).appendingPathComponent(configFile))
        let model = Sapiens2TaskModel(config)
        try loadWeights(into: model, files: try weightFiles(folder: folder), source: folder)
        return model
    }

    /// The safetensors files of a folder: model.safetensors, else the shards its index lists.
    public static func weightFiles(folder: String) throws -> [String] {
        let fm = FileManager.default
        let single = (folder as NSString).appendingPathComponent(weightsFile)
        if fm.fileExists(atPath: single) { return [single] }
        let index = (folder as NSString).appendingPathComponent(indexFile)
        guard fm.fileExists(atPath: index) else {
            throw Sapiens2Error.files(path: folder, reason: "neither \(weightsFile) nor \(indexFile) is there")
        }
        guard let data = fm.contents(atPath: index), data.count <= 64 << 20 else {
            throw Sapiens2Error.files(path: index, reason: "cannot read (or larger than 64 MiB)")
        }
        guard let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let map = obj["weight_map"] as? [String: Any] else {
            throw Sapiens2Error.files(path: index, reason: "not a JSON object with a weight_map")
        }
        var shards = Set<String>()
        for (name, value) in map {
            guard let shard = value as? String else { throw Sapiens2Error.files(path: index, reason: "weight_map[\(name)] is not a file name") }
            // Shards live beside the index; a path out of the folder is refused.
            guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\\"), shard != "..", shard != "." else {
                throw Sapiens2Error.files(path: index, reason: "shard '\(shard)' is not a file name in the folder")
            }
            shards.insert(shard)
        }
        guard !shards.isEmpty else { throw Sapiens2Error.files(path: index, reason: "weight_map is empty") }
        let files = shards.sorted().map { (folder as NSString).appendingPathComponent($0) }
        for f in files where !fm.fileExists(atPath: f) {
            throw Sapiens2Error.files(path: index, reason: "lists \((f as NSString).lastPathComponent), which is not in the folder")
        }
        return files
    }

    /// Copies every tensor of `files` into `model`, renamed to our names; throws one `Sapiens2Error.weights`
    /// naming `source` when anything does not fit (nothing is half-loaded silently: the error says so).
    /// `optional` names parameters a file may lack (they keep their initial value).
    public static func loadWeights(into model: Sapiens2TaskModel, files: [String], source: String,
                                   optional: (String) -> Bool = { _ in false }) throws {
        let params = Dictionary(uniqueKeysWithValues: model.namedParameters())
        var loaded = Set<String>()
        var unexpected: [String] = [], wrongShapes: [String] = []
        let c = model.config
        for file in files {
            // Mapped and converted tensor by tensor into the parameters: no second copy of the file is held.
            let st = try MappedSafeTensors(path: file)
            for stored in st.names {
                let e = try st.entry(stored)
                guard [.F32, .F16, .BF16, .F64].contains(e.dtype) else {
                    throw Sapiens2Error.files(path: file, reason: "tensor '\(stored)' has dtype \(e.dtype.rawValue); weights must be F32, F16 or BF16")
                }
                switch Sapiens2WeightNames.canonical(stored, task: c.task, gatedMLP: c.useGatedMLP) {
                case .one(let name):
                    guard let p = params[name] else {
                        if !Sapiens2WeightNames.ignorable(name) { unexpected.append(stored) }
                        continue
                    }
                    guard e.shape == p.shape else { wrongShapes.append("\(stored) \(e.shape) (expected \(p.shape))"); continue }
                    guard !loaded.contains(name) else { throw Sapiens2Error.files(path: file, reason: "'\(stored)' is stored twice") }
                    try st.read(stored, into: [p])
                    loaded.insert(name)
                case .fusedGateUp(let gateName, let upName):
                    guard let g = params[gateName], let u = params[upName] else { unexpected.append(stored); continue }
                    let expected = [g.shape[0] + u.shape[0]] + Array(g.shape.dropFirst())
                    guard g.shape == u.shape, e.shape == expected else {
                        wrongShapes.append("\(stored) \(e.shape) (expected \(expected): gate and up fused)"); continue
                    }
                    guard !loaded.contains(gateName) else { throw Sapiens2Error.files(path: file, reason: "'\(stored)' is stored twice") }
                    try st.read(stored, into: [g, u])
                    loaded.insert(gateName)
                    loaded.insert(upName)
                }
            }
        }
        let missing = params.keys.filter { !loaded.contains($0) && !Sapiens2WeightNames.ignorable($0) && !optional($0) }.sorted()
        if !missing.isEmpty || !unexpected.isEmpty || !wrongShapes.isEmpty {
            func capped(_ list: [String]) -> [String] {
                list.count <= 40 ? list : Array(list.prefix(40)) + ["… \(list.count - 40) more"]
            }
            throw Sapiens2Error.weights(path: source, missing: capped(missing), unexpected: capped(unexpected.sorted()),
                                        wrongShapes: capped(wrongShapes.sorted()))
        }
    }
}
