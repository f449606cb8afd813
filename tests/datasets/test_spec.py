"""DatasetSpec: validation naming the field, canonical form, content address, round trips."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from attnbench.datasets import DatasetSpec, list_families


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"family": "no_such_family"}, "family"),
        ({"family": 3}, "family"),
        ({"n": 0}, "n"),
        ({"n": 2.5}, "n"),
        ({"n": True}, "n"),
        ({"d": 0}, "d"),
        ({"d": -4}, "d"),
        ({"family": "sparse", "density": 0.0}, "density"),
        ({"family": "sparse", "density": 1.5}, "density"),
        ({"family": "sparse", "density": float("nan")}, "density"),
        ({"density": 0.5}, "density"),  # a dense family takes only density 1
        ({"r": 0.0}, "r"),
        ({"r": -1.0}, "r"),
        ({"r": float("inf")}, "r"),
        ({"r": "0.1"}, "r"),
        ({"seed": -1}, "seed"),
        ({"seed": 2**63}, "seed"),
        ({"params": {"k": 4}}, "params"),  # gaussian takes no k
        ({"family": "lowrank", "params": {"k": 0}}, "params.k"),
        ({"family": "lowrank", "params": {"k": 17}}, "params.k"),  # k > min(n, d)
        ({"family": "lowrank", "params": {"noise": -0.1}}, "params.noise"),
        ({"family": "coherent", "params": {"mass": 1.0}}, "params.mass"),
        ({"family": "coherent", "params": {"n_heavy": 301}}, "params.n_heavy"),
        ({"family": "duplicated", "params": {"copies": 1.5}}, "params.copies"),
        ({"family": "heavy_tailed", "params": {"exponent": True}}, "params.exponent"),
        ({"params": [("k",)]}, "params"),
    ],
)
def test_bad_field_raises_value_error_naming_it(kwargs, field):
    base = {"family": "gaussian", "n": 16, "d": 300}
    with pytest.raises(ValueError) as error:
        DatasetSpec(**{**base, **kwargs})
    assert str(error.value).startswith(field), str(error.value)


def test_canonical_form_makes_equal_specs_equal_and_hash_equal():
    a = DatasetSpec("lowrank", np.int64(16), 300, r=np.float32(0.5), params={"k": 4})
    b = DatasetSpec("lowrank", 16, 300, density=1, r=0.5, params=(("noise", 0.01), ("k", 4)))
    c = DatasetSpec.create("lowrank", 16, 300, r=0.5, k=np.int32(4))
    assert a == b == c and hash(a) == hash(b) == hash(c) and a.key() == b.key() == c.key()
    assert a.params == (("k", 4), ("noise", 0.01))  # sorted, the default filled in
    assert type(a.n) is int and type(a.r) is float and type(a.params[0][1]) is int
    assert len({a, b, c}) == 1


def test_every_field_changes_the_key():
    base = DatasetSpec("sparse", 16, 300, density=0.5, r=0.05, seed=1)
    variants = [
        DatasetSpec("gaussian", 16, 300, r=0.05, seed=1),
        DatasetSpec("sparse", 17, 300, density=0.5, r=0.05, seed=1),
        DatasetSpec("sparse", 16, 301, density=0.5, r=0.05, seed=1),
        DatasetSpec("sparse", 16, 300, density=0.25, r=0.05, seed=1),
        DatasetSpec("sparse", 16, 300, density=0.5, r=0.06, seed=1),
        DatasetSpec("sparse", 16, 300, density=0.5, r=0.05, seed=2),
    ]
    keys = {spec.key() for spec in [base, *variants]}
    assert len(keys) == len(variants) + 1
    assert DatasetSpec("lowrank", 16, 300, params={"k": 3}).key() != DatasetSpec(
        "lowrank", 16, 300, params={"k": 4}).key()


def test_key_is_independent_of_the_process_hash_seed():
    spec = DatasetSpec("lowrank", 16, 300, params={"k": 4})
    code = ("from attnbench.datasets import DatasetSpec; "
            "print(DatasetSpec('lowrank', 16, 300, params={'k': 4}).key())")
    seed = "1" if os.environ.get("PYTHONHASHSEED") != "1" else "2"  # differs from ours
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={**os.environ, "PYTHONHASHSEED": seed})
    assert child.stdout.strip() == spec.key()
    assert re.fullmatch(r"[0-9a-f]{64}", spec.key())  # a SHA-256 in hex


@pytest.mark.parametrize("family", ["gaussian", "sparse", "lowrank", "coherent"])
def test_json_round_trip(family):
    density = 0.3 if family == "sparse" else 1.0
    spec = DatasetSpec(family, 16, 300, density=density, r=20.0, seed=2**62 + 7)
    text = json.dumps(spec.to_dict())
    again = DatasetSpec.from_dict(json.loads(text))
    assert again == spec and again.key() == spec.key()
    assert eval(repr(spec), {"DatasetSpec": DatasetSpec}) == spec


def test_from_dict_rejects_unknown_and_missing_fields():
    with pytest.raises(ValueError, match="^colour"):
        DatasetSpec.from_dict({"family": "gaussian", "n": 4, "d": 4, "colour": "red"})
    with pytest.raises(ValueError, match="^d"):
        DatasetSpec.from_dict({"family": "gaussian", "n": 4})
    with pytest.raises(TypeError, match="mapping"):
        DatasetSpec.from_dict([("family", "gaussian")])


def test_create_rejects_a_parameter_given_twice():
    with pytest.raises(ValueError, match="^params"):
        DatasetSpec.create("lowrank", 16, 300, params={"k": 2}, k=3)


def test_str_is_short_and_names_the_parameters():
    spec = DatasetSpec.create("sparse", 64, 4096, density=0.01, r=0.05, seed=3)
    assert str(spec) == "sparse(n=64, d=4096, density=0.01, r=0.05, seed=3)"
    assert str(DatasetSpec("lowrank", 64, 4096)) == (
        "lowrank(n=64, d=4096, r=0.05, seed=0, k=8, noise=0.01)")


def test_spec_is_frozen():
    spec = DatasetSpec("gaussian", 4, 4)
    with pytest.raises(AttributeError):
        spec.n = 5


def test_list_families_has_every_family_with_one_line():
    families = list_families()
    assert {"gaussian", "sparse", "coherent", "lowrank", "heavy_tailed", "duplicated"} <= set(
        families)
    assert all(isinstance(text, str) and text and "\n" not in text for text in families.values())
