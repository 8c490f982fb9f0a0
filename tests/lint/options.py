#!/usr/bin/env python3
"""options.py: keeps the man page and --help honest about the -o options.

  options.py CASFS_BINARY
Reads casfs's own options from fs/main.c (option_table's OPT rows, the
umask=/uid=/gid= keys, numeric_opts) and the libfuse options it passes
through (fuse_option_known), then checks:
  - every casfs option appears as -o NAME in `casfs --help` and in
    docs/casfs.1;
  - every -o NAME in --help and in the man page's option list is a casfs
    option or a libfuse option casfs passes through;
  - --help and the man page list the same libfuse options.
Prints each mismatch and exits 1 if there is one.
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def source_options(text):
    own = set(re.findall(r'^\s*OPT\("([a-z_]+)', text, re.M))
    own |= {k[:-1] for k in re.findall(r'FUSE_OPT_KEY\("([a-z_]+=)"', text)}
    table = text[text.index('numeric_opts[] = {'):]
    table = table[:table.index('};')]
    own |= set(re.findall(r'\{ "([a-z_]+)", offsetof', table))
    known = text[text.index('static int fuse_option_known'):]
    known = known[:known.index('\n}\n')]
    fuse = {w.rstrip('=') for w in re.findall(r'"([a-z_]+=?)"', known)}
    return own, fuse


def named(lines):
    """The options an option column names: -o NAME, and b in -o a=X,b=Y."""
    out = set()
    for line in lines:
        out |= set(re.findall(r'-o(?:\\ | )([a-z_]+)', line))
        if '-o' in line:
            out |= set(re.findall(r',(?:\\ | )?([a-z_]+)=', line))
    return out


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    with open(os.path.join(ROOT, 'fs/main.c'), encoding='utf-8') as fh:
        own, fuse = source_options(fh.read())
    helptext = subprocess.run([sys.argv[1], '--help'], capture_output=True, text=True).stdout
    help_names = named(l.strip().split('  ')[0] for l in helptext.splitlines() if l.lstrip().startswith('-o '))
    with open(os.path.join(ROOT, 'docs/casfs.1'), encoding='utf-8') as fh:
        man = fh.read().splitlines()
    # the option list: .B/.BI lines right after .TP
    man_names = named(man[i + 1].replace('\\-', '-') for i, l in enumerate(man[:-1])
                      if l.startswith('.TP') and man[i + 1].startswith(('.B ', '.BI ')))
    bad = []
    for name in sorted(own - help_names):
        bad.append(f'casfs --help does not show -o {name}')
    for name in sorted(own - man_names):
        bad.append(f'docs/casfs.1 does not list -o {name}')
    for where, names in (('casfs --help', help_names), ('docs/casfs.1', man_names)):
        for name in sorted(names - own - fuse):
            bad.append(f'{where} shows -o {name}, which casfs does not take')
    for name in sorted((help_names - own) ^ (man_names - own)):
        side = 'casfs --help' if name in help_names else 'docs/casfs.1'
        bad.append(f'libfuse option -o {name} is in {side} only')
    for b in bad:
        print(b)
    if bad:
        print(f'options: {len(bad)} mismatch(es)')
        return 1
    print(f'options: {len(own)} casfs options and {len(help_names - own)} libfuse options, '
          'the same in fs/main.c, casfs --help and docs/casfs.1')
    return 0


if __name__ == '__main__':
    sys.exit(main())
