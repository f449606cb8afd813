"""Config -> cells (attnbench.sweep.grid): draws of randomized reducers and per-experiment
dataset replicates."""

import textwrap

from attnbench.sweep.config import parse_config
from attnbench.sweep.grid import make_cells

BASE = textwrap.dedent(
    """
    name = "g"
    [[experiment]]
    name = "e"
    {settings}
    [experiment.datasets]
    family = "gaussian"
    n = 8
    d = [64, 128]
    [experiment.reducers.gaussian]
    n_components = [4, 8]
    [experiment.reducers.svd]
    """
)


def cells(settings=""):
    return make_cells(parse_config(BASE.format(settings=settings)))


def test_draws_give_each_randomized_reducer_independent_seeds():
    plain, drawn = cells(), cells("settings = { draws = 5 }")
    # 2 datasets x (2 gaussian variants x 5 draws + 1 svd: deterministic, one draw)
    assert len(plain) == 2 * 3 and len(drawn) == 2 * (2 * 5 + 1)
    gaussian = [c for c in drawn if c.reducer == "gaussian"]
    assert len({c.seed for c in gaussian}) == len(gaussian)  # no two draws share a seed
    assert sorted({c.draw for c in gaussian}) == [0, 1, 2, 3, 4]
    assert {c.draw for c in drawn if c.reducer == "svd"} == {0}
    # draw 0 is the cell without draws: adding draws keeps every stored cell
    assert {c.key for c in plain} == {c.key for c in drawn if c.draw == 0}


def test_draws_are_reproducible_and_follow_the_root_seed():
    a = cells("settings = { draws = 3 }")
    assert [c.seed for c in a] == [c.seed for c in cells("settings = { draws = 3 }")]
    other = make_cells(
        parse_config(
            BASE.format(settings="settings = { draws = 3 }") + "[settings]\nroot_seed = 1\n"
        )
    )
    assert {c.seed for c in a}.isdisjoint({c.seed for c in other})


def test_replicates_per_experiment_keep_the_first_replicate():
    plain, replicated = cells(), cells("settings = { replicates = 5 }")
    assert len({c.dataset for c in replicated}) == 2 * 5
    assert {c.key for c in plain} < {c.key for c in replicated}


def test_a_cell_two_experiments_share_runs_once_and_names_both():
    text = BASE.format(settings="") + textwrap.dedent(
        """
        [[experiment]]
        name = "other"
        [experiment.datasets]
        family = "gaussian"
        n = [8, 16]
        d = 64
        [experiment.reducers.svd]
        """
    )
    made = make_cells(parse_config(text))
    svd = {(c.dataset.n, c.dataset.d): c for c in made if c.reducer == "svd"}
    assert len(made) == 2 * 3 + 1  # svd at n = 8, d = 64 is one cell of both
    assert svd[(8, 64)].experiment == "e" and svd[(8, 64)].experiments == ("e", "other")
    assert svd[(16, 64)].experiments == ("other",) and svd[(8, 128)].experiments == ("e",)
