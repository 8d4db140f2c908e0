"""The checkpoint checks of a mirror (filled in with the Merkle tree and checkpoints)."""
