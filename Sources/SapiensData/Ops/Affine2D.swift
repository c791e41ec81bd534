import Foundation

/// A 2-D affine map from input pixel coordinates to output pixel coordinates:
/// x' = a x + b y + tx, y' = c x + d y + ty. Coordinates are continuous with pixel (i, j)'s centre
/// at (i + 0.5, j + 0.5), so keypoints (COCO convention: the same continuous frame) transform with
/// the same matrix as the pixels they sit on.
public struct Affine2D: Sendable, Equatable {
    public var a: Double, b: Double, tx: Double
    public var c: Double, d: Double, ty: Double

    public init(a: Double, b: Double, tx: Double, c: Double, d: Double, ty: Double) {
        self.a = a; self.b = b; self.tx = tx; self.c = c; self.d = d; self.ty = ty
    }

    public static let identity = Affine2D(a: 1, b: 0, tx: 0, c: 0, d: 1, ty: 0)

    public static func translation(_ x: Double, _ y: Double) -> Affine2D { Affine2D(a: 1, b: 0, tx: x, c: 0, d: 1, ty: y) }
    public static func scale(_ sx: Double, _ sy: Double) -> Affine2D { Affine2D(a: sx, b: 0, tx: 0, c: 0, d: sy, ty: 0) }
    /// Rotation by `degrees`, counter-clockwise as seen on screen (image y points down).
    public static func rotation(degrees: Double) -> Affine2D {
        let r = degrees * .pi / 180
        return Affine2D(a: cos(r), b: sin(r), tx: 0, c: -sin(r), d: cos(r), ty: 0)
    }

    /// `self` after `other`: applying the result equals applying `other`, then `self`.
    public func after(_ o: Affine2D) -> Affine2D {
        Affine2D(a: a * o.a + b * o.c, b: a * o.b + b * o.d, tx: a * o.tx + b * o.ty + tx,
                 c: c * o.a + d * o.c, d: c * o.b + d * o.d, ty: c * o.tx + d * o.ty + ty)
    }

    public var determinant: Double { a * d - b * c }

    /// nil when the map is singular.
    public var inverse: Affine2D? {
        let det = determinant
        guard abs(det) > 1e-12 else { return nil }
        let ia = d / det, ib = -b / det, ic = -c / det, id = a / det
        return Affine2D(a: ia, b: ib, tx: -(ia * tx + ib * ty), c: ic, d: id, ty: -(ic * tx + id * ty))
    }

    public func apply(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        (a * x + b * y + tx, c * x + d * y + ty)
    }

    /// Maps the rectangle (x, y, w, h) of the input onto the whole of an outW x outH output, rotated by
    /// `degrees` about the rectangle's centre. This is random-resized-crop and random-affine in one.
    public static func crop(x: Double, y: Double, width w: Double, height h: Double, toWidth outW: Int, toHeight outH: Int,
                            rotationDegrees: Double = 0) -> Affine2D {
        let centre = translation(-(x + w / 2), -(y + h / 2))
        let fit = scale(Double(outW) / w, Double(outH) / h)
        return translation(Double(outW) / 2, Double(outH) / 2).after(fit).after(rotation(degrees: rotationDegrees)).after(centre)
    }

    /// The top-down pose crop with mmpose's unbiased (UDP) geometry, as the official Sapiens pose configs train
    /// and test with (`TopdownAffine(use_udp=True)`): the person box grown by `padding` and widened or heightened
    /// to the output's aspect ratio, its centre on the output's centre, and its edges on the centres of the
    /// output's first and last pixels, i.e. scaled by (out − 1) / box rather than out / box. Inference crops with
    /// the same geometry (`TopDownCrop`), so our models see at test time what they were trained on.
    public static func topDown(box: PersonBox, toWidth outW: Int, toHeight outH: Int, padding: Double = 1.25,
                               rotationDegrees: Double = 0) -> Affine2D {
        var w = Double(box.w) * padding, h = Double(box.h) * padding
        let aspect = Double(outW) / Double(outH)
        if w > h * aspect { h = w / aspect } else { w = h * aspect }
        let cx = Double(box.x) + Double(box.w) / 2, cy = Double(box.y) + Double(box.h) / 2
        let fit = scale(Double(max(outW - 1, 1)) / max(w, 1e-9), Double(max(outH - 1, 1)) / max(h, 1e-9))
        return translation(Double(outW) / 2, Double(outH) / 2).after(fit).after(rotation(degrees: rotationDegrees)).after(translation(-cx, -cy))
    }
}
