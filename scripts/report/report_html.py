"""The self-contained HTML page: inline CSS, figures as base64 PNG, no external resource of any kind (the
Content-Security-Policy forbids loading one, so the page provably opens offline)."""
import base64
import html

CSS = """
:root { --ink: #1f3b5c; --muted: #5b6670; --rule: #d9dee3; --band: #f4f7fa; --warn: #b03a2e; }
* { box-sizing: border-box; }
body { margin: 0; background: #eef1f4; color: #1d2329; font: 14px/1.5 "DejaVu Sans", "Segoe UI", Helvetica,
       Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; background: #fff; padding: 28px 40px 48px;
       box-shadow: 0 0 12px rgba(0,0,0,.08); }
h1 { font-size: 25px; margin: 0 0 4px; color: var(--ink); }
h2 { font-size: 19px; margin: 38px 0 8px; padding-bottom: 5px; border-bottom: 2px solid var(--ink);
     color: var(--ink); }
h3 { font-size: 15px; margin: 22px 0 6px; color: var(--ink); }
p, li { max-width: 1080px; }
.subtitle { color: var(--muted); margin: 0 0 18px; }
.meta { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px 18px; background: var(--band);
        border: 1px solid var(--rule); border-radius: 6px; padding: 12px 16px; }
.meta div { min-width: 0; overflow-wrap: anywhere; }
.meta .k { display: block; font-size: 11px; text-transform: uppercase; letter-spacing: .04em;
           color: var(--muted); }
.meta .v { font-weight: 600; }
.meta .wide { grid-column: 1 / -1; }
.meta code { font-size: 12px; font-weight: normal; }
.status-ok { color: #1e7d3a; }
.status-bad { color: var(--warn); }
.banner { background: #fdecea; border: 2px solid var(--warn); color: #7b241c; padding: 12px 16px;
          border-radius: 6px; margin: 14px 0; font-weight: 600; }
nav.toc { margin: 16px 0 0; font-size: 13px; }
nav.toc a { margin-right: 14px; color: var(--ink); }
table { border-collapse: collapse; margin: 10px 0 6px; font-size: 13px; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--rule); vertical-align: top; }
th { background: var(--ink); color: #fff; font-weight: 600; text-align: right; white-space: nowrap; }
th.l, td.l, td.name { text-align: left; }
td { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) td { background: var(--band); }
td .ci { display: block; color: var(--muted); font-size: 11px; }
td.name { font-weight: 600; }
td.name .doc { display: block; font-weight: normal; color: var(--muted); font-size: 11px; white-space: normal;
               max-width: 260px; }
.wide-table { overflow-x: auto; }
figure { margin: 14px 0 22px; }
figure img { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { color: var(--muted); font-size: 12.5px; margin-top: 6px; max-width: 1080px; }
.note { color: var(--muted); font-size: 12.5px; }
details { margin: 10px 0; border: 1px solid var(--rule); border-radius: 6px; padding: 6px 12px;
          background: var(--band); }
summary { cursor: pointer; font-weight: 600; color: var(--ink); }
pre { font-size: 12px; line-height: 1.4; overflow-x: auto; background: #fff; border: 1px solid var(--rule);
      padding: 10px; max-height: 560px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--rule);
         padding-top: 10px; }
@media print { body { background: #fff; } main { box-shadow: none; } details { display: block; } }
"""

# Records script errors, failed resources and console errors, and how many images decoded, as attributes
# of <html>: headless checks (tests/cli/report_browser.sh) read them from the DOM. It changes nothing visible.
SELF_CHECK = """
(function () {
  var errors = [];
  window.addEventListener('error', function (e) {
    var t = e.target;
    errors.push(t && t !== window && (t.src || t.href) ? 'failed to load ' + (t.tagName || 'resource')
                                                      : String(e.message || 'script error'));
  }, true);
  var original = console.error;
  console.error = function () {
    errors.push(Array.prototype.join.call(arguments, ' '));
    return original.apply(console, arguments);
  };
  window.addEventListener('load', function () {
    var images = document.images, decoded = 0;
    for (var i = 0; i < images.length; i++) {
      if (images[i].complete && images[i].naturalWidth > 0) decoded++;
    }
    var root = document.documentElement;
    root.setAttribute('data-selfcheck-images', String(images.length));
    root.setAttribute('data-selfcheck-images-ok', String(decoded));
    root.setAttribute('data-selfcheck-errors', String(errors.length));
    root.setAttribute('data-selfcheck-error-text', errors.join(' | '));
    root.setAttribute('data-selfcheck', 'done');
  });
})();
"""

CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "base-uri 'none'; form-action 'none'")


def esc(text):
    return html.escape(str(text), quote=True)


def figure(png_bytes, alt, caption_html, file_name):
    data = base64.b64encode(png_bytes).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f'<figcaption>{caption_html} <span class="file">(<code>{esc(file_name)}</code>)</span>'
            f'</figcaption></figure>')


def table(header, rows, css_class="", left=1):
    """header: list of header cell HTML; rows: lists of cell HTML (already escaped/formatted); the first
    `left` columns are left-aligned (labels), the rest right-aligned (numbers)."""
    def cell(i, c):
        if c.startswith("<td"):
            return c
        return f'<td class="l">{c}</td>' if i < left else f"<td>{c}</td>"
    head = "".join(f'<th class="l">{h}</th>' if i < left else f"<th>{h}</th>" for i, h in enumerate(header))
    body = "".join("<tr>" + "".join(cell(i, c) for i, c in enumerate(row)) + "</tr>" for row in rows)
    table_html = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="wide-table {css_class}">{table_html}</div>'


def meta_cells(meta):
    """The header block's cells: (label, value HTML, css class) each."""
    return "".join(f'<div class="{cls}"><span class="k">{k}</span><span class="v">{v}</span></div>'
                   for k, v, cls in meta)


def report_title(kind, path, complete):
    """The page title: what the report is of, the file's name, and whether it is provisional."""
    name = path.rsplit("/", 1)[-1]
    return f"wipeout {kind}: {name}" + ("" if complete else " (PROVISIONAL: incomplete file)")


def status_html(complete, done, total, unit):
    """The header's status cell: complete, or how far the file got."""
    if complete:
        return '<span class="status-ok">complete</span>'
    return f'<span class="status-bad">INCOMPLETE ({done:,} of {total:,} {unit})</span>'


def banner_html(warnings):
    return "".join(f'<div class="banner">⚠ {esc(w)}</div>' for w in warnings)


def value_with_ci(value_text, ci_text):
    return f"{value_text}<span class=\"ci\">{ci_text}</span>" if ci_text else value_text


def page(title, body_html):
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="wipeout report">
<title>{esc(title)}</title>
<script>{SELF_CHECK}</script>
<style>{CSS}</style>
</head>
<body>
<main>
{body_html}
</main>
</body>
</html>
"""
