#!/usr/bin/env python3
"""Run trafilatura over the Fundus pages and emit JSON lines for the
`quality` example (--compare trafilatura=OUT.jsonl).

Usage: python3 trafilatura_eval.py DATA_DIR OUT.jsonl
Needs: pip install trafilatura lxml_html_clean  (trafilatura 2.x with lxml >= 5.2
needs the separate lxml_html_clean package)
Each line: {"html", "title", "authors", "date", "text", "seconds"}.
"""
import gzip
import json
import sys
import time

import trafilatura


def main() -> None:
    data_dir, out_path = sys.argv[1], sys.argv[2]
    total = 0.0
    with open(f"{data_dir}/index.jsonl", encoding="utf-8") as idx, open(out_path, "w", encoding="utf-8") as out:
        for line in idx:
            row = json.loads(line)
            with gzip.open(f"{data_dir}/{row['html']}", "rb") as f:
                html = f.read().decode("utf-8", errors="replace")
            start = time.perf_counter()
            doc = trafilatura.bare_extraction(html, url=row.get("url"), with_metadata=True)
            took = time.perf_counter() - start
            total += took
            d = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
            author = d.get("author") or ""
            rec = {
                "html": row["html"],
                "title": d.get("title"),
                "authors": [a.strip() for a in author.split(";") if a.strip()],
                "date": d.get("date"),
                "text": d.get("text") or "",
                "seconds": took,
            }
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    n = sum(1 for _ in open(out_path, encoding="utf-8"))
    print(f"{n} pages in {total:.1f} s extraction time: {n / total:.1f} pages/s", file=sys.stderr)


if __name__ == "__main__":
    main()
