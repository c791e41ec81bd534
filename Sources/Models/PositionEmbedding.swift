import Foundation
import Tensor

/// Fixed 2-D sine-cosine position tables and their resizing.
public enum PositionEmbedding {
    /// Table of shape (1, [1+] gh·gw, dim), computed in Double then rounded to Float.
    /// Token t = i·gw + j. MAE's convention puts the column (j) half first; `rowFirst` swaps the halves
    /// as Sapiens' generator does. The cls row, when present, is zero.
    public static func sinCos2D(gridHeight gh: Int, gridWidth gw: Int, dim: Int, clsToken: Bool, rowFirst: Bool = false) -> Tensor {
        precondition(dim % 4 == 0, "sin-cos position table needs a width divisible by 4, got \(dim)")
        let q = dim / 4, half = dim / 2
        let rows = gh * gw + (clsToken ? 1 : 0)
        var t = [Float](repeating: 0, count: rows * dim)
        let off = clsToken ? 1 : 0
        for i in 0..<gh {
            for j in 0..<gw {
                let r = (off + i * gw + j) * dim
                let first = Double(rowFirst ? i : j), second = Double(rowFirst ? j : i)
                for k in 0..<q {
                    let w = pow(10000.0, -Double(k) / Double(q))
                    t[r + k] = Float(sin(first * w))
                    t[r + q + k] = Float(cos(first * w))
                    t[r + half + k] = Float(sin(second * w))
                    t[r + half + q + k] = Float(cos(second * w))
                }
            }
        }
        return Tensor(shape: [1, rows, dim], data: t)
    }

    /// Resizes a (1, [1+] h·w, D) table to a new grid bicubically (align_corners false), dropping or
    /// keeping the cls row. Used when a 64×64 pretraining table meets a 64×48 fine-tuning grid.
    public static func resize(_ table: Tensor, from: (h: Int, w: Int), to: (h: Int, w: Int), hasCls: Bool, keepCls: Bool) -> Tensor {
        let d = table.shape[2]
        let off = hasCls ? 1 : 0
        precondition(table.shape[1] == from.h * from.w + off, "position table \(table.shape) does not match grid \(from.h)x\(from.w)")
        return withNoGrad {
            let grid = table.detached().slice(axis: 1, start: off, length: from.h * from.w)
                .reshaped([1, from.h, from.w, d]).permuted([0, 3, 1, 2])
            let resized = grid.resized(height: to.h, width: to.w, mode: .bicubic)
                .permuted([0, 2, 3, 1]).reshaped([1, to.h * to.w, d])
            if hasCls && keepCls { return Tensor.concat([table.detached().slice(axis: 1, start: 0, length: 1), resized], axis: 1) }
            return resized.copy()
        }
    }
}
