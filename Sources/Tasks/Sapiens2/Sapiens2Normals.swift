import Foundation
import Tensor

/// Sapiens2 normals' prediction: each pixel's vector divided by its length (at least 1e-8), then resized
/// bilinearly to the image (`post_process_normal_estimation`; like the reference, not renormalised after).
public struct Sapiens2Normals: Sendable {
    public var width: Int, height: Int
    /// Planar (3, height, width).
    public var normals: [Float]

    public init(raw: Tensor, width: Int, height: Int) {
        self.width = width
        self.height = height
        let (h, w) = (raw.shape[2], raw.shape[3]), plane = h * w
        let v = raw.values(0 ..< 3 * plane)
        var u = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            let x = v[i], y = v[plane + i], z = v[2 * plane + i]
            let n = max((x * x + y * y + z * z).squareRoot(), 1e-8)
            u[i] = x / n; u[plane + i] = y / n; u[2 * plane + i] = z / n
        }
        let unit = Tensor(shape: [1, 3, h, w], data: u)
        normals = Sapiens2Processor.planar(unit, toHeight: height, toWidth: width)
    }
}
