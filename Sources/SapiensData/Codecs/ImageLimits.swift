import Foundation

/// The largest image the decoders accept, checked on the dimensions in the file's header before a single
/// pixel is decoded or allocated: a 200-byte PNG may claim 65535×65535 and a JPEG 1×65500. A per-axis
/// limit also stops extreme aspect ratios, which blow up later when an image is resized to a model's input.
///
/// The process-wide value starts from the environment (`SAPIENS_MAX_IMAGE_MEGAPIXELS`,
/// `SAPIENS_MAX_IMAGE_SIDE`) so every command honours it; code may also set `ImageLimits.current`.
public struct ImageLimits: Sendable, Equatable, CustomStringConvertible {
    public var maxPixels: Int
    public var maxSide: Int

    public static let defaultMaxPixels = 100_000_000
    public static let defaultMaxSide = 32_768

    public init(maxPixels: Int = ImageLimits.defaultMaxPixels, maxSide: Int = ImageLimits.defaultMaxSide) {
        self.maxPixels = max(1, maxPixels)
        self.maxSide = max(1, maxSide)
    }

    public static let standard = ImageLimits()

    public var description: String { "\(Self.megapixels(maxPixels)), \(maxSide) px per side" }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var stored: ImageLimits?

    /// What decoders use when the caller gives no limits.
    public static var current: ImageLimits {
        get {
            lock.lock()
            defer { lock.unlock() }
            if let s = stored { return s }
            let s = fromEnvironment(ProcessInfo.processInfo.environment)
            stored = s
            return s
        }
        set {
            lock.lock()
            stored = newValue
            lock.unlock()
        }
    }

    /// Unparseable or non-positive values fall back to the defaults.
    static func fromEnvironment(_ env: [String: String]) -> ImageLimits {
        var limits = ImageLimits.standard
        if let text = env["SAPIENS_MAX_IMAGE_MEGAPIXELS"], let mp = Double(text), mp.isFinite, mp > 0, mp < 1e9 {
            limits.maxPixels = max(1, Int(mp * 1_000_000))
        }
        if let text = env["SAPIENS_MAX_IMAGE_SIDE"], let side = Int(text), side > 0 {
            limits.maxSide = side
        }
        return limits
    }

    /// Throws `DataError.tooLarge` unless a `width`×`height` image is non-empty and within the limits.
    /// The dimensions are whatever the header says, so the product is computed with an overflow check.
    public func check(width: Int, height: Int, name: String) throws {
        guard width > 0, height > 0 else { throw DataError.corruptImage(name, "header gives an empty size \(width)x\(height)") }
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if width > maxSide || height > maxSide {
            throw DataError.tooLarge(name, "header says \(width)x\(height); each side may be at most \(maxSide) px "
                                     + "(set SAPIENS_MAX_IMAGE_SIDE to allow more)")
        }
        if overflow || pixels > maxPixels {
            throw DataError.tooLarge(name, "header says \(width)x\(height) = \(Self.megapixels(overflow ? Int.max : pixels)), over the "
                                     + "\(Self.megapixels(maxPixels)) limit (set SAPIENS_MAX_IMAGE_MEGAPIXELS to allow more)")
        }
    }

    /// "400 MP", "2.5 MP", or a plain pixel count for the tiny limits tests and odd setups use.
    static func megapixels(_ pixels: Int) -> String {
        let mp = Double(pixels) / 1e6
        if mp >= 10 { return "\(Int(mp.rounded())) MP" }
        return mp >= 0.1 ? String(format: "%.1f MP", mp) : "\(pixels) pixels"
    }
}
