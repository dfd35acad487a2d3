"""Reusable network blocks: MLP stacks, the GCN layer, a word embedding, and the transformer
blocks of MITH and MATH."""

from cmhash.nn.blocks import GraphConvolution, mlp_stack, word_embedding
from cmhash.nn.transformer import (
    BitwiseHashing,
    PreLNBlock,
    QuickGELU,
    ResMLP,
    localized_token_aggregation,
    sinusoidal_positions,
)

__all__ = ["BitwiseHashing", "GraphConvolution", "PreLNBlock", "QuickGELU", "ResMLP",
           "localized_token_aggregation", "mlp_stack", "sinusoidal_positions", "word_embedding"]
