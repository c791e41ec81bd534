import SapiensData

/// A picture of the first samples with their four labels side by side, so that a person can
/// judge at a glance what was made: RGB + skeleton, part colours, turbo depth, RGB normals.
public enum ContactSheet {
    /// Rows of [RGB with skeleton and boxes | parts | depth | normals], 2 px gutters.
    public static func compose(_ samples: [SynthSample]) -> (width: Int, height: Int, rgb: [UInt8]) {
        guard let first = samples.first else { return (0, 0, []) }
        let cw = first.width, chh = first.height, gap = 2
        let width = 4 * cw + 5 * gap, height = samples.count * (chh + gap) + gap
        var out = [UInt8](repeating: 255, count: width * height * 3)
        for (row, s) in samples.enumerated() where s.width == cw && s.height == chh {
            let panels = [overlay(s), parts(s), depthPanel(s), normalPanel(s)]
            for (col, panel) in panels.enumerated() {
                let ox = gap + col * (cw + gap), oy = gap + row * (chh + gap)
                for y in 0..<chh {
                    let src = y * cw * 3, dst = ((oy + y) * width + ox) * 3
                    out.replaceSubrange(dst..<(dst + cw * 3), with: panel[src..<(src + cw * 3)])
                }
            }
        }
        return (width, height, out)
    }

    /// RGB with boxes, limbs and keypoints (visible filled white, occluded grey).
    public static func overlay(_ s: SynthSample) -> [UInt8] {
        var img = s.rgb
        let limbColours: [(UInt8, UInt8, UInt8)] = [(255, 80, 80), (80, 160, 255), (80, 255, 120), (255, 200, 60)]
        for (k, p) in s.people.enumerated() {
            let c = limbColours[k % limbColours.count]
            let b = p.boxXYWH
            Draw.rect(&img, s.width, s.height, b.x, b.y, b.x + b.z - 1, b.y + b.w - 1, c)
            for (i, j) in KeypointSet.skeleton {
                let a = p.keypoints[i], e = p.keypoints[j]
                guard a.z > 0, e.z > 0 else { continue }
                Draw.line(&img, s.width, s.height, a.x, a.y, e.x, e.y, c)
            }
            for kp in p.keypoints where kp.z > 0 {
                let dot: (UInt8, UInt8, UInt8) = kp.z >= 2 ? (255, 255, 255) : (110, 110, 110)
                for dy in -1...1 { for dx in -1...1 { Draw.plot(&img, s.width, s.height, Int(kp.x) + dx, Int(kp.y) + dy, dot) } }
            }
        }
        return img
    }

    public static func parts(_ s: SynthSample) -> [UInt8] {
        var img = [UInt8](repeating: 0, count: s.width * s.height * 3)
        for (i, c) in s.segmentation.enumerated() {
            let p = PartClass.palette[Int(min(c, 27))]
            img[i * 3] = p.0; img[i * 3 + 1] = p.1; img[i * 3 + 2] = p.2
        }
        return img
    }

    /// Turbo colours over each image's own depth range (near = red, far = blue); background black.
    public static func depthPanel(_ s: SynthSample) -> [UInt8] {
        let valid = s.depth.filter { $0 > 0 }
        let lo = valid.min() ?? 0, hi = valid.max() ?? 1
        var img = [UInt8](repeating: 0, count: s.width * s.height * 3)
        for (i, z) in s.depth.enumerated() where z > 0 {
            let c = Turbo.colour(1 - (z - lo) / max(hi - lo, 1e-6))
            img[i * 3] = c.0; img[i * 3 + 1] = c.1; img[i * 3 + 2] = c.2
        }
        return img
    }

    /// Normals as (n + 1) / 2 in RGB; background black.
    public static func normalPanel(_ s: SynthSample) -> [UInt8] {
        var img = [UInt8](repeating: 0, count: s.width * s.height * 3)
        for i in 0..<(s.width * s.height) where s.mask[i] != 0 {
            for c in 0..<3 { img[i * 3 + c] = UInt8(clamp((s.normals[i * 3 + c] + 1) * 127.5, 0, 255)) }
        }
        return img
    }
}
