"""Adversarial terms.

Least-squares GAN (HMAH's prior on teacher codes; D outputs a score):
    L_D = mean((D(real) − 1)²) + mean(D(fake)²)
    L_G = mean((D(fake) − 1)²)

Logistic GAN with gradient penalty (DADH; D outputs a logit, σ the sigmoid):
    L_D = −γ mean log σ(D(real)) − γ mean log(1 − σ(D(fake))) + w_gp · GP
    GP  = mean_b (‖∇_z D(z_b)‖₂ − 1)²,  z = ε ⊙ real + (1 − ε) ⊙ fake
    L_G = −mean log σ(D(fake))
with ε ~ U(0, 1) drawn per element (DADH's and AGAH's code) or per sample (``per_sample=True``,
the WGAN-GP form).

Wasserstein critic with the same gradient penalty (AGAH; D outputs an unbounded score):
    L_D = −mean D(real) + mean D(fake) + w_gp · GP
    L_G = −mean D(fake)
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


def lsgan_discriminator_loss(real_scores: torch.Tensor,
                             fake_scores: torch.Tensor) -> torch.Tensor:
    """mean((D(real) − 1)²) + mean(D(fake)²)."""
    return F.mse_loss(real_scores, torch.ones_like(real_scores)) + \
        F.mse_loss(fake_scores, torch.zeros_like(fake_scores))


def lsgan_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """mean((D(fake) − 1)²)."""
    return F.mse_loss(fake_scores, torch.ones_like(fake_scores))


def gradient_penalty(discriminator: Callable[[torch.Tensor], torch.Tensor],
                     real: torch.Tensor, fake: torch.Tensor, *,
                     per_sample: bool = False) -> torch.Tensor:
    """mean_b (‖∇_z D(z_b)‖₂ − 1)² at random interpolates z of detached real and fake rows."""
    real, fake = real.detach(), fake.detach()
    shape = (len(real), 1) if per_sample else real.shape
    epsilon = torch.rand(shape, dtype=real.dtype, device=real.device)
    mixed = (epsilon * real + (1 - epsilon) * fake).requires_grad_(True)
    grad = torch.autograd.grad(discriminator(mixed).sum(), mixed, create_graph=True)[0]
    return ((grad.norm(2, dim=1) - 1) ** 2).mean()


def logistic_discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor,
                                weight: float = 1.0) -> torch.Tensor:
    """−w mean log σ(D(real)) − w mean log(1 − σ(D(fake)))  (without the penalty)."""
    return weight * (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                     + F.binary_cross_entropy_with_logits(fake_logits,
                                                          torch.zeros_like(fake_logits)))


def logistic_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """−mean log σ(D(fake))."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def wasserstein_critic_loss(real_scores: torch.Tensor,
                            fake_scores: torch.Tensor) -> torch.Tensor:
    """−mean D(real) + mean D(fake)  (without the penalty)."""
    return fake_scores.mean() - real_scores.mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """−mean D(fake)."""
    return -fake_scores.mean()
