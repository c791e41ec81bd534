import SapiensData
import FuzzSupport

/// An HDF5 shard: opened, its index checked, then every record read back.
func fuzzHDF5(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzInput.withFile(data, size, suffix: ".h5") { path in
        ClearError.check(path) {
            let reader = try ShardReader(path: path)
            for i in 0..<min(reader.count, 64) {
                ClearError.check(path) { try reader.size(at: i) }
                ClearError.check(path) { try reader.record(at: i) }
            }
            return reader.count
        }
    }
    return 0
}

FuzzDriver.main { data, size in fuzzHDF5(data, size) }
