"""Make Great Expectations Data Docs work offline.

GX 1.x writes pages that load jQuery, Bootstrap, bootstrap-table, Font Awesome and vega from
CDNs. Offline, the index page's tables stay empty (bootstrap-table fills them from data in a
script) and every page is unstyled. :func:`make_offline` copies vendored copies of those files
(``reports/templates/vendor/``, licenses beside them; vega comes from the DVC plots page,
``reports/templates/plots.html``) into the site's ``static/vendor/`` and points every page at
them. Called by the stage that writes the Data Docs, right after they are built::

    from pipeline.offline_docs import make_offline
    make_offline(docs_dir)

``python -m pipeline.offline_docs reports/data_docs`` does the same by hand.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import typer

VENDOR = Path("reports/templates/vendor")
PLOTS_TEMPLATE = Path("reports/templates/plots.html")
SITE_VENDOR = Path("static/vendor")

# CDN address (exact, without query) -> vendored file, relative to VENDOR (or "vega:<pkg>").
CDN: dict[str, str] = {
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/jquery.min.js",
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": (
        "bootstrap-4.3.1/bootstrap.min.css"
    ),
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": (
        "bootstrap-4.3.1/bootstrap.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": (
        "popper.js-1.12.9/popper.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.js": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.js"
    ),
    # GX asks for the 1.19.0 stylesheet of the extension (same rules as in 1.19.1)
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.min.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/"
    "bootstrap-table-filter-control.css": (
        "bootstrap-table-1.19.1/bootstrap-table-filter-control.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/"
    "bootstrap-datepicker.min.js": ("bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/"
    "bootstrap-datepicker.min.css": ("bootstrap-datepicker-1.9.0/bootstrap-datepicker.min.css"),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "fontawesome-free-6.6.0/css/all.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "vega:vega",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega:vega-lite",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega:vega-embed",
}
# Optional extras with no offline copy: the tag is dropped (dark-mode theme only).
DROP: tuple[str, ...] = (
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/"
    "bootstrap-prefers-dark.css",
)
# GX's logos on S3 -> the copy GX itself puts in static/images/.
LOGO = re.compile(r"https://great-expectations-web-assets\.s3[^\"']*?\.png(?:\?[^\"']*)?")
LOCAL_LOGO = "static/images/logo-long.png"
TAG = re.compile(r"<(script|link)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"[^>]*>", re.S)
SRI = re.compile(r"\s+(?:integrity|crossorigin)=\"[^\"]*\"")
VEGA_BLOCK = re.compile(r"<script>/\* ([\w.-]+)@([\w.-]+) [^*]+ \*/\n(.*?)\n</script>", re.S)


def vega_scripts(template: Path = PLOTS_TEMPLATE) -> dict[str, str]:
    """package -> minified code, cut from the offline DVC plots page (checked by SHA-256)."""
    page = template.read_text(encoding="utf-8")
    scripts = {m.group(1): m.group(3) for m in VEGA_BLOCK.finditer(page)}
    for package, code in scripts.items():
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
        if f"{package}@" not in page or digest not in page:
            raise ValueError(f"{template}: {package} does not match its recorded SHA-256")
    if set(scripts) != {"vega", "vega-lite", "vega-embed"}:
        raise ValueError(f"{template}: vega scripts not found ({sorted(scripts)})")
    return scripts


def install_assets(site: Path, vendor: Path = VENDOR, template: Path = PLOTS_TEMPLATE) -> Path:
    """Copy the vendored files into ``<site>/static/vendor``; return that directory."""
    target = site / SITE_VENDOR
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(vendor, target)
    for package, code in vega_scripts(template).items():
        (target / "vega").mkdir(exist_ok=True)
        (target / "vega" / f"{package}.min.js").write_text(code, encoding="utf-8")
    return target


def _vendored_path(asset: str) -> str:
    if asset.startswith("vega:"):
        return f"vega/{asset.removeprefix('vega:')}.min.js"
    return asset


def rewrite_page(html: str, prefix: str) -> str:
    """Point one page's CDN tags at ``<prefix>static/vendor/...``; ``prefix`` leads to the root."""

    def tag(match: re.Match[str]) -> str:
        whole, url = match.group(0), match.group(2)
        if url in DROP:
            return ""
        asset = CDN.get(url)
        if asset is None:
            return whole
        local = f"{prefix}{SITE_VENDOR.as_posix()}/{_vendored_path(asset)}"
        return SRI.sub("", whole.replace(url, local))

    html = TAG.sub(tag, html)
    return LOGO.sub(f"{prefix}{LOCAL_LOGO}", html)


def external_resources(html: str) -> list[str]:
    """Addresses the page still loads from the network (scripts, stylesheets, images)."""
    loads = re.findall(r"<(?:script|link|img)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"", html)
    return [u for u in loads if not u.startswith("https://greatexpectations.io")]


def make_offline(
    site: Path, vendor: Path = VENDOR, template: Path = PLOTS_TEMPLATE
) -> dict[str, list[str]]:
    """Rewrite every page of the Data Docs ``site``; return pages still loading from the web."""
    install_assets(site, vendor, template)
    leftovers: dict[str, list[str]] = {}
    for page in sorted(site.rglob("*.html")):
        if SITE_VENDOR.as_posix() in page.relative_to(site).as_posix():
            continue
        depth = len(page.relative_to(site).parts) - 1
        html = page.read_text(encoding="utf-8")
        new = rewrite_page(html, "../" * depth)
        if new != html:
            tmp = page.with_name(f".{page.name}.tmp")
            tmp.write_text(new, encoding="utf-8")
            os.replace(tmp, page)
        remaining = external_resources(new)
        if remaining:
            leftovers[page.relative_to(site).as_posix()] = remaining
    return leftovers


def main(site: Path = typer.Argument(Path("reports/data_docs"))) -> None:
    leftovers = make_offline(site)
    for page, urls in leftovers.items():
        print(f"{page}: still loads {urls}")
    if leftovers:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
