// The Training layer; see README.md for the architecture.
