/// One analytic surface of a body or garment. Rays come from the camera centre (the origin)
/// along (x, y, 1), so the hit parameter t is camera-space depth z directly.
struct Primitive: Sendable {
    enum Shape: Sendable {
        /// Convex hull of two spheres: capsules and tapered limbs.
        case roundCone
        /// Axis-aligned unit sphere under the linear map `m` (rows), centred at `a`.
        case ellipsoid
    }

    var shape: Shape
    // Round cone: spheres (a, ra) and (b, rb). Ellipsoid: centre a, radii in ra/rb/rc, rows m0..m2.
    var a: Vec3
    var b: Vec3
    var ra: Float
    var rb: Float
    var m0 = Vec3.zero, m1 = Vec3.zero, m2 = Vec3.zero
    /// Open garment ends: a point p is cut away when dot(p, n1) > k1 and dot(p, n2) > k2.
    var clip: Clip?

    var partClass: PartClass
    var person: Int
    var material: Int
    /// Texture space: local coordinates of a hit are (frame^T (p - origin)).
    var frame: Mat3
    var origin: Vec3

    // Filled by `prepare`: derived cone terms and the screen-space bound.
    var axis = Vec3.zero, len: Float = 0, sinA: Float = 0, cos2A: Float = 0
    var zMin: Float = 0
    var x0: Float = 0, y0: Float = 0, x1: Float = 0, y1: Float = 0

    struct Clip: Sendable {
        var n1: Vec3, k1: Float, n2: Vec3, k2: Float
        @inline(__always) func cuts(_ p: Vec3) -> Bool { dot(p, n1) > k1 && dot(p, n2) > k2 }
    }

    static func roundCone(_ a: Vec3, _ ra: Float, _ b: Vec3, _ rb: Float, part: PartClass, person: Int,
                          material: Int, frame: Mat3, origin: Vec3) -> Primitive {
        Primitive(shape: .roundCone, a: a, b: b, ra: ra, rb: rb, partClass: part, person: person,
                  material: material, frame: frame, origin: origin)
    }

    /// `axes` columns are the ellipsoid's principal directions (unit), `radii` the semi-axes.
    static func ellipsoid(_ centre: Vec3, axes: Mat3, radii: Vec3, part: PartClass, person: Int,
                          material: Int) -> Primitive {
        var p = Primitive(shape: .ellipsoid, a: centre, b: radii, ra: max(radii.x, radii.y, radii.z), rb: 0,
                          partClass: part, person: person, material: material, frame: axes, origin: centre)
        p.m0 = axes.c0 / radii.x
        p.m1 = axes.c1 / radii.y
        p.m2 = axes.c2 / radii.z
        return p
    }

    /// Cut away everything beyond the plane through `point` facing `normal` (a garment's open end).
    mutating func cutBeyond(_ point: Vec3, normal: Vec3) {
        clip = Clip(n1: normal, k1: dot(point, normal), n2: .zero, k2: -1)
    }

    /// Move into camera space (rigid or mirrored placement); radii are unchanged by an orthogonal map.
    func placed(_ t: Placement) -> Primitive {
        var p = self
        p.a = t.point(a)
        p.origin = t.point(origin)
        p.frame = t.rotation * frame
        switch shape {
        case .roundCone:
            p.b = t.point(b)
        case .ellipsoid:
            // Rows of m are axis/radius; the new axes are the rotated ones.
            let r = t.rotation
            p.m0 = r * m0; p.m1 = r * m1; p.m2 = r * m2
        }
        if let c = clip {
            let n1 = t.vector(c.n1), n2 = t.vector(c.n2)
            p.clip = Clip(n1: n1, k1: c.k1 + dot(n1, t.translation), n2: n2, k2: c.k2 + dot(n2, t.translation))
        }
        return p
    }

    /// Derived terms and the conservative screen rectangle (pixels) of the bounding box.
    /// Returns false when the primitive is behind or too near the camera to be drawn.
    mutating func prepare(focal f: Float, cx: Float, cy: Float) -> Bool {
        // World-space box of the surface: tight for long thin limbs, unlike a bounding sphere.
        var lo: Vec3, hi: Vec3
        switch shape {
        case .roundCone:
            let ab = b - a
            len = length(ab)
            if len <= abs(ra - rb) + 1e-5 {
                // One sphere swallows the other: draw the bigger one alone.
                if rb > ra { a = b; ra = rb }
                b = a; rb = ra; len = 0
            }
            axis = len > 0 ? ab / len : Vec3(0, 1, 0)
            sinA = len > 0 ? (ra - rb) / len : 0
            cos2A = 1 - sinA * sinA
            lo = pointwiseMin(a - Vec3(repeating: ra), b - Vec3(repeating: rb))
            hi = pointwiseMax(a + Vec3(repeating: ra), b + Vec3(repeating: rb))
        case .ellipsoid:
            // Rows of m are axis/radius, so axis*radius = row * radius^2.
            let e0 = m0 * (b.x * b.x), e1 = m1 * (b.y * b.y), e2 = m2 * (b.z * b.z)
            let ext = Vec3((e0.x * e0.x + e1.x * e1.x + e2.x * e2.x).squareRoot(),
                           (e0.y * e0.y + e1.y * e1.y + e2.y * e2.y).squareRoot(),
                           (e0.z * e0.z + e1.z * e1.z + e2.z * e2.z).squareRoot())
            lo = a - ext
            hi = a + ext
        }
        zMin = lo.z
        guard zMin > 0.05 else { return false }
        var lx = Float.infinity, hx = -Float.infinity, ly = Float.infinity, hy = -Float.infinity
        for z in [lo.z, hi.z] {
            for sx in [lo.x, hi.x] {
                let u = f * sx / z + cx
                lx = min(lx, u); hx = max(hx, u)
            }
            for sy in [lo.y, hi.y] {
                let v = f * sy / z + cy
                ly = min(ly, v); hy = max(hy, v)
            }
        }
        x0 = lx; x1 = hx; y0 = ly; y1 = hy
        return true
    }

    /// Nearest valid hit along d from the origin, closer than `best`; the normal faces the ray.
    @inline(__always)
    func intersect(_ d: Vec3, best: Float) -> (t: Float, n: Vec3)? {
        switch shape {
        case .roundCone: return intersectRoundCone(d, best: best)
        case .ellipsoid: return intersectEllipsoid(d, best: best)
        }
    }

    @inline(__always)
    private func accept(_ t: Float, _ d: Vec3, best: Float) -> Bool {
        guard t > 0, t < best else { return false }
        if let c = clip, c.cuts(d * t) { return false }
        return true
    }

    private func intersectEllipsoid(_ d: Vec3, best: Float) -> (t: Float, n: Vec3)? {
        let o = -Vec3(dot(m0, a), dot(m1, a), dot(m2, a))
        let dl = Vec3(dot(m0, d), dot(m1, d), dot(m2, d))
        let qa = dot(dl, dl), qb = dot(o, dl), qc = dot(o, o) - 1
        let disc = qb * qb - qa * qc
        guard disc > 0 else { return nil }
        let s = disc.squareRoot()
        for t in [(-qb - s) / qa, (-qb + s) / qa] where accept(t, d, best: best) {
            let l = o + dl * t
            var n = normalize(m0 * l.x + m1 * l.y + m2 * l.z)
            if dot(n, d) > 0 { n = -n }
            return (t, n)
            }
        return nil
    }

    private func intersectRoundCone(_ d: Vec3, best: Float) -> (t: Float, n: Vec3)? {
        var bestT = best
        var bestN = Vec3.zero
        let dd = dot(d, d)
        let dw = dot(d, axis)
        let aw = dot(a, axis)
        // Points of sphere A count only behind its tangent circle, B's only beyond its own.
        let hLo = ra * sinA, hHi = len + rb * sinA
        sphere(a, ra, d, dd) { t in
            let h = t * dw - aw
            if h <= hLo, accept(t, d, best: bestT) { bestT = t; bestN = (d * t - a) / ra }
        }
        if len > 0 {
            sphere(b, rb, d, dd) { t in
                let h = t * dw - aw
                if h >= hHi, accept(t, d, best: bestT) { bestT = t; bestN = (d * t - b) / rb }
            }
            // Lateral band: cos^2 * (|q|^2 - h^2) = (ra - h sin)^2 with q = p - a, h = q . axis.
            let dA = dot(d, a), AA = dot(a, a)
            let k = ra + sinA * aw
            let c2 = cos2A * (dd - dw * dw) - sinA * sinA * dw * dw
            let c1 = -cos2A * (dA - dw * aw) + k * sinA * dw // half of the linear coefficient
            let c0 = cos2A * (AA - aw * aw) - k * k
            if abs(c2) > 1e-12 {
                let disc = c1 * c1 - c2 * c0
                if disc > 0 {
                    let s = disc.squareRoot()
                    for t in [(-c1 - s) / c2, (-c1 + s) / c2] {
                        let h = t * dw - aw
                        if h >= hLo, h <= hHi, accept(t, d, best: bestT) {
                            let q = d * t - a
                            let radial = normalize(q - axis * h)
                            bestT = t
                            bestN = radial * cos2A.squareRoot() + axis * sinA
                        }
                    }
                }
            }
        }
        guard bestT < best else { return nil }
        // Rounding in t leaves sphere normals slightly off unit length.
        bestN = normalize(bestN)
        if dot(bestN, d) > 0 { bestN = -bestN }
        return (bestT, bestN)
    }

    @inline(__always)
    private func sphere(_ c: Vec3, _ r: Float, _ d: Vec3, _ dd: Float, _ visit: (Float) -> Void) {
        let bh = dot(d, c)
        let disc = bh * bh - dd * (dot(c, c) - r * r)
        guard disc > 0 else { return }
        let s = disc.squareRoot()
        visit((bh - s) / dd)
        visit((bh + s) / dd)
    }
}
