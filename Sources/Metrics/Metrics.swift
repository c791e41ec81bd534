// The Metrics layer: evaluation metrics on plain Swift arrays, with nothing below Foundation,
// so any layer (Training, Inference, the CLI) can score its output without pulling in the engine.
