import NN

/// Which transformer blocks recompute their forward in backward: every `every`-th block, counting from the
/// first (1 = all blocks, 0 = none). Fewer blocks keep their activations, at the cost of one more forward each.
public enum ActivationCheckpointing {
    public static func apply(every: Int, to blocks: ModuleList<Block>) {
        for (i, b) in blocks.items.enumerated() { b.checkpointed = every > 0 && i % every == 0 }
    }
}

extension ViT {
    public func setActivationCheckpointing(every: Int) { ActivationCheckpointing.apply(every: every, to: blocks) }
}

extension MAE {
    /// Encoder and decoder blocks alike (the decoder's attend over every patch, so they hold the most).
    public func setActivationCheckpointing(every: Int) {
        encoder.setActivationCheckpointing(every: every)
        ActivationCheckpointing.apply(every: every, to: decoderBlocks)
    }
}
