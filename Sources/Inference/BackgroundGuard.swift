import SapiensData
import Foundation
import Synth

/// The inference-time version of Sapiens' random-background augmentation: when `BackgroundCheck` finds
/// no usable background, the person is cut out (alpha channel, or the border colour flood-filled from
/// the edges) and composited over a background before depth and normals run.
public struct BackgroundGuard: Sendable {
    public var enabled = true
    public var thresholds = BackgroundCheck.Thresholds()
    /// Pictures to composite over (a user folder); empty = the procedural colour fields fine-tuning uses.
    public var backgrounds: [Image] = []
    /// With the image name, picks the background: the same input always gets the same one.
    public var seed: UInt64 = 0

    public init(enabled: Bool = true) { self.enabled = enabled }

    /// Loads every JPEG/PNG directly in `folder` as a background (decoded once, shorter side ≤ 1024 px).
    public static func loadBackgrounds(folder: String) throws -> [Image] {
        do {
            return try BackgroundLibrary.load(folder: folder, maxSide: 1024).map { Image(width: $0.width, height: $0.height, channels: 3, pixels: $0.rgb) }
        } catch {
            throw InferenceError.input(path: folder, problem: "cannot use as a background folder: \(error)")
        }
    }

    /// The image the guarded tasks see.
    public struct Result: Sendable {
        /// RGB, the input's size: the original when the guard did not trigger.
        public var image: Image
        public var check: BackgroundCheck
        /// Person opacity per pixel (0…1) when the guard triggered.
        public var foreground: [Float]?
        public var composited: Bool { foreground != nil }
        /// The cut-out came from a matting model's alpha (else the image's own alpha, or the keyed backdrop).
        public var matted = false

        public init(image: Image, check: BackgroundCheck, foreground: [Float]?) {
            self.image = image; self.check = check; self.foreground = foreground
        }
    }

    /// A matting model's cut-out of the image, at its size: alpha (H·W, 0…1) and, when the model predicts it, the
    /// person's colours pre-multiplied by alpha (planar 3 × H × W, 0…1).
    public struct Matte: Sendable {
        public var alpha: [Float]
        public var foreground: [Float]?
        public init(alpha: [Float], foreground: [Float]? = nil) { self.alpha = alpha; self.foreground = foreground }
    }

    /// The image depth and normals should see. The check decides whether a background is composited; `matte`
    /// (run only then) gives the cut-out: a matting model's alpha is cleaner than a key on the border colour,
    /// which cannot separate a person wearing the backdrop's colour. An input's own alpha channel is exact and wins.
    public func apply(_ input: Image, name: String, matte: (() -> Matte?)? = nil) -> Result {
        let check = BackgroundCheck.measure(input, thresholds: thresholds)
        let rgb = input.channels == 3 ? input : input.toRGB()
        guard enabled, check.triggered else { return Result(image: rgb, check: check, foreground: nil) }
        let n = rgb.width * rgb.height
        if check.finding != .transparent, let m = matte?(), m.alpha.count == n, m.foreground.map({ $0.count == 3 * n }) ?? true {
            var r = Result(image: composite(rgb, matte: m, over: background(width: rgb.width, height: rgb.height, name: name)),
                           check: check, foreground: m.alpha)
            r.matted = true
            return r
        }
        let alpha: [Float]
        switch check.finding {
        case .transparent:
            alpha = (0..<(input.width * input.height)).map { Float(input.pixels[4 * $0 + 3]) / 255 }
        default:
            alpha = keyedMatte(rgb, colour: check.borderColour, band: check.bandWidth)
        }
        let bg = background(width: rgb.width, height: rgb.height, name: name)
        var out = rgb
        if check.finding == .transparent {
            let colours = straightColours(input)
            for p in 0..<(rgb.width * rgb.height) {
                let a = alpha[p]
                for c in 0..<3 {
                    let v = a * Float(colours.pixels[3 * p + c]) + (1 - a) * Float(bg.pixels[3 * p + c])
                    out.pixels[3 * p + c] = UInt8(min(max(v.rounded(), 0), 255))
                }
            }
        } else {
            // A keyed edge pixel is c = a·person + (1 − a)·key; swapping the key for the new background,
            // c + (1 − a)·(bg − key), removes the old colour's fringe instead of blending it in.
            let key = check.borderColour.map(Float.init)
            for p in 0..<(rgb.width * rgb.height) {
                let a = alpha[p]
                for c in 0..<3 {
                    let v = a == 0 ? Float(bg.pixels[3 * p + c]) : Float(rgb.pixels[3 * p + c]) + (1 - a) * (Float(bg.pixels[3 * p + c]) - key[c])
                    out.pixels[3 * p + c] = UInt8(min(max(v.rounded(), 0), 255))
                }
            }
        }
        return Result(image: out, check: check, foreground: alpha)
    }

    /// The photo over `bg` through a matte: the photo where alpha is 1, the background where it is 0, and between,
    /// the predicted pre-multiplied person colour plus (1 − alpha)·background, which leaves none of the old
    /// backdrop in the edge (alpha-blending the photo itself would keep its share there).
    func composite(_ rgb: Image, matte m: Matte, over bg: Image) -> Image {
        var out = rgb
        let n = rgb.width * rgb.height
        for p in 0..<n {
            let a = min(max(m.alpha[p], 0), 1)
            guard a < 1 else { continue }
            for c in 0..<3 {
                let b = Float(bg.pixels[3 * p + c])
                let person = m.foreground.map { 255 * $0[c * n + p] } ?? a * Float(rgb.pixels[3 * p + c])
                let v = a == 0 ? b : person + (1 - a) * b
                out.pixels[3 * p + c] = UInt8(min(max(v.rounded(), 0), 255))
            }
        }
        return out
    }

    /// 1 on the person, 0 on the border-coloured region connected to the image edge (4-neighbour flood fill
    /// from the band pixels that match). Enclosed regions of the same colour (a white shirt) stay foreground.
    func keyedForeground(_ rgb: Image, colour: [UInt8], band: Int) -> [Float] {
        let w = rgb.width, h = rgb.height, tol = thresholds.colourTolerance
        var background = [Bool](repeating: false, count: w * h)
        var stack: [Int] = []
        for p in BackgroundCheck.borderPixels(rgb, band: band) where BackgroundCheck.within(rgb, p, colour, tol) {
            background[p] = true
            stack.append(p)
        }
        while let p = stack.popLast() {
            let x = p % w, y = p / w
            for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && ny >= 0 && nx < w && ny < h {
                let q = ny * w + nx
                if !background[q] && BackgroundCheck.within(rgb, q, colour, tol) { background[q] = true; stack.append(q) }
            }
        }
        return background.map { $0 ? 0 : 1 }
    }

    /// Person opacity (0…1) on a plain backdrop of colour `key`: 0 on the flood-filled backdrop and on small
    /// islands of sensor or JPEG noise near the key colour, 1 inside the person, and within `edgeWidth` px of
    /// the backdrop the share of the person's colour in the pixel. An edge pixel is modelled as
    /// c = a·P + (1 − a)·K, with P the mean colour of the person pixels just inside it, so a is the projection
    /// of c − K on P − K (pixels far off that line are person texture and stay 1). The composite then swaps K for the new background exactly, with no fringe of the
    /// old colour (a box blur of the binary mask left one: it put key colour into the new background's edge).
    func keyedMatte(_ rgb: Image, colour: [UInt8], band: Int) -> [Float] {
        let w = rgb.width, h = rgb.height, n = w * h
        var alpha = keyedForeground(rgb, colour: colour, band: band)
        let key = colour.map(Float.init)
        func colourOf(_ p: Int) -> SIMD3<Float> {
            SIMD3(Float(rgb.pixels[3 * p]), Float(rgb.pixels[3 * p + 1]), Float(rgb.pixels[3 * p + 2]))
        }
        let k = SIMD3(key[0], key[1], key[2])
        let noiseReach = Float(4 * thresholds.colourTolerance)
        // Islands: 4-connected foreground pieces too small to be a person and close to the key on average.
        let minIsland = max(4, n / 5000)
        var seen = [Bool](repeating: false, count: n)
        for start in 0..<n where alpha[start] == 1 && !seen[start] {
            var piece = [start], i = 0
            seen[start] = true
            while i < piece.count {
                let p = piece[i]; i += 1
                let x = p % w, y = p / w
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && ny >= 0 && nx < w && ny < h {
                    let q = ny * w + nx
                    if alpha[q] == 1 && !seen[q] { seen[q] = true; piece.append(q) }
                }
            }
            guard piece.count <= minIsland else { continue }
            let mean = piece.reduce(SIMD3<Float>(repeating: 0)) { $0 + colourOf($1) } / Float(piece.count)
            if ((mean - k) * (mean - k)).sum().squareRoot() <= noiseReach { for p in piece { alpha[p] = 0 } }
        }
        // The soft edge.
        let backdrop = alpha.map { $0 == 0 }
        let distance = DistanceTransform.distance(to: backdrop, width: w, height: h)
        let edgeWidth: Float = 2.5, inside: Float = 3, radius = 4
        for p in 0..<n where alpha[p] == 1 && distance[p] <= edgeWidth {
            let x = p % w, y = p / w
            var sum = SIMD3<Float>(repeating: 0), count: Float = 0
            for yy in max(0, y - radius)...min(h - 1, y + radius) {
                for xx in max(0, x - radius)...min(w - 1, x + radius) where distance[yy * w + xx] >= inside {
                    sum += colourOf(yy * w + xx); count += 1
                }
            }
            guard count > 0 else { continue }
            let v = sum / count - k
            let length2 = (v * v).sum()
            // A person coloured like the backdrop cannot be told from it here: keep the pixel.
            guard length2 >= Float(4 * thresholds.colourTolerance * thresholds.colourTolerance) else { continue }
            let c = colourOf(p) - k
            let share = (c * v).sum() / length2
            // Far off the line from K to P: person texture (a dark shoe on blue), not a blend with the backdrop.
            let off = c - share * v
            if (off * off).sum() > Float(9 * thresholds.colourTolerance * thresholds.colourTolerance) { continue }
            alpha[p] = min(max(share, 0), 1)
        }
        return alpha
    }

    /// RGB of an RGBA image without compositing (its colours under the alpha, which the blend weights).
    func straightColours(_ rgba: Image) -> Image {
        var out = Image(width: rgba.width, height: rgba.height, channels: 3)
        for p in 0..<(rgba.width * rgba.height) { for c in 0..<3 { out.pixels[3 * p + c] = rgba.pixels[4 * p + c] } }
        return out
    }

    /// The background for `name`: a picture from the folder (cropped to the aspect ratio and resized), or
    /// a procedural colour field, chosen by a stable hash of the name.
    public func background(width: Int, height: Int, name: String) -> Image {
        let h = StableName.hash(name) ^ seed
        guard !backgrounds.isEmpty else {
            var rng = SeededRandom(seed: h)
            return SyntheticBackground.make(width: width, height: height, rng: &rng)
        }
        let pic = backgrounds[Int(h % UInt64(backgrounds.count))]
        let aspect = Double(width) / Double(height)
        var cw = Double(pic.width), ch = cw / aspect
        if ch > Double(pic.height) { ch = Double(pic.height); cw = ch * aspect }
        let x = (pic.width - Int(cw)) / 2, y = (pic.height - Int(ch)) / 2
        return pic.cropped(x: x, y: y, width: max(1, Int(cw)), height: max(1, Int(ch)))
            .resized(width: width, height: height, interpolation: .bilinear, antialias: true)
    }
}

/// FNV-1a over the UTF-8 bytes: unlike `Hasher`, the same in every process, so outputs are reproducible.
enum StableName {
    static func hash(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }
}
