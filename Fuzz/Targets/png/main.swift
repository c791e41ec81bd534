import SapiensData
import FuzzSupport

/// PNG decoding: 8-bit images through the codec, 16-bit depth maps through the 16-bit reader.
func fuzzPNG(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzInput.bytes(data, size)
    ClearError.check("fuzz.png") { try ImageCodec.decode(bytes, name: "fuzz.png") }
    ClearError.check("fuzz.png") { try ImageCodec.decodePNG16(bytes, name: "fuzz.png") }
    return 0
}

FuzzDriver.main { data, size in fuzzPNG(data, size) }
