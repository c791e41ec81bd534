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
        let unit = Tensor.empty([1, 3, h, w])
        for i in 0..<plane {
            let x = raw.ptr[i], y = raw.ptr[plane + i], z = raw.ptr[2 * plane + i]
            let n = max((x * x + y * y + z * z).squareRoot(), 1e-8)
            unit.ptr[i] = x / n; unit.ptr[plane + i] = y / n; unit.ptr[2 * plane + i] = z / n
        }
        normals = Sapiens2Processor.planar(unit, toHeight: height, toWidth: width)
    }
}
