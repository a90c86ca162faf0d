"""Known embed providers: which URLs become an embed node, and their canonical form.

WordPress turns a URL alone on its line into an oEmbed, and posts carry
``<iframe>`` players; both become :class:`~compiler.model.nodes.Embed` only
when the host is a provider listed here. An iframe from any other host is
dropped (with a warning): a book cannot play it, and it may be a tracker.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

#: Host (or parent domain) → provider name, as WordPress's oEmbed list names them.
PROVIDERS: dict[str, str] = {
    "youtube.com": "youtube", "youtu.be": "youtube", "youtube-nocookie.com": "youtube",
    "vimeo.com": "vimeo", "twitter.com": "twitter", "x.com": "twitter", "wordpress.tv": "wordpress-tv",
    "videopress.com": "videopress", "video.wordpress.com": "videopress", "facebook.com": "facebook",
    "instagram.com": "instagram", "soundcloud.com": "soundcloud", "spotify.com": "spotify",
    "flickr.com": "flickr", "flic.kr": "flickr", "ted.com": "ted", "dailymotion.com": "dailymotion",
    "tiktok.com": "tiktok", "mixcloud.com": "mixcloud", "speakerdeck.com": "speaker-deck",
    "slideshare.net": "slideshare", "reddit.com": "reddit", "tumblr.com": "tumblr", "imgur.com": "imgur",
    "kickstarter.com": "kickstarter", "issuu.com": "issuu", "scribd.com": "scribd",
    "pinterest.com": "pinterest", "bsky.app": "bluesky", "wistia.com": "wistia", "wistia.net": "wistia",
}
_BARE_URL = re.compile(r"^(?P<space>[ \t]*)(?P<url>https?://[^\s<>\"]+)[ \t]*$", re.M | re.I)
_YOUTUBE_EMBED = re.compile(r"^/embed/(?P<id>[\w-]{6,})")
_VIMEO_PLAYER = re.compile(r"^/video/(?P<id>\d+)")


def host(url: str) -> str:
    """The lower-case host of ``url`` without ``www.``, or ''."""
    try:
        name = (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""
    return name[4:] if name.startswith("www.") else name


def provider(url: str) -> str | None:
    """The provider of an http(s) URL, or None when it is not a known one."""
    if not url.strip().lower().startswith(("http://", "https://")):
        return None
    name = host(url)
    while name:
        if name in PROVIDERS:
            return PROVIDERS[name]
        name = name.partition(".")[2]
    return None


def canonical(url: str) -> str:
    """The page a reader can open for a player URL (YouTube and Vimeo players → their video page)."""
    url = url.strip()
    parts = urlsplit(url)
    name = host(url)
    if name in ("youtube.com", "youtube-nocookie.com") and (m := _YOUTUBE_EMBED.match(parts.path)):
        return f"https://www.youtube.com/watch?v={m['id']}"
    if name == "player.vimeo.com" and (m := _VIMEO_PLAYER.match(parts.path)):
        return f"https://vimeo.com/{m['id']}"
    if name == "youtube.com" and parts.path == "/watch" and (v := parse_qs(parts.query).get("v")):
        return f"https://www.youtube.com/watch?v={v[0]}"
    return url


def embed_html(url: str, name: str) -> str:
    """Block-editor markup for an embed, which the HTML reader turns into an Embed node."""
    return (f'<figure class="wp-block-embed is-provider-{html.escape(name)}">'
            f'<div class="wp-block-embed__wrapper">{html.escape(url)}</div></figure>')


def autoembed(text: str) -> str:
    """WordPress's autoembed: a known provider's URL alone on its line becomes an embed."""
    def fix(m: re.Match[str]) -> str:
        name = provider(m["url"])  # the line is HTML: "&amp;" in it is "&" in the URL
        return f"\n{embed_html(html.unescape(m['url']), name)}\n" if name else m[0]
    if "://" not in text:  # every match holds one (the pattern, anchored at line starts, tries every line)
        return text
    return _BARE_URL.sub(fix, text)
