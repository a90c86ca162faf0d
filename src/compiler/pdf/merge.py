"""Merge: join PDFs laid out part by part into one tagged PDF.

WeasyPrint tags a PDF (PDF/UA-1) with one ``Document`` structure element
whose kids are the page's top-level elements, page by page; a page's
``/StructParents`` is its index in the ``/ParentTree`` (an array of the
elements that own its marked-content ids), and each link annotation's
``/StructParent`` is a key after the last page. Marked-content ids are
numbered per page, so whole pages keep them. Joining parts therefore means:

* appending every page (qpdf copies each part's objects once, so the
  structure elements' ``/Pg`` and ``/OBJR`` references land on the copies);
* one ``Document`` element whose kids are the parts' kids, in order;
* one parent tree, renumbered: pages first, in page order, then the link
  annotations, with ``/StructParents`` and ``/StructParent`` rewritten to match;
* one ``/Dests`` name tree (internal links point at names, so links between
  parts work once the names are joined; a part's stand-in names for targets
  it does not hold are dropped);
* one outline, the parts' outlines in order;
* page labels for roman front matter and arabic body;
* blank pages where a part must start on a right-hand page.

:func:`check_structure` verifies the result, and the build refuses a merge
that fails it.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, String


@dataclass(frozen=True)
class Piece:
    """One laid-out part: its PDF, the names it only stands in for, and whether a blank page follows it."""

    pdf: bytes
    stand_ins: frozenset[str] = frozenset()
    blank_after: bool = False


def _objects(*items: Any) -> list[Any]:
    """Items for a PDF array (pikepdf turns numbers into PDF objects)."""
    return list(items)


def page_count(data: bytes) -> int:
    """The pages of a PDF (-1 if it cannot be read): a cached book is checked against what its
    parts add up to before it is trusted."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            return len(pdf.pages)
    except pikepdf.PdfError:
        return -1


class MergeError(Exception):
    """The merged PDF's structure is not valid."""


def _outline_items(root: Any) -> Iterator[Any]:
    item = root.get("/First") if root is not None else None
    while item is not None:
        yield item
        item = item.get("/Next")


def _copy(target: Pdf, source: Pdf, obj: pikepdf.Object) -> pikepdf.Object:
    """Copy an object from another PDF (a direct array or dictionary is made indirect there
    first, so that qpdf copies it, and all it refers to, in one call)."""
    if not isinstance(obj, pikepdf.Object):  # numbers, booleans
        return obj
    if obj.is_indirect:
        return target.copy_foreign(obj)
    if isinstance(obj, (Array, Dictionary)):
        return target.copy_foreign(source.make_indirect(obj))
    return obj


def _parent_tree(pdf: Pdf) -> dict[int, pikepdf.Object]:
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    return {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}


def _copy_outline(target: Pdf, source_items: Sequence[Dictionary], parent: pikepdf.Object) -> tuple[list[Dictionary], int]:
    """Copy outline items (already copied into ``target``) under ``parent``; return them and their open count."""
    items: list[Dictionary] = []
    count = len(source_items)
    for source in source_items:
        item = target.make_indirect(Dictionary(Title=source.Title, Dest=source.Dest, Parent=parent))
        children, child_count = _copy_outline(target, list(_outline_items(source)), item)
        if children:
            item.First, item.Last = children[0], children[-1]
            closed = int(source.get("/Count", 0)) < 0
            item.Count = -child_count if closed else child_count
            if not closed:
                count += child_count
        if items:
            item.Prev = items[-1]
            items[-1].Next = item
        items.append(item)
    return items, count


def merge(pieces: Sequence[Piece], first_body: int, creator: str) -> bytes:
    """One PDF from the parts, in order, with ``first_body`` the index of page "1"."""
    out = Pdf.new()
    sources = [Pdf.open(io.BytesIO(piece.pdf)) for piece in pieces]
    base = sources[0]
    out.Root.Lang = base.Root.Lang
    out.Root.MarkInfo = Dictionary(Marked=True)
    out.Root.Metadata = _copy(out, base, base.Root.Metadata)
    out.docinfo = cast(Dictionary, _copy(out, base, base.docinfo))
    out.docinfo.Creator = String(creator)

    document = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, K=Array()))
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([document])))
    document.P = root
    page_entries: list[pikepdf.Object] = []
    annotation_entries: list[tuple[pikepdf.Object, pikepdf.Object]] = []  # (annotation, its Link element)
    names: dict[str, pikepdf.Object] = {}
    stand_in: dict[str, pikepdf.Object] = {}
    outline: list[Any] = []
    part_documents: set[tuple[int, int]] = set()
    for piece, source in zip(pieces, sources):
        tree = _parent_tree(source)
        count = len(source.pages)
        for page in source.pages:
            out.pages.append(page)
        for index in range(count):
            copied = out.pages[len(out.pages) - count + index].obj
            key = int(source.pages[index].obj.get("/StructParents", -1))
            if key in tree:
                copied.StructParents = len(page_entries)
                page_entries.append(_copy(out, source, tree[key]))
            elif "/StructParents" in copied:
                del copied.StructParents
            for annotation in copied.get("/Annots", Array()):
                old = annotation.get("/StructParent")
                if old is not None:
                    annotation_entries.append((annotation, _copy(out, source, tree[int(old)])))
        part_documents.add(_copy(out, source, source.Root.StructTreeRoot.K[0]).objgen)
        kids = _copy(out, source, source.Root.StructTreeRoot.K[0].K)
        for kid in kids:
            kid.P = document
            document.K.append(kid)
        dests = source.Root.get("/Names", Dictionary()).get("/Dests")
        if dests is not None:
            flat = dests.Names
            for i in range(0, len(flat), 2):
                name = str(flat[i])
                (stand_in if name in piece.stand_ins else names)[name] = _copy(out, source, flat[i + 1])
        outline += [_copy(out, source, item) for item in _outline_items(source.Root.get("/Outlines"))]
        if piece.blank_after:
            last = out.pages[-1]
            blank = pikepdf.Page(out.make_indirect(Dictionary(
                Type=Name.Page, MediaBox=last.obj.MediaBox, Resources=Dictionary(), Contents=out.make_stream(b""))))
            out.pages.append(blank)
    missing = sorted(set(stand_in) - set(names))
    if missing:
        raise MergeError(f"no part holds the link target {missing[0]!r}")

    _adopt(document, part_documents, [*page_entries, *(element for _, element in annotation_entries)])
    nums = Array()
    for key, entry in enumerate(page_entries):
        nums.extend(_objects(key, entry))
    for key, (annotation, element) in enumerate(annotation_entries, start=len(page_entries)):
        annotation.StructParent = key
        nums.extend(_objects(key, element))
    root.ParentTree = out.make_indirect(Dictionary(Nums=nums))
    root.ParentTreeNextKey = len(page_entries) + len(annotation_entries)
    out.Root.StructTreeRoot = root

    flat = Array()
    for name in sorted(names):
        flat.extend([String(name), names[name]])
    out.Root.Names = Dictionary(Dests=out.make_indirect(Dictionary(Names=flat)))

    outlines = out.make_indirect(Dictionary(Type=Name.Outlines))
    items, count = _copy_outline(out, outline, outlines)
    if items:
        outlines.First, outlines.Last, outlines.Count = items[0], items[-1], count
        out.Root.Outlines = outlines
    labels = Array([0, Dictionary(S=Name.r)])
    if first_body:
        labels.extend(_objects(first_body, Dictionary(S=Name.D, St=1)))
    out.Root.PageLabels = Dictionary(Nums=labels)
    out.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    out.Root.PageMode = Name.UseOutlines
    check_structure(out)

    if "/ID" in base.trailer:  # the book's identifier, as WeasyPrint wrote it; qpdf derives the second half
        out.trailer.ID = Array([base.trailer.ID[0], base.trailer.ID[0]])
    buffer = io.BytesIO()
    out.save(buffer, deterministic_id=True, static_id=False,
             object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True,
             fix_metadata_version=False, min_version=base.pdf_version)
    data = buffer.getvalue()
    for source in sources:
        source.close()
    return data


def _adopt(document: Dictionary, part_documents: set[tuple[int, int]], owners: list[pikepdf.Object]) -> None:
    """Give the merged ``Document`` every element whose parent was a part's ``Document``.

    WeasyPrint parents the running heads and folios (a ``NonStruct`` per margin
    box) to its ``Document`` element without listing them among its kids; they
    keep that place here, under the one ``Document``.
    """
    done: set[tuple[int, int]] = set()
    for entry in owners:
        for element in entry if isinstance(entry, Array) else [entry]:
            while isinstance(element, Dictionary) and element.objgen not in done:
                done.add(element.objgen)
                parent = element.get("/P")
                if parent is None:
                    break
                if parent.objgen in part_documents:
                    element.P = document
                    break
                element = parent


_MCID = re.compile(rb"/MCID\s+(\d+)")


def check_structure(pdf: Pdf) -> None:
    """Raise :class:`MergeError` unless the structure tree is whole.

    Every page's ``/StructParents`` names a parent-tree entry whose elements
    point at that page; every marked-content id in a page's content has an
    owner there; every structure element's parent chain reaches the root;
    every link annotation's ``/StructParent`` names the element that refers
    to it (an ``/OBJR``); every named destination points at a page of this document.
    """
    tree = _parent_tree(pdf)
    dest_names = _dest_names(pdf)
    pages = {page.obj.objgen: index for index, page in enumerate(pdf.pages)}
    root = pdf.Root.StructTreeRoot
    rooted = {root.objgen}  # elements whose parent chain is known to reach the root
    for index, page in enumerate(pdf.pages):
        key = page.obj.get("/StructParents")
        contents = page.obj.get("/Contents")
        streams = list(contents) if isinstance(contents, Array) else [contents] if contents is not None else []
        ids = {int(m) for stream in streams for m in _MCID.findall(stream.read_bytes())}
        if key is None:
            if ids:
                raise MergeError(f"page {index + 1} has tagged content but no /StructParents")
            continue
        owners = tree.get(int(key))
        if owners is None or len(owners) < len(ids) or any(i >= len(owners) for i in ids):
            raise MergeError(f"page {index + 1}: marked content without an owner in the parent tree")
        for owner in owners:
            if owner.get("/Pg") is not None and owner.Pg.objgen != page.obj.objgen:
                raise MergeError(f"page {index + 1}: an element owning its content points at another page")
            chain: list[Any] = []
            element: Any = owner
            while element.objgen not in rooted:
                chain.append(element.objgen)
                element = element.get("/P")
                if element is None:
                    raise MergeError(f"page {index + 1}: an element is cut off from the structure root")
                if len(chain) > 256:
                    raise MergeError(f"page {index + 1}: an element's parent chain does not end")
            rooted.update(chain)
        for annotation in page.obj.get("/Annots", Array()):
            key = annotation.get("/StructParent")
            holder: Any = tree.get(int(key)) if key is not None else None
            refs = [k for k in holder.K if isinstance(k, Dictionary) and k.get("/Type") == Name.OBJR] if holder else []
            if not any(ref.Obj.objgen == annotation.objgen for ref in refs):
                raise MergeError(f"page {index + 1}: a link annotation has no structure element referring to it")
            if "/Dest" in annotation and str(annotation.Dest) not in dest_names:
                raise MergeError(f"page {index + 1}: a link points at an unknown name {str(annotation.Dest)!r}")
    flat = pdf.Root.Names.Dests.Names if "/Names" in pdf.Root else Array()
    for i in range(1, len(flat), 2):
        if flat[i][0].objgen not in pages:
            raise MergeError(f"named destination {str(flat[i - 1])!r} points outside the document")


def _dest_names(pdf: Pdf) -> set[str]:
    flat = pdf.Root.Names.Dests.Names if "/Names" in pdf.Root else Array()
    return {str(flat[i]) for i in range(0, len(flat), 2)}
