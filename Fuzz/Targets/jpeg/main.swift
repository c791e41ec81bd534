import SapiensData
import FuzzSupport

/// JPEG decoding through the codec the CLI uses (header checks, pixel budget, EXIF orientation).
func fuzzJPEG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    ClearError.check("fuzz.jpg") { try ImageCodec.decode(bytes, name: "fuzz.jpg") }
    ClearError.check("fuzz.jpg") { try ImageCodec.decode(bytes, name: "fuzz.jpg", jpegScaleDenominator: 4) }
    return 0
}

FuzzDriver.main { data, size in fuzzJPEG(data, size) }
