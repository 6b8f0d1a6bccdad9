"""Tests for cyclesem.restore.selective: restoring only where the image is blurred."""

from __future__ import annotations

import numpy as np
import pytest

from cyclesem.restore.classical import unsharp_mask
from cyclesem.restore.enhancer import FunctionRestorer
from cyclesem.restore.selective import SelectiveRestorer, blend_weight, restore_where_blurry
from tests.helpers import composite, sharp_image  # noqa: E402


def test_left_half_of_the_composite_is_unchanged():
    image = composite(4.0)
    result = restore_where_blurry(image, lambda values: unsharp_mask(values, 2.0, 1.5))
    assert result.restored
    assert np.array_equal(result.image[:, :96], image[:, :96])  # bit-identical, not just close
    assert np.abs(result.image[:, 192:] - image[:, 192:]).mean() > 0.002
    assert result.weight[:, 192:].mean() > 0.5


def test_an_in_focus_image_passes_untouched_without_calling_the_restorer():
    image = sharp_image()

    def restore(values):
        raise AssertionError("the restorer must not run on an in-focus image")

    result = restore_where_blurry(image, restore)
    assert not result.restored and not result.weight.any()
    assert np.array_equal(result.image, image)


def test_blend_weight_is_a_clamped_smoothstep():
    widths = np.array([np.nan, 0.0, 3.0, 3.25, 3.5, 9.0])
    weight = blend_weight(widths, 3.0, 3.5)
    np.testing.assert_allclose(weight, [0.0, 0.0, 0.0, 0.5, 1.0, 1.0])
    with pytest.raises(ValueError):
        blend_weight(widths, 3.0, 3.0)


def test_a_restorer_that_changes_the_shape_is_refused():
    with pytest.raises(ValueError, match="shape"):
        restore_where_blurry(composite(4.0), lambda values: values[:-1])


def test_selective_restorer_wraps_the_run_interface():
    inner = FunctionRestorer("unsharp", lambda values: unsharp_mask(values, 2.0, 1.5), "test")
    wrapped = SelectiveRestorer(inner)
    image = composite(4.0)
    out = wrapped.enhance(image, tile=None, progress=None)
    assert np.array_equal(out[:, :96], image[:, :96]) and wrapped.last.restored
    assert "only where blurred" in wrapped.describe() and wrapped.describe().startswith("unsharp: test")
