"""The README's Datasets section is the user's manual: its table has every family."""

import re
from pathlib import Path

from attnbench.datasets import list_families

README = Path(__file__).parents[2] / "README.md"


def test_readme_datasets_table_has_a_row_for_every_registered_family():
    section = README.read_text(encoding="utf-8").split("\n## Datasets\n", 1)[1].split("\n## ")[0]
    rows = re.findall(r"^\| `(\w+)` \|", section, flags=re.MULTILINE)
    assert sorted(rows) == sorted(list_families())
