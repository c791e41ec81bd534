// The Synth layer; see README.md for the architecture.
