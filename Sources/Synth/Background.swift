#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An 8-bit RGB picture held for backgrounds (decoded once, shared read-only by all threads).
public struct BackgroundPicture: Sendable {
    public var width: Int
    public var height: Int
    public var rgb: [UInt8]
    public init(width: Int, height: Int, rgb: [UInt8]) {
        self.width = width; self.height = height; self.rgb = rgb
    }
}

/// Paints the image behind the people into a linear float RGB buffer (3 per pixel, 0...1).
enum BackgroundPainter {
    /// Procedural scenery: a sky/wall gradient, a floor below a horizon, blotchy noise and a
    /// few flat shapes standing in for furniture and objects.
    static func procedural(width w: Int, height h: Int, rng: inout SynthRNG) -> [Float] {
        func colour() -> Vec3 { Vec3(rng.unit(), rng.unit(), rng.unit()) * rng.uniform(0.35, 1) }
        let top = colour(), bottom = colour(), floor = colour() * 0.8
        let horizon = rng.uniform(0.35, 0.85) * Float(h)
        let tilt = rng.uniform(-0.15, 0.15)
        let noiseAmp = rng.uniform(0, 0.3)
        let noiseScale = rng.uniform(10, 60)
        let noiseSeed = rng.uniform(0, 1000)
        struct Shape { var rect: Bool; var cx, cy, rx, ry: Float; var colour: Vec3; var alpha: Float }
        var shapes: [Shape] = []
        for _ in 0..<rng.int(0, 6) {
            shapes.append(Shape(rect: rng.chance(0.6), cx: rng.unit() * Float(w), cy: rng.unit() * Float(h),
                                rx: rng.uniform(0.04, 0.3) * Float(w), ry: rng.uniform(0.04, 0.4) * Float(h),
                                colour: colour(), alpha: rng.uniform(0.5, 1)))
        }
        // Noise is smooth at these scales, so sample it on a 4-pixel lattice and interpolate.
        let step = 4, gw = w / step + 2, gh = h / step + 2
        var lattice = [Float](repeating: 0, count: gw * gh)
        if noiseAmp > 0 {
            for gy in 0..<gh {
                for gx in 0..<gw {
                    let p = Vec3(Float(gx * step) / noiseScale, Float(gy * step) / noiseScale, noiseSeed)
                    lattice[gy * gw + gx] = ValueNoise.fractal(p)
                }
            }
        }
        var out = [Float](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let fy = Float(y) + 0.5
            let gy = y / step, ty = Float(y % step) / Float(step)
            for x in 0..<w {
                let fx = Float(x) + 0.5
                let line = horizon + tilt * (fx - Float(w) * 0.5)
                var c: Vec3
                if fy < line {
                    c = mix(top, bottom, fy / max(line, 1))
                } else {
                    c = floor * (0.75 + 0.25 * (fy - line) / max(Float(h) - line, 1))
                }
                for s in shapes {
                    let dx = (fx - s.cx) / s.rx, dy = (fy - s.cy) / s.ry
                    let inside = s.rect ? (abs(dx) < 1 && abs(dy) < 1) : (dx * dx + dy * dy < 1)
                    if inside { c = mix(c, s.colour, s.alpha) }
                }
                if noiseAmp > 0 {
                    let gx = x / step, tx = Float(x % step) / Float(step)
                    let l = gy * gw + gx
                    let top = lattice[l] + (lattice[l + 1] - lattice[l]) * tx
                    let bottom = lattice[l + gw] + (lattice[l + gw + 1] - lattice[l + gw]) * tx
                    let n = top + (bottom - top) * ty
                    c *= 1 + noiseAmp * (n - 0.5) * 2
                }
                let o = (y * w + x) * 3
                out[o] = c.x; out[o + 1] = c.y; out[o + 2] = c.z
            }
        }
        return out
    }

    /// The out-of-distribution case: one flat colour behind the people.
    static func plain(width w: Int, height h: Int, rng: inout SynthRNG) -> [Float] {
        let c = Vec3(rng.unit(), rng.unit(), rng.unit())
        var out = [Float](repeating: 0, count: w * h * 3)
        for i in 0..<(w * h) { out[i * 3] = c.x; out[i * 3 + 1] = c.y; out[i * 3 + 2] = c.z }
        return out
    }

    /// A random crop of a random picture, resized bilinearly to cover the frame.
    static func picture(_ pictures: [BackgroundPicture], width w: Int, height h: Int, rng: inout SynthRNG) -> [Float] {
        guard !pictures.isEmpty else { return plain(width: w, height: h, rng: &rng) }
        let pic = pictures[rng.int(0, pictures.count - 1)]
        // Largest crop with the output's aspect ratio, then shrink it by a random zoom.
        let aspect = Float(w) / Float(h)
        var cw = Float(pic.width), ch = cw / aspect
        if ch > Float(pic.height) { ch = Float(pic.height); cw = ch * aspect }
        let zoom = rng.uniform(0.5, 1)
        cw *= zoom; ch *= zoom
        let ox = rng.unit() * (Float(pic.width) - cw), oy = rng.unit() * (Float(pic.height) - ch)
        let flip = rng.chance(0.5)
        var out = [Float](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let sy = clamp(oy + (Float(y) + 0.5) * ch / Float(h) - 0.5, 0, Float(pic.height - 1))
            let y0 = Int(sy), y1 = min(y0 + 1, pic.height - 1), ty = sy - Float(y0)
            for x in 0..<w {
                let xx = flip ? w - 1 - x : x
                let sx = clamp(ox + (Float(xx) + 0.5) * cw / Float(w) - 0.5, 0, Float(pic.width - 1))
                let x0 = Int(sx), x1 = min(x0 + 1, pic.width - 1), tx = sx - Float(x0)
                for ch in 0..<3 {
                    func at(_ px: Int, _ py: Int) -> Float { Float(pic.rgb[(py * pic.width + px) * 3 + ch]) }
                    let top = at(x0, y0) + (at(x1, y0) - at(x0, y0)) * tx
                    let bot = at(x0, y1) + (at(x1, y1) - at(x0, y1)) * tx
                    out[(y * w + x) * 3 + ch] = (top + (bot - top) * ty) / 255
                }
            }
        }
        return out
    }

    /// Mirror a painted buffer left-right (for mirrored renders).
    static func mirrored(_ buf: [Float], width w: Int, height h: Int) -> [Float] {
        var out = buf
        for y in 0..<h {
            for x in 0..<w {
                let s = (y * w + (w - 1 - x)) * 3, d = (y * w + x) * 3
                out[d] = buf[s]; out[d + 1] = buf[s + 1]; out[d + 2] = buf[s + 2]
            }
        }
        return out
    }
}
