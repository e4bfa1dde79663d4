"""The HTML report renders in headless Chromium (Debian's ``chromium``, installed by scripts/setup.sh)."""
import shutil
import subprocess

import numpy as np
import pytest
from PIL import Image

from benchmarks import report

from . import report_tree

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (scripts/setup.sh installs it with apt-get)")


def _chromium(tmp_path, *args) -> subprocess.CompletedProcess:
    # Root needs --no-sandbox; a private profile keeps concurrent runs apart.
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--mute-audio",
           f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=True)


def test_index_renders_with_every_table(tmp_path):
    tree = report_tree.build(tmp_path)
    rendered = report.write_report(tree["results"], tree["runs"], tree["out"], None, [tree["models"]], video_seconds=0.4)
    url = (tree["out"] / "index.html").as_uri()
    shot = tmp_path / "shot.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,1600", url)
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=float)
    assert pixels.shape == (1600, 1280)
    assert pixels.std() > 10  # text and table borders, not a blank page
    dom = _chromium(tmp_path, "--dump-dom", url).stdout
    ids = [t["id"] for t in rendered["tables"]] + ["deviations"]
    assert {t["key"] for t in rendered["tables"]} == {"table1", "table2", "table3", "fig5"}
    for table_id in ids:
        section = dom[dom.index(f'<section id="{table_id}">'):]
        assert section.index("<table>") < section.index("</section>")
    for v in rendered["videos"]:
        assert f'poster="{v["poster"]}"' in dom
    for c in rendered["curves"]:
        assert f'src="{c["figure"]}"' in dom


def test_side_by_side_videos_decode_in_chromium(tmp_path):
    """The report's H.264 mp4s play in the browser the report is checked in (loadeddata, frame size)."""
    from benchmarks import media

    tree = report_tree.build(tmp_path)
    rendered = report.write_report(tree["results"], tree["runs"], tree["out"], None, [tree["models"]], video_seconds=0.4)
    assert rendered["videos"]
    script = ("document.querySelectorAll('video').forEach((v, i) => {"
              " v.addEventListener('loadeddata', () => v.setAttribute('data-decoded', v.videoWidth + 'x' + v.videoHeight));"
              " v.addEventListener('error', () => v.setAttribute('data-decoded', 'error')); v.load(); });")
    videos = "".join(f'<video src="{v["video"]}" muted preload="auto"></video>' for v in rendered["videos"])
    probe = tree["out"] / "probe.html"
    probe.write_text(f"<html><body>{videos}<script>{script}</script></body></html>")
    dom = _chromium(tmp_path, "--virtual-time-budget=5000", "--dump-dom", probe.as_uri()).stdout
    for v in rendered["videos"]:
        info = media.probe(tree["out"] / v["video"])
        assert f'src="{v["video"]}" muted="" preload="auto" data-decoded="{info.width}x{info.height}"' in dom
