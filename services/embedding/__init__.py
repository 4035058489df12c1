"""embedding: one frame shard -> its vectors in the store (GPU when present)."""
