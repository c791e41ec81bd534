/// Inverse-mapped warping: each output pixel centre is sent back through the inverse map and sampled.
/// One routine serves bytes and floats, any channel count, so every label warps with exactly the
/// same geometry as the image.
enum Warp {
    static func apply<T: Sendable>(_ src: [T], width: Int, height: Int, channels C: Int, map: Affine2D,
                                   outWidth: Int, outHeight: Int, interpolation: Interpolation, fill: T,
                                   toFloat: (T) -> Float, fromFloat: (Float) -> T) -> [T] {
        var out = [T](repeating: fill, count: outWidth * outHeight * C)
        guard let inv = map.inverse, width > 0, height > 0 else { return out }
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        let (sx, sy) = inv.apply(Double(ox) + 0.5, Double(oy) + 0.5)
                        let dst = (oy * outWidth + ox) * C
                        // Bounds are tested in Double before converting: a map built from a forged box can send
                        // pixels to 1e30 or NaN, where Int() would trap.
                        if interpolation == .nearest {
                            guard sx >= 0, sy >= 0, sx < Double(width), sy < Double(height) else { continue }
                            let ix = Int(sx.rounded(.down)), iy = Int(sy.rounded(.down))
                            let p = (iy * width + ix) * C
                            for c in 0..<C { o[dst + c] = s[p + c] }
                            continue
                        }
                        // Bilinear between the four surrounding centres; taps outside the image count as `fill`.
                        let fx = sx - 0.5, fy = sy - 0.5
                        guard fx >= -1, fy >= -1, fx < Double(width), fy < Double(height) else { continue }
                        let x0 = Int(fx.rounded(.down)), y0 = Int(fy.rounded(.down))
                        let ax = Float(fx - Double(x0)), ay = Float(fy - Double(y0))
                        let f = toFloat(fill)
                        for c in 0..<C {
                            func at(_ x: Int, _ y: Int) -> Float {
                                x >= 0 && y >= 0 && x < width && y < height ? toFloat(s[(y * width + x) * C + c]) : f
                            }
                            let top = at(x0, y0) * (1 - ax) + at(x0 + 1, y0) * ax
                            let bottom = at(x0, y0 + 1) * (1 - ax) + at(x0 + 1, y0 + 1) * ax
                            o[dst + c] = fromFloat(top * (1 - ay) + bottom * ay)
                        }
                    }
                }
            }
        }
        return out
    }

    static func bytes(_ src: [UInt8], width: Int, height: Int, channels: Int, map: Affine2D, outWidth: Int, outHeight: Int,
                      interpolation: Interpolation, fill: UInt8) -> [UInt8] {
        apply(src, width: width, height: height, channels: channels, map: map, outWidth: outWidth, outHeight: outHeight,
              interpolation: interpolation == .bicubic ? .bilinear : interpolation, fill: fill,
              toFloat: { Float($0) }, fromFloat: { UInt8(max(0, min(255, $0.rounded()))) })
    }

    static func floats(_ src: [Float], width: Int, height: Int, channels: Int, map: Affine2D, outWidth: Int, outHeight: Int,
                       interpolation: Interpolation, fill: Float) -> [Float] {
        apply(src, width: width, height: height, channels: channels, map: map, outWidth: outWidth, outHeight: outHeight,
              interpolation: interpolation == .bicubic ? .bilinear : interpolation, fill: fill,
              toFloat: { $0 }, fromFloat: { $0 })
    }
}

extension Image {
    /// Warps with `map` (input -> output coordinates) into a width x height image. Bicubic is treated as
    /// bilinear here; warps are used for crops where the difference does not matter.
    public func warped(by map: Affine2D, width outW: Int, height outH: Int, interpolation: Interpolation = .bilinear, fill: UInt8 = 0) -> Image {
        Image(width: outW, height: outH, channels: channels,
              pixels: Warp.bytes(pixels, width: width, height: height, channels: channels, map: map,
                                 outWidth: outW, outHeight: outH, interpolation: interpolation, fill: fill))
    }
}
