"""The user's folders are installed under the attnbench namespace only."""

import subprocess
import sys


def run_outside_checkout(code, tmp_path):
    return subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, check=False, capture_output=True, text=True
    )


def test_folder_names_are_not_top_level_modules(tmp_path):
    code = (
        "import importlib.util as u; "
        "print([m for m in ('harness', 'algorithms', 'datasets') if u.find_spec(m)])"
    )
    result = run_outside_checkout(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_namespace_imports(tmp_path):
    code = (
        "import attnbench, attnbench.algorithms, attnbench.datasets; print(attnbench.__version__)"
    )
    result = run_outside_checkout(code, tmp_path)
    assert result.returncode == 0, result.stderr
