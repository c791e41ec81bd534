import CPNG

/// libpng through the setjmp-guarded shim in CPNG.
enum PNG {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static func isPNG(_ b: [UInt8]) -> Bool { b.count >= 8 && Array(b[0..<8]) == signature }

    enum Mode: Int32 {
        case eightBit = 0   // CPNG_MODE_8BIT
        case native = 1     // CPNG_MODE_NATIVE
        case index = 2      // CPNG_MODE_INDEX
    }

    struct Decoded {
        var width: Int, height: Int, channels: Int, bitDepth: Int
        var bytes: [UInt8]   // 16-bit samples are host-endian pairs

        /// Samples widened to 16 bits without rescaling.
        var samples16: [UInt16] {
            bitDepth == 16 ? bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) } : bytes.map { UInt16($0) }
        }
    }

    static func decodeRaw(_ bytes: [UInt8], name: String, mode: Mode, limits: ImageLimits = .current) throws -> Decoded {
        if bytes.isEmpty { throw DataError.empty(name) }
        return try bytes.withUnsafeBufferPointer { buf in
            guard let d = cpng_decoder_create(buf.baseAddress, buf.count) else {
                throw DataError.corruptImage(name, "out of memory")
            }
            defer { cpng_decoder_destroy(d) }
            var info = cpng_info()
            guard cpng_read_header(d, mode.rawValue, &info) == 0 else { throw classify(name, info, header: true) }
            // Checked before allocating: the header alone may claim 65535x65535.
            try limits.check(width: Int(info.width), height: Int(info.height), name: name)
            guard (1...4).contains(info.channels), info.bit_depth == 8 || info.bit_depth == 16 else {
                throw DataError.corruptImage(name, "decoder reports \(info.channels) channels at \(info.bit_depth) bits")
            }
            let count = Int(info.width) * Int(info.height) * Int(info.channels) * Int(info.bit_depth) / 8
            var out = [UInt8](repeating: 0, count: count)
            let rc = out.withUnsafeMutableBufferPointer { cpng_read_pixels(d, $0.baseAddress, &info) }
            guard rc == 0 else { throw classify(name, info, header: false) }
            return Decoded(width: Int(info.width), height: Int(info.height), channels: Int(info.channels),
                           bitDepth: Int(info.bit_depth), bytes: out)
        }
    }

    static func decode(_ bytes: [UInt8], name: String, limits: ImageLimits = .current) throws -> Image {
        let d = try decodeRaw(bytes, name: name, mode: .eightBit, limits: limits)
        // The shim expands gray+alpha to RGBA in this mode; refuse anything else rather than break Image's contract.
        guard [1, 3, 4].contains(d.channels), d.bitDepth == 8 else {
            throw DataError.corruptImage(name, "decoder produced \(d.channels) channels at \(d.bitDepth) bits")
        }
        return Image(width: d.width, height: d.height, channels: d.channels, pixels: d.bytes)
    }

    static func decode16(_ bytes: [UInt8], name: String) throws -> (width: Int, height: Int, channels: Int, values: [UInt16]) {
        let d = try decodeRaw(bytes, name: name, mode: .native)
        return (d.width, d.height, d.channels, d.samples16)
    }

    private static func classify(_ name: String, _ info: cpng_info, header: Bool) -> DataError {
        let message = withUnsafeBytes(of: info.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if message.contains("truncated") || message.contains("Not enough image data") || message.contains("Read Error") {
            return .truncated(name, message)
        }
        if message.contains("not a PNG signature") { return .notAnImage(name, message) }
        return .corruptImage(name, message)
    }

    static func encode(bytes: [UInt8], width: Int, height: Int, channels: Int, bitDepth: Int,
                       compressionLevel: Int = 6, name: String = "PNG encoder input") throws -> [UInt8] {
        guard width > 0, height > 0, (1...4).contains(channels), bitDepth == 8 || bitDepth == 16,
              bytes.count == width * height * channels * bitDepth / 8 else {
            throw DataError.invalidImage(name, "\(bytes.count) bytes do not make a \(width)x\(height)x\(channels) \(bitDepth)-bit image")
        }
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(CPNG_MESSAGE_LENGTH))
        let rc = bytes.withUnsafeBufferPointer {
            cpng_encode($0.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(bitDepth),
                        Int32(compressionLevel), &out, &size, &message)
        }
        guard rc == 0, let out else {
            throw DataError.invalidImage(name, String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { cpng_free(out) }
        return [UInt8](UnsafeBufferPointer(start: out, count: size))
    }
}
