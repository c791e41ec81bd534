// The NN layer; see README.md for the architecture.
