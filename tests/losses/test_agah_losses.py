"""AGAH's loss terms and label-map updates against loops that follow the authors' code."""

import math

import numpy as np
import pytest
import torch

from cmhash.losses.classification import label_bce_loss
from cmhash.losses.gan import wasserstein_critic_loss, wasserstein_generator_loss
from cmhash.losses.label_maps import code_map_loss, update_code_map, update_feature_map
from cmhash.losses.quantization import cosine_quantization_loss, sign_quantization_loss


@pytest.fixture
def codes():
    g = torch.Generator().manual_seed(0)
    labels = (torch.rand(9, 4, generator=g) < 0.4).double()
    labels[2] = 0  # a pair without labels
    return torch.tanh(2 * torch.randn(9, 6, generator=g, dtype=torch.float64)), labels


def test_wasserstein_terms_against_formulas():
    real, fake = torch.tensor([0.5, 2.0, -1.0]), torch.tensor([-1.0, 0.25])
    assert wasserstein_critic_loss(real, fake).item() == pytest.approx(
        -(0.5 + 2.0 - 1.0) / 3 + (-1.0 + 0.25) / 2)
    assert wasserstein_generator_loss(fake).item() == pytest.approx(-(-1.0 + 0.25) / 2)


def test_sign_quantization_against_loops(codes):
    h, _ = codes
    h = h.clone()
    h[0, 0] = 0.0  # sign(0) = 0: no penalty, as torch.sign in the authors' code
    expected = sum((v - (v > 0) + (v < 0)) ** 2 for row in h.tolist() for v in row)
    assert sign_quantization_loss(h).item() == pytest.approx(expected, rel=1e-12)
    h.requires_grad_(True)
    sign_quantization_loss(h).backward()  # the sign is a constant
    np.testing.assert_allclose(h.grad, 2 * (h - h.sign()).detach())


def test_cosine_quantization_against_loops(codes):
    h, _ = codes
    expected = 0.0
    for row in h.tolist():
        magnitudes = [abs(v) for v in row]
        theta = sum(magnitudes) / (math.sqrt(sum(v * v for v in magnitudes))
                                   * math.sqrt(len(row)))
        expected += 1 / (1 + math.exp(theta))
    assert cosine_quantization_loss(h).item() == pytest.approx(expected, rel=1e-12)
    equal = torch.tensor([[0.3, -0.3, 0.3], [-0.9, 0.9, 0.9]], dtype=torch.float64)
    assert cosine_quantization_loss(equal).item() == pytest.approx(2 / (1 + math.e))
    h = h.clone().requires_grad_(True)
    torch.autograd.gradcheck(cosine_quantization_loss, (h,))


def test_label_bce_against_loops(codes):
    h, labels = codes
    p = torch.sigmoid(3 * h[:, :4])
    p[0, 0], p[1, 1] = 1.0, 0.0  # log 0: clamped at −100, as BCELoss
    expected = 0.0
    for i in range(p.shape[0]):
        for c in range(p.shape[1]):
            log_p = max(math.log(p[i, c]) if p[i, c] > 0 else -math.inf, -100)
            log_q = max(math.log(1 - p[i, c]) if p[i, c] < 1 else -math.inf, -100)
            expected -= float(labels[i, c]) * log_p + (1 - float(labels[i, c])) * log_q
    assert label_bce_loss(p, labels).item() == pytest.approx(expected, rel=1e-12)


def test_code_map_loss_against_loops(codes):
    h, labels = codes
    g = torch.Generator().manual_seed(1)
    code_map = torch.sign(torch.randn(4, 6, generator=g, dtype=torch.float64))
    bits = h.shape[1]
    expected = sum((sum(float(h[i, k] * code_map[c, k]) for k in range(bits))
                    - bits * (2 * float(labels[i, c]) - 1)) ** 2
                   for i in range(h.shape[0]) for c in range(4))
    assert code_map_loss(h, code_map, labels).item() == pytest.approx(expected, rel=1e-12)


def _code_map_by_loops(u, v, m, labels, aliased=True):
    """The authors' ``update_code_map`` as loops; with ``aliased`` the third product reads the
    map being updated (their ``CODE_MAP = M`` is the same tensor), otherwise the old map."""
    u, v, labels = np.sign(u), np.sign(v), labels
    old = m.copy()
    new = m.copy()
    n, bits = u.shape
    n_labels = m.shape[0]
    s = 2 * np.eye(n_labels) - 1
    q = [[2 * bits * (sum(labels[i, c] * (u[i, k] + v[i, k]) for i in range(n))
                      + sum(s[c, d] * old[d, k] for d in range(n_labels)))
          for k in range(bits)] for c in range(n_labels)]
    for k in range(bits):
        third = new if aliased else old
        column = [0.0] * n_labels
        for c in range(n_labels):
            term = 0.0
            for j in range(bits):
                if j == k:
                    continue
                term += new[c, j] * sum(u[i, j] * u[i, k] for i in range(n))
                term += new[c, j] * sum(v[i, j] * v[i, k] for i in range(n))
                term += new[c, j] * sum(third[d, j] * third[d, k] for d in range(n_labels))
            column[c] = np.sign(q[c][k] - 2 * term)
        new[:, k] = column
    return new


def test_code_map_update_against_the_authors_loops():
    g = torch.Generator().manual_seed(3)
    labels = (torch.rand(12, 4, generator=g) < 0.4).float()
    u, v = torch.randn(12, 6, generator=g), torch.randn(12, 6, generator=g)
    code_map = torch.sign(torch.randn(4, 6, generator=g))
    before = code_map.clone()
    new = update_code_map(u, v, code_map, labels)
    args = (u.double().numpy(), v.double().numpy(), code_map.double().numpy(),
            labels.double().numpy())
    np.testing.assert_array_equal(new.numpy(), _code_map_by_loops(*args))
    assert not np.array_equal(new.numpy(), _code_map_by_loops(*args, aliased=False))
    assert torch.equal(code_map, before) and new.dtype == code_map.dtype


def test_feature_map_update_against_loops():
    g = torch.Generator().manual_seed(4)
    labels = (torch.rand(10, 5, generator=g) < 0.4).double()
    labels[:, 4] = 0  # a label without training pairs
    f_i, f_t = torch.rand(10, 3, generator=g).double(), torch.rand(10, 3, generator=g).double()
    new = update_feature_map(f_i, f_t, labels)
    for c in range(4):
        rows = [i for i in range(10) if labels[i, c] > 0]
        mean_i = [sum(float(f_i[i, d]) for i in rows) / len(rows) for d in range(3)]
        mean_t = [sum(float(f_t[i, d]) for i in rows) / len(rows) for d in range(3)]
        average = [(a + b) / 2 for a, b in zip(mean_i, mean_t, strict=True)]
        norm = math.sqrt(sum(a * a for a in average))
        np.testing.assert_allclose(new[c].numpy(), [a / norm for a in average], rtol=1e-12)
    np.testing.assert_array_equal(new[4].numpy(), 0.0)  # the authors' code: 0 / 0 = NaN
