import Foundation
import FuzzSupport
import Tensor

/// PyTorch checkpoints (.pth, TorchScript): the ZIP directory, the restricted unpickler, storages and
/// strided views, then every tensor read as floats and as safetensors bytes, as `sapiens convert` does.
func fuzzPth(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let zip = try? ZipArchive(data: Data(bytes: data, count: size), path: "fuzz.pth"),
          let ckpt = try? TorchCheckpoint(archive: zip), let sd = try? ckpt.stateDict() else { return 0 }
    for (_, t) in sd.tensors.prefix(64) {
        _ = try? t.floats()
        _ = try? t.safetensorsEntry(floatsAs: .BF16)
    }
    return 0
}

FuzzDriver.main { data, size in fuzzPth(data, size) }
