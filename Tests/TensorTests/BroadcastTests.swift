import Tensor
import XCTest

/// Broadcast fast paths (row vector, column vector) against an index-by-index reference, on
/// shapes large enough for the parallel chunks, plus shapes that must take the general path.
final class BroadcastTests: XCTestCase {
    func reference(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) -> [Float] {
        let r = a.rank
        let bs = [Int](repeating: 1, count: r - b.rank) + b.shape
        var out = [Float](repeating: 0, count: a.count)
        var idx = [Int](repeating: 0, count: r)
        for flat in 0..<a.count {
            var rem = flat
            for d in stride(from: r - 1, through: 0, by: -1) { idx[d] = rem % a.shape[d]; rem /= a.shape[d] }
            var bi = 0
            for d in 0..<r { bi = bi * bs[d] + (bs[d] == 1 ? 0 : idx[d]) }
            out[flat] = op(a[flat: flat], b[flat: bi])
        }
        return out
    }

    func testFastAndGeneralPathsMatchReference() {
        let a = rand([64, 40, 32], seed: 1)
        let ops: [(String, (Tensor, Tensor) -> Tensor, (Float, Float) -> Float)] = [
            ("add", { $0 + $1 }, { $0 + $1 }), ("sub", { $0 - $1 }, { $0 - $1 }),
            ("mul", { $0 * $1 }, { $0 * $1 }), ("div", { $0 / $1 }, { $0 / $1 }),
        ]
        for bShape in [[64, 40, 1], [64, 1, 1], [40, 32], [1, 1, 32], [40, 1], [64, 1, 32]] {
            let b = rand(bShape, 0.5, 2, seed: 2)
            for (name, f, op) in ops {
                let got = f(a, b).toArray(), want = reference(a, b, op)
                var worst: Float = 0
                for (x, y) in zip(got, want) { worst = max(worst, Swift.abs(x - y) / max(1, Swift.abs(y))) }
                XCTAssertLessThan(worst, 1e-6, "\(name) with b \(bShape)")
            }
        }
    }

    func testColumnAndRowBroadcastGradients() {
        gradCheck([rand([3, 4, 5], seed: 3), rand([3, 4, 1], 0.5, 2, seed: 4)]) { $0[0] / $0[1] }
        gradCheck([rand([3, 4, 5], seed: 3), rand([3, 1, 1], seed: 4)]) { $0[0] - $0[1] }
        gradCheck([rand([3, 4, 5], seed: 3), rand([4, 5], 0.5, 2, seed: 4)]) { $0[0] / $0[1] }
        gradCheck([rand([3, 4, 5], seed: 3), rand([5], seed: 4)]) { $0[0] - $0[1] }
    }
}
