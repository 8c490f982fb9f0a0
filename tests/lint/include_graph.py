#!/usr/bin/env python3
"""include_graph.py: checks the source tree's include structure.

A module is a pair x.c + x.h in one directory (a header alone, or a source
alone, is a module too); x_test.h, the functions only tests call, belongs to
module x. Two checks:
  - no include cycles between modules of the same directory (x includes y's
    header and y includes x's, directly or through others), which is the
    rule docs/ARCHITECTURE.md states;
  - no layer includes a header of a layer above it (the order is given with
    --layers lower,upper,...; directories not named are not checked).
Prints each finding and exits 1 if there is one.
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def modules(directory):
    """name -> set of module names it includes (same directory only), and
    name -> set of (directory, header) it includes from elsewhere."""
    local, foreign = {}, {}
    files = [f for f in os.listdir(directory) if f.endswith(('.c', '.h'))]

    def module(name):
        name = os.path.splitext(name)[0]
        return name[:-5] if name.endswith('_test') else name

    names = {module(f) for f in files}
    for f in files:
        mod = module(f)
        with open(os.path.join(directory, f), encoding='utf-8', errors='replace') as fh:
            text = fh.read()
        for inc in INCLUDE.findall(text):
            base = os.path.basename(inc)
            target = module(base)
            if os.path.dirname(inc) == '' and target in names:
                if target != mod:
                    local.setdefault(mod, set()).add(target)
            else:
                foreign.setdefault(mod, set()).add(inc)
        local.setdefault(mod, set())
    return local, foreign


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--root', default='.')
    ap.add_argument('--layers', default='',
                    help='comma-separated directories, lowest layer first')
    ap.add_argument('dirs', nargs='+')
    a = ap.parse_args()
    bad = 0
    headers = {}
    for d in a.dirs:
        path = os.path.join(a.root, d)
        if not os.path.isdir(path):
            print(f'include_graph: {d}: no such directory')
            bad += 1
            continue
        headers[d] = {f for f in os.listdir(path) if f.endswith('.h')}
        local, _ = modules(path)
        for comp in cycles(local):
            print(f'include cycle in {d}/: ' + ' <-> '.join(comp))
            bad += 1
    layers = [x for x in a.layers.split(',') if x]
    for i, d in enumerate(layers):
        _, foreign = modules(os.path.join(a.root, d))
        above = layers[i + 1:]
        for mod, incs in sorted(foreign.items()):
            for inc in sorted(incs):
                base = os.path.basename(inc)
                for up in above:
                    if base in headers.get(up, ()) and base not in headers.get(d, ()):
                        print(f'layering: {d}/{mod} includes {inc}, a header of {up}/ (above {d}/)')
                        bad += 1
    if bad:
        print(f'include_graph: {bad} finding(s)')
        return 1
    print('include_graph: no include cycles, no upward includes in ' + ' '.join(a.dirs))
    return 0


if __name__ == '__main__':
    sys.exit(main())
