import FuzzSupport
import Foundation
import Tensor

/// safetensors: header JSON, dtypes, shapes and offsets against the data that follows.
func fuzzSafeTensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let file = "fuzz.safetensors"
    ClearError.check(file) {
        let st = try SafeTensors.parse(Data(bytes: data, count: size), path: file)
        for name in st.names {
            ClearError.check(file) { try st.tensor(name) }
            ClearError.check(file) { try st.indices(name) }
            ClearError.check(file) { try st.bytes(name) }
        }
        return st
    }
    return 0
}

FuzzDriver.main { data, size in fuzzSafeTensors(data, size) }
