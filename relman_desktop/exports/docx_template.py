"""A user's Word document as a style template, vetted before python-docx reads it.

A template comes from anywhere (a mail attachment, a share), so it is read as hostile input:

- the package: a ZIP of at most ``MAX_PARTS`` parts and ``MAX_UNPACKED`` bytes unpacked (no
  ZIP bomb), stored or deflated only, every part readable (a corrupt deflate stream or an
  unsupported compression is one line, not a zlib traceback);
- every XML part parsed by lxml with entities left unresolved, no DTD loaded and no network
  (python-docx's own parser resolves no entities either), and a part with a DOCTYPE refused
  outright: no external entity can read a local file, no entity expansion can eat the memory;
- what Word would fetch when someone opens the exported document: every relationship to an
  external target other than a hyperlink (an ``attachedTemplate`` on a server, a linked
  picture, an external frame) is dropped, with the ``w:attachedTemplate`` setting itself.

The result is the same package, cleaned, as bytes python-docx opens.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path

from lxml import etree

from relman_desktop.services.base import ServiceError

__all__ = ["MAX_PARTS", "MAX_UNPACKED", "vetted_template"]

MAX_PARTS = 2_000
MAX_UNPACKED = 100 * 1024 * 1024  # a style template is kilobytes; a few pictures, megabytes
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_HYPERLINK = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink"
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DOCTYPE_MARKS = tuple("<!DOCTYPE".encode(codec) for codec in ("utf-8", "utf-16-le", "utf-16-be"))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        dtd_validation=False,
    )


def _refuse(path: Path, why: str) -> ServiceError:
    return ServiceError(f"the style template {path.name} cannot be used: {why}")


def _read_parts(path: Path, data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ServiceError(
            f"the style template {path.name} is not a Word document (.docx or .dotx)"
        ) from None
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_PARTS:
            raise _refuse(path, f"it holds {len(infos):,} parts (at most {MAX_PARTS:,})")
        if sum(i.file_size for i in infos) > MAX_UNPACKED:
            raise _refuse(path, f"it unpacks to more than {MAX_UNPACKED // 2**20} MB")
        parts = []
        for info in infos:
            if info.compress_type not in _COMPRESSIONS:
                raise _refuse(path, f"{info.filename} uses a compression Word documents do not use")
            if info.flag_bits & 0x1:
                raise _refuse(path, f"{info.filename} is encrypted")
            try:
                content = archive.read(info)
            except (
                zipfile.BadZipFile,
                zlib.error,
                EOFError,
                NotImplementedError,
                ValueError,
            ) as exc:
                raise _refuse(path, f"{info.filename} is damaged ({exc})") from None
            if len(content) > MAX_UNPACKED:
                raise _refuse(
                    path, f"{info.filename} unpacks to more than {MAX_UNPACKED // 2**20} MB"
                )
            parts.append((info, content))
    return parts


def _vet_xml(path: Path, name: str, content: bytes) -> bytes:
    """The part, parsed safely; external relationships and an attached template dropped."""
    head = content[:65536].upper()
    if any(mark in head for mark in _DOCTYPE_MARKS):
        raise _refuse(path, f"{name} declares a DTD (entities are never read from a template)")
    try:
        root = etree.fromstring(content, _parser())
    except etree.XMLSyntaxError as exc:
        raise _refuse(path, f"{name} is not well-formed XML ({exc.msg})") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise _refuse(path, f"{name} declares a DTD (entities are never read from a template)")
    changed = False
    if name.endswith(".rels"):
        for rel in list(root.iter(f"{{{_REL_NS}}}Relationship")):
            if rel.get("TargetMode") == "External" and rel.get("Type") != _HYPERLINK:
                root.remove(rel)
                changed = True
    if name == "word/settings.xml":
        for element in list(root.iter(f"{{{_W_NS}}}attachedTemplate")):
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)
                changed = True
    if not changed:
        return content
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def vetted_template(path: Path, data: bytes) -> bytes:
    """``data`` (the template file's bytes) checked and cleaned as above; ServiceError, one
    line naming the part, when it cannot be used."""
    parts = _read_parts(path, data)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info, content in parts:
            name = info.filename
            if name.endswith((".xml", ".rels")):
                content = _vet_xml(path, name, content)
            dst.writestr(name, content)
    return out.getvalue()
