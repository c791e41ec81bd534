import Foundation

/// What to do to depth values when a warp zooms.
public enum DepthScaling: Sendable {
    /// Zooming is a change of focal length: metric depth is unchanged (the default; right for relative depth too).
    case keepValues
    /// Zooming by s stands for moving the camera s times closer: depth is divided by s.
    case divideByZoom
}

extension LabelledSample {
    /// Applies one affine map to the image and every label. Labels use nearest sampling so no class id,
    /// depth or normal is invented by blending; pixels from outside the source become ignore (seg 255),
    /// invalid (depth 0, normals 0) or background (mask 0). Keypoints that leave the output get visibility 0;
    /// boxes become the axis-aligned box of their warped corners, clipped to the output.
    /// Normals turn with the map's in-plane rotation; the map must not mirror (use `flippedHorizontally`).
    public func warped(by map: Affine2D, width outW: Int, height outH: Int, fill: UInt8 = 0,
                       depthScaling: DepthScaling = .keepValues) -> LabelledSample {
        let W = width, H = height
        var out = LabelledSample(image: image.warped(by: map, width: outW, height: outH, interpolation: .bilinear, fill: fill))
        out.numKeypoints = numKeypoints
        out.seg = seg.map { Warp.bytes($0, width: W, height: H, channels: 1, map: map, outWidth: outW, outHeight: outH, interpolation: .nearest, fill: 255) }
        out.mask = mask.map { Warp.bytes($0, width: W, height: H, channels: 1, map: map, outWidth: outW, outHeight: outH, interpolation: .nearest, fill: 0) }
        if let d = depth {
            var warped = Warp.floats(d, width: W, height: H, channels: 1, map: map, outWidth: outW, outHeight: outH, interpolation: .nearest, fill: 0)
            if depthScaling == .divideByZoom {
                let zoom = Float(abs(map.determinant).squareRoot())
                if zoom > 0 { for i in warped.indices { warped[i] /= zoom } }
            }
            out.depth = warped
        }
        // An in-plane rotation of the picture rotates the camera about its optical axis: camera-frame vectors
        // (normals) and points (pointmaps) turn with it; a zoom is a new focal length, leaving points where they are.
        let angle = atan2(-map.c, map.a)
        func rotated(_ v: [Float]) -> [Float] {
            var warped = Warp.floats(v, width: W, height: H, channels: 3, map: map, outWidth: outW, outHeight: outH, interpolation: .nearest, fill: 0)
            if abs(angle) > 1e-9 {
                let cs = Float(cos(angle)), sn = Float(sin(angle))
                for p in 0..<(outW * outH) {
                    let x = warped[3 * p], y = warped[3 * p + 1]
                    warped[3 * p] = cs * x + sn * y
                    warped[3 * p + 1] = -sn * x + cs * y
                }
            }
            return warped
        }
        out.normals = normals.map(rotated)
        out.pointmap = pointmap.map(rotated)
        // Coverage is linear in the pixel's area, so it may be blended.
        out.alpha = alpha.map { Warp.floats($0, width: W, height: H, channels: 1, map: map, outWidth: outW, outHeight: outH, interpolation: .bilinear, fill: 0) }
        if let k = keypoints, numKeypoints > 0 {
            var r = k
            for j in 0..<(k.count / 3) {
                let (x, y) = map.apply(Double(k[3 * j]), Double(k[3 * j + 1]))
                r[3 * j] = Float(x)
                r[3 * j + 1] = Float(y)
                if x < 0 || y < 0 || x >= Double(outW) || y >= Double(outH) { r[3 * j + 2] = 0 }
            }
            out.keypoints = r
        }
        out.boxes = boxes.compactMap { b in
            let corners = [(b.x, b.y), (b.x + b.w, b.y), (b.x, b.y + b.h), (b.x + b.w, b.y + b.h)].map { map.apply(Double($0.0), Double($0.1)) }
            let xs = corners.map(\.x), ys = corners.map(\.y)
            let x0 = max(0, xs.reduce(.infinity, min)), x1 = min(Double(outW), xs.reduce(-.infinity, max))
            let y0 = max(0, ys.reduce(.infinity, min)), y1 = min(Double(outH), ys.reduce(-.infinity, max))
            guard x1 > x0, y1 > y0 else { return nil }
            return PersonBox(x: Float(x0), y: Float(y0), w: Float(x1 - x0), h: Float(y1 - y0), score: b.score)
        }
        return out
    }
}
