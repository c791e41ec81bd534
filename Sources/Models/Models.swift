// The Models layer; see README.md for the architecture.
