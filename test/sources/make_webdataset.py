"""Builds the webdataset test fixtures from scikit-image's real photos (CC0), with Python's tarfile.

Usage: make_webdataset.py OUT_DIR. Writes into OUT_DIR:
- folder/<a|b>/kN.<ext>: an imagefolder of five photos (k4 a greyscale PNG);
- wds/shard-000000.tar (GNU format): k0 (png + cls), k1 (png + json {"label": 1});
  wds/shard-000001.tar (pax format, members under a 120-character directory): k2 (jpg + class),
  k3 (png + cls.txt), k4 (the same greyscale pixels as a binary PGM + cls);
- bad.tar (ustar): one good sample and one of each failure: symlink, hard link, FIFO, corrupt image,
  no label, non-integer label, no image;
- truncated.tar (cut inside a member's data), unterminated.tar (cut after a member, no end blocks),
  badsum.tar (the second header's name altered, so its checksum fails);
- facts.json: {"badsumOffset": …, "truncatedSize": …, "unterminatedSize": …}.
"""
import io
import json
import os
import sys
import tarfile

import skimage
from PIL import Image

out = sys.argv[1]
data = os.path.join(os.path.dirname(skimage.__file__), "data")


def raw(name):
    with open(os.path.join(data, name), "rb") as f:
        return f.read()


def pgm_and_png(name):
    img = Image.open(os.path.join(data, name)).convert("L")
    pgm, png = io.BytesIO(), io.BytesIO()
    img.save(pgm, format="PPM")  # mode L is written as binary P5
    img.save(png, format="PNG")
    return pgm.getvalue(), png.getvalue()


pgm, gray_png = pgm_and_png("camera.png")
# key, imagefolder file bytes and extension, webdataset image member (suffix, bytes), label
photos = [
    ("k0", raw("chelsea.png"), "png", ("png", raw("chelsea.png")), 0),
    ("k1", raw("coffee.png"), "png", ("png", raw("coffee.png")), 1),
    ("k2", raw("rocket.jpg"), "jpg", ("jpg", raw("rocket.jpg")), 0),
    ("k3", raw("brick.png"), "png", ("png", raw("brick.png")), 1),
    ("k4", gray_png, "png", ("pgm", pgm), 0),
]
classes = ["a", "b"]
for key, data_bytes, ext, _, label in photos:
    d = os.path.join(out, "folder", classes[label])
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"{key}.{ext}"), "wb") as f:
        f.write(data_bytes)


def add(tar, name, payload, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = link
    info.mtime = 1_700_000_000
    if kind == tarfile.REGTYPE:
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    else:
        tar.addfile(info)


os.makedirs(os.path.join(out, "wds"), exist_ok=True)
shard0 = os.path.join(out, "wds", "shard-000000.tar")
with tarfile.open(shard0, "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "k0.png", photos[0][3][1])
    add(t, "k0.cls", b"0")
    add(t, "k1.png", photos[1][3][1])
    add(t, "k1.json", json.dumps({"label": 1, "caption": "coffee"}).encode())
long_dir = "d" * 120
with tarfile.open(os.path.join(out, "wds", "shard-000001.tar"), "w", format=tarfile.PAX_FORMAT) as t:
    add(t, f"{long_dir}/k2.jpg", photos[2][3][1])
    add(t, f"{long_dir}/k2.class", b"0\n")
    add(t, f"{long_dir}/k3.png", photos[3][3][1])
    add(t, f"{long_dir}/k3.cls.txt", b" 1 \n")
    add(t, f"{long_dir}/k4.pgm", photos[4][3][1])
    add(t, f"{long_dir}/k4.cls", b"0")

with tarfile.open(os.path.join(out, "bad.tar"), "w", format=tarfile.USTAR_FORMAT) as t:
    add(t, "g0.png", raw("chelsea.png"))
    add(t, "g0.cls", b"1")
    add(t, "s0.jpg", b"", tarfile.SYMTYPE, "../../../etc/passwd")
    add(t, "s0.cls", b"0")
    add(t, "h0.png", b"", tarfile.LNKTYPE, "g0.png")
    add(t, "h0.cls", b"0")
    add(t, "f0.jpg", b"", tarfile.FIFOTYPE)
    add(t, "f0.cls", b"0")
    add(t, "c0.jpg", b"\xff\xd8\xff\xe0 this is not a JPEG" * 10)
    add(t, "c0.cls", b"1")
    add(t, "n0.png", raw("coffee.png"))
    add(t, "x0.png", raw("coffee.png"))
    add(t, "x0.cls", b"abc")
    add(t, "m0.cls", b"1")

with tarfile.open(os.path.join(out, "gnulong.tar"), "w", format=tarfile.GNU_FORMAT) as t:
    add(t, "x" * 150 + "/y" * 20 + ".txt", b"hi")
    add(t, "dir", b"", tarfile.DIRTYPE)
    add(t, "ünïcode.cls", b"3")

whole = open(shard0, "rb").read()
with tarfile.open(shard0) as t:
    members = t.getmembers()
second = members[1].offset
cut = members[2].offset_data + 1000  # inside k1.png's data
with open(os.path.join(out, "truncated.tar"), "wb") as f:
    f.write(whole[:cut])
end = members[1].offset_data + ((members[1].size + 511) // 512) * 512  # after k0.cls, before k1.png's header
with open(os.path.join(out, "unterminated.tar"), "wb") as f:
    f.write(whole[:end])
bad = bytearray(whole)
bad[second] ^= 0x01  # the second header's name: its checksum no longer matches
with open(os.path.join(out, "badsum.tar"), "wb") as f:
    f.write(bad)
with open(os.path.join(out, "facts.json"), "w") as f:
    json.dump({"badsumOffset": second, "truncatedSize": cut, "unterminatedSize": end, "truncatedAt": members[2].offset_data}, f)
