import SapiensData
import FuzzSupport

/// .npy arrays (depth and normal maps): header dict, dtype, shape against the data.
func fuzzNPY(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ClearError.check("fuzz.npy") { try NPY.decode(FuzzInput.bytes(data, size), name: "fuzz.npy") }
    return 0
}

FuzzDriver.main { data, size in fuzzNPY(data, size) }
