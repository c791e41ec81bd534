import Foundation
import FuzzSupport
import Models

/// Sapiens2 hub folders' config.json: JSON, model type, architectures, every size and the head_config,
/// as `sapiens infer --checkpoint DIR` reads it before building the model.
func fuzzHubConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ClearError.check("config.json") { try Sapiens2Config.parse(Data(bytes: data, count: size), path: "config.json") }
    return 0
}

FuzzDriver.main { data, size in fuzzHubConfig(data, size) }
