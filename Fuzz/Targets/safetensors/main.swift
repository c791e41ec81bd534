import FuzzSupport
import Foundation
import Tensor

/// safetensors: header JSON, dtypes, shapes and offsets against the data that follows.
func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    if let st = try? SafeTensors.parse(Data(bytes: data, count: size), path: "fuzz.safetensors") {
        for name in st.names { _ = try? st.tensor(name); _ = try? st.indices(name); _ = try? st.bytes(name) }
    }
    return 0
}

FuzzDriver.main { data, size in fuzzSafeTensors(data, size) }
