import Foundation
import Tensor

/// 2-D rotary position embedding as Sapiens2 applies it: patch-centre coordinates in [-1, 1] (y and x), each
/// rotating a quarter of the head's channel pairs at frequencies theta^(-4k/headDim); prefix tokens (cls and
/// registers) are not rotated.
public struct RoPE2D: Sendable {
    public let headDim: Int
    public let theta: Double

    public init(headDim: Int, theta: Double) {
        self.headDim = headDim
        self.theta = theta
    }

    /// Training-time augmentation of the coordinates (`pos_embed_shift`, `pos_embed_jitter`,
    /// `pos_embed_rescale`): a uniform shift per axis, a log-uniform stretch per axis, a log-uniform rescale of both.
    public struct Augmentation: Sendable {
        public var shift: Double?, jitter: Double?, rescale: Double?
        public init(shift: Double?, jitter: Double?, rescale: Double?) {
            self.shift = shift; self.jitter = jitter; self.rescale = rescale
        }
    }

    /// Patch-centre coordinates (y, x) of a gh × gw grid, row-major, normalised to [-1, 1].
    public static func coordinates(gridHeight gh: Int, gridWidth gw: Int, augment: Augmentation? = nil, rng: RNG? = nil) -> [(Double, Double)] {
        var coords: [(Double, Double)] = []
        coords.reserveCapacity(gh * gw)
        for i in 0..<gh {
            for j in 0..<gw {
                coords.append((2 * ((Double(i) + 0.5) / Double(gh)) - 1, 2 * ((Double(j) + 0.5) / Double(gw)) - 1))
            }
        }
        guard let a = augment, let rng else { return coords }
        func u(_ lo: Double, _ hi: Double) -> Double { lo + (hi - lo) * Double(rng.uniform()) }
        if let s = a.shift {
            let dy = u(-s, s), dx = u(-s, s)
            coords = coords.map { ($0.0 + dy, $0.1 + dx) }
        }
        if let j = a.jitter, j > 0 {
            let r = Foundation.log(j), sy = Foundation.exp(u(-r, r)), sx = Foundation.exp(u(-r, r))
            coords = coords.map { ($0.0 * sy, $0.1 * sx) }
        }
        if let s = a.rescale, s > 0 {
            let r = Foundation.log(s), k = Foundation.exp(u(-r, r))
            coords = coords.map { ($0.0 * k, $0.1 * k) }
        }
        return coords
    }

    /// cos and sin tables, each (patches, headDim): channel c uses angle 2π·coord·f with, for the first half,
    /// [y·f₀ … y·f_{n-1}, x·f₀ … x·f_{n-1}] (n = headDim/4), repeated for the second half.
    public func tables(_ coords: [(Double, Double)]) -> (cos: Tensor, sin: Tensor) {
        let n = headDim / 4
        let freqs = (0..<n).map { 1 / Foundation.pow(theta, Double(4 * $0) / Double(headDim)) }
        var cosV = [Float](repeating: 0, count: coords.count * headDim), sinV = cosV
        for (p, (y, x)) in coords.enumerated() {
            for k in 0..<(2 * n) {
                let angle = 2 * Double.pi * (k < n ? y * freqs[k] : x * freqs[k - n])
                let c = Float(Foundation.cos(angle)), s = Float(Foundation.sin(angle))
                for half in 0..<2 {
                    cosV[p * headDim + half * 2 * n + k] = c
                    sinV[p * headDim + half * 2 * n + k] = s
                }
            }
        }
        return (Tensor(shape: [coords.count, headDim], data: cosV), Tensor(shape: [coords.count, headDim], data: sinV))
    }

    public func tables(gridHeight gh: Int, gridWidth gw: Int) -> (cos: Tensor, sin: Tensor) {
        tables(RoPE2D.coordinates(gridHeight: gh, gridWidth: gw))
    }
}
