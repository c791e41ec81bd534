import Foundation
import Tensor
import XCTest

/// Central-difference gradient check. The output is projected on a fixed random tensor so every
/// output element contributes; up to `maxProbes` elements of each input are probed.
func gradCheck(_ inputs: [Tensor], eps: Float = 1e-2, tol: Float = 2e-2, maxProbes: Int = 24,
               file: StaticString = #filePath, line: UInt = #line, _ f: ([Tensor]) -> Tensor) {
    for t in inputs { t.requiresGrad = true; t.grad = nil }
    let y = f(inputs)
    let proj = Tensor.uniform(y.shape, -1, 1, rng: RNG(seed: 99))
    (y * proj).sum().backward()
    func objective() -> Double {
        withNoGrad {
            let v = f(inputs)
            var s = 0.0
            for i in 0..<v.count { s += Double(v[flat: i]) * Double(proj[flat: i]) }
            return s
        }
    }
    let rng = RNG(seed: 7)
    for (k, t) in inputs.enumerated() {
        guard let g = t.grad else { XCTFail("input \(k) got no gradient", file: file, line: line); continue }
        XCTAssertEqual(g.shape, t.shape, file: file, line: line)
        let probes = t.count <= maxProbes ? Array(0..<t.count) : (0..<maxProbes).map { _ in rng.int(t.count) }
        for i in probes {
            let old = t[flat: i]
            t[flat: i] = old + eps
            let up = objective()
            t[flat: i] = old - eps
            let down = objective()
            t[flat: i] = old
            let numeric = Float((up - down) / Double(2 * eps))
            let analytic = g[flat: i]
            let scale = max(1, Swift.abs(numeric), Swift.abs(analytic))
            XCTAssertLessThanOrEqual(Swift.abs(numeric - analytic), tol * scale,
                                     "input \(k) element \(i): numeric \(numeric) vs analytic \(analytic)", file: file, line: line)
        }
    }
}

func rand(_ shape: [Int], _ lo: Float = -1, _ hi: Float = 1, seed: UInt64) -> Tensor {
    Tensor.uniform(shape, lo, hi, rng: RNG(seed: seed))
}
