import Foundation
import Tensor

/// Opens a weights file of either kind: a safetensors file, or a PyTorch checkpoint (zip-format `.pth`
/// or TorchScript archive) converted in memory exactly as `sapiens convert` would write it — so every
/// command that takes a checkpoint takes an official `.pth` as well, with no separate convert step.
public enum CheckpointFile {
    public static func load(path: String) throws -> SafeTensors {
        if isTorchCheckpoint(path) { return try PthConversion.safetensors(from: path).0 }
        return try SafeTensors.load(path: path)
    }

    /// A zip archive (torch.save ≥ 1.6, torch.jit.save) or a legacy torch pickle (refused with its own
    /// message by the reader), told by the first bytes, not by the file name.
    public static func isTorchCheckpoint(_ path: String) -> Bool {
        guard let fh = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? fh.close() }
        let head = [UInt8]((try? fh.read(upToCount: 4)) ?? Data())
        return head == [0x50, 0x4B, 0x03, 0x04] || head.starts(with: [0x80, 0x02, 0x8A, 0x0A])
    }
}
