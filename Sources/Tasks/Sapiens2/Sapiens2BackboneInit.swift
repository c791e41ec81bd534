import Foundation
import Models
import NN
import Tensor

/// Starting a Sapiens2 fine-tune from a pretrained backbone (`sapiens finetune --init DIR`): a hub folder of
/// any `Sapiens2*` class (config.json + safetensors, e.g. `facebook/sapiens2-pretrain-0.4b`), or one of our
/// own Sapiens2 checkpoints (its folder or model.safetensors). Only the backbone is copied; the head keeps its
/// fresh initialisation. Backbone sizes must agree (RoPE has no learned table, so the input size may differ).
public enum Sapiens2BackboneInit {
    public static func load(into model: Sapiens2TaskModel, from path: String) throws {
        let source: Sapiens2Backbone
        if Sapiens2Checkpoint.isSapiens2Folder(path) {
            source = try Sapiens2Checkpoint.load(folder: path).backbone
        } else {
            let file = TaskModel.modelFile(path)
            guard FileManager.default.fileExists(atPath: file) else {
                throw Sapiens2Error.files(path: path, reason: "no Sapiens2 hub folder (config.json with model_type sapiens2) or checkpoint here")
            }
            let config = try TaskModel.config(at: file)
            guard config.sapiens2 != nil else {
                throw Sapiens2Error.files(path: file, reason: "is a v1 (ViT) checkpoint; a Sapiens2 model needs a Sapiens2 backbone")
            }
            let m = try TaskModel.load(path: file)
            guard let s = m.sapiens2 else { throw Sapiens2Error.files(path: file, reason: "holds no Sapiens2 model") }
            source = s.backbone
        }
        try copy(source, into: model.backbone, source: path)
    }

    /// Copies every backbone tensor by name. The mask token is pretraining's alone: copied when both have it.
    static func copy(_ from: Sapiens2Backbone, into to: Sapiens2Backbone, source: String) throws {
        let theirs = Dictionary(uniqueKeysWithValues: from.namedParameters())
        let ours = to.namedParameters()
        var missing: [String] = [], shapes: [String] = []
        for (name, p) in ours {
            guard let t = theirs[name] else { if !name.hasSuffix("mask_token") { missing.append(name) }; continue }
            guard t.shape == p.shape else { shapes.append("\(name) \(t.shape) (expected \(p.shape))"); continue }
        }
        let unexpected = Set(theirs.keys).subtracting(ours.map(\.0)).filter { !$0.hasSuffix("mask_token") }.sorted()
        guard missing.isEmpty, shapes.isEmpty, unexpected.isEmpty else {
            throw Sapiens2Error.weights(path: source, missing: Array(missing.prefix(40)), unexpected: Array(unexpected.prefix(40)),
                                        wrongShapes: Array(shapes.prefix(40)))
        }
        let wanted = Set(ours.map(\.0))
        try to.load(theirs.filter { wanted.contains($0.key) }, strict: false, source: source)
    }
}
