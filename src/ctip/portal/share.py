"""Share links to Facebook and Zalo: plain links that open the network's own share page.
No script or widget of theirs is loaded by the bulletin, so nothing reaches them unless the
reader follows the link."""

from __future__ import annotations

from urllib.parse import quote

from django.utils.translation import gettext as _

FACEBOOK = "https://www.facebook.com/sharer/sharer.php?u={url}"
ZALO = "https://sp.zalo.me/share_to_zalo?url={url}"


def links(url: str) -> list[dict[str, str]]:
    encoded = quote(url, safe="")
    return [
        {"network": "facebook", "label": _("Share on Facebook"),
         "href": FACEBOOK.format(url=encoded)},
        {"network": "zalo", "label": _("Share on Zalo"), "href": ZALO.format(url=encoded)},
    ]
