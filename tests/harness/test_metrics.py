import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import eigvalsh
from scipy.special import softmax

from _support import gaussian_matrix, make_reducer, sparse_matrix
from attnbench.linalg import attention, gram
from attnbench.metrics import (
    LEAK_RTOL,
    METRICS,
    AttentionReference,
    evaluate,
    metric_names,
    value_matrix,
)


def test_attention_rows_are_probability_vectors():
    X = gaussian_matrix(32, 200, r=5.0)
    A = attention(gram(X))
    assert np.all(A > 0)
    np.testing.assert_allclose(A.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_attention_is_stable_for_huge_logits():
    A = attention(np.array([[1000.0, 0.0], [0.0, 1000.0]]))
    assert np.all(np.isfinite(A))
    np.testing.assert_allclose(A, np.eye(2), atol=1e-300)


def test_attention_of_zero_is_uniform():
    np.testing.assert_array_equal(attention(np.zeros((4, 4))), np.full((4, 4), 0.25))


def test_zero_reducer_bound_and_skill():
    """With |G_ij| <= r, |A_ij - 1/n| <= (e^{2r} - 1)/n, and m = 0 has skill 0 exactly."""
    for n, r in [(16, 0.05), (64, 0.09), (8, 1.0)]:
        X = gaussian_matrix(n, 500, seed=n, r=r)
        values = evaluate(X, make_reducer("zero").fit_transform(X))
        assert values["attn_err_inf"] <= (np.exp(2 * r) - 1) / n
        assert values["skill"] == 0.0
        assert values["gram_err_over_r"] == 1.0  # max |G| is r, and YY^T = 0
        assert values["spectral_eps"] == 1.0
        assert values["m"] == 0


def test_identity_and_full_rank_svd_are_exact():
    X = gaussian_matrix(16, 400, seed=2, r=0.08)
    ref = AttentionReference(X)
    ident = evaluate(ref, make_reducer("identity").fit_transform(X))
    assert ident["spectral_eps"] == pytest.approx(0, abs=1e-10)
    assert ident["attn_err_inf"] == 0.0 and ident["output_err"] == 0.0
    svd = evaluate(ref, make_reducer("svd").fit_transform(X))
    assert svd["skill"] == pytest.approx(1.0, abs=1e-9)
    assert svd["spectral_eps"] == pytest.approx(0, abs=1e-9)
    assert svd["m"] == 16


def test_spectral_eps_is_exact_for_scaled_copies():
    X = gaussian_matrix(8, 100, seed=3)
    for t in (0.01, 0.3):
        assert evaluate(X, np.sqrt(1 + t) * X)["spectral_eps"] == pytest.approx(t, rel=1e-9)
        assert evaluate(X, np.sqrt(1 - t) * X)["spectral_eps"] == pytest.approx(t, rel=1e-9)


def test_spectral_eps_on_rank_deficient_x():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((8, 3)) @ rng.standard_normal((3, 200)) * 0.01  # rank 3
    ref = AttentionReference(X)
    assert ref.range_basis.shape == (8, 3)
    assert evaluate(ref, X)["spectral_eps"] == pytest.approx(0, abs=1e-9)
    assert evaluate(ref, make_reducer("svd").fit_transform(X))["spectral_eps"] < 1e-9
    # A column outside range(XX^T): no eps bounds YY^T above by (1+eps)XX^T.
    leak = np.hstack([X, 1e-3 * rng.standard_normal((8, 1))])
    assert evaluate(ref, leak)["spectral_eps"] == np.inf
    # Spectral, not Frobenius: five orthogonal leaks, each (and so the spectral norm)
    # under the tolerance, together (in Frobenius norm) over it, leave eps finite.
    null = np.linalg.svd(X)[0][:, 3:]  # an orthonormal basis of the 5 directions left
    tiny = np.sqrt(0.5 * LEAK_RTOL * ref.lambda_max)
    assert 5 * tiny**2 > LEAK_RTOL * ref.lambda_max
    assert evaluate(ref, np.hstack([X, tiny * null]))["spectral_eps"] == pytest.approx(0, abs=1e-6)
    assert evaluate(ref, np.hstack([X, 3 * tiny * null]))["spectral_eps"] == np.inf


def test_metrics_equal_for_dense_and_sparse_x():
    X = sparse_matrix(12, 800, 0.05, seed=5)
    Y = make_reducer("countsketch", n_components=400).fit_transform(X)
    assert evaluate(X, Y) == pytest.approx(evaluate(X.toarray(), Y), rel=1e-12, abs=1e-15)


def test_output_err_matches_definition():
    X = gaussian_matrix(10, 300, seed=6, r=2.0)
    Y = make_reducer("gaussian", n_components=50).fit_transform(X)
    ref = AttentionReference(X)
    A_Y = attention(Y @ Y.T)
    expected = np.linalg.norm((A_Y - ref.A) @ ref.V) / np.linalg.norm(ref.A @ ref.V)
    assert evaluate(ref, Y)["output_err"] == pytest.approx(expected, rel=1e-12)
    assert ref.V.shape == (10, 64)


def test_every_metric_is_registered_once_with_direction_and_modes():
    both = ["attn_err_inf", "attn_err_over_r", "skill", "attn_err_row_l1", "gram_err_over_r"]
    assert metric_names("symmetric") == [*both, "spectral_eps", "output_err", "m"]
    assert metric_names("asymmetric") == [*both, "output_err", "m", "logit_err_frob"]
    assert set(METRICS) == set(metric_names("symmetric")) | {"logit_err_frob"}
    assert not METRICS["skill"].lower_is_better


def test_evaluate_takes_the_reference_mode_and_names_what_does_not_apply():
    X, K = gaussian_matrix(4, 30, seed=1), gaussian_matrix(4, 30, seed=2)
    Y = np.ones((4, 2))
    assert list(evaluate(X, Y)) == metric_names("symmetric")
    asymmetric = AttentionReference(X, K)
    assert list(evaluate(asymmetric, (Y, Y))) == metric_names("asymmetric")
    with pytest.raises(ValueError, match=r"\['spectral_eps'\] do not apply to asymmetric"):
        evaluate(asymmetric, (Y, Y), names=["spectral_eps"])
    with pytest.raises(ValueError, match=r"\['logit_err_frob'\] do not apply to symmetric"):
        evaluate(X, Y, names=["logit_err_frob"])
    with pytest.raises(TypeError, match=r"the pair \(Q', K'\)"):
        evaluate(asymmetric, Y)
    with pytest.raises(TypeError, match="one reduced Y"):
        evaluate(X, (Y, Y))
    with pytest.raises(ValueError, match="Q' and K' must have the same shape"):
        evaluate(asymmetric, (Y, np.ones((4, 3))))


def test_evaluate_rejects_bad_y():
    X = gaussian_matrix(4, 30)
    with pytest.raises(ValueError, match="with 4 rows"):
        evaluate(X, np.ones((5, 2)))
    with pytest.raises(ValueError, match="NaN"):
        evaluate(X, np.full((4, 2), np.nan))
    with pytest.raises(KeyError, match="unknown metric"):
        evaluate(X, np.ones((4, 2)), names=["nope"])
    assert evaluate(X, sp.csr_matrix(np.ones((4, 2))), names=["m"]) == {"m": 2.0}


def by_definition(X, Y):
    """Every symmetric metric straight from their definitions (docs/metrics.md), by other routines (SciPy's
    softmax, the pencil (YY^T, XX^T) for spectral_eps: X has full row rank here)."""
    G, H = X @ X.T, Y @ Y.T
    A, B = softmax(G, axis=1), softmax(H, axis=1)
    r, err, V = np.abs(G).max(), np.abs(B - A).max(), value_matrix(len(X))
    return {
        "attn_err_inf": err,
        "attn_err_over_r": err / r,
        "skill": 1 - err / np.abs(A - 1 / len(X)).max(),
        "attn_err_row_l1": np.abs(B - A).sum(axis=1).max(),
        "gram_err_over_r": np.abs(H - G).max() / r,
        "spectral_eps": np.abs(eigvalsh(H, G) - 1).max(),
        "output_err": np.linalg.norm((B - A) @ V) / np.linalg.norm(A @ V),
        "m": Y.shape[1],
    }


@pytest.mark.parametrize("metric", metric_names("symmetric"))
def test_every_metric_matches_its_definition(metric):
    """evaluate() against each metric computed straight from its definition by other
    routines, on a Gaussian sketch of full-row-rank X."""
    X = gaussian_matrix(64, 2048, seed=3, r=0.05)
    Y = make_reducer("gaussian", n_components=256, random_state=0).fit_transform(X)
    value = evaluate(AttentionReference(X), Y, names=[metric])[metric]
    assert value == pytest.approx(by_definition(X, Y)[metric], rel=1e-9)
