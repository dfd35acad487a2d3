"""Reusable network blocks: MLP stacks, the GCN layer, a GloVe-initialised embedding."""

from cmhash.nn.blocks import GraphConvolution, mlp_stack, word_embedding

__all__ = ["GraphConvolution", "mlp_stack", "word_embedding"]
