#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

typealias Vec3 = SIMD3<Float>

@inline(__always) func dot(_ a: Vec3, _ b: Vec3) -> Float { a.x * b.x + a.y * b.y + a.z * b.z }
@inline(__always) func cross(_ a: Vec3, _ b: Vec3) -> Vec3 {
    Vec3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
@inline(__always) func length(_ a: Vec3) -> Float { dot(a, a).squareRoot() }
@inline(__always) func normalize(_ a: Vec3) -> Vec3 {
    let l = length(a)
    return l > 0 ? a / l : Vec3(0, 0, 1)
}
@inline(__always) func mix(_ a: Vec3, _ b: Vec3, _ t: Float) -> Vec3 { a + (b - a) * t }
@inline(__always) func clamp(_ x: Float, _ lo: Float, _ hi: Float) -> Float { min(max(x, lo), hi) }
@inline(__always) func radians(_ degrees: Float) -> Float { degrees * Float.pi / 180 }

/// Column-major 3x3 matrix; rotations for forward kinematics and frames of primitives.
struct Mat3: Sendable {
    var c0: Vec3, c1: Vec3, c2: Vec3

    static let identity = Mat3(c0: Vec3(1, 0, 0), c1: Vec3(0, 1, 0), c2: Vec3(0, 0, 1))

    @inline(__always) static func * (m: Mat3, v: Vec3) -> Vec3 { m.c0 * v.x + m.c1 * v.y + m.c2 * v.z }
    static func * (a: Mat3, b: Mat3) -> Mat3 { Mat3(c0: a * b.c0, c1: a * b.c1, c2: a * b.c2) }

    var transposed: Mat3 {
        Mat3(c0: Vec3(c0.x, c1.x, c2.x), c1: Vec3(c0.y, c1.y, c2.y), c2: Vec3(c0.z, c1.z, c2.z))
    }

    static func rotX(_ a: Float) -> Mat3 {
        let c = cosf(a), s = sinf(a)
        return Mat3(c0: Vec3(1, 0, 0), c1: Vec3(0, c, s), c2: Vec3(0, -s, c))
    }
    static func rotY(_ a: Float) -> Mat3 {
        let c = cosf(a), s = sinf(a)
        return Mat3(c0: Vec3(c, 0, -s), c1: Vec3(0, 1, 0), c2: Vec3(s, 0, c))
    }
    static func rotZ(_ a: Float) -> Mat3 {
        let c = cosf(a), s = sinf(a)
        return Mat3(c0: Vec3(c, s, 0), c1: Vec3(-s, c, 0), c2: Vec3(0, 0, 1))
    }
}

/// A rigid (or mirrored) placement: p' = rotation * p + translation.
struct Placement: Sendable {
    var rotation: Mat3
    var translation: Vec3
    static let identity = Placement(rotation: .identity, translation: .zero)
    @inline(__always) func point(_ p: Vec3) -> Vec3 { rotation * p + translation }
    @inline(__always) func vector(_ v: Vec3) -> Vec3 { rotation * v }
    /// Apply `self` after `inner`.
    func after(_ inner: Placement) -> Placement {
        Placement(rotation: rotation * inner.rotation, translation: rotation * inner.translation + translation)
    }
}
