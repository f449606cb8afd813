"""Shared fixtures; plain helpers live in tests/_support.py.

Under pytest-xdist (``make test`` runs ``pytest -n auto --dist loadgroup``) each worker is
a process of its own, so it builds every session- and module-scoped fixture that its
tests use.  The hook below keeps those built once: the tests of a module with a
module-scoped fixture share one xdist group, and the modules whose tests use the same
session-scoped fixture of a conftest here (a stored run, a report, a comparison) share
one group too (merged when a module uses several).  Other tests are spread one by one.
"""

import pytest

from _support import gaussian_matrix


@pytest.fixture
def X_small():
    return gaussian_matrix(8, 300, seed=1)


def _shared_fixtures(item):
    """(session fixtures of this suite's conftests, module-scoped fixtures) that ``item`` uses."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return set(), set()
    session, module = set(), set()
    for name, defs in info.name2fixturedefs.items():
        if name not in info.names_closure:
            continue
        fixture = defs[-1]
        own = fixture.baseid and all(d.baseid for d in defs)  # not a plug-in's, overridden
        if fixture.scope == "session" and own:
            session.add(name)
        elif fixture.scope in ("module", "class"):
            module.add(name)
    return session, module


def _xdist_groups(items):
    """{module path: group name}, for the modules whose tests share a costly fixture."""
    parent = {}  # union-find over modules and session fixtures

    def find(key):
        while parent.setdefault(key, key) != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    shared = set()
    for item in items:
        module = ("module", item.nodeid.split("::", 1)[0])
        session, module_scoped = _shared_fixtures(item)
        if session or module_scoped:
            shared.add(module)
            find(module)
        for name in sorted(session):
            parent[find(module)] = find(("fixture", name))
    # Name each group the same way in every worker (sets iterate in a per-process order):
    # after its first session fixture, else its module.
    names = {}
    for key in sorted(parent):
        root = find(key)
        names.setdefault(root, key[1] if key[0] == "fixture" else key[1].replace("/", "."))
    groups = {module[1]: names[find(module)] for module in shared}
    return groups


def _suffix_group(item, group):
    """Append ``@group`` to the node id, as xdist's loadgroup does: xdist 3.8 writes
    ``item._nodeid``, which pytest 9.2 no longer reads (pytest-xdist issue 1386), so
    the tests would be spread as if ungrouped.  Only used where xdist's own suffix is
    missing; without pytest's structured id (another pytest) the tests stay ungrouped."""
    try:
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(f"{item.nodeid}@{group}")
    except (ImportError, AttributeError):
        pass


@pytest.hookimpl(wrapper=True)  # the markers go on before xdist's own hook reads them
def pytest_collection_modifyitems(config, items):
    grouped = {}
    if hasattr(config, "workerinput") and config.getvalue("loadgroup"):  # set by xdist
        groups = _xdist_groups(items)
        for item in items:
            group = groups.get(item.nodeid.split("::", 1)[0])
            if group is not None and not item.get_closest_marker("xdist_group"):
                item.add_marker(pytest.mark.xdist_group(group))
                grouped[item] = group
    result = yield
    for item, group in grouped.items():
        if not item.nodeid.endswith(f"@{group}"):
            _suffix_group(item, group)
    return result
