/// Segments of one person's skeleton in camera space, exposed so that tests (and users) can
/// check that every labelled pixel lies on the body part its class names.
public enum BoneKind: Int, CaseIterable, Sendable {
    case head, neck, trunk, leftUpperArm, rightUpperArm, leftForearm, rightForearm, leftHand, rightHand,
         leftThigh, rightThigh, leftShin, rightShin, leftFoot, rightFoot
}

public struct SynthBone: Sendable, Equatable {
    public var kind: BoneKind
    public var a: SIMD3<Float>
    public var b: SIMD3<Float>
    /// Largest body (not clothing) radius around the segment, metres.
    public var radius: Float
}

/// One rendered person. Keypoints follow `KeypointSet` (COCO-17 then six foot points).
public struct SynthPerson: Sendable, Equatable {
    /// Pixel coordinates (x right, y down; pixel centres at +0.5) and COCO visibility:
    /// 2 visible, 1 inside the image but occluded, 0 outside (then x = y = 0).
    public var keypoints: [SIMD3<Float>]
    /// Tight box of the person's visible pixels, xywh in pixels.
    public var box: (x: Float, y: Float, w: Float, h: Float) { (boxXYWH.x, boxXYWH.y, boxXYWH.z, boxXYWH.w) }
    public var boxXYWH: SIMD4<Float>
    /// Detector-like confidence: high for large, unoccluded people, lower otherwise.
    public var score: Float
    /// Index of this person in the instance map (pixels equal to `instanceID`).
    public var instanceID: UInt8
    public var visiblePixels: Int
    public var bones: [SynthBone]
}

/// Intrinsics of the pinhole camera the image was rendered with (OpenCV convention).
public struct SynthCamera: Sendable, Equatable {
    public var fx: Float, fy: Float, cx: Float, cy: Float
    /// Camera-space point seen at pixel coordinate (u, v) at depth z.
    public func unproject(u: Float, v: Float, depth z: Float) -> SIMD3<Float> {
        SIMD3((u - cx) / fx * z, (v - cy) / fy * z, z)
    }
}

/// One image with its exact labels. All planes are row-major, `height` rows of `width`.
public struct SynthSample: Sendable {
    public var index: Int
    public var width: Int
    public var height: Int
    /// Interleaved RGB, 3 bytes per pixel.
    public var rgb: [UInt8]
    /// `PartClass` raw values; 0 on the background.
    public var segmentation: [UInt8]
    /// Camera-space z in metres; 0 = invalid (background).
    public var depth: [Float]
    /// Unit camera-space normals (x right, y down, z forward), 3 per pixel; 0 on the background.
    public var normals: [Float]
    /// 255 where a person is, else 0.
    public var mask: [UInt8]
    /// The fraction of each pixel people cover (the colour's own samples: 1 inside, 0 outside, quarters on edges).
    public var alpha: [Float]
    /// 0 on the background, `person.instanceID` on that person's pixels.
    public var instances: [UInt8]
    public var people: [SynthPerson]
    public var camera: SynthCamera

    public var keypointCount: Int { KeypointSet.count }

    /// HWC camera-frame points (metres, OpenCV axes) of the people's pixels, through each pixel's centre:
    /// the depth unprojected with the camera; (0, 0, 0) off the people.
    public var pointmap: [Float] {
        var out = [Float](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = y * width + x
                guard mask[i] > 0, depth[i] > 0 else { continue }
                let p = camera.unproject(u: Float(x) + 0.5, v: Float(y) + 0.5, depth: depth[i])
                out[3 * i] = p.x; out[3 * i + 1] = p.y; out[3 * i + 2] = p.z
            }
        }
        return out
    }
}
