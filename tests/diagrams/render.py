"""Validate every SVG under nbs/images as XML and screenshot it with headless Chromium into /tmp/cleangpt_diagrams/."""
import subprocess, sys, re, xml.etree.ElementTree as ET
from pathlib import Path
out = Path("/tmp/cleangpt_diagrams"); out.mkdir(exist_ok=True)
files = sorted(Path("nbs/images").glob("*.svg"))
if len(sys.argv) > 1: files = [f for f in files if any(a in f.name for a in sys.argv[1:])]
for f in files:
    root = ET.parse(f).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(ns + "title") is not None and root.find(ns + "desc") is not None, f
    w, h = int(float(root.get("width"))), int(float(root.get("height")))
    png = out / (f.stem + ".png")
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", f"--screenshot={png}", f"--window-size={w},{h}", f"file://{f}"],
                   check=True, capture_output=True, timeout=60)
    print(f.name, w, h, "ok")
