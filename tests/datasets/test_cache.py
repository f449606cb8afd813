"""The content-addressed cache: hits are bitwise, corruption is detected once and healed."""

import os
import stat
import warnings
import zipfile

import numpy as np
import pytest

from attnbench.datasets import (
    CacheWarning,
    DatasetSpec,
    cache_path,
    default_cache_dir,
    estimate_bytes,
    get_family,
    load_dataset,
    make_dataset,
)


@pytest.fixture(params=["gaussian", "sparse"])
def spec(request, small_spec):
    return small_spec(request.param, n=12, d=200)


def test_miss_writes_and_hit_reads_the_same_bits(spec, private_cache, same_bits, monkeypatch):
    first = load_dataset(spec)
    path = cache_path(spec)
    assert path.parent == private_cache and path.exists()
    assert list(private_cache.iterdir()) == [path]  # no temporary file left behind
    fresh = make_dataset(spec)
    assert same_bits(first.X, fresh.X) and first.stats == fresh.stats

    def must_not_generate(*args):
        raise AssertionError("a cache hit must not generate")

    monkeypatch.setattr(type(get_family(spec.family)), "generate", must_not_generate)
    hit = load_dataset(spec)
    assert same_bits(hit.X, fresh.X) and hit.stats == fresh.stats and hit.spec == spec


def corrupt_and_reload(spec, same_bits, damage):
    load_dataset(spec)
    path = cache_path(spec)
    damage(path)
    with pytest.warns(CacheWarning, match="corrupt") as caught:
        healed = load_dataset(spec)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the healed file loads silently
        again = load_dataset(spec)
    fresh = make_dataset(spec)
    assert len(caught) == 1
    assert same_bits(healed.X, fresh.X) and same_bits(again.X, fresh.X)


def _data_offset(path):
    """Byte offset of the middle of the first matrix array inside the npz file."""
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in ("X.npy", "data.npy") if n in archive.namelist())
        info = archive.getinfo(name)
    return info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + (
        info.file_size // 2)


def test_a_flipped_byte_in_the_data_is_detected(spec, same_bits):
    def flip(path):
        raw = bytearray(path.read_bytes())
        raw[_data_offset(path)] ^= 0x01
        path.write_bytes(bytes(raw))

    corrupt_and_reload(spec, same_bits, flip)


def test_a_truncated_file_is_detected(spec, same_bits):
    corrupt_and_reload(spec, same_bits,
                       lambda path: path.write_bytes(path.read_bytes()[: path.stat().st_size // 2]))


def test_an_empty_file_is_detected(spec, same_bits):
    corrupt_and_reload(spec, same_bits, lambda path: path.write_bytes(b""))


def test_a_file_holding_another_spec_is_detected(spec, same_bits):
    other = DatasetSpec(spec.family, spec.n, spec.d, spec.density, spec.r, spec.seed + 1)

    def swap(path):
        load_dataset(other)
        os.replace(cache_path(other), path)

    corrupt_and_reload(spec, same_bits, swap)


def test_any_flipped_byte_never_yields_wrong_data(small_spec, same_bits):
    # Flip bytes all over the file (headers, arrays, zip directory): every load must
    # return the true data, with a warning whenever the file was rejected.
    spec = small_spec("sparse", n=6, d=40)
    fresh = make_dataset(spec)
    load_dataset(spec)
    path = cache_path(spec)
    pristine = path.read_bytes()
    for offset in np.linspace(0, len(pristine) - 1, 60).astype(int):
        raw = bytearray(pristine)
        raw[offset] ^= 0xFF
        path.write_bytes(bytes(raw))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CacheWarning)
            loaded = load_dataset(spec)
        assert same_bits(loaded.X, fresh.X) and loaded.stats == fresh.stats, offset


def test_cache_directory_argument_and_environment(tmp_path, monkeypatch):
    spec = DatasetSpec("gaussian", 4, 10)
    load_dataset(spec, cache_dir=tmp_path / "explicit")
    assert cache_path(spec, tmp_path / "explicit").exists()
    monkeypatch.setenv("ATTNBENCH_CACHE_DIR", str(tmp_path / "from_env"))
    assert default_cache_dir() == tmp_path / "from_env"
    monkeypatch.delenv("ATTNBENCH_CACHE_DIR")
    assert default_cache_dir().parts[-2:] == ("attnbench", "datasets")


def test_unwritable_cache_warns_and_still_returns_the_data(tmp_path, same_bits):
    if os.geteuid() == 0:
        blocked = tmp_path / "a_file"  # root ignores permissions: a file where a folder must be
        blocked.write_text("")
        cache_dir = blocked / "cache"
    else:
        cache_dir = tmp_path / "locked"
        cache_dir.mkdir()
        cache_dir.chmod(stat.S_IREAD | stat.S_IEXEC)
    spec = DatasetSpec("gaussian", 4, 10)
    with pytest.warns(CacheWarning, match="cannot write"):
        data = load_dataset(spec, cache_dir=cache_dir)
    assert same_bits(data.X, make_dataset(spec).X)


def test_size_guard_refuses_before_generating(monkeypatch):
    def must_not_generate(*args):
        raise AssertionError("the guard must refuse before generating")

    monkeypatch.setattr(type(get_family("gaussian")), "generate", must_not_generate)
    huge = DatasetSpec("gaussian", 100_000, 1_000_000)
    for call in (make_dataset, load_dataset):
        with pytest.raises(ValueError, match=r"^n, d: .*max_bytes") as error:
            call(huge)
        assert "GiB" in str(error.value)
    small = DatasetSpec("gaussian", 64, 4096)
    with pytest.raises(ValueError, match="^n, d"):
        make_dataset(small, max_bytes=estimate_bytes(small) - 1)
    monkeypatch.setenv("ATTNBENCH_MAX_BYTES", str(estimate_bytes(small) - 1))
    with pytest.raises(ValueError, match="ATTNBENCH_MAX_BYTES"):
        load_dataset(small)


def test_size_guard_counts_nonzeros_for_sparse_data():
    # 10^3 x 10^7 dense would be 75 GiB; at density 1e-6 it is 10^4 nonzeros.
    spec = DatasetSpec("sparse", 1000, 10**7, density=1e-6)
    assert estimate_bytes(spec) < 2**30
    assert estimate_bytes(DatasetSpec("sparse", 64, 4096, density=0.01)) < estimate_bytes(
        DatasetSpec("gaussian", 64, 4096))


def test_bad_max_bytes_is_rejected(monkeypatch):
    spec = DatasetSpec("gaussian", 4, 10)
    with pytest.raises(ValueError, match="^max_bytes"):
        make_dataset(spec, max_bytes=0)
    monkeypatch.setenv("ATTNBENCH_MAX_BYTES", "lots")
    with pytest.raises(ValueError, match="^ATTNBENCH_MAX_BYTES"):
        make_dataset(spec)


def test_load_accepts_a_spec_dict(same_bits):
    spec = DatasetSpec("lowrank", 8, 40, params={"k": 2})
    assert same_bits(load_dataset(spec.to_dict()).X, make_dataset(spec).X)
