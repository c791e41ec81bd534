/// Decoding and encoding of JPEG and PNG, choosing the format from the magic bytes (decode) or the
/// file extension (save). Errors name the file or the `name` the caller gave for in-memory bytes.
public enum ImageCodec {
    /// Decodes a JPEG or PNG. JPEGs are rotated according to their Exif orientation tag.
    public static func decode(_ bytes: [UInt8], name: String) throws -> Image {
        try decode(bytes, name: name, jpegScaleDenominator: 1)
    }

    /// As `decode`, but a JPEG is decoded at 1/`jpegScaleDenominator` size (1, 2, 4 or 8) by libjpeg's
    /// DCT scaling, which is much cheaper than decoding in full and resizing.
    public static func decode(_ bytes: [UInt8], name: String, jpegScaleDenominator: Int) throws -> Image {
        try decode(bytes, name: name, jpegScaleDenominator: jpegScaleDenominator, limits: .current)
    }

    /// `limits` is checked against the header's dimensions before anything is decoded or allocated.
    public static func decode(_ bytes: [UInt8], name: String, jpegScaleDenominator: Int = 1, limits: ImageLimits) throws -> Image {
        if bytes.isEmpty { throw DataError.empty(name) }
        if JPEG.isJPEG(bytes) {
            let (image, orientation) = try JPEG.decode(bytes, name: name, scaleDenominator: jpegScaleDenominator, limits: limits)
            return orientation > 1 ? image.applyingExifOrientation(orientation) : image
        }
        if PNG.isPNG(bytes) { return try PNG.decode(bytes, name: name, limits: limits) }
        let head = bytes.prefix(4).map { String(format2: $0) }.joined(separator: " ")
        throw DataError.notAnImage(name, "unknown leading bytes \(head)")
    }

    public static func load(path: String) throws -> Image {
        try decode(try FileIO.read(path: path), name: path)
    }

    /// `exifOrientation` (1...8), when given, is written as an Exif APP1 block; decoders then rotate on load.
    public static func encodeJPEG(_ image: Image, quality: Int = 90, exifOrientation: Int? = nil) throws -> [UInt8] {
        try JPEG.encode(image, quality: quality, exifOrientation: exifOrientation)
    }

    public static func encodePNG(_ image: Image) throws -> [UInt8] {
        try image.validate(name: "PNG encoder input")
        return try PNG.encode(bytes: image.pixels, width: image.width, height: image.height,
                              channels: image.channels, bitDepth: 8)
    }

    /// `channels` 1...4 (gray, gray+alpha, RGB, RGBA), interleaved.
    public static func encodePNG16(width: Int, height: Int, channels: Int, values: [UInt16]) throws -> [UInt8] {
        guard values.count == width * height * channels else {
            throw DataError.invalidImage("PNG16 encoder input", "\(values.count) values for \(width)x\(height)x\(channels)")
        }
        let bytes = values.withUnsafeBytes { [UInt8]($0) }
        return try PNG.encode(bytes: bytes, width: width, height: height, channels: channels, bitDepth: 16,
                              name: "PNG16 encoder input")
    }

    /// Samples at the file's own depth: a 16-bit PNG gives 0...65535, an 8-bit one 0...255 (not rescaled).
    /// Palettes are expanded; gray+alpha keeps 2 channels.
    public static func decodePNG16(_ bytes: [UInt8], name: String) throws -> (width: Int, height: Int, channels: Int, values: [UInt16]) {
        if bytes.isEmpty { throw DataError.empty(name) }
        guard PNG.isPNG(bytes) else { throw DataError.notAnImage(name, "expected a PNG signature") }
        return try PNG.decode16(bytes, name: name)
    }

    /// Writes by extension (.png, .jpg/.jpeg), atomically.
    public static func save(_ image: Image, path: String, jpegQuality: Int = 90) throws {
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        let bytes: [UInt8]
        switch ext {
        case "png": bytes = try encodePNG(image)
        case "jpg", "jpeg": bytes = try encodeJPEG(image, quality: jpegQuality)
        default: throw DataError.invalidArgument("\(path): cannot tell the format from extension '.\(ext)'; use .png, .jpg or .jpeg")
        }
        try FileIO.writeAtomically(bytes, to: path)
    }
}

extension String {
    init(format2 byte: UInt8) {
        let digits = Array("0123456789abcdef")
        self = String([digits[Int(byte >> 4)], digits[Int(byte & 15)]])
    }
}
