import SapiensData

/// dHash: shrink the luma to 9x8, and set bit (row, col) when a pixel is brighter than its right
/// neighbour. It survives re-encoding, resizing and small colour changes, costs one tiny resize, and
/// near-duplicates differ in a few of the 64 bits (Hamming distance).
enum PerceptualHash {
    static func dHash(luma: Image) -> UInt64 {
        let small = AreaResample.resize(luma, width: 9, height: 8)
        var h: UInt64 = 0
        for y in 0..<8 {
            for x in 0..<8 {
                h <<= 1
                if small.pixels[y * 9 + x] > small.pixels[y * 9 + x + 1] { h |= 1 }
            }
        }
        return h
    }

    static func distance(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).nonzeroBitCount }

    static func hex(_ h: UInt64) -> String {
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    static func parse(hex: String) -> UInt64? {
        hex.count == 16 ? UInt64(hex, radix: 16) : nil
    }
}
