"""Search as you type: ``SqlCatalog.search(text, 50)`` (what the sale screen calls on each
keystroke once two characters are typed) over realistic queries.

Queries are drawn from the names of random items, so common words come up as often as
they do in the catalog: single-word prefixes of 2 to 6 letters ("fr", "fryi") and
two-word queries of 2-6 letter prefixes ("nons fry"). Figures (3 runs, median of the
runs' percentiles):

* ``search_p95``: all queries; floor: the same FTS5 SQL (the first 2,000 matches ranked,
  50 returned, as ``db.queries`` runs it) with raw sqlite3;
* ``search_p95_2_letters``, ``search_p95_3_6_letters``, ``search_p95_two_words``;
* ``search_max``: the slowest query seen (median over runs);
* ``search_raw_unranked_p95``: what-if (one run), raw sqlite3 with the same MATCH but
  without ``ORDER BY rank`` (FTS5 can then stop after 50 rows): how much is ranking;
* ``search_raw_rank_all_p95``: what-if (one run), raw sqlite3 ranking *every* match, as
  search did before the candidate cap.
"""

from __future__ import annotations

import random
import re
import sys
import unicodedata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    app_context,
    emit,
    ms,
    note,
    parser,
    random_rowids,
    raw_connect,
    require_dataset,
    runs_percentile,
    time_each,
)

RANK_ALL_SQL = (
    "SELECT i.id, i.sku, i.barcode, i.name, i.category_id, i.price_minor, i.active, "
    "t.code, t.label, t.rate FROM items_fts f JOIN items i ON i.rowid = f.rowid "
    "JOIN tax_classes t ON t.code = i.tax_code "
    "WHERE items_fts MATCH ? AND i.active ORDER BY f.rank LIMIT 50"
)
RAW_UNRANKED_SQL = RANK_ALL_SQL.replace(" ORDER BY f.rank", "")


def raw_sql() -> str:
    """The app's search SQL (db.queries) with sqlite3's placeholders."""
    from db.queries import _SEARCH_SQL

    return str(_SEARCH_SQL.text).replace(":m", "?").replace(":n", "50")


_WORD = re.compile(r"\w+", re.UNICODE)


def fold(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c)).lower()


def queries(names: list[str], rng: random.Random, n_single: int, n_double: int) -> dict[str, list[str]]:
    words_of = [[fold(w) for w in _WORD.findall(n) if w.isalpha() and len(w) >= 2] for n in names]
    words_of = [w for w in words_of if w]
    out: dict[str, list[str]] = {"2_letters": [], "3_6_letters": [], "two_words": []}
    while len(out["2_letters"]) + len(out["3_6_letters"]) < n_single:
        word = rng.choice(rng.choice(words_of))
        length = min(len(word), rng.randint(2, 6))
        out["2_letters" if length == 2 else "3_6_letters"].append(word[:length])
    while len(out["two_words"]) < n_double:
        words = rng.choice(words_of)
        if len(words) < 2:
            continue
        a, b = rng.sample(words, 2)
        out["two_words"].append(f"{a[: rng.randint(2, 6)]} {b[: rng.randint(2, 6)]}")
    return out


def match_of(text: str) -> str:
    """The MATCH string SqlCatalog.search builds."""
    return " ".join(f'"{w}"*' for w in _WORD.findall(text)[:6])


def main() -> int:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--single", type=int, default=80, help="single-word queries per run")
    p.add_argument("--double", type=int, default=40, help="two-word queries per run")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args()
    require_dataset(args.data_dir)

    ctx = app_context(args.data_dir)
    raw = raw_connect(args.data_dir)
    rng = random.Random(args.seed)
    rowids = random_rowids(raw, "items", 2000, args.seed)
    marks = ",".join("?" * len(rowids))
    names = [r[0] for r in raw.execute(f"SELECT name FROM items WHERE rowid IN ({marks})", rowids)]
    by_kind = queries(names, rng, args.single, args.double)
    texts = [q for qs in by_kind.values() for q in qs]
    catalog = ctx.catalog
    note(f"search: {catalog.count():,} items, {len(texts)} queries per run ({', '.join(texts[:8])}, ...)")

    def app(text: str) -> None:
        catalog.search(text, 50)

    floor_sql = raw_sql()

    def floor(text: str) -> None:
        raw.execute(floor_sql, (match_of(text),)).fetchall()

    def rank_all(text: str) -> None:
        raw.execute(RANK_ALL_SQL, (match_of(text),)).fetchall()

    def unranked(text: str) -> None:
        raw.execute(RAW_UNRANKED_SQL, (match_of(text),)).fetchall()

    for t in texts[:20]:
        app(t)
        floor(t)
    app_runs: list[list[float]] = []
    floor_runs: list[list[float]] = []
    unranked_runs: list[list[float]] = []
    rank_all_runs: list[list[float]] = []
    for run in range(args.runs):
        app_runs.append(ms(time_each(app, texts)))
        floor_runs.append(ms(time_each(floor, texts)))
        if run == 0:  # the what-if is fast and only indicative: one run
            unranked_runs.append(ms(time_each(unranked, texts)))
            rank_all_runs.append(ms(time_each(rank_all, texts)))

    emit("search_p95", runs_percentile(app_runs, 95), "ms", 50.0, runs_percentile(floor_runs, 95))
    start = 0
    for kind, qs in by_kind.items():
        part = slice(start, start + len(qs))
        start += len(qs)
        emit(
            f"search_p95_{kind}",
            runs_percentile([r[part] for r in app_runs], 95),
            "ms",
            50.0,
            runs_percentile([r[part] for r in floor_runs], 95),
        )
    emit("search_p50", runs_percentile(app_runs, 50), "ms", None, runs_percentile(floor_runs, 50))
    emit("search_max", runs_percentile(app_runs, 100), "ms", None, runs_percentile(floor_runs, 100))
    emit("search_raw_unranked_p95", runs_percentile(unranked_runs, 95), "ms", 50.0)
    emit("search_raw_rank_all_p95", runs_percentile(rank_all_runs, 95), "ms", 50.0)
    slowest = sorted(zip(app_runs[-1], texts, strict=True), reverse=True)[:5]
    note("search: slowest: " + ", ".join(f"{t!r} {v:.0f} ms" for v, t in slowest))
    ctx.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
