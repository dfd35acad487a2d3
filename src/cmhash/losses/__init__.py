"""Loss terms, one module per kind, each function with its formula in the docstring."""

from cmhash.losses.classification import label_bce_loss
from cmhash.losses.contrastive import info_nce, token_info_nce
from cmhash.losses.discrete import discrete_code_update
from cmhash.losses.gan import (
    gradient_penalty,
    logistic_discriminator_loss,
    logistic_generator_loss,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    wasserstein_critic_loss,
    wasserstein_generator_loss,
)
from cmhash.losses.global_local import blended_quantization, global_local_distillation
from cmhash.losses.label_maps import code_map_loss, update_code_map, update_feature_map
from cmhash.losses.likelihood import pairwise_likelihood_loss
from cmhash.losses.mse_terms import code_mse, quantization_mse, similarity_mse
from cmhash.losses.quantization import cosine_quantization_loss, sign_quantization_loss
from cmhash.losses.similarity import (
    cosine_matrix,
    cross_adjacency,
    hard_similarity,
    ndcg_gain,
    row_normalize,
    signed_hamming,
    tanh_affinity,
)
from cmhash.losses.triplet import cosine_triplet_loss

__all__ = [
    "blended_quantization",
    "code_map_loss",
    "code_mse",
    "cosine_matrix",
    "cosine_quantization_loss",
    "cosine_triplet_loss",
    "cross_adjacency",
    "discrete_code_update",
    "global_local_distillation",
    "gradient_penalty",
    "hard_similarity",
    "info_nce",
    "label_bce_loss",
    "logistic_discriminator_loss",
    "logistic_generator_loss",
    "lsgan_discriminator_loss",
    "lsgan_generator_loss",
    "ndcg_gain",
    "pairwise_likelihood_loss",
    "quantization_mse",
    "row_normalize",
    "sign_quantization_loss",
    "signed_hamming",
    "similarity_mse",
    "tanh_affinity",
    "token_info_nce",
    "update_code_map",
    "update_feature_map",
    "wasserstein_critic_loss",
    "wasserstein_generator_loss",
]
