// The two pixel containers everything else in Data passes around.

/// An 8-bit interleaved image, row-major HWC. `channels` is 1 (gray), 3 (RGB) or 4 (RGBA).
public struct Image: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
    }

    public init(width: Int, height: Int, channels: Int, fill: UInt8 = 0) {
        self.init(width: width, height: height, channels: channels,
                  pixels: [UInt8](repeating: fill, count: max(0, width * height * channels)))
    }

    /// Sample `c` of pixel (x, y); no bounds check beyond the array's own.
    @inlinable public subscript(x: Int, y: Int, c: Int) -> UInt8 {
        get { pixels[(y * width + x) * channels + c] }
        set { pixels[(y * width + x) * channels + c] = newValue }
    }

    /// Throws unless the fields describe a non-empty image whose pixel count matches.
    public func validate(name: String) throws {
        guard width > 0, height > 0 else {
            throw DataError.invalidImage(name, "size \(width)x\(height) is empty")
        }
        guard [1, 3, 4].contains(channels) else {
            throw DataError.invalidImage(name, "\(channels) channels; expected 1, 3 or 4")
        }
        guard pixels.count == width * height * channels else {
            throw DataError.invalidImage(name, "\(pixels.count) bytes for \(width)x\(height)x\(channels)")
        }
    }
}

/// A float image in planar CHW order, the layout models consume.
public struct FloatImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var data: [Float]

    public init(width: Int, height: Int, channels: Int, data: [Float]) {
        self.width = width
        self.height = height
        self.channels = channels
        self.data = data
    }

    public init(width: Int, height: Int, channels: Int, fill: Float = 0) {
        self.init(width: width, height: height, channels: channels,
                  data: [Float](repeating: fill, count: max(0, width * height * channels)))
    }

    @inlinable public subscript(x: Int, y: Int, c: Int) -> Float {
        get { data[(c * height + y) * width + x] }
        set { data[(c * height + y) * width + x] = newValue }
    }
}
