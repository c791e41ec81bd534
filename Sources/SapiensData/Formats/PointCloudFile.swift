import Foundation

/// Point clouds as binary little-endian PLY (x, y, z float; red, green, blue uchar), which MeshLab,
/// CloudCompare, Open3D and Blender open. Non-finite points are left out.
public enum PointCloudFile {
    /// `points` planar (3, H, W); `colours` an H × W RGB image.
    public static func write(points: [Float], colours: Image, path: String) throws {
        let (w, h) = (colours.width, colours.height), n = w * h
        guard points.count == 3 * n, colours.channels == 3 else {
            throw DataError.invalidArgument("\(path): point cloud of \(points.count / 3) points for a \(w)x\(h) RGB image")
        }
        var keep: [Int] = []
        keep.reserveCapacity(n)
        for i in 0..<n where points[i].isFinite && points[n + i].isFinite && points[2 * n + i].isFinite { keep.append(i) }
        var bytes = [UInt8]("ply\nformat binary_little_endian 1.0\nelement vertex \(keep.count)\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n".utf8)
        bytes.reserveCapacity(bytes.count + keep.count * 15)
        for i in keep {
            for c in 0..<3 { withUnsafeBytes(of: points[c * n + i].bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
            bytes.append(contentsOf: colours.pixels[(i * 3)..<(i * 3 + 3)])
        }
        try FileIO.writeAtomically(bytes, to: path)
    }
}
