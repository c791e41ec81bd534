import Foundation
import NN
import Tensor

/// Maps checkpoint parameter names between conventions, so loading another project's checkpoint
/// is a name map, not a rewrite.
public enum CheckpointNames {
    /// Metadata key of a task checkpoint's JSON configuration (`TaskModelConfig`, in the Tasks module).
    public static let taskModelMetadataKey = "task_model"

    /// The part of a task checkpoint's configuration the backbone loaders read; the rest belongs to Tasks.
    struct TaskBackbone: Decodable { let backbone: ViTConfig }

    /// Sapiens / mmpretrain ViT names → official MAE names, with or without the `backbone.` prefix.
    /// Names that are not backbone names (heads, or already official) pass through unchanged.
    public static func officialName(_ name: String) -> String {
        var n = name
        if n.hasPrefix("backbone.") { n.removeFirst("backbone.".count) }
        let rules: [(String, String)] = [
            ("patch_embed.projection.", "patch_embed.proj."),
            (".ln1.", ".norm1."), (".ln2.", ".norm2."),
            (".ffn.layers.0.0.", ".mlp.fc1."), (".ffn.layers.1.", ".mlp.fc2."),
        ]
        if n.hasPrefix("layers.") {
            n = "blocks." + n.dropFirst("layers.".count)
            for (a, b) in rules where n.contains(a) { n = n.replacingOccurrences(of: a, with: b) }
            return n
        }
        if n.hasPrefix("patch_embed.projection.") { return "patch_embed.proj." + n.dropFirst("patch_embed.projection.".count) }
        if n == "ln1.weight" || n == "ln1.bias" { return "norm." + n.dropFirst(4) }
        return name.hasPrefix("backbone.") ? n : name
    }

    /// Loads a backbone from a safetensors file in either naming, into `vit`. The position table is
    /// resized bicubically when the file's grid differs (e.g. 64×64 pretraining → 64×48 fine-tuning),
    /// dropping its cls row when `vit` has none. Decoder and head tensors in the file are ignored.
    /// The file may also be an official PyTorch checkpoint (`.pth`), read without Python (`CheckpointFile`).
    public static func loadBackbone(_ vit: ViT, path: String) throws {
        try loadBackbone(vit, file: try CheckpointFile.load(path: path), path: path)
    }

    /// As `loadBackbone(_:path:)`, from a file already in memory.
    public static func loadBackbone(_ vit: ViT, file: SafeTensors, path: String) throws {
        var tensors: [String: Tensor] = [:]
        let wanted = Set(vit.namedParameters().map(\.0))
        for name in file.names {
            let official = officialName(name)
            if wanted.contains(official) { tensors[official] = try file.tensor(name) }
        }
        if let table = tensors["pos_embed"], table.shape != vit.posEmbed.shape {
            let d = table.shape[2], rows = table.shape[1]
            guard d == vit.config.width, let (grid, hasCls) = sourceGrid(rows: rows, metadata: file.metadata) else {
                throw TensorFileError.shapeMismatch(path: path, name: "pos_embed", shape: table.shape, expected: vit.posEmbed.shape)
            }
            tensors["pos_embed"] = PositionEmbedding.resize(table, from: grid, to: (vit.config.gridHeight, vit.config.gridWidth),
                                                            hasCls: hasCls, keepCls: vit.clsToken != nil)
        }
        if vit.clsToken == nil { tensors["cls_token"] = nil }
        try vit.load(tensors, strict: true, source: path)
    }

    /// The grid of a stored position table with `rows` rows: from the checkpoint's own config when it
    /// records one (our MAE and task checkpoints do), else the square grid with or without a cls row.
    static func sourceGrid(rows: Int, metadata: [String: String]) -> ((h: Int, w: Int), Bool)? {
        for key in ["encoder", taskModelMetadataKey] {
            guard let json = metadata[key], let data = json.data(using: .utf8) else { continue }
            let cfg = key == "encoder" ? try? JSONDecoder().decode(ViTConfig.self, from: data)
                                       : (try? JSONDecoder().decode(TaskBackbone.self, from: data))?.backbone
            if let c = cfg, c.numTokens == rows { return ((c.gridHeight, c.gridWidth), c.clsToken) }
        }
        for hasCls in [false, true] {
            let n = rows - (hasCls ? 1 : 0), side = Int(Double(n).squareRoot().rounded())
            if side > 0, side * side == n { return ((side, side), hasCls) }
        }
        return nil
    }
}
