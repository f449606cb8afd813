"""Dataset generators: families of X (n x d) scaled to an exact r = ||XX^T||_inf."""
