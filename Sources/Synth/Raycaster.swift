/// Nearest-hit queries against a scene's primitives. Primitives are binned into screen tiles
/// by their projected bounds and kept sorted by nearest depth, so a pixel tests only the few
/// primitives that can cover it and stops once no remaining one can be nearer.
struct Raycaster {
    static let tile = 16
    let primitives: [Primitive]
    let focal: Float, cx: Float, cy: Float
    let tilesX: Int, tilesY: Int
    private var tileStart: [Int32]
    private var tileItems: [Int32]

    struct Hit {
        var primitive: Int32   // -1 = background
        var depth: Float
        var normal: Vec3
    }

    init(primitives: [Primitive], camera: Camera) {
        self.primitives = primitives
        focal = camera.focal; cx = camera.cx; cy = camera.cy
        tilesX = (camera.width + Raycaster.tile - 1) / Raycaster.tile
        tilesY = (camera.height + Raycaster.tile - 1) / Raycaster.tile
        var lists = [[Int32]](repeating: [], count: tilesX * tilesY)
        let t = Float(Raycaster.tile)
        for (i, p) in primitives.enumerated() {
            let tx0 = max(0, Int((p.x0 / t).rounded(.down))), tx1 = min(tilesX - 1, Int((p.x1 / t).rounded(.down)))
            let ty0 = max(0, Int((p.y0 / t).rounded(.down))), ty1 = min(tilesY - 1, Int((p.y1 / t).rounded(.down)))
            guard tx0 <= tx1, ty0 <= ty1 else { continue }
            for ty in ty0...ty1 { for tx in tx0...tx1 { lists[ty * tilesX + tx].append(Int32(i)) } }
        }
        tileStart = [0]
        tileItems = []
        for l in lists { tileItems += l; tileStart.append(Int32(tileItems.count)) }
    }

    /// Ray through pixel coordinate (px, py), where pixel centres sit at +0.5.
    func trace(_ px: Float, _ py: Float) -> Hit {
        let tx = min(max(Int(px) / Raycaster.tile, 0), tilesX - 1), ty = min(max(Int(py) / Raycaster.tile, 0), tilesY - 1)
        let d = Vec3((px - cx) / focal, (py - cy) / focal, 1)
        var best = Hit(primitive: -1, depth: .infinity, normal: .zero)
        let tileIndex = ty * tilesX + tx
        primitives.withUnsafeBufferPointer { prims in
            tileItems.withUnsafeBufferPointer { items in
                var k = Int(tileStart[tileIndex])
                let end = Int(tileStart[tileIndex + 1])
                while k < end {
                    let i = Int(items[k])
                    k += 1
                    // Through the pointer: copying a Primitive per test showed up as memmove in profiles.
                    let p = prims.baseAddress.unsafelyUnwrapped + i
                    if p.pointee.zMin >= best.depth { break }
                    if px < p.pointee.x0 || px > p.pointee.x1 || py < p.pointee.y0 || py > p.pointee.y1 { continue }
                    if let h = p.pointee.intersect(d, best: best.depth) {
                        best = Hit(primitive: Int32(i), depth: h.t, normal: h.n)
                    }
                }
            }
        }
        return best
    }
}
