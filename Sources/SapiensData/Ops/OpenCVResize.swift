/// `cv2.resize(img, (w, h), interpolation=cv2.INTER_LINEAR)` on 8-bit images, bit for bit: the resize the
/// Sapiens demos and mmcv's `imresize` apply before the model. It is not our antialiased resize: pixel centres
/// at +0.5 with no antialiasing (shrinking skips pixels), and OpenCV's fixed-point arithmetic for 8-bit
/// images (weights rounded to 11 bits, INTER_RESIZE_COEF_BITS; rows blended with its shifts and rounding).
/// An exact 2× shrink on both axes is OpenCV's 2×2 box average, as cv::resize switches to it there.
/// Golden vectors from OpenCV 5.1 are in Tests/Fixtures/cv2_resize_golden.json.
extension Image {
    public func resizedLikeOpenCV(width dw: Int, height dh: Int) -> Image {
        let sw = width, sh = height, cn = channels
        guard dw > 0, dh > 0, sw > 0, sh > 0, cn > 0 else { return Image(width: max(dw, 0), height: max(dh, 0), channels: channels) }
        if dw == sw && dh == sh { return self }
        let scaleX = 1 / (Double(dw) / Double(sw)), scaleY = 1 / (Double(dh) / Double(sh))
        if scaleX == 2 && scaleY == 2 { return halvedLikeOpenCV() }

        let one = 2048   // INTER_RESIZE_COEF_SCALE
        func weights(_ f: Float) -> (Int32, Int32) {
            // saturate_cast<short>(float): round half to even, as cvRound.
            (Int32(((1 - f) * Float(one)).rounded(.toNearestOrEven)), Int32((f * Float(one)).rounded(.toNearestOrEven)))
        }
        // Columns: source index, weights, and from `xmax` on the right border (one source pixel).
        var xofs = [Int](repeating: 0, count: dw), ax0 = [Int32](repeating: 0, count: dw), ax1 = [Int32](repeating: 0, count: dw)
        var xmax = dw
        for dx in 0..<dw {
            var fx = Float((Double(dx) + 0.5) * scaleX - 0.5)
            var sx = Int(fx.rounded(.down))
            fx -= Float(sx)
            if sx < 0 { fx = 0; sx = 0 }
            if sx + 1 >= sw {
                xmax = min(xmax, dx)
                if sx >= sw - 1 { fx = 0; sx = sw - 1 }
            }
            xofs[dx] = sx
            (ax0[dx], ax1[dx]) = weights(fx)
        }
        let rowLen = dw * cn
        var out = Image(width: dw, height: dh, channels: cn)
        // The two source rows' horizontal passes, kept while consecutive output rows share them.
        var rowA = [Int32](repeating: 0, count: rowLen), rowB = [Int32](repeating: 0, count: rowLen)
        var haveA = -1, haveB = -1
        pixels.withUnsafeBufferPointer { src in
            func horizontal(_ r: Int, into buf: UnsafeMutablePointer<Int32>) {
                let s = src.baseAddress! + r * sw * cn
                for dx in 0..<dw {
                    let o = dx * cn, i = xofs[dx] * cn
                    if dx < xmax {
                        let a0 = ax0[dx], a1 = ax1[dx]
                        for c in 0..<cn { buf[o + c] = Int32(s[i + c]) * a0 + Int32(s[i + cn + c]) * a1 }
                    } else {
                        for c in 0..<cn { buf[o + c] = Int32(s[i + c]) * Int32(one) }
                    }
                }
            }
            out.pixels.withUnsafeMutableBufferPointer { dst in
                rowA.withUnsafeMutableBufferPointer { aBuf in
                    rowB.withUnsafeMutableBufferPointer { bBuf in
                        let a = aBuf.baseAddress!, b = bBuf.baseAddress!
                        for dy in 0..<dh {
                            var fy = Float((Double(dy) + 0.5) * scaleY - 0.5)
                            let sy = Int(fy.rounded(.down))
                            fy -= Float(sy)
                            let (b0, b1) = weights(fy)
                            let r0 = min(max(sy, 0), sh - 1), r1 = min(max(sy + 1, 0), sh - 1)
                            // Rows only move down, so the previous second row is often this first one.
                            if haveA != r0 {
                                if haveB == r0 { a.update(from: b, count: rowLen) } else { horizontal(r0, into: a) }
                                haveA = r0
                            }
                            if haveB != r1 {
                                if r1 == r0 { b.update(from: a, count: rowLen) } else { horizontal(r1, into: b) }
                                haveB = r1
                            }
                            let d = dst.baseAddress! + dy * rowLen
                            for i in 0..<rowLen {
                                // VResizeLinear<uchar>: ((b0·(S0>>4))>>16 + (b1·(S1>>4))>>16 + 2) >> 2.
                                let v = ((b0 &* (a[i] >> 4)) >> 16) &+ ((b1 &* (b[i] >> 4)) >> 16) &+ 2
                                d[i] = UInt8(truncatingIfNeeded: v >> 2)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// cv::resize's INTER_AREA fast path for an exact 2× shrink: (a + b + c + d + 2) >> 2 over each 2×2 block.
    func halvedLikeOpenCV() -> Image {
        let dw = width / 2, dh = height / 2, cn = channels
        var out = Image(width: dw, height: dh, channels: cn)
        for y in 0..<dh {
            let r0 = 2 * y * width * cn, r1 = (2 * y + 1) * width * cn
            for x in 0..<dw {
                for c in 0..<cn {
                    let i = 2 * x * cn + c
                    let s = Int(pixels[r0 + i]) + Int(pixels[r0 + i + cn]) + Int(pixels[r1 + i]) + Int(pixels[r1 + i + cn])
                    out.pixels[(y * dw + x) * cn + c] = UInt8((s + 2) >> 2)
                }
            }
        }
        return out
    }
}
