import CJPEG

/// libjpeg-turbo through the setjmp-guarded shim in CJPEG.
enum JPEG {
    static func isJPEG(_ b: [UInt8]) -> Bool { b.count >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF }

    /// `scaleDenominator` 1, 2, 4 or 8 lets libjpeg skip work when only a smaller image is wanted.
    /// Progressive files have about ten scans; libjpeg-turbo's own tools suggest a cap of a few hundred.
    static let maxScans: Int32 = 500

    static func decode(_ bytes: [UInt8], name: String, scaleDenominator: Int = 1,
                       limits: ImageLimits = .current) throws -> (Image, orientation: Int) {
        guard let d = cjpeg_decoder_create() else { throw DataError.corruptImage(name, "out of memory") }
        defer { cjpeg_decoder_destroy(d) }
        // libjpeg's whole-image buffers (progressive coefficients, 2 bytes per sample, up to 4 components)
        // stay within the pixel budget plus room for its per-row work areas.
        let (budget, overflow) = limits.maxPixels.multipliedReportingOverflow(by: 8)
        cjpeg_set_limits(d, overflow ? Int.max : budget + (64 << 20), maxScans)
        var info = cjpeg_info()
        return try bytes.withUnsafeBufferPointer { buf in
            guard cjpeg_read_header(d, buf.baseAddress, buf.count, Int32(scaleDenominator), &info) == 0 else {
                throw classify(name, info)
            }
            // The frame header's size is what libjpeg will work at (even when it scales the output down).
            try limits.check(width: Int(info.source_width), height: Int(info.source_height), name: name)
            guard info.width > 0, info.height > 0, [1, 3].contains(info.channels) else {
                throw DataError.corruptImage(name, "decoder reports \(info.width)x\(info.height)x\(info.channels)")
            }
            var image = Image(width: Int(info.width), height: Int(info.height), channels: Int(info.channels))
            let rc = image.pixels.withUnsafeMutableBufferPointer { cjpeg_read_pixels(d, $0.baseAddress, &info) }
            if rc != 0 || info.truncated != 0 { throw classify(name, info) }
            return (image, Int(info.exif_orientation))
        }
    }

    private static func classify(_ name: String, _ info: cjpeg_info) -> DataError {
        let message = messageString(info)
        if info.truncated != 0 || message.contains("Premature end") || message.contains("empty") {
            return .truncated(name, message)
        }
        return .corruptImage(name, message)
    }

    private static func messageString(_ info: cjpeg_info) -> String {
        withUnsafeBytes(of: info.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    static func encode(_ image: Image, quality: Int, exifOrientation: Int?) throws -> [UInt8] {
        try image.validate(name: "JPEG encoder input")
        guard image.channels != 4 else {
            throw DataError.invalidImage("JPEG encoder input", "JPEG has no alpha; convert RGBA to RGB first")
        }
        let app1 = exifOrientation.map(exifBlock) ?? []
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(CJPEG_MESSAGE_LENGTH))
        let rc = image.pixels.withUnsafeBufferPointer { px in
            app1.withUnsafeBufferPointer { a in
                cjpeg_encode(px.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                             Int32(min(100, max(1, quality))), a.count > 0 ? a.baseAddress : nil, a.count,
                             &out, &size, &message)
            }
        }
        guard rc == 0, let out else {
            throw DataError.invalidImage("JPEG encoder input", String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { cjpeg_free(out) }
        return [UInt8](UnsafeBufferPointer(start: out, count: size))
    }

    /// A minimal little-endian Exif block holding only the orientation tag (0x0112).
    static func exifBlock(orientation: Int) -> [UInt8] {
        let v = UInt8(min(8, max(1, orientation)))
        return Array("Exif".utf8) + [0, 0] + Array("II".utf8) + [42, 0, 8, 0, 0, 0]
            + [1, 0] + [0x12, 0x01, 3, 0, 1, 0, 0, 0, v, 0, 0, 0] + [0, 0, 0, 0]
    }
}
