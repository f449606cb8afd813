"""The public API is importable from ``attnbench`` itself, and importing the package (or
the reducers alone) loads none of the upper stages until a name is used."""

import subprocess
import sys

import pytest

import attnbench


@pytest.mark.parametrize("name", attnbench.__all__)
def test_every_public_name_resolves(name):
    module, attribute = attnbench._PUBLIC[name]
    assert getattr(attnbench, name) is getattr(__import__(module, fromlist=["_"]), attribute)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'no_such_thing'"):
        attnbench.no_such_thing  # noqa: B018


def test_importing_the_reducers_loads_no_upper_stage():
    code = (
        "import sys, attnbench.algorithms; "
        "print(sorted(m for m in sys.modules if m.startswith(('attnbench.report', "
        "'attnbench.analysis', 'attnbench.sweep', 'attnbench.api', 'matplotlib'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
