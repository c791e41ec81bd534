import Foundation
import Models
import NN
import Tensor

/// Checks our MAE against a PyTorch reference fixture (format in ../shared/fixtures/README.md):
/// loss, prediction, masking, latent, target, every gradient, and every parameter after one AdamW step.
public enum MAEParity {
    public struct Row: Sendable {
        public let name: String
        /// max |ours - reference| (or the relative L2 error for gradients, see `metric`).
        public let error: Double
        public let tolerance: Double
        public let metric: String
        public var passed: Bool { error <= tolerance }
    }

    public struct Report: Sendable {
        public let path: String
        public let config: String
        public let rows: [Row]
        public var failures: [Row] { rows.filter { !$0.passed } }
        public var passed: Bool { failures.isEmpty }
    }

    struct FixtureConfig: Decodable {
        let img_size: Int, patch_size: Int, embed_dim: Int, depth: Int, num_heads: Int
        let decoder_embed_dim: Int, decoder_depth: Int, decoder_num_heads: Int
    }

    struct AdamWConfig: Decodable { let lr: Float; let betas: [Float]; let eps: Float; let weight_decay: Float }

    public static func check(path: String) throws -> Report {
        let file = try SafeTensors.load(path: path)
        func bad(_ r: String) -> TensorFileError { .malformed(path: path, reason: "not an MAE parity fixture: \(r)") }
        guard let cfgText = file.metadata["config"] else { throw bad("__metadata__ has no 'config'") }
        guard let cfg = try? JSONDecoder().decode(FixtureConfig.self, from: Data(cfgText.utf8)) else {
            throw bad("__metadata__ 'config' is not the MAE config JSON")
        }
        let adam = file.metadata["adamw"].flatMap { try? JSONDecoder().decode(AdamWConfig.self, from: Data($0.utf8)) }
            ?? AdamWConfig(lr: 1e-3, betas: [0.9, 0.95], eps: 1e-8, weight_decay: 0.05)
        let maskRatio = file.metadata["mask_ratio"].flatMap(Double.init) ?? 0.75
        let eps = file.metadata["layernorm_eps"].flatMap(Float.init) ?? 1e-6
        for needed in ["input.imgs", "input.noise", "expected.loss", "expected.pred", "expected.mask"] where !file.contains(needed) {
            throw bad("missing tensor '\(needed)'")
        }
        let enc = ViTConfig(width: cfg.embed_dim, depth: cfg.depth, heads: cfg.num_heads, patchSize: cfg.patch_size,
                            imageHeight: cfg.img_size, imageWidth: cfg.img_size, layerNormEps: eps)
        let model = MAE(encoder: enc, decoder: MAEDecoderConfig(width: cfg.decoder_embed_dim, depth: cfg.decoder_depth, heads: cfg.decoder_num_heads),
                        maskRatio: maskRatio, normPixLoss: file.metadata["norm_pix_loss"] != "false", rng: RNG(seed: 0))
        var params: [String: Tensor] = [:]
        for (name, _) in model.namedParameters() { params[name] = try file.tensor(name) }
        try model.load(params, strict: true, source: path)

        var rows: [Row] = []
        func maxAbs(_ a: Tensor, _ b: Tensor) -> Double {
            zip(a.toArray(), b.toArray()).reduce(0) { max($0, Double(Swift.abs($1.0 - $1.1))) }
        }
        func compare(_ name: String, _ ours: Tensor, _ tol: Double) throws {
            let ref = try file.tensor(name)
            guard ref.shape == ours.shape else { throw TensorFileError.shapeMismatch(path: path, name: name, shape: ref.shape, expected: ours.shape) }
            rows.append(Row(name: name, error: maxAbs(ours, ref), tolerance: tol, metric: "max abs"))
        }

        let imgs = try file.tensor("input.imgs"), noise = try file.tensor("input.noise")
        let out = model(imgs, noise: noise)
        let refLoss = try file.tensor("expected.loss").item()
        rows.append(Row(name: "expected.loss", error: Double(Swift.abs(out.loss.item() - refLoss)) / max(Double(Swift.abs(refLoss)), 1e-12),
                        tolerance: 1e-5, metric: "relative"))
        try compare("expected.pred", out.pred, 1e-5)
        try compare("expected.mask", out.masking.mask, 0)
        if file.contains("expected.latent") { try compare("expected.latent", out.latent, 1e-5) }
        if file.contains("expected.target") { try compare("expected.target", model.target(imgs), 1e-5) }
        if file.contains("expected.ids_restore") {
            let ref = try file.indices("expected.ids_restore")
            rows.append(Row(name: "expected.ids_restore", error: ref == out.masking.idsRestore ? 0 : 1, tolerance: 0, metric: "mismatch"))
        }

        out.loss.backward()
        let named = model.namedParameters()
        for (name, p) in named where p.requiresGrad {
            let gname = "grad.\(name)"
            guard file.contains(gname) else { throw bad("missing tensor '\(gname)'") }
            let ref = try file.tensor(gname)
            let g = p.grad ?? Tensor.zeros(p.shape)
            // Relative L2 per tensor, or absolute for tensors whose gradient is (near) zero.
            let diff = zip(g.toArray(), ref.toArray()).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }.squareRoot()
            let norm = ref.toArray().reduce(0.0) { $0 + Double($1 * $1) }.squareRoot()
            if norm > 1e-3 {
                rows.append(Row(name: gname, error: diff / norm, tolerance: 1e-4, metric: "rel L2"))
            } else {
                rows.append(Row(name: gname, error: maxAbs(g, ref), tolerance: 1e-6, metric: "max abs"))
            }
        }

        let opt = AdamW(groups: standardParameterGroups(named, weightDecay: adam.weight_decay), lr: adam.lr,
                        betas: (adam.betas[0], adam.betas[1]), eps: adam.eps)
        opt.step()
        for (name, p) in named {
            let aname = "after_step.\(name)"
            guard file.contains(aname) else { continue }
            let ref = try file.tensor(aname)
            // The k slice of qkv biases has an exactly-zero true gradient, so Adam's first step there
            // amplifies float noise up to lr; compare those entries at lr (fixtures README).
            if name.hasSuffix("attn.qkv.bias") {
                let d = p.count / 3
                let ours = p.toArray(), theirs = ref.toArray()
                var errQV = 0.0, errK = 0.0
                for i in 0..<p.count {
                    let e = Double(Swift.abs(ours[i] - theirs[i]))
                    if i >= d && i < 2 * d { errK = max(errK, e) } else { errQV = max(errQV, e) }
                }
                rows.append(Row(name: aname + "[q,v]", error: errQV, tolerance: 1e-4, metric: "max abs"))
                rows.append(Row(name: aname + "[k]", error: errK, tolerance: Double(adam.lr), metric: "max abs"))
            } else {
                rows.append(Row(name: aname, error: maxAbs(p, ref), tolerance: 1e-4, metric: "max abs"))
            }
        }
        return Report(path: path, config: cfgText, rows: rows)
    }
}
