extension LabelledSample {
    /// Mirrors left-right. Keypoints swap partners (`keypointFlip`, e.g. `KeypointSchema.coco17.flipIndex`),
    /// part classes swap through `segFlip` (e.g. `SegClasses.sapiens28.flipMap`), and normals negate x,
    /// because what faced right now faces left.
    public func flippedHorizontally(keypointFlip: [Int]? = nil, segFlip: [UInt8]? = nil) -> LabelledSample {
        let W = width, H = height
        var out = self
        func mirror<T>(_ v: [T], _ c: Int) -> [T] { mirrorRows(v, width: W, height: H, channels: c) }
        out.image = image.flippedHorizontally()
        out.boxes = boxes.map { PersonBox(x: Float(W) - $0.x - $0.w, y: $0.y, w: $0.w, h: $0.h, score: $0.score) }
        if let k = keypoints, numKeypoints > 0 {
            let K = numKeypoints
            var r = k
            let flip = keypointFlip ?? Array(0..<K)
            for p in 0..<(k.count / (K * 3)) {
                for j in 0..<K {
                    let s = (p * K + flip[j]) * 3, d = (p * K + j) * 3
                    r[d] = Float(W) - k[s]
                    r[d + 1] = k[s + 1]
                    r[d + 2] = k[s + 2]
                }
            }
            out.keypoints = r
        }
        if let s = seg {
            let m = mirror(s, 1)
            out.seg = segFlip.map { lut in m.map { lut[Int($0)] } } ?? m
        }
        out.depth = depth.map { mirror($0, 1) }
        out.mask = mask.map { mirror($0, 1) }
        if let n = normals {
            var m = mirror(n, 3)
            for p in 0..<(W * H) where m[3 * p] != 0 || m[3 * p + 1] != 0 || m[3 * p + 2] != 0 { m[3 * p] = -m[3 * p] }
            out.normals = m
        }
        if let p = pointmap {
            var m = mirror(p, 3)
            for i in 0..<(W * H) { m[3 * i] = -m[3 * i] }
            out.pointmap = m
        }
        out.alpha = alpha.map { mirror($0, 1) }
        return out
    }
}

extension Image {
    public func flippedHorizontally() -> Image {
        Image(width: width, height: height, channels: channels, pixels: mirrorRows(pixels, width: width, height: height, channels: channels))
    }
}

/// Reverses the pixel order of every row of an HWC buffer.
func mirrorRows<T>(_ v: [T], width W: Int, height H: Int, channels c: Int) -> [T] {
    var r = v
    guard v.count >= W * H * c else { return r }
    v.withUnsafeBufferPointer { src in
        r.withUnsafeMutableBufferPointer { dst in
            for y in 0..<H {
                let row = y &* W
                for x in 0..<W {
                    let s = (row &+ (W &- 1 &- x)) &* c, d = (row &+ x) &* c
                    for k in 0..<c { dst[d &+ k] = src[s &+ k] }
                }
            }
        }
    }
    return r
}
