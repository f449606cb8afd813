"""expand_grid: product order, zipped axes, family-parameter axes, content-keyed seeds."""

import numpy as np
import pytest

from attnbench.datasets import DatasetSpec, derive_seed, expand_grid, make_dataset


def test_cartesian_product_in_axis_order_with_replicates_innermost():
    specs = expand_grid({"family": "gaussian", "n": [8, 16], "d": [100, 200, 300]}, n_seeds=2)
    assert len(specs) == 2 * 3 * 2
    assert [(s.n, s.d) for s in specs[::2]] == [(8, 100), (8, 200), (8, 300),
                                                (16, 100), (16, 200), (16, 300)]
    assert all(a.n == b.n and a.d == b.d and a.seed != b.seed
               for a, b in zip(specs[::2], specs[1::2]))


def test_zipped_axes_move_together_keeping_nnz_fixed():
    axes = {"family": "sparse", "n": 16, "d": [1000, 2000, 4000],
            "density": [0.4, 0.2, 0.1], "r": [0.05, 1.0]}
    specs = expand_grid(axes, zipped=[("d", "density")])
    assert len(specs) == 3 * 2
    assert {s.d * s.density for s in specs} == {400.0}
    assert [(s.d, s.r) for s in specs] == [(1000, 0.05), (1000, 1.0), (2000, 0.05),
                                           (2000, 1.0), (4000, 0.05), (4000, 1.0)]


@pytest.mark.parametrize(
    "axes, zipped, message",
    [
        ({"family": "gaussian", "n": 8}, (), "^axes: the 'd'"),
        ({"family": "gaussian", "n": 8, "d": []}, (), "empty"),
        ({"family": "sparse", "n": 8, "d": [10, 20], "density": [0.5]}, [("d", "density")],
         "^zipped: axes"),
        ({"family": "gaussian", "n": 8, "d": 10}, [("d", "r")], "^zipped: 'r'"),
        ({"family": "gaussian", "n": [8], "d": [10]}, [("n", "d"), ("d",)], "^zipped: 'd'"),
        ({"family": "gaussian", "n": 8, "d": 10, "k": [2]}, (), "^axes: 'k'"),
        ({"family": ["gaussian", "nope"], "n": 8, "d": 10}, (), "^family"),
        ({"family": "gaussian", "n": [8, 0], "d": 10}, (), "^n must"),
    ],
)
def test_bad_axes_raise_value_errors(axes, zipped, message):
    with pytest.raises(ValueError, match=message):
        expand_grid(axes, zipped=zipped)


def test_bad_seed_arguments():
    axes = {"family": "gaussian", "n": 8, "d": 10}
    for kwargs, message in [({"n_seeds": 0}, "^n_seeds"), ({"root_seed": -1}, "^root_seed"),
                            ({"root_seed": 1.5}, "^root_seed"),
                            ({"shared_seed_axes": ["r"]}, "^shared_seed_axes")]:
        with pytest.raises(ValueError, match=message):
            expand_grid(axes, **kwargs)
    with pytest.raises(ValueError, match="^n_seeds"):
        expand_grid({**axes, "seed": [1, 2]}, n_seeds=2)


def test_family_parameter_axes_apply_only_to_families_that_take_them():
    specs = expand_grid({"family": ["gaussian", "lowrank"], "n": 16, "d": 100, "k": [2, 4]})
    assert [(s.family, s.param_dict.get("k")) for s in specs] == [
        ("gaussian", None), ("lowrank", 2), ("lowrank", 4)]


def test_seeds_depend_on_the_cell_not_its_position_or_neighbours():
    full = expand_grid({"family": ["gaussian", "sparse"], "n": [8, 16], "d": [50, 100],
                        "density": [1.0]}, root_seed=7, n_seeds=3)
    reordered = expand_grid({"d": [100, 50], "n": [16, 8], "family": ["sparse", "gaussian"],
                             "density": [1.0]}, root_seed=7, n_seeds=3)
    single = expand_grid({"family": "sparse", "n": 16, "d": 50}, root_seed=7, n_seeds=3)
    assert set(full) == set(reordered) and set(single) <= set(full)
    assert len({s.seed for s in full}) == len(full)  # every cell and replicate its own stream
    other_root = expand_grid({"family": "sparse", "n": 16, "d": 50}, root_seed=8, n_seeds=3)
    assert {s.seed for s in other_root}.isdisjoint({s.seed for s in single})


def test_cell_data_is_bitwise_independent_of_the_order_cells_run_in(same_bits):
    specs = expand_grid({"family": ["sparse", "coherent"], "n": 8, "d": [40, 80],
                         "density": 1.0}, root_seed=3)
    forward = [make_dataset(s).X for s in specs]
    backward = [make_dataset(s).X for s in reversed(specs)][::-1]
    assert all(same_bits(a, b) for a, b in zip(forward, backward))


def test_seed_axis_is_used_literally():
    specs = expand_grid({"family": "gaussian", "n": 8, "d": 10, "seed": [5, 9]}, root_seed=3)
    assert [s.seed for s in specs] == [5, 9]


def test_shared_seed_axes_give_common_random_numbers_across_r():
    specs = expand_grid({"family": "gaussian", "n": 8, "d": 30, "r": [0.01, 1.0]},
                        shared_seed_axes=["r"])
    assert specs[0].seed == specs[1].seed
    small, large = (make_dataset(s).X for s in specs)
    np.testing.assert_allclose(small * 10, large, rtol=1e-13)
    separate = expand_grid({"family": "gaussian", "n": 8, "d": 30, "r": [0.01, 1.0]})
    assert separate[0].seed != separate[1].seed


def test_derived_seed_is_a_documented_function_of_root_content_and_replicate():
    spec = DatasetSpec("gaussian", 8, 30)
    content = spec.canonical_json(exclude=("seed",))
    seeds = [derive_seed(0, content, j) for j in range(3)]
    assert expand_grid({"family": "gaussian", "n": 8, "d": 30}, n_seeds=3) == [
        DatasetSpec("gaussian", 8, 30, seed=s) for s in seeds]
    assert all(0 <= s < 2**63 for s in seeds)
