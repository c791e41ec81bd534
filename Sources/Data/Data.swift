// The Data layer; see README.md for the architecture.
