import Foundation

/// Mean per-image matting errors (alphas in [0, 1]): SAD and gradient and connectivity errors in thousands,
/// MSE per pixel, as the matting benchmarks report them.
public struct MattingReport: Codable, Sendable, Equatable {
    public var sad: Double, mse: Double, gradient: Double, connectivity: Double
    public var images: Int
}

/// The standard alpha-matte errors (Rhemann et al.'s benchmark, in the widely used Python port of Deep Image
/// Matting's evaluation code) over a region of each image (the whole image when none is given; benchmarks
/// use the trimap's unknown band):
/// - SAD: Σ|α̂ − α| / 1000;
/// - MSE: mean (α̂ − α)²;
/// - gradient: Σ(|∇α̂| − |∇α|)² / 1000, gradients by first-derivative-of-Gaussian filters (σ 1.4, normalised,
///   nearest-border convolution);
/// - connectivity: Σ|φ(α̂) − φ(α)| / 1000 with thresholds 0, 0.1, …, 1, the largest 4-connected component of
///   both mattes above each, and φ = 1 − d·[d ≥ 0.15] for d = α − (the last level still connected).
public struct MattingEvaluator: Sendable {
    private var sad = 0.0, mse = 0.0, grad = 0.0, conn = 0.0
    public private(set) var imageCount = 0

    public init() {}

    public mutating func add(prediction: [Float], groundTruth: [Float], region: [Bool]? = nil, width: Int, height: Int) throws {
        let n = width * height
        guard width > 0, height > 0, prediction.count == n, groundTruth.count == n, region.map({ $0.count == n }) ?? true else {
            throw MetricsError.shapeMismatch(what: "matte \(imageCount)",
                                             detail: "\(width)x\(height): prediction \(prediction.count), ground truth \(groundTruth.count), region \(region?.count ?? n)")
        }
        let p = prediction.map(Double.init), g = groundTruth.map(Double.init)
        let inside = region ?? [Bool](repeating: true, count: n)
        let count = Double(inside.filter { $0 }.count)
        var s = 0.0, e = 0.0
        for i in 0..<n where inside[i] { s += abs(p[i] - g[i]); e += (p[i] - g[i]) * (p[i] - g[i]) }
        sad += s / 1000
        mse += count > 0 ? e / count : 0
        grad += Self.gradientError(p, g, inside, width: width, height: height)
        conn += Self.connectivityError(p, g, inside, width: width, height: height)
        imageCount += 1
    }

    public func report() throws -> MattingReport {
        guard imageCount > 0 else { throw MetricsError.emptyEvaluation(what: "matting: no image") }
        let k = Double(imageCount)
        return MattingReport(sad: sad / k, mse: mse / k, gradient: grad / k, connectivity: conn / k, images: imageCount)
    }

    /// The x-derivative kernel (size 2·half + 1): gauss(row offset)·dgauss(column offset), scaled to unit L2 norm.
    static func derivativeKernel(sigma: Double) -> (kernel: [Double], half: Int) {
        let epsilon = 1e-2
        let half = Int((sigma * (-2 * Foundation.log((2 * Double.pi).squareRoot() * sigma * epsilon)).squareRoot()).rounded(.up))
        let size = 2 * half + 1
        func gauss(_ x: Double) -> Double { Foundation.exp(-x * x / (2 * sigma * sigma)) / (sigma * (2 * Double.pi).squareRoot()) }
        func dgauss(_ x: Double) -> Double { -x * gauss(x) / (sigma * sigma) }
        var k = [Double](repeating: 0, count: size * size)
        for i in 0..<size { for j in 0..<size { k[i * size + j] = gauss(Double(i - half)) * dgauss(Double(j - half)) } }
        let norm = k.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return (k.map { $0 / norm }, half)
    }

    /// scipy.ndimage.convolve (a true convolution: the kernel flipped) with mode 'nearest'.
    static func convolve(_ im: [Double], _ k: [Double], half: Int, transpose: Bool, width: Int, height: Int) -> [Double] {
        let size = 2 * half + 1
        var out = [Double](repeating: 0, count: im.count)
        for y in 0..<height { for x in 0..<width {
            var s = 0.0
            for i in 0..<size { for j in 0..<size {
                let w = transpose ? k[j * size + i] : k[i * size + j]
                let yy = min(max(y + half - i, 0), height - 1), xx = min(max(x + half - j, 0), width - 1)
                s += w * im[yy * width + xx]
            } }
            out[y * width + x] = s
        } }
        return out
    }

    static func gradientError(_ p: [Double], _ g: [Double], _ inside: [Bool], width: Int, height: Int) -> Double {
        let (k, half) = derivativeKernel(sigma: 1.4)
        func amplitude(_ a: [Double]) -> [Double] {
            let gx = convolve(a, k, half: half, transpose: false, width: width, height: height)
            let gy = convolve(a, k, half: half, transpose: true, width: width, height: height)
            return zip(gx, gy).map { ($0 * $0 + $1 * $1).squareRoot() }
        }
        let (pa, ga) = (amplitude(p), amplitude(g))
        var s = 0.0
        for i in p.indices where inside[i] { s += (pa[i] - ga[i]) * (pa[i] - ga[i]) }
        return s / 1000
    }

    /// Flags of the largest 4-connected component of `on` (all false when nothing is on).
    static func largestComponent(_ on: [Bool], width: Int, height: Int) -> [Bool] {
        var label = [Int](repeating: 0, count: on.count)
        var best = 0, bestSize = 0, next = 0
        var stack: [Int] = []
        for start in on.indices where on[start] && label[start] == 0 {
            next += 1
            var size = 0
            label[start] = next; stack.append(start)
            while let i = stack.popLast() {
                size += 1
                let (x, y) = (i % width, i / width)
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] where nx >= 0 && ny >= 0 && nx < width && ny < height {
                    let j = ny * width + nx
                    if on[j] && label[j] == 0 { label[j] = next; stack.append(j) }
                }
            }
            // The first-labelled component wins ties, as argmax over label counts does.
            if size > bestSize { best = next; bestSize = size }
        }
        return label.map { $0 == best && best > 0 }
    }

    static func connectivityError(_ p: [Double], _ g: [Double], _ inside: [Bool], width: Int, height: Int, step: Double = 0.1) -> Double {
        // np.arange(0, 1 + step, step): start + i·step.
        var levels: [Double] = []
        var i = 0
        while Double(i) * step < 1 + step - 1e-12 { levels.append(Double(i) * step); i += 1 }
        var l = [Double](repeating: -1, count: p.count)
        for k in 1..<levels.count {
            let both = p.indices.map { p[$0] >= levels[k] && g[$0] >= levels[k] }
            let omega = largestComponent(both, width: width, height: height)
            for j in p.indices where l[j] == -1 && !omega[j] { l[j] = levels[k - 1] }
        }
        for j in l.indices where l[j] == -1 { l[j] = 1 }
        var s = 0.0
        for j in p.indices where inside[j] {
            let pd = p[j] - l[j], gd = g[j] - l[j]
            let pp = 1 - pd * (pd >= 0.15 ? 1 : 0), gp = 1 - gd * (gd >= 0.15 ? 1 : 0)
            s += abs(pp - gp)
        }
        return s / 1000
    }
}
