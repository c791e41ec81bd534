import Foundation

/// Learning-rate schedules as pure functions of the step, so a resumed run recomputes them exactly.
public enum LRSchedule: Equatable, Sendable {
    /// Linear warmup from 0, then cosine to `minLR`.
    case warmupCosine(warmupSteps: Int, totalSteps: Int, minLR: Float)
    /// Linear warmup, then (1 - t)^power decay to `minLR` (mmseg's poly).
    case warmupPoly(warmupSteps: Int, totalSteps: Int, power: Float, minLR: Float)
    /// Linear warmup, then multiply by `gamma` at each milestone (mmpose's multi-step).
    case warmupMultiStep(warmupSteps: Int, milestones: [Int], gamma: Float)
    case constant

    public func lr(base: Float, step: Int) -> Float {
        switch self {
        case .constant: return base
        case let .warmupCosine(w, total, minLR):
            if step < w { return base * Float(step + 1) / Float(w) }
            let t = Float(step - w) / Float(max(total - w, 1))
            return minLR + (base - minLR) * 0.5 * (1 + cos(Float.pi * min(t, 1)))
        case let .warmupPoly(w, total, power, minLR):
            if step < w { return base * Float(step + 1) / Float(w) }
            let t = Float(step - w) / Float(max(total - w, 1))
            return minLR + (base - minLR) * pow(max(1 - t, 0), power)
        case let .warmupMultiStep(w, milestones, gamma):
            if step < w { return base * Float(step + 1) / Float(w) }
            return base * pow(gamma, Float(milestones.filter { step >= $0 }.count))
        }
    }
}
