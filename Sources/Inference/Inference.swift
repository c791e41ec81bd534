// The Inference layer; see README.md for the architecture.
