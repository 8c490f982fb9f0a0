#!/usr/bin/env python3
"""docs_files.py: keeps a document honest about the source files.

  docs_files.py DOC DIR...
Every source file the document names (a word ending in .c or .h, or
x.{c,h} for both) must exist in one of the DIRs (or at that path from the
top), and every module of the DIRs must be named in the document: x.c and
x.h are one module, named by either. Prints each mismatch and exits 1 if
there is one.
"""
import os
import re
import sys

NAMED = re.compile(r'(?<![\w.*-])([\w./-]+\.[ch])(?![\w])')  # not a glob (*_test.h)


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    doc, dirs = sys.argv[1], sys.argv[2:]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    with open(os.path.join(root, doc), encoding='utf-8') as fh:
        text = fh.read()
    text = re.sub(r'([\w./-]+)\.\{c,\s*h\}', r'\1.c \1.h', text)
    named = set(NAMED.findall(text))
    present = {}
    for d in dirs:
        for f in sorted(os.listdir(os.path.join(root, d))):
            if f.endswith(('.c', '.h')):
                present.setdefault(f, []).append(f'{d}/{f}')
    bad = 0
    named_bases = set()
    for n in sorted(named):
        base = os.path.basename(n)
        named_bases.add(os.path.splitext(base)[0])
        if os.path.exists(os.path.join(root, n)):
            continue
        if base in present and ('/' not in n or any(p.endswith(n) for p in present[base])):
            continue
        print(f'{doc} names {n}, which does not exist')
        bad += 1
    for base, paths in sorted(present.items()):
        if os.path.splitext(base)[0] not in named_bases:
            print(f'{doc} does not name {paths[0]}')
            bad += 1
    if bad:
        print(f'docs_files: {bad} mismatch(es) between {doc} and {" ".join(dirs)}')
        return 1
    print(f'docs_files: {doc} names exactly the files of {" ".join(dirs)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
