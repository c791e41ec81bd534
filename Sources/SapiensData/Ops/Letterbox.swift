/// Fitting an image of any size into a model's fixed input without distorting it: scale to fit, centre, pad.
/// `map` takes original coordinates to input coordinates; `undo` brings dense outputs back.
public struct Letterbox: Sendable, Equatable {
    public var sourceWidth: Int, sourceHeight: Int
    public var inputWidth: Int, inputHeight: Int
    /// The placed image inside the input: origin and size in input pixels.
    public var x: Int, y: Int, width: Int, height: Int

    public init(sourceWidth: Int, sourceHeight: Int, inputWidth: Int, inputHeight: Int) {
        self.sourceWidth = sourceWidth; self.sourceHeight = sourceHeight
        self.inputWidth = inputWidth; self.inputHeight = inputHeight
        let s = min(Double(inputWidth) / Double(sourceWidth), Double(inputHeight) / Double(sourceHeight))
        width = max(1, min(inputWidth, Int((Double(sourceWidth) * s).rounded())))
        height = max(1, min(inputHeight, Int((Double(sourceHeight) * s).rounded())))
        x = (inputWidth - width) / 2
        y = (inputHeight - height) / 2
    }

    public var isIdentity: Bool { sourceWidth == inputWidth && sourceHeight == inputHeight }

    /// Original → input coordinates (continuous pixel frame).
    public var map: Affine2D {
        Affine2D(a: Double(width) / Double(sourceWidth), b: 0, tx: Double(x), c: 0, d: Double(height) / Double(sourceHeight), ty: Double(y))
    }

    /// The image resized (antialiased) and padded with `fill` (per channel, e.g. the normalisation mean so
    /// padding is zero after normalising).
    public func apply(_ image: Image, fill: [UInt8] = [124, 116, 104]) -> Image {
        let placed = isIdentity ? image : image.resized(width: width, height: height, interpolation: .bilinear, antialias: true)
        if isIdentity { return placed }
        var out = Image(width: inputWidth, height: inputHeight, channels: image.channels)
        for p in 0..<(inputWidth * inputHeight) {
            for c in 0..<image.channels { out.pixels[p * image.channels + c] = fill[min(c, fill.count - 1)] }
        }
        for row in 0..<height {
            let src = row * width * image.channels, dst = ((y + row) * inputWidth + x) * image.channels
            for i in 0..<(width * image.channels) { out.pixels[dst + i] = placed.pixels[src + i] }
        }
        return out
    }

    /// A C-channel planar (CHW) map at input resolution → the same at the original resolution: the padding is
    /// cut away and the rest resized bilinearly (use `nearest` for class ids).
    public func undo(planar values: [Float], channels C: Int, interpolation: Interpolation = .bilinear) -> [Float] {
        if isIdentity { return values }
        var out = [Float](repeating: 0, count: C * sourceWidth * sourceHeight)
        let sx = Double(width) / Double(sourceWidth), sy = Double(height) / Double(sourceHeight)
        // Source taps per output column/row, shared by every channel.
        func taps(_ n: Int, _ scale: Double, _ offset: Int, _ limit: Int) -> [(Int, Int, Float)] {
            (0..<n).map { o in
                let f = (Double(o) + 0.5) * scale - 0.5 + Double(offset)
                let lo = Int(f.rounded(.down)), a = Float(f - Double(lo))
                let i0 = min(max(lo, offset), offset + limit - 1), i1 = min(max(lo + 1, offset), offset + limit - 1)
                return (i0, i1, a)
            }
        }
        let tx = taps(sourceWidth, sx, x, width), ty = taps(sourceHeight, sy, y, height)
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for c in 0..<C {
                    let plane = c * inputWidth * inputHeight, dst = c * sourceWidth * sourceHeight
                    for oy in 0..<sourceHeight {
                        let (y0, y1, ay) = ty[oy]
                        for ox in 0..<sourceWidth {
                            let (x0, x1, ax) = tx[ox]
                            if interpolation == .nearest {
                                let xi = ax < 0.5 ? x0 : x1, yi = ay < 0.5 ? y0 : y1
                                o[dst + oy * sourceWidth + ox] = v[plane + yi * inputWidth + xi]
                                continue
                            }
                            let top = v[plane + y0 * inputWidth + x0] * (1 - ax) + v[plane + y0 * inputWidth + x1] * ax
                            let bottom = v[plane + y1 * inputWidth + x0] * (1 - ax) + v[plane + y1 * inputWidth + x1] * ax
                            o[dst + oy * sourceWidth + ox] = top * (1 - ay) + bottom * ay
                        }
                    }
                }
            }
        }
        return out
    }

    /// Class ids at the original resolution from C planar logit maps at input resolution: the logits are
    /// interpolated bilinearly at each original pixel and the arg-max taken there, without materialising
    /// C full-size planes.
    public func undoArgmax(planar logits: [Float], channels C: Int) -> [UInt8] {
        let W = isIdentity ? inputWidth : sourceWidth, H = isIdentity ? inputHeight : sourceHeight
        var out = [UInt8](repeating: 0, count: W * H)
        let sx = Double(width) / Double(sourceWidth), sy = Double(height) / Double(sourceHeight)
        let plane = inputWidth * inputHeight
        func tap(_ o: Int, _ scale: Double, _ offset: Int, _ limit: Int) -> (Int, Int, Float) {
            if isIdentity { return (o, o, 0) }
            let f = (Double(o) + 0.5) * scale - 0.5 + Double(offset)
            let lo = Int(f.rounded(.down)), a = Float(f - Double(lo))
            return (min(max(lo, offset), offset + limit - 1), min(max(lo + 1, offset), offset + limit - 1), a)
        }
        let tx = (0..<W).map { tap($0, sx, x, width) }, ty = (0..<H).map { tap($0, sy, y, height) }
        logits.withUnsafeBufferPointer { v in
            for oy in 0..<H {
                let (y0, y1, ay) = ty[oy]
                for ox in 0..<W {
                    let (x0, x1, ax) = tx[ox]
                    let w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay
                    let i00 = y0 * inputWidth + x0, i01 = y0 * inputWidth + x1, i10 = y1 * inputWidth + x0, i11 = y1 * inputWidth + x1
                    var best = 0, bestValue = -Float.infinity
                    for c in 0..<C {
                        let b = c * plane
                        let value = w00 * v[b + i00] + w01 * v[b + i01] + w10 * v[b + i10] + w11 * v[b + i11]
                        if value > bestValue { bestValue = value; best = c }
                    }
                    out[oy * W + ox] = UInt8(min(best, 254))
                }
            }
        }
        return out
    }
}
