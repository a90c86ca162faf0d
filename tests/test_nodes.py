"""The rich model: frozen, picklable, and one text walk that no str field escapes."""

import dataclasses
import datetime as dt
import pickle
import types
import typing

import pytest

from compiler.ingest.wxr import Export
from compiler.model import entries, nodes
from compiler.model.nodes import (
    EXEMPT, ROLE, ROLES, Blockquote, CodeBlock, Content, Emphasis, Figure, Footnote, FootnoteRef, Image, Link,
    Paragraph, Text, iter_text, map_text, plain_text,
)

WALKED = (*nodes.NODE_TYPES, entries.Entry, entries.Comment, entries.Category, entries.Attachment, entries.Author,
          entries.LeftOut, Export)


def sample(tp, label, depth=0):
    """A value of type ``tp`` built from the annotation alone; unknown types fail the test."""
    origin = typing.get_origin(tp)
    if tp is str:
        return f"<{label}>"
    if tp is bool:
        return True
    if tp is int:
        return 3
    if tp is float:
        return 2.5
    if tp is type(None):
        return None
    if tp is dt.datetime:
        return dt.datetime(2020, 1, 2, 3, 4, 5)
    if origin is tuple:
        args = typing.get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return () if depth > 8 else (sample(args[0], label, depth + 1),)
        return tuple(sample(a, f"{label}.{i}", depth + 1) for i, a in enumerate(args))
    if origin in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        return sample(members[0], label, depth)
    if dataclasses.is_dataclass(tp):
        return build(tp, depth + 1)
    raise AssertionError(f"{label}: type {tp!r} is unknown to the text walk; give the field a model type")


def build(cls, depth=0):
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: sample(hints[f.name], f"{cls.__name__}.{f.name}", depth) for f in dataclasses.fields(cls)})


def strings(a, b, path="root"):
    """(path, role, before, after) for every str in two trees of the same shape, read field by field."""
    if dataclasses.is_dataclass(a):
        for f in dataclasses.fields(a):
            role = f.metadata.get(ROLE, "prose")
            for item in strings(getattr(a, f.name), getattr(b, f.name), f"{path}.{f.name}"):
                yield item if item[1] is not None else (item[0], role, item[2], item[3])
    elif isinstance(a, tuple):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from strings(x, y, f"{path}[{i}]")
    elif isinstance(a, str):
        yield path, None, a, b


@pytest.mark.parametrize("cls", WALKED, ids=lambda c: c.__name__)
def test_every_str_field_is_walked_or_exempt(cls):
    obj = build(cls)
    mapped = map_text(obj, lambda s: s + "†")
    found = list(strings(obj, mapped))
    assert found or cls in (nodes.LineBreak, nodes.ThematicBreak)
    for path, role, before, after in found:
        if role == EXEMPT:
            assert after == before, f"{path} is exempt but was mapped"
        else:
            assert role in ROLES, f"{path} has an unknown role {role!r}"
            assert after == before + "†", f"{path} escaped map_text"
    walked = sorted(iter_text(obj, ROLES))
    assert walked == sorted(b for _, role, b, _ in found if role != EXEMPT)


@pytest.mark.parametrize("cls", WALKED, ids=lambda c: c.__name__)
def test_nodes_are_frozen_slotted_and_picklable(cls):
    obj = build(cls)
    params = getattr(cls, "__dataclass_params__")
    assert params.frozen and hasattr(cls, "__slots__")
    assert pickle.loads(pickle.dumps(obj)) == obj
    first = dataclasses.fields(cls)[0].name if dataclasses.fields(cls) else None
    if first:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, first, None)


def test_a_field_the_walk_does_not_know_is_refused():
    @dataclasses.dataclass(frozen=True)
    class Sneaky:
        words: list  # a mutable list would slip past a walk that only knew tuples

    with pytest.raises(TypeError, match="Sneaky.words"):
        map_text(Sneaky(["Natasha"]), str.upper)
    with pytest.raises(TypeError, match="Sneaky.words"):
        list(iter_text(Sneaky(["Natasha"])))
    with pytest.raises(AssertionError, match="unknown to the text walk"):
        build(Sneaky)


def _content():
    return Content(
        (Paragraph((Text("Natasha wrote "), Emphasis((Text("twice"),)), Link("https://ex.com/Natasha", (Text("here"),),
                                                                           "Natasha’s page"), FootnoteRef("n1"))),
         Figure((Image("https://ex.com/Natasha.jpg", "Natasha smiling", 300, 200),), (Text("Natasha, 2012"),)),
         Blockquote((Paragraph((Text("Quoted"),)),), (Text("Natasha"),)),
         CodeBlock("name = 'Natasha'", "python")),
        (Footnote("n1", (Paragraph((Text("A note on Natasha"),)),)),))


def test_map_text_reaches_alt_captions_urls_attribution_code_and_footnotes():
    redacted = map_text(_content(), lambda s: s.replace("Natasha", "N."))
    assert not any("Natasha" in s for s in iter_text(redacted, ROLES))
    assert sum("Natasha" in s for s in iter_text(_content(), ROLES)) == 9
    assert redacted.blocks[3].language == "python"  # exempt, untouched
    assert redacted.footnotes[0].id == "n1"


def test_map_text_only_given_roles_and_returns_the_same_object_when_nothing_changes():
    content = _content()
    assert map_text(content, lambda s: s) is content
    prose_only = map_text(content, str.upper, roles=("prose",))
    link = prose_only.blocks[0].children[2]
    assert link.href == "https://ex.com/Natasha" and link.children == (Text("HERE"),)
    assert prose_only.blocks[1].images[0].alt == "Natasha smiling"


def test_iter_text_defaults_to_prose_in_document_order():
    assert list(iter_text(_content())) == [
        "Natasha wrote ", "twice", "here", "Natasha, 2012", "Quoted", "Natasha", "A note on Natasha"]


def test_plain_text_joins_inlines_and_separates_blocks():
    text = plain_text(_content())
    assert text.split("\n\n") == ["Natasha wrote twicehere", "Natasha, 2012", "Quoted", "Natasha",
                                  "name = 'Natasha'", "A note on Natasha"]
