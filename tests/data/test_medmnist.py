"""PneumoniaMNIST source: local .npz files, verified downloads from a real local HTTP server, bad files."""

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from pipeline.data import load_split, open_source
from pipeline.data.core import Record, SourceError
from pipeline.data.medmnist import (
    PUBLISHED_COUNTS,
    SIZES,
    URL_ENV,
    MedMnistSource,
    download_npz,
    file_name,
    official_files,
)
from pipeline.settings import cache_root

ROOT = Path(__file__).resolve().parents[2]
COUNTS = {"train": 12, "val": 4, "test": 6}


def pneumonia_arrays(side: int = 28, counts: dict = COUNTS, seed: int = 0) -> dict[str, np.ndarray]:
    """PneumoniaMNIST's real layout with small, random-ish chest-like images."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side] / side
    lungs = 120 + 80 * np.cos(np.pi * (xx - 0.5)) * np.sin(np.pi * yy)
    arrays = {}
    for split, n in counts.items():
        noise = rng.normal(0, 20, size=(n, side, side))
        arrays[f"{split}_images"] = np.clip(lungs + noise, 0, 255).astype(np.uint8)
        labels = np.arange(n) % 2  # both classes in every split
        arrays[f"{split}_labels"] = rng.permutation(labels).astype(np.uint8).reshape(n, 1)
    return arrays


def write_npz(path: Path, arrays: dict) -> Path:
    np.savez_compressed(path, **arrays)
    return path


def md5_of(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


@pytest.fixture
def npz_file(tmp_path) -> Path:
    return write_npz(tmp_path / "pneumoniamnist_64.npz", pneumonia_arrays(side=64))


@pytest.fixture
def server():
    """A real HTTP server on 127.0.0.1: ``routes[path] = (body, content_length or None)``."""
    routes, requests = {}, []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requests.append(self.path)
            if self.path not in routes:
                self.send_error(404)
                return
            body, length = routes[self.path]
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.end_headers()
            self.wfile.write(body)  # then the connection closes, even if body < length

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield SimpleNamespace(
        url=f"http://127.0.0.1:{httpd.server_port}", routes=routes, requests=requests
    )
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


# --- local files -------------------------------------------------------------------------------


def test_local_file_scan_lists_every_image_with_its_label(npz_file):
    arrays = pneumonia_arrays(side=64)
    scan = MedMnistSource(f"medmnist:{npz_file}").scan()

    assert scan.kind == "medmnist" and scan.patients_known is False and scan.skipped == []
    for split, n in COUNTS.items():
        records = scan.split(split)
        assert len(records) == n
        assert [r.label for r in records] == arrays[f"{split}_labels"][:, 0].tolist()
        assert records[3].origin == f"pneumoniamnist_64.npz#{split}/3"
        assert all(r.patient == r.origin for r in records)  # no patient ids in MedMNIST
    assert any("differ from the published" in note for note in scan.notes)


def test_decode_resizes_bilinear_from_the_files_own_size(npz_file):
    arrays = pneumonia_arrays(side=64)
    source = MedMnistSource(f"medmnist:{npz_file}")
    records = source.scan().split("val") + source.scan().split("train")[:2]

    decoded = source.decode(records, size=32)

    assert decoded.images.shape == (6, 32, 32) and decoded.images.dtype == np.uint8
    assert decoded.kept == list(range(6)) and decoded.failed == [] and decoded.masks is None
    assert decoded.original_sizes.tolist() == [[64, 64]] * 6
    expected = Image.fromarray(arrays["val_images"][2]).resize((32, 32), Image.Resampling.BILINEAR)
    np.testing.assert_array_equal(decoded.images[2], np.asarray(expected))
    same_size = source.decode(records[:1], size=64)
    np.testing.assert_array_equal(same_size.images[0], arrays["val_images"][0])


def test_decode_reports_records_that_are_not_in_the_file(npz_file):
    source = MedMnistSource(f"medmnist:{npz_file}")
    good = source.scan().split("test")[0]
    foreign = Record(origin="other.npz#test/0", label=0, patient="p", split="test")
    beyond = Record(origin=f"{npz_file.name}#test/99", label=0, patient="p", split="test")

    decoded = source.decode([foreign, good, beyond], size=28)

    assert decoded.kept == [1] and decoded.images.shape == (1, 28, 28)
    assert [s.path for s in decoded.failed] == [foreign.origin, beyond.origin]
    assert "no image test/99" in decoded.failed[1].reason


def test_open_source_and_load_split_read_the_file(npz_file):
    arrays = pneumonia_arrays(side=64)
    assert isinstance(open_source(f"medmnist:{npz_file}"), MedMnistSource)

    test = load_split(f"medmnist:{npz_file}", "test", size=48)

    assert test.images.shape == (COUNTS["test"], 48, 48) and test.masks is None
    assert test.labels.tolist() == arrays["test_labels"][:, 0].tolist()
    assert test.origins[0] == "pneumoniamnist_64.npz#test/0"


def test_fingerprint_changes_when_the_file_changes(npz_file):
    source = MedMnistSource(f"medmnist:{npz_file}")
    before = source.scan().fingerprint
    assert source.scan().fingerprint == before
    write_npz(npz_file, pneumonia_arrays(side=64, seed=1))
    os.utime(npz_file, ns=(1, 1))  # a different mtime even on coarse clocks
    assert source.scan().fingerprint != before


def bad_layouts(tmp_path):
    good = pneumonia_arrays()
    without_val_labels = {k: v for k, v in good.items() if k != "val_labels"}
    rgb = good | {"train_images": np.repeat(good["train_images"][..., None], 3, axis=-1)}
    wide_labels = good | {"test_labels": np.zeros((6, 2), np.uint8)}
    short_labels = good | {"train_labels": good["train_labels"][:5]}
    other_dataset = good | {"val_labels": np.full((4, 1), 3, np.uint8)}
    floats = good | {"test_images": good["test_images"].astype(np.float32)}
    mixed_sizes = good | {"val_images": np.zeros((4, 64, 64), np.uint8)}
    pickled = good | {"train_labels": np.array([[0]] * 12, dtype=object)}
    text = tmp_path / "text.npz"
    text.write_bytes(b"hello, not a zip")
    single = tmp_path / "one.npy"
    np.save(single, good["train_images"])
    return {
        "not a readable .npz": text,
        "single array": single,
        "missing val_labels": write_npz(tmp_path / "a.npz", without_val_labels),
        "train_images must be (N, S, S) uint8": write_npz(tmp_path / "b.npz", rgb),
        "test_labels must be (N, 1) integers": write_npz(tmp_path / "c.npz", wide_labels),
        "12 train images but 5 train labels": write_npz(tmp_path / "d.npz", short_labels),
        "must be 0 (normal) or 1 (pneumonia), found [3]": write_npz(
            tmp_path / "e.npz", other_dataset
        ),
        "test_images must be (N, S, S) uint8": write_npz(tmp_path / "f.npz", floats),
        "different image sizes [28, 64]": write_npz(tmp_path / "g.npz", mixed_sizes),
        "cannot read train_labels (Object arrays cannot be loaded when allow_pickle=False)": write_npz(
            tmp_path / "h.npz", pickled
        ),
    }


def test_bad_npz_files_are_refused_with_what_is_wrong(tmp_path):
    for message, path in bad_layouts(tmp_path).items():
        with pytest.raises(SourceError) as caught:
            MedMnistSource(f"medmnist:{path}").scan()
        assert message in str(caught.value), (message, str(caught.value))
        assert str(path) in str(caught.value)


def test_bad_specs_and_missing_files(tmp_path):
    for spec, message in [
        ("medmnist:100", "sizes 28, 64, 128, 224, not 100"),
        ("medmnist:", "not a MedMNIST source"),
        ("folder:/x", "not a MedMNIST source"),
    ]:
        with pytest.raises(SourceError, match=message.replace("(", r"\(")):
            MedMnistSource(spec)
    with pytest.raises(SourceError, match="no such file"):
        MedMnistSource(f"medmnist:{tmp_path / 'absent.npz'}").scan()


# --- downloads ---------------------------------------------------------------------------------


def test_download_with_the_right_md5_is_kept_and_used(tmp_path, server, npz_file):
    server.routes["/p.npz"] = (npz_file.read_bytes(), npz_file.stat().st_size)
    seen = []
    cache = tmp_path / "cache"

    path = download_npz(
        64,
        cache,
        url=f"{server.url}/p.npz",
        md5=md5_of(npz_file),
        progress=lambda done, total: seen.append((done, total)),
    )

    assert path == cache / "pneumoniamnist_64.npz" and leftovers(cache) == [path.name]
    assert path.read_bytes() == npz_file.read_bytes()
    assert seen[-1] == (npz_file.stat().st_size, npz_file.stat().st_size)
    assert len(MedMnistSource(f"medmnist:{path}").scan().records) == sum(COUNTS.values())


def test_cached_valid_file_is_reused_without_a_second_request(tmp_path, server, npz_file):
    server.routes["/p.npz"] = (npz_file.read_bytes(), npz_file.stat().st_size)
    arguments = dict(url=f"{server.url}/p.npz", md5=md5_of(npz_file))
    first = download_npz(64, tmp_path / "cache", **arguments)
    second = download_npz(64, tmp_path / "cache", **arguments)
    assert first == second and server.requests == ["/p.npz"]


def test_cached_file_with_a_wrong_md5_is_downloaded_again(tmp_path, server, npz_file):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "pneumoniamnist_64.npz").write_bytes(
        npz_file.read_bytes()[:1000]
    )  # an old broken copy
    server.routes["/p.npz"] = (npz_file.read_bytes(), npz_file.stat().st_size)

    path = download_npz(64, cache, url=f"{server.url}/p.npz", md5=md5_of(npz_file))

    assert server.requests == ["/p.npz"] and md5_of(path) == md5_of(npz_file)


def test_download_with_a_wrong_md5_leaves_nothing(tmp_path, server, npz_file):
    server.routes["/p.npz"] = (npz_file.read_bytes(), npz_file.stat().st_size)
    cache = tmp_path / "cache"
    with pytest.raises(SourceError) as caught:
        download_npz(64, cache, url=f"{server.url}/p.npz", md5="0" * 32)
    assert "corrupt" in str(caught.value) and "medmnist:/path/to/pneumoniamnist_64.npz" in str(
        caught.value
    )
    assert leftovers(cache) == []


@pytest.mark.parametrize("announced", [True, False], ids=["short-of-content-length", "no-length"])
def test_download_cut_short_leaves_nothing(tmp_path, server, npz_file, announced):
    whole = npz_file.read_bytes()
    server.routes["/p.npz"] = (whole[: len(whole) // 2], len(whole) if announced else None)
    cache = tmp_path / "cache"
    with pytest.raises(SourceError) as caught:
        download_npz(64, cache, url=f"{server.url}/p.npz", md5=md5_of(npz_file))
    expected = (
        f"closed after {len(whole) // 2:,} of {len(whole):,} bytes" if announced else "corrupt"
    )
    assert expected in str(caught.value)
    assert leftovers(cache) == []


def test_unreachable_server_says_where_and_what_to_do(tmp_path):
    with socket.socket() as probe:  # a port that nothing listens on once closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/p.npz"
    with pytest.raises(SourceError) as caught:
        download_npz(128, tmp_path / "cache", url=url, md5="0" * 32)
    message = str(caught.value)
    assert "could not download" in message and url in message
    assert "medmnist:/path/to/pneumoniamnist_128.npz" in message
    assert leftovers(tmp_path / "cache") == []


def test_unwritable_cache_is_reported(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(SourceError, match="cannot write the download to .*PNEUMOLAB_CACHE"):
        download_npz(28, blocker / "cache", url="http://127.0.0.1:9/p.npz", md5="0" * 32)


def test_http_error_is_reported(tmp_path, server):
    with pytest.raises(SourceError, match="HTTP 404"):
        download_npz(28, tmp_path / "cache", url=f"{server.url}/missing.npz", md5="0" * 32)


def test_env_url_is_used_and_the_packages_md5_still_guards_it(
    tmp_path, server, npz_file, monkeypatch
):
    server.routes["/mirror.npz"] = (npz_file.read_bytes(), npz_file.stat().st_size)
    monkeypatch.setenv(URL_ENV, f"{server.url}/mirror.npz")

    # Through the source: the mirror is asked, but a file that isn't the official one is refused.
    with pytest.raises(SourceError, match=official_files()[64][1]):
        MedMnistSource("medmnist:64").scan()
    assert server.requests == ["/mirror.npz"]
    assert file_name(64) not in leftovers(cache_root() / "medmnist")
    assert not [name for name in leftovers(cache_root() / "medmnist") if name.endswith(".part")]

    # With its own expected md5 (as a test or a private mirror would pass), the mirror's file is used.
    path = download_npz(64, tmp_path / "cache", md5=md5_of(npz_file))
    assert md5_of(path) == md5_of(npz_file) and server.requests == ["/mirror.npz"] * 2


# --- the table of official files -----------------------------------------------------------------


def test_official_urls_and_md5s_come_from_the_installed_medmnist_package():
    # Ask the package the ordinary way, in its own process: `import medmnist` imports torch.
    ground_truth = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from medmnist import INFO; print(json.dumps(INFO['pneumoniamnist']))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    info = json.loads(ground_truth.stdout.strip().splitlines()[-1])
    table = official_files()

    assert sorted(table) == list(SIZES)
    for size, (url, md5) in table.items():
        suffix = "" if size == 28 else f"_{size}"
        assert (url, md5) == (info[f"url{suffix}"], info[f"MD5{suffix}"])
        assert file_name(size) in url and len(md5) == 32
    assert info["n_samples"] == PUBLISHED_COUNTS
    assert info["label"] == {"0": "normal", "1": "pneumonia"}


def test_reading_the_table_does_not_import_torch():
    code = (
        "import sys; from pipeline.data.medmnist import official_files; official_files(); "
        "print('torch' in sys.modules, 'medmnist' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=ROOT,
    )
    assert result.stdout.split() == ["False", "False"]
