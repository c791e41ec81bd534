// The Curation layer; see README.md for the architecture.
