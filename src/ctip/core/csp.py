"""Content-Security-Policy and Permissions-Policy on every answer (decision record 0024).

The policy itself lives in ``settings.CONTENT_SECURITY_POLICY`` (django-csp 4). This module adds
what django-csp leaves to the project:

- ``PolicyMiddleware``: django-csp's middleware with the few relaxations the Wagtail admin needs,
  confined to the paths under ``CMS_PREFIX`` (see ``CMS_REPLACE``). Everything else -- the
  bulletin, the staff pages, sign-in, error pages -- gets the strict policy.
- ``PermissionsPolicyMiddleware``: denies the browser features ctip never uses (camera,
  microphone, geolocation, payment, USB ...) to every page and to anything it might embed.
"""

from __future__ import annotations

from collections.abc import Callable

from csp.constants import NONCE, SELF
from csp.middleware import CSPMiddleware, PolicyParts
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

# Wagtail's admin. Our own sign-in redirect at /cms/login/ is not Wagtail's and stays strict.
CMS_PREFIX = "/cms/"
CMS_STRICT_PATHS = ("/cms/login/",)

# What the Wagtail admin (Wagtail 8.0) needs beyond the strict policy, and nothing more. Its
# scripts and styles are held to the strict policy like every other page ('self' and the nonce):
# Wagtail's inline set-up scripts are written as JSON blocks that portal/cms-init.js runs, and the
# rich-text editor's <style> elements get the nonce (ctip.portal.cms_scripts, decision record
# 0041; measured in tests/e2e/test_csp.py and tests/e2e/test_cms_policy.py).
#
# - ``img-src data: blob:``: previews of images chosen for upload (images only, no script).
# - ``frame-src 'self'``, ``frame-ancestors 'self'``: the live preview shows the page in a frame
#   of the editor.
CMS_REPLACE: dict[str, list[str]] = {
    "img-src": [SELF, "data:", "blob:"],
    "frame-src": [SELF],
    "frame-ancestors": [SELF],
}


def is_cms_path(path: str) -> bool:
    return path.startswith(CMS_PREFIX) and not path.startswith(CMS_STRICT_PATHS)


class PolicyMiddleware(CSPMiddleware):
    """django-csp's middleware; paths of the Wagtail admin get ``CMS_REPLACE``."""

    def get_policy_parts(self, request: HttpRequest, response: HttpResponseBase,
                         report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and is_cms_path(request.path_info):
            parts.replace = {**CMS_REPLACE, **(parts.replace or {})}
        return parts


# Features denied to the page and to every frame: ``()`` is the empty allow-list. Only features
# Chromium knows are named (an unknown one is reported on the console of every page).
PERMISSIONS_POLICY: dict[str, str] = {
    "accelerometer": "()",
    "autoplay": "()",
    "camera": "()",
    "display-capture": "()",
    "encrypted-media": "()",
    "fullscreen": "(self)",
    "geolocation": "()",
    "gyroscope": "()",
    "hid": "()",
    "idle-detection": "()",
    "magnetometer": "()",
    "microphone": "()",
    "midi": "()",
    "payment": "()",
    "picture-in-picture": "()",
    "publickey-credentials-get": "()",
    "screen-wake-lock": "()",
    "serial": "()",
    "usb": "()",
    "xr-spatial-tracking": "()",
}
PERMISSIONS_POLICY_HEADER = ", ".join(f"{k}={v}" for k, v in PERMISSIONS_POLICY.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Permissions-Policy" not in response:
            response["Permissions-Policy"] = PERMISSIONS_POLICY_HEADER
        return response


__all__ = ["CMS_REPLACE", "NONCE", "PERMISSIONS_POLICY", "PermissionsPolicyMiddleware",
           "PolicyMiddleware", "is_cms_path"]
