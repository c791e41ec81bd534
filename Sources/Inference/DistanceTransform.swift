/// Exact Euclidean distance from every pixel to the nearest pixel of a mask (Felzenszwalb & Huttenlocher's
/// separable lower-envelope algorithm: one 1-D pass over the columns, one over the rows). Dilation by r is
/// "distance ≤ r", and a feather is a ramp in the distance, so both follow the mask's shape exactly.
public enum DistanceTransform {
    /// 0 on the mask; `Float.infinity` everywhere when the mask is empty.
    public static func distance(to mask: [Bool], width w: Int, height h: Int) -> [Float] {
        let inf = Double(w * w + h * h + 1)
        var sq = mask.map { $0 ? 0.0 : inf }
        var f = [Double](repeating: 0, count: max(w, h)), d = f
        for x in 0..<w {
            for y in 0..<h { f[y] = sq[y * w + x] }
            envelope(f, count: h, into: &d)
            for y in 0..<h { sq[y * w + x] = d[y] }
        }
        for y in 0..<h {
            for x in 0..<w { f[x] = sq[y * w + x] }
            envelope(f, count: w, into: &d)
            for x in 0..<w { sq[y * w + x] = d[x] }
        }
        let empty = !mask.contains(true)
        return sq.map { empty ? .infinity : Float($0.squareRoot()) }
    }

    /// d[q] = min over p of (q − p)² + f[p], for q in 0..<n.
    static func envelope(_ f: [Double], count n: Int, into d: inout [Double]) {
        guard n > 0 else { return }
        var v = [Int](repeating: 0, count: n)         // parabola vertices of the lower envelope
        var z = [Double](repeating: 0, count: n + 1)  // boundaries between them
        var k = 0
        z[0] = -.infinity; z[1] = .infinity
        for q in 1..<max(n, 1) {
            var s = ((f[q] + Double(q * q)) - (f[v[k]] + Double(v[k] * v[k]))) / Double(2 * (q - v[k]))
            while s <= z[k] {
                k -= 1
                s = ((f[q] + Double(q * q)) - (f[v[k]] + Double(v[k] * v[k]))) / Double(2 * (q - v[k]))
            }
            k += 1
            v[k] = q; z[k] = s; z[k + 1] = .infinity
        }
        k = 0
        for q in 0..<n {
            while z[k + 1] < Double(q) { k += 1 }
            let dq = Double(q - v[k])
            d[q] = dq * dq + f[v[k]]
        }
    }
}
