import NN

/// A layer that can recompute its forward in backward instead of keeping its activations.
public protocol Checkpointable: AnyObject {
    var checkpointed: Bool { get set }
}

extension Block: Checkpointable {}
extension Sapiens2Layer: Checkpointable {}

/// Which transformer blocks recompute their forward in backward: every `every`-th block, counting from the
/// first (1 = all blocks, 0 = none). Fewer blocks keep their activations, at the cost of one more forward each.
public enum ActivationCheckpointing {
    public static func apply(every: Int, to blocks: [some Checkpointable]) {
        for (i, b) in blocks.enumerated() { b.checkpointed = every > 0 && i % every == 0 }
    }
}

extension ViT {
    public func setActivationCheckpointing(every: Int) { ActivationCheckpointing.apply(every: every, to: blocks.items) }
}

extension MAE {
    /// Encoder and decoder blocks alike (the decoder's attend over every patch, so they hold the most).
    public func setActivationCheckpointing(every: Int) {
        encoder.setActivationCheckpointing(every: every)
        ActivationCheckpointing.apply(every: every, to: decoderBlocks.items)
    }
}

extension Sapiens2Backbone {
    public func setActivationCheckpointing(every: Int) { ActivationCheckpointing.apply(every: every, to: encoder.layers.items) }
}

extension Sapiens2MAE {
    /// Encoder and decoder layers alike, as for the v1 MAE.
    public func setActivationCheckpointing(every: Int) {
        backbone.setActivationCheckpointing(every: every)
        ActivationCheckpointing.apply(every: every, to: decoderLayers.items)
    }
}
