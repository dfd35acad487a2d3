"""Every loss term against its formula computed by explicit loops."""

import math

import numpy as np
import pytest
import torch

from cmhash.losses.discrete import discrete_code_update
from cmhash.losses.gan import (
    gradient_penalty,
    logistic_discriminator_loss,
    logistic_generator_loss,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
)
from cmhash.losses.mse_terms import code_mse, quantization_mse, similarity_mse
from cmhash.losses.similarity import (
    cross_adjacency,
    hard_similarity,
    ndcg_gain,
    row_normalize,
    tanh_affinity,
)
from cmhash.losses.triplet import cosine_triplet_loss


@pytest.fixture
def batch():
    g = torch.Generator().manual_seed(0)
    labels = (torch.rand(7, 5, generator=g) < 0.35).double()
    labels[3] = 0  # a pair without labels
    return (torch.randn(7, 6, generator=g, dtype=torch.float64),
            torch.randn(7, 6, generator=g, dtype=torch.float64), labels)


def test_tanh_affinity_depends_on_shared_label_count():
    labels = torch.tensor([[1, 1, 1, 1, 1, 0], [1, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0],
                           [0, 0, 0, 0, 0, 1]])
    a = tanh_affinity(labels)
    assert a[0, 3] == 0 and a[0, 1] == pytest.approx(0.4621, abs=1e-4)
    assert a[0, 2] == pytest.approx(0.7616, abs=1e-4)
    assert a[0, 0] == pytest.approx(math.tanh(5 / 2)) and a[3, 3] == pytest.approx(0.4621,
                                                                                   abs=1e-4)


def test_row_normalize_and_cross_adjacency():
    a = torch.tensor([[0.0, 0.0], [1.0, 3.0]])
    np.testing.assert_allclose(row_normalize(a), [[0, 0], [0.25, 0.75]])
    c = cross_adjacency(torch.tensor([[0.5, 0.2], [0.2, 0.7]]))
    np.testing.assert_allclose(c, [[1, 0, 0.5, 0.2], [0, 1, 0.2, 0.7], [0.5, 0.2, 1, 0],
                                   [0.2, 0.7, 0, 1]])


def test_ndcg_gain_against_loops(batch):
    labels = batch[2]
    gain = ndcg_gain(labels)
    for x in range(len(labels)):
        shared = [float(labels[x] @ labels[j]) for j in range(len(labels))]
        ideal = sum((2 ** s - 1) / math.log2(r + 2) for r, s in enumerate(sorted(shared)[::-1]))
        for y in range(len(labels)):
            expected = (2 ** shared[y] - 1) / ideal if ideal else 0.0
            assert gain[x, y].item() == pytest.approx(expected, abs=1e-12)


def test_similarity_and_quantization_mse_against_loops(batch):
    x, y, labels = batch
    target = tanh_affinity(labels)
    n = len(x)

    def cos(u, v):
        return float(u @ v / (u.norm() * v.norm()))

    expected = sum((cos(x[i], x[j]) - float(target[i, j])) ** 2 for i in range(n)
                   for j in range(n))
    assert similarity_mse(x, target).item() == pytest.approx(expected / n / n, rel=1e-12)
    expected = sum((cos(x[i], y[j]) - float(target[i, j])) ** 2 for i in range(n)
                   for j in range(n))
    assert similarity_mse(x, target, y).item() == pytest.approx(expected / n / n, rel=1e-12)
    h = torch.tanh(x)
    assert quantization_mse(h).item() == pytest.approx(
        float(((h - h.sign()) ** 2).mean()), rel=1e-12)
    assert code_mse(h, h.sign()).item() == pytest.approx(quantization_mse(h).item())
    h.requires_grad_(True)
    quantization_mse(h).backward()  # the sign target is a constant
    np.testing.assert_allclose(h.grad, 2 * (h - h.sign()).detach() / h.numel())


def test_gan_terms_against_formulas():
    real, fake = torch.tensor([[0.5], [2.0]]), torch.tensor([[-1.0], [0.25]])
    assert lsgan_discriminator_loss(real, fake).item() == pytest.approx(
        ((0.5 - 1) ** 2 + (2 - 1) ** 2) / 2 + (1 + 0.0625) / 2)
    assert lsgan_generator_loss(fake).item() == pytest.approx(((-2) ** 2 + 0.75 ** 2) / 2)

    def log_sigmoid(v):
        return math.log(1 / (1 + math.exp(-v)))

    expected = -(log_sigmoid(0.5) + log_sigmoid(2.0)) / 2 - (
        math.log(1 - 1 / (1 + math.exp(1.0))) + math.log(1 - 1 / (1 + math.exp(-0.25)))) / 2
    assert logistic_discriminator_loss(real, fake, 3.0).item() == pytest.approx(3 * expected)
    assert logistic_generator_loss(fake).item() == pytest.approx(
        -(log_sigmoid(-1.0) + log_sigmoid(0.25)) / 2)


@pytest.mark.parametrize("per_sample", [False, True])
def test_gradient_penalty_of_a_linear_critic(per_sample):
    w = torch.tensor([0.6, 0.8, 2.0])  # ‖w‖ = 2.2, the gradient everywhere
    real, fake = torch.randn(5, 3), torch.randn(5, 3)
    penalty = gradient_penalty(lambda z: z @ w, real, fake, per_sample=per_sample)
    assert penalty.item() == pytest.approx((w.norm().item() - 1) ** 2, rel=1e-6)


def _triplet_by_loops(a, b, labels, margin, constant, ndcg_weighted, reduction):
    """The authors' TripletLoss written as loops over (anchor, positive, negative)."""
    n = len(a)
    gain = ndcg_gain(labels)
    distance = [[max(0.0, 1 - float(a[x] @ b[y] / (a[x].norm() * b[y].norm())))
                 for y in range(n)] for x in range(n)]
    total, active = 0.0, 0
    for x in range(n):
        for p in range(n):
            for q in range(n):
                similar_p = float(labels[x] @ labels[p]) > 0
                similar_q = float(labels[x] @ labels[q]) > 0
                if not similar_p or similar_q:
                    continue
                term = constant * max(0.0, distance[x][p] - distance[x][q] + margin)
                if ndcg_weighted:
                    term *= float(gain[x, p])
                if term > 1e-16:
                    total += term
                    active += 1
    return total if reduction == "sum" else total / (active + 1e-16)


@pytest.mark.parametrize("reduction", ["sum", "mean_active"])
@pytest.mark.parametrize("constant, ndcg_weighted", [(1.0, False), (1.1, False), (12.1, True)])
def test_cosine_triplet_against_loops(batch, constant, ndcg_weighted, reduction):
    a, b, labels = batch
    options = dict(margin=0.4, constant=constant, ndcg_weighted=ndcg_weighted,
                   reduction=reduction)
    value = cosine_triplet_loss(a, b, labels, **options)
    assert value.item() == pytest.approx(
        _triplet_by_loops(a, b, labels, 0.4, constant, ndcg_weighted, reduction), rel=1e-10)
    a = a.clone().requires_grad_(True)
    cosine_triplet_loss(a, b, labels, **options).backward()
    assert torch.isfinite(a.grad).all()


def test_triplet_rejects_an_unknown_reduction(batch):
    a, b, labels = batch
    with pytest.raises(ValueError, match="reduction"):
        cosine_triplet_loss(a, b, labels, reduction="mean")


def test_triplet_without_positive_pairs_is_zero_and_differentiable():
    a = torch.randn(3, 4, requires_grad=True)
    labels = torch.eye(3)[[0, 1, 2]] * 0  # no labels: no positive pair
    loss = cosine_triplet_loss(a, torch.randn(3, 4), labels)
    loss.backward()
    assert loss.item() == 0 and torch.equal(a.grad, torch.zeros_like(a))


def test_discrete_update_against_numpy(batch):
    _, _, labels = batch
    g = torch.Generator().manual_seed(1)
    codes = torch.sign(torch.randn(7, 8, generator=g, dtype=torch.float64))
    h_i = torch.tanh(torch.randn(7, 8, generator=g, dtype=torch.float64))
    h_t = torch.tanh(torch.randn(7, 8, generator=g, dtype=torch.float64))
    new = discrete_code_update(labels, codes, h_i, h_t, lam=1.0, mu=0.5)
    L, B = labels.numpy(), codes.numpy()
    P = np.linalg.inv(L.T @ L + np.eye(L.shape[1])) @ L.T @ B
    expected = np.where(L @ P + 0.25 * (h_i.numpy() + h_t.numpy()) >= 0, 1.0, -1.0)
    np.testing.assert_array_equal(new.numpy(), expected)
    assert hard_similarity(labels, labels)[3].sum() == 0


def test_pairwise_likelihood_against_loops():
    from cmhash.losses.likelihood import pairwise_likelihood_loss

    g = torch.Generator().manual_seed(2)
    bank = torch.randn(6, 8, generator=g, dtype=torch.float64) * 30  # some θ beyond ±64
    codes = torch.tanh(torch.randn(3, 8, generator=g, dtype=torch.float64))
    codes[0] = 1.0
    bank[0] = 40.0  # U hᵀ = 8·40 = 320: clamped to 64 before the ½, θ = 32
    similarity = (torch.rand(6, 3, generator=g) < 0.5).double()
    total = 0.0
    for j in range(6):
        for b in range(3):
            theta = 0.5 * min(64.0, max(-64.0, float(bank[j] @ codes[b])))
            total += float(similarity[j, b]) * theta - math.log1p(math.exp(theta))
    value = pairwise_likelihood_loss(bank, codes, similarity)
    assert value.item() == pytest.approx(-total / 18, rel=1e-12)
    unscaled = pairwise_likelihood_loss(bank, codes, similarity, scale=1.0)
    assert unscaled.item() != pytest.approx(value.item())
    codes.requires_grad_(True)
    pairwise_likelihood_loss(bank, codes, similarity).backward()
    assert torch.isfinite(codes.grad).all()


def test_info_nce_and_token_info_nce_against_loops():
    from cmhash.losses.contrastive import info_nce, token_info_nce

    g = torch.Generator().manual_seed(3)
    a = torch.randn(4, 5, generator=g, dtype=torch.float64)
    b = torch.randn(4, 5, generator=g, dtype=torch.float64)

    def cross_entropy_rows(rows):  # rows: list of (logits list, target index)
        return sum(-z[t] + math.log(sum(math.exp(v) for v in z)) for z, t in rows) / len(rows)

    def logits(x, y):
        xn = [v / v.norm() for v in x]
        yn = [v / v.norm() for v in y]
        return [[float(u @ w) / 0.07 for w in yn] for u in xn]

    z = logits(a, b)
    zt = [list(col) for col in zip(*z, strict=True)]
    expected = 0.5 * (cross_entropy_rows([(z[i], i) for i in range(4)])
                      + cross_entropy_rows([(zt[i], i) for i in range(4)]))
    assert info_nce(a, b).item() == pytest.approx(expected, rel=1e-10)

    ta = torch.randn(3, 4, 5, generator=g, dtype=torch.float64)
    tb = torch.randn(3, 4, 5, generator=g, dtype=torch.float64)
    forward, backward = [], []
    for n in range(3):
        zn = logits(ta[n], tb[n])
        znt = [list(col) for col in zip(*zn, strict=True)]
        forward += [(zn[k], k) for k in range(4)]
        backward += [(znt[k], k) for k in range(4)]
    expected = 0.5 * (cross_entropy_rows(forward) + cross_entropy_rows(backward))
    assert token_info_nce(ta, tb).item() == pytest.approx(expected, rel=1e-10)


def test_signed_hamming_equals_packed_hamming():
    from cmhash.codes import Codes, hamming_distance
    from cmhash.losses.similarity import signed_hamming

    g = torch.Generator().manual_seed(4)
    a = torch.sign(torch.randn(5, 16, generator=g))
    b = torch.sign(torch.randn(7, 16, generator=g))
    expected = hamming_distance(Codes.from_real(a.numpy()), Codes.from_real(b.numpy()))
    np.testing.assert_array_equal(signed_hamming(a, b).numpy(), expected)


def test_global_local_terms_against_loops_and_their_gradient_split():
    from cmhash.losses.global_local import blended_quantization, global_local_distillation

    g = torch.Generator().manual_seed(4)
    h_global = torch.tanh(torch.randn(3, 4, generator=g, dtype=torch.float64))
    h_local = torch.tanh(torch.randn(3, 4, generator=g, dtype=torch.float64))
    codes = torch.sign(torch.randn(3, 4, generator=g, dtype=torch.float64))
    squared = sum((h_global[i, k] - h_local[i, k]).item() ** 2
                  for i in range(3) for k in range(4))
    blended = sum((0.5 * h_global[i, k] + 0.5 * h_local[i, k] - codes[i, k]).item() ** 2
                  for i in range(3) for k in range(4))
    assert blended_quantization(h_global, h_local, codes).item() == pytest.approx(blended / 12)

    hg, hl = h_global.clone().requires_grad_(True), h_local.clone().requires_grad_(True)
    loss = global_local_distillation(hg, hl, feedback=0.1)
    assert loss.item() == pytest.approx(1.1 * squared / 3)
    loss.backward()
    # h_l is pulled to h_g with weight 1, h_g to h_l only with the feedback weight 0.1
    torch.testing.assert_close(hl.grad, 2 * (h_local - h_global) / 3)
    torch.testing.assert_close(hg.grad, 0.1 * 2 * (h_global - h_local) / 3)

    hg.grad = None
    global_local_distillation(hg, hl, feedback=0.0).backward()
    assert hg.grad is None or not hg.grad.any()
