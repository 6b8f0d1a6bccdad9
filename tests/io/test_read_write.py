"""Tests for cyclesem.io: reading, writing and listing SEM image files."""

from __future__ import annotations

import hashlib
import json
import os

import cv2
import numpy as np
import pytest
import tifffile

from tests.conftest import shared_path
from cyclesem.errors import CyclesemError
from cyclesem.io import list_images, read_image, write_image

ZEISS_TEXT = (
    "\r\n0\r\nAP_IMAGE_PIXEL_SIZE\r\nImage Pixel Size = 558.2 pm\r\nAP_ACTUALKV\r\nEHT = 3.00 kV\r\n"
    "AP_WD\r\nWD = 5.6 mm\r\nDP_DWELL_TIME\r\nDwell Time = 100 ns\r\n"
)


def noise(shape, dtype, seed=0):
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        return rng.uniform(-0.5, 3.0, shape).astype(dtype)
    return rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)


def barred_uint16(rows=20, shape=(120, 160)):
    """16-bit noise frame with a black info bar of ``rows`` rows holding white blocks."""
    frame = noise(shape, np.uint16)
    frame[-rows:] = 0
    frame[-rows + 3 : -3, 8:60:6] = 65535
    return frame


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ----------------------------------------------------------------- reading


def test_png_8bit_scaled_by_255(tmp_path):
    raw = noise((40, 50), np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), raw)
    image = read_image(tmp_path / "a.png")
    assert image.pixels.dtype == np.float32 and image.pixels.shape == (40, 50)
    np.testing.assert_allclose(image.pixels, raw / 255.0, atol=1e-7)
    info = image.info
    assert (info.format, info.dtype, info.bit_depth, info.channels) == ("png", "uint8", 8, 1)
    assert info.value_range == (float(raw.min()), float(raw.max()))


def test_png_16bit_scaled_by_65535(tmp_path):
    raw = noise((30, 20), np.uint16)
    cv2.imwrite(str(tmp_path / "a.png"), raw)
    image = read_image(tmp_path / "a.png")
    np.testing.assert_allclose(image.pixels, raw / 65535.0, atol=1e-7)
    assert (image.info.dtype, image.info.bit_depth) == ("uint16", 16)


def test_float_tiff_values_kept(tmp_path):
    raw = noise((30, 20), np.float32)
    tifffile.imwrite(tmp_path / "f.tif", raw)
    image = read_image(tmp_path / "f.tif")
    np.testing.assert_array_equal(image.pixels, raw)
    assert image.info.dtype == "float32" and image.info.value_range[0] < 0


def test_decoded_by_content_not_extension(tmp_path):
    raw = noise((16, 24), np.uint8)
    ok, bmp = cv2.imencode(".bmp", raw)
    (tmp_path / "really_bmp.png").write_bytes(bmp.tobytes())
    ok, jpg = cv2.imencode(".jpg", raw)
    (tmp_path / "really_jpeg.tif").write_bytes(jpg.tobytes())
    bmp_image = read_image(tmp_path / "really_bmp.png")
    assert bmp_image.info.format == "bmp"
    np.testing.assert_array_equal(bmp_image.pixels, raw / np.float32(255))
    assert read_image(tmp_path / "really_jpeg.tif").info.format == "jpeg"


def test_grey_rgb_and_constant_alpha_reduced_to_one_channel(tmp_path):
    grey = noise((30, 40), np.uint8)
    tifffile.imwrite(tmp_path / "rgb.tif", np.stack([grey] * 3, axis=-1), photometric="rgb")
    rgba = np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    cv2.imwrite(str(tmp_path / "rgba.png"), rgba)
    for name in ("rgb.tif", "rgba.png"):
        image = read_image(tmp_path / name)
        assert image.pixels.shape == (30, 40)
        np.testing.assert_array_equal(image.pixels, grey / np.float32(255))
    assert read_image(tmp_path / "rgb.tif").info.channels == 3


def test_grey_rgb_with_thin_colour_overlay_is_accepted(tmp_path):
    rgb = np.stack([noise((100, 100), np.uint8)] * 3, axis=-1)
    rgb[0, :] = rgb[:, 0] = (0, 255, 0)  # a green frame line, as FEI software draws
    tifffile.imwrite(tmp_path / "framed.tif", rgb, photometric="rgb")
    assert read_image(tmp_path / "framed.tif").pixels.shape == (100, 100)


@pytest.mark.parametrize("name", ["framed.tif", "framed.png"])
@pytest.mark.parametrize("channels", [3, 4])
def test_grey_rgb_with_a_colour_overlay_is_written_back_in_colour(tmp_path, name, channels):
    grey = noise((100, 120), np.uint8)
    raw = np.dstack([grey] * 3 + ([np.full_like(grey, 200)] if channels == 4 else []))
    raw[0, :, :3] = raw[:, 0, :3] = (0, 255, 0)  # a green frame line, as FEI software draws
    if name.endswith(".tif"):
        tifffile.imwrite(tmp_path / name, raw, photometric="rgb", **({"extrasamples": ["unassalpha"]} if channels == 4 else {}))
    else:
        cv2.imwrite(str(tmp_path / name), raw[..., [2, 1, 0, 3][:channels]])
    image = read_image(tmp_path / name)
    assert image.colour.channels == channels and image.colour.index.size == 100 + 120 - 1
    out = write_image(tmp_path / ("out_" + name), 1.0 - image.content, like=image)
    written = tifffile.imread(out) if name.endswith(".tif") else cv2.imread(str(out), cv2.IMREAD_UNCHANGED)[..., [2, 1, 0, 3][:channels]]
    assert written.shape == raw.shape and written.dtype == raw.dtype
    np.testing.assert_array_equal(written[0], raw[0])  # the overlay, colour and all
    np.testing.assert_array_equal(written[:, 0], raw[:, 0])
    inside = written[1:, 1:]
    for channel in (1, 2):
        np.testing.assert_array_equal(inside[..., channel], inside[..., 0])
    np.testing.assert_array_equal(inside[..., 0], 255 - grey[1:, 1:])
    if channels == 4:
        assert (written[..., 3] == 200).all()


def test_real_fei_rgb_comes_back_rgb_with_its_green_overlay(tmp_path):
    source = shared_path("sem-denoise", "noisy", "001.tif")
    raw = tifffile.imread(source)
    image = read_image(source)
    out = write_image(tmp_path / "fei.tif", 1.0 - image.content, like=image)
    written = tifffile.imread(out)
    overlay = raw.max(axis=2) != raw.min(axis=2)
    assert written.shape == raw.shape and overlay.sum() > 1000
    np.testing.assert_array_equal(written[overlay], raw[overlay])
    assert (written[~overlay] == written[~overlay][:, :1]).all()
    np.testing.assert_array_equal(written[-29:], raw[-29:])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_real_colour_is_refused(tmp_path, dtype):
    rgb = np.stack([noise((30, 30), dtype, seed=s) for s in range(3)], axis=-1)
    tifffile.imwrite(tmp_path / "colour.tif", rgb, photometric="rgb")
    with pytest.raises(CyclesemError, match="colour"):
        read_image(tmp_path / "colour.tif")


def test_varying_alpha_is_refused(tmp_path):
    grey = noise((20, 20), np.uint8)
    cv2.imwrite(str(tmp_path / "a.png"), np.dstack([grey, grey, grey, noise((20, 20), np.uint8, 1)]))
    with pytest.raises(CyclesemError, match="transparency"):
        read_image(tmp_path / "a.png")


def test_multi_page_tiff_is_refused(tmp_path):
    tifffile.imwrite(tmp_path / "stack.tif", noise((3, 20, 20), np.uint16), photometric="minisblack")
    with pytest.raises(CyclesemError, match="multi-page"):
        read_image(tmp_path / "stack.tif")


def _bad_files(tmp_path):
    tiff = tmp_path / "whole.tif"
    tifffile.imwrite(tiff, noise((64, 64), np.uint16))
    ok, png = cv2.imencode(".png", noise((64, 64), np.uint8))
    ok, jpg = cv2.imencode(".jpg", noise((64, 64), np.uint8))
    files = {
        "empty.tif": b"",
        "truncated.tif": tiff.read_bytes()[:3000],
        "truncated.png": png.tobytes()[: len(png) // 2],
        "truncated.jpg": jpg.tobytes()[: len(jpg) // 2],
        "random.png": np.random.default_rng(0).bytes(2000),
        "notes.txt": b"just some text\n",
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return [tmp_path / name for name in files] + [tmp_path / "missing.tif", tmp_path]


def test_every_bad_file_is_one_cyclesem_error(tmp_path):
    for path in _bad_files(tmp_path):
        with pytest.raises(CyclesemError) as caught:
            read_image(path)
        assert caught.value.path == str(path)
        assert "\n" not in str(caught.value) and caught.value.problem


def test_fei_metadata_read(tmp_path):
    path = shared_path("sem-denoise", "clean", "001.tif")
    info = read_image(path).info
    assert info.vendor == "fei"
    assert info.pixel_size == pytest.approx(5.828e-9, rel=1e-3)
    assert info.beam_voltage == 10000 and info.dwell_time == pytest.approx(30e-6)
    assert info.working_distance == pytest.approx(0.01, rel=0.01)
    assert (info.shape, info.channels, info.info_bar_rows) == ((471, 512), 3, 29)
    json.dumps(info.to_dict())


def test_zeiss_metadata_read_and_written_back(tmp_path):
    frame = noise((50, 60), np.uint16)
    tifffile.imwrite(tmp_path / "z.tif", frame, extratags=[(34118, 2, None, ZEISS_TEXT, True)])
    image = read_image(tmp_path / "z.tif")
    info = image.info
    assert info.vendor == "zeiss"
    assert info.pixel_size == pytest.approx(558.2e-12)
    assert info.beam_voltage == pytest.approx(3000.0)
    assert info.working_distance == pytest.approx(5.6e-3)
    assert info.dwell_time == pytest.approx(100e-9)
    out = write_image(tmp_path / "out.tif", image.content, like=image)
    with tifffile.TiffFile(out) as tif:
        assert tif.sem_metadata["ap_image_pixel_size"][1:] == (558.2, "pm")


def test_content_and_info_bar_views(tmp_path):
    tifffile.imwrite(tmp_path / "bar.tif", barred_uint16(rows=20))
    image = read_image(tmp_path / "bar.tif")
    assert image.info.info_bar_rows == 20
    assert image.content.shape == (100, 160) and image.info_bar.shape == (20, 160)
    assert image.info_bar_raw.dtype == np.uint16 and image.info_bar_raw.shape == (20, 160)


# ----------------------------------------------------------------- writing


@pytest.mark.parametrize(
    ("name", "dtype"),
    [("a.png", np.uint8), ("a.png", np.uint16), ("a.tif", np.uint16), ("a.tif", np.float32), ("a.bmp", np.uint8)],
)
def test_round_trip_is_exact(tmp_path, name, dtype):
    raw = noise((33, 47), dtype)
    source = tmp_path / ("src_" + name)
    tifffile.imwrite(source, raw) if name.endswith(".tif") else cv2.imwrite(str(source), raw)
    image = read_image(source)
    out = write_image(tmp_path / name, image.content, like=image)
    again = read_image(out)
    assert again.info.dtype == np.dtype(dtype).name
    np.testing.assert_array_equal(again.pixels, image.pixels)


def test_bar_put_back_bit_identical_below_new_content(tmp_path):
    tifffile.imwrite(tmp_path / "bar.tif", barred_uint16(rows=20))
    image = read_image(tmp_path / "bar.tif")
    out = write_image(tmp_path / "out.tif", 1.0 - image.content, like=image)
    written = tifffile.imread(out)
    np.testing.assert_array_equal(written[-20:], image.info_bar_raw)
    np.testing.assert_array_equal(written[:-20], 65535 - tifffile.imread(tmp_path / "bar.tif")[:-20])


def test_fei_tiff_written_back_keeps_metadata_bar_and_pixels(tmp_path):
    source = shared_path("sem-denoise", "noisy", "001.tif")
    before = digest(source)
    image = read_image(source)
    out = write_image(tmp_path / "fei.tif", image.content, like=image)
    again = read_image(out)
    with tifffile.TiffFile(source) as original, tifffile.TiffFile(out) as written:
        assert written.fei_metadata == original.fei_metadata
        # no tag the original lacks (tifffile would add a Software tag, 305, of its own)
        assert set(written.pages[0].tags.keys()) <= set(original.pages[0].tags.keys())
    assert again.info.pixel_size == image.info.pixel_size and again.info.info_bar_rows == 29
    np.testing.assert_array_equal(again.info_bar_raw, image.info_bar_raw)
    assert again.info_bar_raw.tobytes() == tifffile.imread(source)[-29:, :, 1].tobytes()
    np.testing.assert_array_equal(again.pixels, image.pixels)
    assert digest(source) == before


def test_new_image_defaults_to_16_bit_and_clips_only_at_conversion(tmp_path):
    content = np.array([[-0.1, 0.0, 0.5, 1.0, 1.2]], np.float32).repeat(4, axis=0)
    written = tifffile.imread(write_image(tmp_path / "new.tif", content))
    assert written.dtype == np.uint16
    np.testing.assert_array_equal(written[0], [0, 0, 32768, 65535, 65535])
    kept = tifffile.imread(write_image(tmp_path / "float.tif", content, dtype="float32"))
    np.testing.assert_array_equal(kept, content)


def test_existing_output_needs_overwrite(tmp_path):
    target = tmp_path / "out.png"
    write_image(target, np.zeros((8, 8), np.float32))
    with pytest.raises(CyclesemError, match=r"exists \(use --overwrite\)"):
        write_image(target, np.ones((8, 8), np.float32))
    assert read_image(target).pixels.max() == 0
    write_image(target, np.ones((8, 8), np.float32), overwrite=True)
    assert read_image(target).pixels.min() == 1


def test_same_input_gives_identical_bytes(tmp_path):
    tifffile.imwrite(tmp_path / "bar.tif", barred_uint16())
    image = read_image(tmp_path / "bar.tif")
    for suffix in (".tif", ".png"):
        first = write_image(tmp_path / f"one{suffix}", image.content, like=image)
        second = write_image(tmp_path / f"two{suffix}", image.content, like=image)
        assert first.read_bytes() == second.read_bytes()


def test_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(CyclesemError, match="No space left"):
        write_image(tmp_path / "out.tif", np.zeros((8, 8), np.float32))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("name", "dtype", "problem"),
    [("a.png", "float32", "PNG cannot store float32"), ("a.jpg", "uint16", "JPEG cannot store"),
     ("a.gif", None, "unknown output image type")],
)
def test_unwritable_combinations_are_refused(tmp_path, name, dtype, problem):
    with pytest.raises(CyclesemError, match=problem):
        write_image(tmp_path / name, np.zeros((8, 8), np.float32), dtype=dtype)
    assert list(tmp_path.iterdir()) == []


# ----------------------------------------------------------------- listing


def test_list_images_expands_folders_and_keeps_files(tmp_path):
    for name in ("b.TIF", "a.png", "c.jpeg", ".hidden.tif", "notes.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.tif").mkdir()
    (tmp_path / "sub.tif" / "inner.png").write_bytes(b"x")
    listed = list_images([tmp_path, tmp_path / "notes.txt", tmp_path / "a.png"])
    assert [p.name for p in listed] == ["a.png", "b.TIF", "c.jpeg", "notes.txt"]


def test_list_images_refuses_missing_inputs_and_empty_folders(tmp_path):
    with pytest.raises(CyclesemError, match="not found"):
        list_images([tmp_path / "nope.tif"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CyclesemError, match="no image files"):
        list_images([tmp_path / "empty"])


def test_list_images_takes_a_single_path(tmp_path):
    (tmp_path / "a.tif").write_bytes(b"x")
    assert list_images(tmp_path) == [tmp_path / "a.tif"]
    assert list_images(str(tmp_path / "a.tif")) == [tmp_path / "a.tif"]


def test_tiff_with_a_reduced_thumbnail_page_is_one_image(tmp_path):
    frame = noise((64, 64), np.uint16)
    with tifffile.TiffWriter(tmp_path / "thumb.tif") as tif:
        tif.write(frame)
        tif.write(frame[::4, ::4], subfiletype=1)  # reduced-resolution preview
    np.testing.assert_array_equal(read_image(tmp_path / "thumb.tif").pixels, frame / np.float32(65535))


def test_lzw_tiff_decodes_without_imagecodecs(tmp_path):
    raw = noise((40, 30), np.uint16)
    cv2.imwrite(str(tmp_path / "lzw.tif"), raw)  # OpenCV writes LZW-compressed TIFF
    with tifffile.TiffFile(tmp_path / "lzw.tif") as tif:
        assert tif.pages.first.compression == tifffile.COMPRESSION.LZW
    image = read_image(tmp_path / "lzw.tif")
    assert (image.info.format, image.info.dtype) == ("tiff", "uint16")
    np.testing.assert_array_equal(image.pixels, raw / np.float32(65535))
