#!/usr/bin/env python3
"""whole_reads: the reader loop of the snapshot tests (t_ro_snapshot,
t_read_ttl_torn). Opens PATH and reads it whole, again and again, while the
process WRITER (changing the service's City behind the mount) lives. Every
read must be one JSON document equal to FIRST but for City, its City one of
CITIES, byte for byte the same as every other read of that City, and fstat
of the open file (after the open and after the reads) the size of the bytes
read, or with --later the size of a version written after it (a read-write
mount's fstat answers the file's current size). Writes {reads,
versions_seen, bad} to OUT; exits 1 if anything was bad.

  whole_reads.py [--later] PATH FIRST WRITER OUT CITY..."""
import json
import os
import sys

args = sys.argv[1:]
later = args[0] == "--later"
if later:
    args = args[1:]
path, first, writer, out, cities = args[0], args[1], int(args[2]), args[3], args[4:]


def rest(doc):
    doc = dict(doc)
    doc.pop("City", None)
    return doc


def alive():
    try:
        os.kill(writer, 0)
        return True
    except ProcessLookupError:
        return False


base = rest(json.load(open(first)))
seen, reads, bad = {}, 0, []
while alive() and len(bad) < 5:
    fd = os.open(path, os.O_RDONLY)
    size = os.fstat(fd).st_size
    data = b""
    while True:
        b = os.read(fd, 65536)
        if not b:
            break
        data += b
    after = os.fstat(fd).st_size
    os.close(fd)
    reads += 1
    try:
        doc = json.loads(data)
    except ValueError as e:
        bad.append("read %d is not one JSON document (%s; %d bytes, fstat %d): %r ... %r"
                   % (reads, e, len(data), size, data[:40], data[-40:]))
        continue
    c = doc.get("City")
    if c not in cities:
        bad.append("read %d: City of no version: %r" % (reads, str(c)[:40]))
        continue
    if rest(doc) != base:
        bad.append("read %d: fields other than City differ from the first document" % reads)
        continue
    if c in seen and seen[c] != data:
        bad.append("read %d: City %r, but other bytes than an earlier read of that version" % (reads, c[:20]))
        continue
    seen.setdefault(c, data)
    versions = cities[cities.index(c):] if later else [c]
    allowed = {len(data) - len(json.dumps(c)) + len(json.dumps(x)) for x in versions}
    if size not in allowed or after not in allowed:
        bad.append("read %d: fstat size %d after open, %d after the reads, %d bytes read (City %r)"
                   % (reads, size, after, len(data), c[:20]))
json.dump({"reads": reads, "versions_seen": len(seen), "bad": bad}, open(out, "w"))
sys.exit(1 if bad else 0)
