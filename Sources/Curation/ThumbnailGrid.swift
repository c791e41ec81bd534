import SapiensData

/// A grid of thumbnails so a person can judge a filter at a glance (a curation report picture; Synth's
/// `ContactSheet` is the renderer's label panels). Inputs that cannot be decoded
/// (they are in the sample *because* they are broken) get a dark red tile with a cross.
enum ThumbnailGrid {
    static func draw(_ images: [Image?], tile: Int) -> Image {
        let n = max(1, images.count)
        let cols = Int(Double(n).squareRoot().rounded(.up)), rows = (n + cols - 1) / cols
        let gap = 4
        var sheet = Image(width: cols * (tile + gap) + gap, height: rows * (tile + gap) + gap, channels: 3, fill: 40)
        for (i, img) in images.enumerated() {
            let ox = gap + (i % cols) * (tile + gap), oy = gap + (i / cols) * (tile + gap)
            guard let img, img.width > 0, img.height > 0 else {
                BarChart.fill(&sheet, x0: ox, y0: oy, x1: ox + tile - 1, y1: oy + tile - 1, rgb: (90, 20, 20))
                for t in 0..<tile {
                    BarChart.fill(&sheet, x0: ox + t, y0: oy + t, x1: ox + t, y1: oy + t, rgb: (230, 230, 230))
                    BarChart.fill(&sheet, x0: ox + tile - 1 - t, y0: oy + t, x1: ox + tile - 1 - t, y1: oy + t, rgb: (230, 230, 230))
                }
                continue
            }
            let rgb = KeptImage.dropAlpha(img)
            let (w, h) = AreaResample.fit(width: rgb.width, height: rgb.height, maxSide: tile)
            let thumb = AreaResample.resize(rgb, width: w, height: h)
            let dx = ox + (tile - w) / 2, dy = oy + (tile - h) / 2
            for y in 0..<h {
                for x in 0..<w {
                    for c in 0..<3 { sheet[dx + x, dy + y, c] = thumb[x, y, thumb.channels == 1 ? 0 : c] }
                }
            }
        }
        return sheet
    }
}
