#!/usr/bin/env python3
"""Re-verify a Counter journal export with nothing but Python 3.8+ and its standard library.

    python3 verify_export.py journal.jsonl                 # reads journal.jsonl.manifest.json
    python3 verify_export.py journal.jsonl --manifest M    # another manifest file
    python3 verify_export.py journal.jsonl --anchor T01:1234:<hash>   # e.g. from a printed Z report

It checks that the file is the one the manifest describes (SHA-256), and for each
terminal that every entry hashes to what it says and links to the one before, that the
entries are numbered 1, 2, 3... without a gap, and that the chain ends at the manifest's
last hash (and passes through every anchor). It prints one line per terminal and exits
0 when everything holds, 1 otherwise, naming the first bad entry.

The rule it checks (counter/journal.py):
    hash = SHA-256( prev_hash + "\\n" + canonical(envelope) ), the first prev_hash 64 zeros
    envelope = {"at", "body", "id", "seq", "terminal", "type"}
    canonical = JSON with sorted keys, no spaces, UTF-8 (not ASCII-escaped), no floats
"""

import argparse
import hashlib
import json
import sys

GENESIS = "0" * 64


def canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def has_float(value):
    if isinstance(value, float):
        return True
    if isinstance(value, dict):
        return any(has_float(v) for v in value.values())
    if isinstance(value, list):
        return any(has_float(v) for v in value)
    return False


def entry_hash(prev_hash, record):
    envelope = {k: record[k] for k in ("at", "body", "id", "seq", "terminal", "type")}
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(envelope)).hexdigest()


def verify(path, manifest, anchors):
    problems = []
    digest = hashlib.sha256()
    chains = {}  # terminal -> [count, last hash, first bad or None]
    seen_anchor = {}
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, start=1):
            digest.update(raw)
            try:
                record = json.loads(raw.decode("utf-8"))
                terminal, seq = record["terminal"], record["seq"]
            except (ValueError, KeyError, TypeError):
                problems.append(f"line {number}: not a journal entry")
                continue
            chain = chains.setdefault(terminal, [0, GENESIS, None])
            if chain[2] is not None:
                continue  # only the first bad entry of a chain is named
            why = None
            if seq != chain[0] + 1:
                why = f"expected entry {chain[0] + 1} here (entries missing, added or out of order)"
            elif record.get("prev_hash") != chain[1]:
                why = "does not link to the entry before it"
            elif "body" not in record or has_float(record["body"]):
                why = "its body is not a canonical JSON object"
            elif entry_hash(chain[1], record) != record.get("hash"):
                why = "its content does not match its hash (edited)"
            if why:
                chain[2] = f"entry {seq}: {why}"
                continue
            chain[0], chain[1] = seq, record["hash"]
            if seq in anchors.get(terminal, {}):
                seen_anchor[(terminal, seq)] = record["hash"]
    if manifest is not None:
        if manifest.get("journal_sha256") != digest.hexdigest():
            problems.append("the file is not the one the manifest describes (SHA-256 differs)")
        for terminal, info in manifest.get("terminals", {}).items():
            chain = chains.get(terminal, [0, GENESIS, None])
            if chain[2] is None and (
                chain[0] != info.get("last_seq", 0) or (chain[0] and chain[1] != info.get("last_hash"))
            ):
                chain[2] = (
                    f"ends at entry {chain[0]} but the manifest says {info.get('last_seq')} "
                    f"with hash {info.get('last_hash')} (truncated or extended)"
                )
            chains.setdefault(terminal, chain)
        for terminal in set(chains) - set(manifest.get("terminals", {})):
            if chains[terminal][2] is None:
                chains[terminal][2] = "this terminal is not in the manifest (entries added)"
    for terminal, wanted in anchors.items():
        chain = chains.setdefault(terminal, [0, GENESIS, None])
        for seq, expected in sorted(wanted.items()):
            if chain[2] is not None:
                break
            if seq > chain[0]:
                chain[2] = f"entry {seq}: missing, but an anchor shows the journal reached it (truncated)"
            elif seen_anchor.get((terminal, seq)) != expected:
                chain[2] = f"entry {seq}: does not match its anchor's hash (rewritten)"
    lines = []
    for terminal in sorted(chains):
        count, last, bad = chains[terminal]
        lines.append(f"{terminal}: BAD: {bad}" if bad else f"{terminal}: OK: {count} entries, last hash {last}")
    lines += [f"BAD: {p}" for p in problems]
    ok = not problems and all(c[2] is None for c in chains.values())
    return ok, lines


def main(argv=None):
    parser = argparse.ArgumentParser(description="Verify a Counter journal export (standard library only).")
    parser.add_argument("journal", help="the exported JSON lines file")
    parser.add_argument("--manifest", help="the manifest (default: JOURNAL.manifest.json)")
    parser.add_argument("--no-manifest", action="store_true", help="check the chains only")
    parser.add_argument("--anchor", action="append", default=[], metavar="TERMINAL:SEQ:HASH")
    args = parser.parse_args(argv)
    manifest = None
    if not args.no_manifest:
        try:
            with open(args.manifest or args.journal + ".manifest.json", encoding="utf-8") as fh:
                manifest = json.load(fh)
        except (OSError, ValueError) as exc:
            print(f"cannot read the manifest: {exc}", file=sys.stderr)
            return 1
    anchors = {}
    for text in args.anchor:
        parts = text.split(":")
        if len(parts) != 3 or not parts[1].isdigit():
            print(f"an anchor is TERMINAL:SEQ:HASH, not {text!r}", file=sys.stderr)
            return 1
        anchors.setdefault(parts[0], {})[int(parts[1])] = parts[2].lower()
    try:
        ok, lines = verify(args.journal, manifest, anchors)
    except OSError as exc:
        print(f"cannot read the journal: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    print("VERIFIED" if ok else "NOT VERIFIED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
