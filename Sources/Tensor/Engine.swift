// Tensor engine; see Tensor.swift.
