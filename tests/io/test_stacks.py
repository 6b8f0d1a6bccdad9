"""Tests for cyclesem.io.stacks: multi-page TIFF stacks rewritten and described page by page."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile
from click.testing import CliRunner

from cyclesem.cli import main
from cyclesem.errors import CyclesemError
from cyclesem.io.stacks import is_stack, rewrite_stack, stack_info
from tests.helpers import NOTE_TAG, write_stack  # noqa: E402


def pages(count, shape=(40, 50)):
    rng = np.random.default_rng(0)
    return [rng.random(shape).astype(np.float32) for _ in range(count)]


def test_every_page_rewritten_with_its_own_tags(tmp_path):
    write_stack(tmp_path / "in.tif", pages(3))
    assert is_stack(tmp_path / "in.tif") and not is_stack(tmp_path / "missing.tif")
    rewrite_stack(tmp_path / "in.tif", tmp_path / "out.tif", lambda raw: np.iinfo(raw.dtype).max - raw)
    with tifffile.TiffFile(tmp_path / "in.tif") as before, tifffile.TiffFile(tmp_path / "out.tif") as after:
        assert len(after.pages) == 3 and after.byteorder == before.byteorder
        for k, (old, new) in enumerate(zip(before.pages, after.pages)):
            assert new.description == f"slice {k}" and new.tags[NOTE_TAG].value == f"z = {10 * k} nm"
            assert new.tags["XResolution"].value == old.tags["XResolution"].value
            np.testing.assert_array_equal(new.asarray(), 65535 - old.asarray())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tif", "out.tif"]  # no temporary file left


def test_a_failing_page_leaves_no_output(tmp_path):
    write_stack(tmp_path / "in.tif", pages(2))

    def fail_on_second(raw, seen=[]):  # noqa: B006 - counts calls
        seen.append(1)
        if len(seen) == 2:
            raise CyclesemError("page broke")
        return raw

    with pytest.raises(CyclesemError, match="page broke"):
        rewrite_stack(tmp_path / "in.tif", tmp_path / "out.tif", fail_on_second)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.tif"]
    with pytest.raises(CyclesemError, match="written as TIFF"):
        rewrite_stack(tmp_path / "in.tif", tmp_path / "out.png", lambda raw: raw)


def test_info_describes_each_page(tmp_path):
    write_stack(tmp_path / "in.tif", pages(2), dtype="uint8")
    infos = stack_info(tmp_path / "in.tif")
    assert [i.path.endswith(f"[page {k}]") for k, i in enumerate(infos)] == [True, True]
    assert {i.dtype for i in infos} == {"uint8"} and infos[0].shape == (40, 50)
    result = CliRunner().invoke(main, ["info", str(tmp_path / "in.tif")])
    assert result.exit_code == 0 and "TIFF stack of 2 pages" in result.stdout
    result = CliRunner().invoke(main, ["info", "--json", str(tmp_path / "in.tif")])
    assert [entry["shape"] for entry in json.loads(result.stdout)] == [[40, 50], [40, 50]]
