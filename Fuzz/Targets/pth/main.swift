import Foundation
import FuzzSupport
import Tensor

/// PyTorch checkpoints (.pth, TorchScript): the ZIP directory, the restricted unpickler, storages and
/// strided views, then every tensor read as floats and as safetensors bytes, as `sapiens convert` does.
func fuzzPth(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = "fuzz.pth"
    ClearError.check(file) {
        let ckpt = try TorchCheckpoint(archive: try ZipArchive(data: Data(bytes: data, count: size), path: file))
        let sd = try ckpt.stateDict()
        for (_, t) in sd.tensors.prefix(64) {
            ClearError.check(file) { try t.floats() }
            ClearError.check(file) { try t.safetensorsEntry(floatsAs: .BF16) }
        }
        return sd.tensors.count
    }
    return 0
}

FuzzDriver.main { data, size in fuzzPth(data, size) }
