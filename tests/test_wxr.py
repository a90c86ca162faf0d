"""The WordPress export reader: safe streaming XML, statuses, metadata, comments, and the real corpora."""

import datetime as dt
import html
import re
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from compiler.errors import CompilerError
from conftest import CORPORA, WXR_EXPORTS
from compiler.ingest.wxr import read_wxr, read_wxr_bytes
from compiler.model.nodes import ROLES, Embed, Figure, Paragraph, Text, iter_text, plain_text

WXR_FILES = WXR_EXPORTS


def wxr(items, ns="http://wordpress.org/export/1.2/", channel=""):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="{ns}excerpt/" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{ns}">
<channel><title>Blog &amp; Co</title><link>https://blog.example</link><language>en</language>
<wp:wxr_version>{ns[-4:-1]}</wp:wxr_version>{channel}{items}</channel></rss>""".encode()


def item(pid, title="T", status="publish", kind="post", password="", body="<p>Body</p>", extra="",
         date="2012-03-04 05:06:07", gmt="2012-03-04 12:06:07", slug=None):
    return f"""<item><title>{title}</title><dc:creator><![CDATA[jdoe]]></dc:creator>
<content:encoded><![CDATA[{body}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{pid}</wp:post_id><wp:post_date>{date}</wp:post_date><wp:post_date_gmt>{gmt}</wp:post_date_gmt>
<wp:post_name>{slug or f"post-{pid}"}</wp:post_name><wp:status>{status}</wp:status><wp:post_parent>0</wp:post_parent>
<wp:menu_order>0</wp:menu_order><wp:post_type>{kind}</wp:post_type><wp:post_password>{password}</wp:post_password>
<wp:is_sticky>0</wp:is_sticky>{extra}</item>"""


def comment(cid, parent=0, approved="1", kind="", date="2012-03-05 10:00:00", text="Nice"):
    return f"""<wp:comment><wp:comment_id>{cid}</wp:comment_id>
<wp:comment_author><![CDATA[Reader {cid}]]></wp:comment_author>
<wp:comment_date>{date}</wp:comment_date><wp:comment_content><![CDATA[{text}]]></wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>{kind}</wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"""


@pytest.mark.parametrize("ns", ["http://wordpress.org/export/1.0/", "http://wordpress.org/export/1.1/",
                                "https://wordpress.org/export/1.2/"])
def test_every_wxr_namespace_is_read(ns):
    export = read_wxr_bytes(wxr(item(1), ns=ns))
    assert [p.title for p in export.posts] == ["T"]
    assert export.title == "Blog & Co" and export.version == ns[-4:-1]


def test_only_published_posts_without_password_are_kept_the_rest_is_counted():
    statuses = ["publish", "draft", "pending", "private", "future", "trash", "auto-draft"]
    items = "".join(item(i, status=s) for i, s in enumerate(statuses, 1))
    items += item(20, password="secret") + item(21, kind="page", slug="about") + item(22, kind="page", status="draft")
    items += item(23, kind="nav_menu_item") + item(24, kind="attachment")
    export = read_wxr_bytes(wxr(items))
    assert [p.id for p in export.posts] == [1]
    assert export.left_out_count("post") == Counter({s: 1 for s in statuses[1:]} | {"password": 1})
    assert export.left_out_count("page") == Counter({"draft": 1})
    assert list(export.pages_by_slug) == ["about"]
    assert export.other_items == (("nav_menu_item", 1),)
    assert [a.id for a in export.attachments] == [24]


def test_metadata_categories_tags_authors_format_sticky_and_local_time():
    channel = """<wp:author><wp:author_login>jdoe</wp:author_login><wp:author_display_name><![CDATA[Jane Doe]]>
</wp:author_display_name></wp:author>
<wp:category><wp:category_nicename>world</wp:category_nicename><wp:category_parent></wp:category_parent>
<wp:cat_name><![CDATA[World]]></wp:cat_name></wp:category>
<wp:category><wp:category_nicename>asia</wp:category_nicename><wp:category_parent>world</wp:category_parent>
<wp:cat_name><![CDATA[Asia]]></wp:cat_name></wp:category>
<wp:category><wp:category_nicename>kz</wp:category_nicename><wp:category_parent>asia</wp:category_parent>
<wp:cat_name><![CDATA[Kazakhstan]]></wp:cat_name></wp:category>"""
    terms = ('<category domain="category" nicename="kz"><![CDATA[Kazakhstan]]></category>'
             '<category domain="post_tag" nicename="law"><![CDATA[Law &amp; order]]></category>'
             '<category domain="post_format" nicename="post-format-aside"><![CDATA[Aside]]></category>')
    body = item(1, extra=terms).replace("<wp:is_sticky>0", "<wp:is_sticky>1")
    post = read_wxr_bytes(wxr(body, channel=channel)).posts[0]
    assert post.categories[0].path == ("World", "Asia", "Kazakhstan")
    assert post.tags == ("Law & order",) and post.format == "aside" and post.sticky
    assert post.author == "Jane Doe"
    assert post.date == dt.datetime(2012, 3, 4, 5, 6, 7) and post.utc_offset == -7 * 60


def test_comments_approved_only_threaded_and_in_date_order():
    comments = (comment(1, date="2012-03-06 09:00:00") + comment(2, date="2012-03-05 09:00:00")
                + comment(3, parent=1, date="2012-03-07 09:00:00") + comment(4, parent=1, date="2012-03-06 10:00:00")
                + comment(5, approved="0") + comment(6, approved="spam") + comment(7, kind="pingback")
                + comment(8, kind="trackback") + comment(9, parent=5, text="Reply to a held comment")
                + comment(10, approved="trash"))
    export = read_wxr_bytes(wxr(item(1, extra=comments)))
    post = export.posts[0]
    assert [c.id for c in post.comments] == [2, 9, 1]  # an orphaned reply stands at the top level, by date
    assert [c.id for c in post.comments[2].replies] == [4, 3]
    assert post.comment_count == 5 and post.comments[0].author == "Reader 2"
    assert dict(export.comments_left_out) == {"unapproved": 1, "spam": 1, "pingback": 1, "trackback": 1, "trash": 1}
    assert post.comments[0].content.blocks == (Paragraph((Text("Nice"),)),)


def test_classic_body_gets_paragraphs_and_block_body_does_not():
    export = read_wxr_bytes(wxr(item(1, body="One\ntwo\n\nThree<!--more-->") +
                                item(2, body="<!-- wp:paragraph -->\n<p>Block\ntext</p>\n<!-- /wp:paragraph -->")))
    assert plain_text(export.posts[0].content) == "One\ntwo\n\nThree"
    assert plain_text(export.posts[1].content) == "Block text"


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&lol9;</title></channel></rss>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<rss xmlns:wp="http://wordpress.org/export/1.2/"><channel><title>&x;</title></channel></rss>"""


@pytest.mark.parametrize("data", [BOMB, XXE], ids=["billion-laughs", "external-entity"])
def test_dtds_and_entities_are_refused_without_expanding(data):
    start = time.monotonic()
    with pytest.raises(CompilerError) as info:
        read_wxr_bytes(data, "evil.xml")
    assert time.monotonic() - start < 2
    assert info.value.diagnostics[0].code == "E120" and info.value.diagnostics[0].file == "evil.xml"


def test_not_wxr_and_broken_xml_are_reported():
    with pytest.raises(CompilerError) as info:
        read_wxr_bytes(b"<rss><channel><item><title>x</title></item></channel></rss>")
    assert info.value.diagnostics[0].code == "E122"
    with pytest.raises(CompilerError) as info:
        read_wxr_bytes(wxr(item(1))[:-20])
    assert info.value.diagnostics[0].code == "E121"


# ------------------------------------------------------------------ the real exports

def corpus(name):
    path = CORPORA / WXR_FILES[name]
    if not path.is_file():
        pytest.skip(f"corpus {WXR_FILES[name]} not found under {CORPORA} (the shared corpora are not on this machine)")
    return path


def _wp(element, name):
    """The text of the child ``wp:name`` in any WXR namespace (ElementTree, independent of the reader)."""
    for child in element:
        if re.fullmatch(r"\{https?://wordpress\.org/export/1\.\d/\}" + name, child.tag):
            return (child.text or "").strip()
    return ""


def expected_counts(path):
    """Posts kept and left out, pages, comments kept, counted with ElementTree over the raw file."""
    kept, left, pages, comments = 0, Counter(), 0, 0
    for element in ET.parse(path).getroot().iter("item"):
        kind, status, password = _wp(element, "post_type"), _wp(element, "status"), _wp(element, "post_password")
        published = status == "publish" and not password
        if kind == "post":
            if published:
                kept += 1
            else:
                left["password" if status == "publish" else status] += 1
        pages += kind == "page" and published
        if kind in ("post", "page") and published:
            for c in element:
                if c.tag.endswith("}comment"):
                    comments += _wp(c, "comment_approved") == "1" and _wp(c, "comment_type") in ("", "comment")
    return kept, left, pages, comments


#: Post items per file and left out by status, from corpora/README.md's inventory (counted apart from this code).
INVENTORY = {"theme-unit-test": (58, {"future": 1, "draft": 1, "password": 1}), "block-test": (61, {}),
             "wptest": (37, {"future": 1, "draft": 1, "password": 1}), "jekyll-import": (7, {}),
             "theme-test-ja": (42, {"future": 1, "draft": 2, "password": 1})}


@pytest.mark.parametrize("name", WXR_FILES)
def test_corpus_counts(name):
    path = corpus(name)
    export = read_wxr(path)
    kept, left, pages, comments = expected_counts(path)
    assert len(export.posts) == kept
    assert export.left_out_count("post") == left
    assert len(export.pages) == pages
    assert sum(e.comment_count for e in export.posts + export.pages) == comments
    items, statuses = INVENTORY[name]
    assert len(export.posts) + sum(statuses.values()) == items
    assert dict(export.left_out_count("post")) == statuses
    assert len({p.id for p in export.posts}) == len(export.posts)


def raw_words(body):
    """The words of a raw body: comments, shortcodes, scripts, styles and tags removed by regex."""
    text = re.sub(r"<!--.*?-->|\[[^\]]*\]|<(script|style|button|object|form|textarea)\b.*?</\1>|<[^>]+>", " ", body,
                  flags=re.S | re.I)
    return re.findall(r"[^\W\d_]{3,}", html.unescape(text))


@pytest.mark.parametrize("name", WXR_FILES)
def test_corpus_bodies_keep_their_words(name):
    path = corpus(name)
    export = read_wxr(path)
    raw_bodies = {}
    for element in ET.parse(path).getroot().iter("item"):
        body = next((c.text or "" for c in element if c.tag.endswith("}encoded") and "content" in c.tag), "")
        raw_bodies[_wp(element, "post_id") or "0"] = body  # tut-ja has a post without an id
    missing, total = [], 0
    for post in export.posts:
        text = " ".join(iter_text(post.content, ROLES))
        words = set(re.findall(r"[^\W\d_]{3,}", text))
        expected = raw_words(raw_bodies[str(post.id)])
        total += len(expected)
        # CJK has no spaces: a "word" cut at a tag ("<big>大きな</big>文字") is found inside the text
        missing += [(post.title, w) for w in expected if w not in words and w not in text]
    assert total > 300
    assert missing == [], f"{len(missing)} of {total} words lost"
    empty = [p.title for p in export.posts if not p.content.blocks]
    assert len(empty) <= 2, empty  # "Edge Case: No Content"


def test_corpus_classic_features():
    export = read_wxr(corpus("theme-unit-test"))
    by_title = {p.title: p for p in export.posts}
    assert sum(p.sticky for p in export.posts) == 1 and by_title["Template: Sticky"].sticky
    assert max(len(c.path) for p in export.posts for c in p.categories) == 3
    assert {p.format for p in export.posts} >= {"aside", "audio", "chat", "gallery", "image", "link", "quote",
                                                 "status", "video"}
    assert {o for p in export.posts if (o := p.utc_offset) is not None} >= {0, -420}
    caption = by_title["Post Format: Image (Caption)"].content.blocks[0]
    assert isinstance(caption, Figure) and plain_text(caption) == "Bell on wharf in San Francisco"
    assert isinstance(by_title["Post Format: Video (YouTube)"].content.blocks[0], Embed)
    comments = by_title["Template: Comments"].comments
    depth, node = 1, next(c for c in comments if c.replies)
    while node.replies:
        depth, node = depth + 1, node.replies[0]
    assert depth == 10
    assert any("'>themereviewteam'" in w for w in export.warnings)


def test_corpus_block_footnotes_and_embeds():
    export = read_wxr(corpus("block-test"))
    notes = [p for p in export.posts if p.content.footnotes]
    assert len(notes) == 1 and [plain_text(f) for f in notes[0].content.footnotes] == ["A note", "Another note"]
    assert sum(isinstance(b, Embed) for p in export.posts for b in p.content.blocks) >= 20


def test_corpus_japanese_titles_and_terms():
    export = read_wxr(corpus("theme-test-ja"))
    assert sum(bool(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", p.title)) for p in export.posts) >= 30
    assert any(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", c.name) for p in export.posts for c in p.categories)


def test_blank_lines_before_the_xml_declaration_are_skipped_and_errors_keep_their_line(tmp_path):
    path = tmp_path / "export.xml"
    path.write_bytes(b"\n\n  \n" + wxr(item(1)))
    assert [p.id for p in read_wxr(path).posts] == [1]
    path.write_bytes(b"\n\n" + wxr(item(1)).replace(b"</channel>", b"</chanel>"))
    with pytest.raises(CompilerError) as info:
        read_wxr(path)
    broken = next(n for n, line in enumerate(path.read_text().split("\n"), 1) if "</chanel>" in line)
    assert info.value.diagnostics[0].code == "E121" and info.value.diagnostics[0].line == broken
    with pytest.raises(CompilerError) as info:
        read_wxr(tmp_path / "missing.xml")
    assert info.value.diagnostics[0].code == "E123"


def test_comment_threads_deeper_than_the_cap_loops_and_missing_ids_lose_no_comment():
    from compiler.model.nodes import MAX_DEPTH
    chain = "".join(comment(i, parent=i - 1, date=f"2012-03-05 10:{i % 60:02d}:{i // 60:02d}")
                    for i in range(1, MAX_DEPTH + 20))
    loop = comment(500, parent=501) + comment(501, parent=500, date="2012-03-06 10:00:00")
    no_id = comment(0, text="No id") + comment(0, text="No id either")
    post = read_wxr_bytes(wxr(item(1, extra=chain + loop + no_id))).posts[0]
    assert post.comment_count == MAX_DEPTH + 19 + 2 + 2
    texts = []
    stack = list(post.comments)
    while stack:
        c = stack.pop()
        texts.append(plain_text(c.content))
        stack.extend(c.replies)
    assert texts.count("No id") == 1 and texts.count("No id either") == 1


def test_an_export_of_tens_of_mb_is_read_and_a_page_that_size_is_not(tmp_path: Path) -> None:
    """Exports and feeds may run to tens of MB (up to files.MAX_EXPORT_BYTES); a text page over
    20 MiB is still refused (E101) before it is read."""
    import resource

    from compiler import files
    from compiler.ingest import read_sources

    body = "<p>" + "A long post about the shelters. " * 2000 + "</p>"  # ~64 KB a post
    export = tmp_path / "big.xml"
    export.write_bytes(wxr("".join(item(n, f"Post {n}", body=body) for n in range(1, 341))))
    assert export.stat().st_size > files.MAX_INPUT_BYTES
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (source,) = read_sources([export], tmp_path)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert len(source.copies) == 340
    assert grown_mib < 20 * export.stat().st_size / 2**20  # bounded by the file, not blown up
    page = tmp_path / "page.txt"
    page.write_text("Posts tagged big\n\n" + "x" * (files.MAX_INPUT_BYTES + 1))
    with pytest.raises(CompilerError) as caught:
        read_sources([page], tmp_path)
    assert caught.value.diagnostics[0].code == "E101"
