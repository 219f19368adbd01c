"""Speed of minting: ours against the bare primitives and the peer libraries."""
