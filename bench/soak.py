"""A long shift: --sales sales (10,000 by default) through the sale screen in one process.

The sales are rung as ``cold_start``'s memory figure rings them (the same child process:
scanned by keyboard events, paid in cash with F9 and Enter, receipts rendered, printed to
the simulated printer and previewed). The child reports every --every sales the time since
the first sale and its resident memory; this script turns that into the time per sale and
the RSS of each block of sales, writes them to ``--csv`` and draws them (``--picture``,
time per sale and RSS against sales, with Pillow).

Figures (JSON lines):

* ``soak_ms_per_sale_first_1000`` / ``soak_ms_per_sale_last_1000``: the mean time per sale
  over the first and the last 1,000 sales (the first includes warming up);
* ``soak_ms_per_sale_growth``: the least-squares slope of the time per sale over the
  blocks after the first 1,000 sales, per 1,000 sales (flat: about 0);
* ``soak_rss_after_1000`` / ``soak_rss_end`` (MB) and ``soak_rss_growth_kb_per_sale``,
  the slope of RSS after the first 1,000 sales.

    python bench/soak.py --data-dir /tmp/bench-store                 # 10,000 sales (~10 min)
    python bench/soak.py --data-dir /tmp/bench-small --sales 3000 --every 250
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, emit, note, parser, require_dataset  # noqa: E402
from cold_start import run_sales  # noqa: E402

HERE = Path(__file__).resolve().parent
WARM_UP = 1000


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys against xs (0 for fewer than two points)."""
    if len(xs) < 2:
        return 0.0
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def blocks(progress: list[tuple[int, float, float]]) -> list[dict[str, float]]:
    """Per reported block: sales at its end, ms per sale within it, RSS at its end."""
    out = []
    last_n, last_t = 0, 0.0
    for n, seconds, rss in progress:
        out.append({"sales": n, "ms_per_sale": (seconds - last_t) * 1000 / (n - last_n), "rss_mb": rss})
        last_n, last_t = n, seconds
    return out


def mean_ms(progress: list[tuple[int, float, float]], first: int, last: int) -> float:
    """Mean ms per sale between the reports at sales ``first`` and ``last``."""
    at = {n: t for n, t, _rss in progress}
    return (at[last] - at.get(first, 0.0)) * 1000 / (last - first)


def draw(rows: list[dict[str, float]], path: Path, title: str) -> None:
    """Two panels, time per sale and RSS against sales (Pillow, no plotting library)."""
    from PIL import Image, ImageDraw, ImageFont

    width, height, left, right = 1000, 620, 90, 30
    image = Image.new("RGB", (width, height), "white")
    pen = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=14)
    pen.text((left, 8), title, fill="black", font=font)
    top_sales = max(r["sales"] for r in rows)
    panels = (("ms_per_sale", "ms per sale", (40, 300), "#1f5fbf"), ("rss_mb", "RSS, MB", (340, 590), "#bf3f1f"))
    for key, label, (y0, y1), colour in panels:
        values = [r[key] for r in rows]
        low, high = 0.0, max(values) * 1.15
        pen.rectangle((left, y0, width - right, y1), outline="#888888")
        for i in range(5):
            v = low + (high - low) * i / 4
            y = y1 - (y1 - y0) * i / 4
            pen.line((left, y, width - right, y), fill="#e4e4e4")
            pen.text((8, y - 8), f"{v:.0f}" if high > 20 else f"{v:.1f}", fill="black", font=font)
        pen.text((left + 6, y0 + 4), label, fill=colour, font=font)

        def at(
            r: dict[str, float], key: str = key, y0: int = y0, y1: int = y1, high: float = high
        ) -> tuple[float, float]:
            x = left + (width - right - left) * r["sales"] / top_sales
            return x, y1 - (y1 - y0) * r[key] / high

        pen.line([at(r) for r in rows], fill=colour, width=2)
        for r in rows:
            x, y = at(r)
            pen.ellipse((x - 2, y - 2, x + 2, y + 2), fill=colour)
    for i in range(0, 11):
        x = left + (width - right - left) * i / 10
        pen.text((x - 14, 596), f"{top_sales * i / 10:,.0f}", fill="black", font=font)
    pen.text((width // 2 - 20, 606), "sales", fill="black", font=font)
    image.save(path)


def main() -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--sales", type=int, default=10_000)
    p.add_argument("--every", type=int, default=500, help="sales per reported block")
    p.add_argument("--csv", type=Path, default=HERE / "results" / "soak.csv")
    p.add_argument("--picture", type=Path, default=ROOT / "docs" / "soak.png")
    args = p.parse_args()
    require_dataset(args.data_dir)
    if args.sales < 2 * WARM_UP or args.sales % args.every or WARM_UP % args.every:
        raise SystemExit(f"--sales must be at least {2 * WARM_UP:,} and both it and 1,000 multiples of --every")
    progress, result = run_sales(args.data_dir, args.sales, seed=args.seed, every=args.every, label="soak")
    rows = blocks(progress)
    args.csv.parent.mkdir(parents=True, exist_ok=True)
    with args.csv.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["sales", "ms_per_sale", "rss_mb"])
        writer.writeheader()
        writer.writerows({k: round(v, 2) for k, v in r.items()} for r in rows)
    after = [r for r in rows if r["sales"] > WARM_UP]
    per_k = [r["sales"] / 1000 for r in after]
    end = progress[-1][0]
    emit("soak_ms_per_sale_first_1000", mean_ms(progress, 0, WARM_UP), "ms")
    emit("soak_ms_per_sale_last_1000", mean_ms(progress, end - WARM_UP, end), "ms")
    emit("soak_ms_per_sale_growth", slope(per_k, [r["ms_per_sale"] for r in after]), "ms per 1000 sales", 0.0)
    emit("soak_rss_after_start", result["start"]["VmRSS"], "MB")
    emit("soak_rss_after_1000", next(r["rss_mb"] for r in rows if r["sales"] == WARM_UP), "MB")
    emit("soak_rss_end", result["end"]["VmRSS"], "MB", 200.0)
    emit("soak_rss_peak", result["end"]["VmHWM"], "MB")
    rss_kb = [r["rss_mb"] * 1024 for r in after]
    emit("soak_rss_growth_kb_per_sale", slope([r["sales"] for r in after], rss_kb), "KB", 0.0)
    title = f"{end:,} sales through the sale screen, one process ({args.data_dir.name})"
    draw(rows, args.picture, title)
    note(f"soak: blocks in {args.csv}, picture {args.picture}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
