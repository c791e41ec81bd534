// The Metrics layer; see README.md for the architecture.
