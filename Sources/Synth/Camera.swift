#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Pinhole camera looking at a target in a y-up world, expressed as the world-to-camera
/// placement in OpenCV axes (x right, y down, z forward). The principal point is the image
/// centre exactly, so mirroring the scene about x = 0 mirrors the image about its middle.
struct Camera: Sendable {
    var focal: Float
    var width: Int
    var height: Int
    var worldToCamera: Placement

    var cx: Float { Float(width) * 0.5 }
    var cy: Float { Float(height) * 0.5 }

    init(width: Int, height: Int, verticalFOV: Float, position: Vec3, target: Vec3) {
        self.width = width
        self.height = height
        focal = Float(height) * 0.5 / tanf(verticalFOV * 0.5)
        let z = normalize(target - position)
        // Right = down x forward keeps the horizon level.
        var x = cross(Vec3(0, -1, 0), z)
        if length(x) < 1e-4 { x = Vec3(1, 0, 0) }
        x = normalize(x)
        let y = cross(z, x)
        let rows = Mat3(c0: x, c1: y, c2: z).transposed
        worldToCamera = Placement(rotation: rows, translation: -(rows * position))
    }

    var horizontalFOV: Float { 2 * atanf(Float(width) * 0.5 / focal) }

    func project(_ p: Vec3) -> (u: Float, v: Float)? {
        guard p.z > 1e-4 else { return nil }
        return (focal * p.x / p.z + cx, focal * p.y / p.z + cy)
    }
}
