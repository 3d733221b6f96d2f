#!/bin/sh
# The documents the project cites are in the project: no reference to a file outside it
# (the DESIGN.md this project was started from lives elsewhere), every *.md path named in the
# sources and docs exists, and docs/networks.md's shift table is the one the code runs.
cd "$(dirname "$0")/.." || exit 2
. tests/cli.sh
files=$(git ls-files 2>/dev/null | grep -vE '^tests/fixtures/|^tests/fuzz/(corpus|regress)/')
[ -n "$files" ] || files=$(find . -path ./build -prune -o -type f \( -name '*.[ch]' -o -name '*.md' -o -name '*.json' \
    -o -name '*.py' -o -name '*.sh' -o -name '*.gp' -o -name Makefile \) -print | sed 's|^\./||')
python3 - $files <<'PY' && ok || bad "references to documents (above)"
import re, os, sys
bad = []
names = {os.path.basename(f) for f in sys.argv[1:] if os.path.isfile(f)}
for f in sys.argv[1:]:
    if f == "tests/cli_docs.sh" or not os.path.isfile(f):
        continue
    try:
        text = open(f, encoding="utf-8").read()
    except UnicodeDecodeError:
        continue
    for m in re.finditer(r"DESIGN\.md|\.\./shared/", text):
        bad.append("%s: cites %s, which is not in the project" % (f, m.group(0)))
    # documents cited: docs/NAME.md, or an upper-case NAME.md (README, SCHEMA, ...)
    for m in re.finditer(r"(?<![\w.-])((?:[\w-]+/)*(?:[A-Z]+|docs/[\w-]+)\.md)\b", text):
        p = m.group(1)
        if not os.path.isfile(p) and os.path.basename(p) not in names:
            bad.append("%s: names %s, which is not in the project" % (f, p))
for b in sorted(set(bad)):
    print(b)
sys.exit(1 if bad else 0)
PY
[ -s docs/networks.md ] && ok || bad "docs/networks.md missing"
# the shift table of docs/networks.md = kernels/op.c's displacements
python3 - <<'PY' && ok || bad "docs/networks.md's shift table differs from kernels/op.c"
import re
doc = open("docs/networks.md", encoding="utf-8").read().replace("\u2212", "-")
rows = re.findall(r"^\| (\d) \| ([^|]*)\| ([^|]*)\|$", doc, re.M)
pair = lambda s: tuple(int(v) for v in re.findall(r"[+-]?\d+", s)[:2]) if "(" in s else None
d4 = [pair(r[1]) for r in rows if pair(r[1])]
d8 = [pair(r[2]) for r in rows if pair(r[2])]
src = open("kernels/op.c").read()
def table(name):
    body = re.search(r"%s\[\d\]\[2\] = \{(.*?)\};" % name, src, re.S).group(1)
    return [tuple(int(v) for v in t) for t in re.findall(r"\{\s*(-?\d+),\s*(-?\d+)\s*\}", body)]
assert d4 == table("d4") and len(d4) == 4, (d4, table("d4"))
assert d8 == table("d8") and len(d8) == 8, (d8, table("d8"))
PY
finish
