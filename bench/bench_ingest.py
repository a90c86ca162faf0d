"""Benchmark: read a WordPress export and an RSS feed of the same 10,000 posts, and deduplicate them.

The bench writes both files from synthetic posts (:mod:`synth`: the seed
posts renumbered and shuffled, about 4 KB each): the export with every post
as ``content:encoded`` HTML, the feed with the same posts, every fifth one a
summary only (``description``, as a feed set to "Summary" writes it). Each
file is read through the reader registry (sniffing included) from bytes
(both are over the 20 MiB a source may be, :data:`compiler.files.MAX_INPUT_BYTES`,
so the file limit is not what is timed), then the 20,000 copies are
deduplicated. Target (issue #13): at most 10 s for reading and dedup
together. Two ways are timed. The headline is the build's way
(``read_sources``, :func:`compiler.ingest.parallel.read_all`): the export
read here while a worker process reads the feed and sends its copies back,
then dedup; its wall time, from the call to dedup's end (worker start-up and
the copies' transfer included), with this process's CPU time and the
worker's (timed in a separate run of the same read) beside it. Then one
process reading both files and deduplicating (CPU time,
``time.process_time``, which a busy machine inflates less than wall time;
wall time beside it). Prints medians and writes bench/results/ingest.json.
"""

from __future__ import annotations

import gc
import json
import multiprocessing
import pickle
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from html import escape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from synth import _unique, seed_copies  # noqa: E402

from compiler.dedup import dedup  # noqa: E402
from compiler.ingest import ReadOptions, Source, reader_for  # noqa: E402
from compiler.ingest.parallel import cores, read_all  # noqa: E402
from compiler.model import PostCopy  # noqa: E402

POSTS = 10_000
TARGET_S = 10.0


def _posts(n: int) -> list[PostCopy]:
    return _unique(seed_copies(), n, random.Random(13))


def export(posts: list[PostCopy]) -> bytes:
    """A WXR 1.2 export of ``posts`` (published, one category and one tag each)."""
    items = []
    for n, post in enumerate(posts, 1):
        body = "\n\n".join(escape(p, quote=False) for p in post.paragraphs)  # classic editor: wpautop makes <p>
        day = f"20{10 + n % 12:02d}-{1 + n % 12:02d}-{1 + n % 28:02d}"
        items.append(f"""<item><title>{escape(post.title, quote=False)}</title>
<link>https://blog.example/?p={n}</link><dc:creator><![CDATA[author]]></dc:creator>
<content:encoded><![CDATA[{body}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{n}</wp:post_id><wp:post_date>{day} 10:00:00</wp:post_date><wp:post_date_gmt>{day} 16:00:00</wp:post_date_gmt>
<wp:post_name>post-{n}</wp:post_name><wp:status>publish</wp:status><wp:post_parent>0</wp:post_parent>
<wp:menu_order>0</wp:menu_order><wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>
<wp:is_sticky>0</wp:is_sticky><category domain="category" nicename="c{n % 20}"><![CDATA[Category {n % 20}]]></category>
<category domain="post_tag" nicename="t{n % 50}"><![CDATA[Tag {n % 50}]]></category></item>""")
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/"
 xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Bench</title><link>https://blog.example</link><language>en</language>
<wp:wxr_version>1.2</wp:wxr_version>""" + "\n".join(items) + "</channel></rss>\n").encode()


def feed(posts: list[PostCopy]) -> bytes:
    """An RSS 2.0 feed of ``posts``, as WordPress writes one; every fifth item a summary only."""
    items = []
    for n, post in enumerate(posts, 1):
        html = "".join(f"<p>{escape(p, quote=False)}</p>\n" for p in post.paragraphs)
        opening = escape(" ".join(post.paragraphs)[:300].rsplit(" ", 1)[0], quote=False) + " [&#8230;]"
        content = "" if n % 5 == 0 else f"<content:encoded><![CDATA[{html}]]></content:encoded>"
        day = f"{1 + n % 28:02d} {('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec')[n % 12]}"
        items.append(f"""<item><title>{escape(post.title, quote=False)}</title>
<link>https://blog.example/?p={n}</link><guid isPermaLink="false">https://blog.example/?p={n}</guid>
<pubDate>Mon, {day} 20{10 + n % 12:02d} 16:00:00 +0000</pubDate><dc:creator>author</dc:creator>
<category><![CDATA[Category {n % 20}]]></category><slash:comments>{n % 4}</slash:comments>
<description><![CDATA[{opening}]]></description>{content}</item>""")
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:slash="http://purl.org/rss/1.0/modules/slash/">
<channel><title>Bench</title><link>https://blog.example</link><language>en</language>
""" + "\n".join(items) + "</channel></rss>\n").encode()


def _read(data: bytes, name: str) -> tuple[list[PostCopy], str]:
    reader = reader_for(data)
    return list(reader.read(data, name, ReadOptions()).copies), reader.name


def timed_read(data: bytes, name: str) -> tuple[float, int]:
    """In a worker: the CPU seconds a read takes there, pickling its result included, and the pickle's size."""
    start = time.process_time()
    result = read_all([(data, name)], ReadOptions())
    size = len(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    return time.process_time() - start, size


def _worker_cpu(data: bytes, name: str) -> float:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("forkserver")) as pool:
        return pool.submit(timed_read, data, name).result()[0]


def _parallel(wxr_bytes: bytes, feed_bytes: bytes, n: int) -> dict[str, float]:
    """The build's way (``read_sources``): both files read side by side (:mod:`compiler.ingest.parallel`),
    then dedup. The wall time covers exactly that; the worker's CPU time is taken in a second,
    separate run of the same read (a worker's CPU time is not this process's to read)."""
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    results = read_all([(wxr_bytes, "bench.wxr.xml"), (feed_bytes, "bench.rss.xml")], ReadOptions())
    read_cpu, read_wall = time.process_time() - cpu, time.perf_counter() - wall
    sources = [r[0] for r in results]
    assert all(isinstance(s, Source) for s in sources), [r[1][:1] for r in results]
    copies = [c for s in sources if isinstance(s, Source) for c in s.copies]
    start = time.process_time()
    unique, _ = dedup(copies)
    dedup_cpu = time.process_time() - start
    wall = time.perf_counter() - wall
    assert len(unique) == n
    del results, sources, copies, unique
    read_children = _worker_cpu(feed_bytes, "bench.rss.xml")  # the worker's share, timed there (same work)
    return {"wall_s": wall, "read_wall_s": read_wall, "read_cpu_here_s": read_cpu,
            "read_cpu_worker_s": read_children, "dedup_s": dedup_cpu,
            "cpu_here_s": read_cpu + dedup_cpu, "critical_path_s": max(read_cpu, read_children) + dedup_cpu}


def main(runs: int = 3, n: int = POSTS) -> dict[str, object]:
    posts = _posts(n)
    wxr_bytes, feed_bytes = export(posts), feed(posts)
    rows, parallel = [], []
    for _ in range(runs):
        gc.collect()
        wall, t0 = time.perf_counter(), time.process_time()
        wxr_copies, wxr_name = _read(wxr_bytes, "bench.wxr.xml")
        t1 = time.process_time()
        feed_copies, feed_name = _read(feed_bytes, "bench.rss.xml")
        t2 = time.process_time()
        unique, merges = dedup(wxr_copies + feed_copies)
        t3 = time.process_time()
        wall = time.perf_counter() - wall
        assert (wxr_name, feed_name) == ("wxr", "feed") and len(unique) == n, (wxr_name, feed_name, len(unique))
        rows.append({"wall_s": wall, "read_wxr_s": t1 - t0, "read_feed_s": t2 - t1, "dedup_s": t3 - t2,
                     "total_s": t3 - t0, "copies": len(wxr_copies) + len(feed_copies), "unique_posts": len(unique),
                     "merges": len(merges), "excerpt_merges": sum(m.reason == "excerpt" for m in merges)})
        parallel.append(_parallel(wxr_bytes, feed_bytes, n))
    median = {k: round(statistics.median(float(r[k]) for r in rows), 3)
              for k in ("read_wxr_s", "read_feed_s", "dedup_s", "total_s", "wall_s")}
    side = {k: round(statistics.median(r[k] for r in parallel), 3) for k in parallel[0]}
    result = {"benchmark": "ingest", "runs": runs, "posts": n, "cores": cores(),
              "wxr_mib": round(len(wxr_bytes) / 2**20, 1), "feed_mib": round(len(feed_bytes) / 2**20, 1),
              "wall_s": side["wall_s"], "serial_cpu": median, "parallel": side, "target_s": TARGET_S,
              "copies": rows[0]["copies"],
              "unique_posts": rows[0]["unique_posts"], "merges": rows[0]["merges"],
              "excerpt_merges": rows[0]["excerpt_merges"]}
    print(f"{n:,} posts: export {result['wxr_mib']} MiB, feed {result['feed_mib']} MiB; "
          f"{result['copies']:,} copies -> {result['unique_posts']:,} posts ({result['excerpt_merges']:,} excerpts); "
          f"medians of {runs} run(s)")
    print(f"as the build reads them (read_sources: the export here, the feed in a worker, on {cores()} cores), "
          "then dedup:")
    print(f"{'wall s':>7} {'target s':>9} {'read wall s':>12} {'CPU here s':>11} {'CPU worker s':>13} {'dedup s':>8}")
    print(f"{side['wall_s']:>7} {TARGET_S:>9} {side['read_wall_s']:>12} {side['cpu_here_s']:>11} "
          f"{side['read_cpu_worker_s']:>13} {side['dedup_s']:>8}")
    print("one process (CPU seconds, which a busy machine inflates less than wall time; wall beside):")
    print(f"{'read WXR s':>11} {'read feed s':>12} {'dedup s':>8} {'total s':>8} {'wall s':>7} {'target s':>9}")
    print(f"{median['read_wxr_s']:>11} {median['read_feed_s']:>12} {median['dedup_s']:>8} {median['total_s']:>8} "
          f"{median['wall_s']:>7} {TARGET_S:>9}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "ingest.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3, int(sys.argv[2]) if len(sys.argv) > 2 else POSTS)
