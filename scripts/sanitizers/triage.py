#!/usr/bin/env python3
"""Sorts ThreadSanitizer reports into the project's and the uninstrumented libraries' own.

Debian's gRPC, Abseil, protobuf and the NATS C client are not built with -fsanitize=thread, so
TSan cannot see the locks and atomics inside them that order their threads. gRPC's C++ headers are
compiled into our objects (instrumented) while the completion queue that orders them is not:
every call through the admin server then shows as "races" between two pieces of gRPC's own
header code. TSan's own suppressions cannot say "both racing accesses are the library's": a
`race:` pattern matches any frame of either stack, so `race:grpc::` would also hide a race in one
of our handlers, which always runs under gRPC frames. So this script decides instead, with one
rule: a report is the library's only when, in EVERY stack of the report that makes an access (the
current and the previous access, for a data race), the first frame outside the C++ standard
library is in one of the prefixes listed in thirdparty.txt. Any report where one access is made
by the project's own code (its first non-std frame is ours) is the project's and fails the run.

  triage.py LOG_DIR THIRDPARTY_FILE    exit 1 if any report is the project's
"""
import collections
import pathlib
import re
import sys

FRAME = re.compile(r"^\s+#\d+ (?P<function>.*?) (?P<location>\S+)(?: \((?P<module>[^)]*)\))?$")
# Stack headers that describe an access (or a lock, a signal, a free): the ones the rule reads.
# "Location is ...", "Thread T1 ... created by", "Mutex M ... created at" only describe context.
ACCESS_HEADER = re.compile(
    r"^\s+(?:Previous |)(?:atomic |)(?:[Ww]rite|[Rr]ead|Atomic write|Atomic read)\b|"
    r"^\s+Mutex .* acquired at|^\s+(?:Previous |)(?:free|Free)\b|^\s+Call to |^\s+Interceptor "
)
CONTEXT_HEADER = re.compile(r"^\s+(?:Location is|Thread T|Mutex M\d+ .*created at|Mutex M\d+ \(|  and:)")
STD_LOCATIONS = ("/usr/include/c++/",)
STD_MODULES = ("libstdc++", "libtsan", "libc.so", "libpthread")


STD_FUNCTION = re.compile(r"^(?:(?:void|bool|int|long|unsigned|char|auto) )?std::")


def first_non_std_frame(frames):
    for function, location, module in frames:
        if location.startswith(STD_LOCATIONS):
            continue
        if location == "<null>" and STD_FUNCTION.match(function):
            continue  # a standard-library template instantiated in our binary, without a line
        if location == "<null>" and module and module.startswith(STD_MODULES):
            continue
        return function, location, module
    return None


def split_reports(text):
    reports, current = [], None
    for line in text.splitlines():
        if line.startswith("WARNING: ThreadSanitizer:"):
            current = [line]
            reports.append(current)
        elif current is not None:
            if line.startswith("=================="):
                current = None
            else:
                current.append(line)
    return reports


def access_stacks(report):
    stacks, current, reading = [], None, False
    for line in report[1:]:
        if ACCESS_HEADER.match(line):
            current = []
            stacks.append(current)
            reading = True
        elif CONTEXT_HEADER.match(line) or line.startswith("SUMMARY:"):
            reading = False
        elif reading:
            m = FRAME.match(line)
            if m:
                current.append((m["function"], m["location"], m["module"] or ""))
            elif not line.strip():
                reading = False
    return stacks


def owner(frame, prefixes):
    function, location, module = frame
    for prefix in prefixes:
        if prefix.startswith("function:"):
            # A library's own function compiled into our binary from its headers, without line
            # information (location <null>): named by its namespace, after an optional return type.
            name = re.escape(prefix[len("function:"):])
            if re.match(r"^(?:(?:void|bool|int|long|unsigned|char|double|float|grpc::[\w:<>]*) )?" + name, function):
                return prefix
        elif location.startswith(prefix) or (location == "<null>" and module.startswith(prefix)):
            return prefix
    return None


def main():
    log_dir, thirdparty_file = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    prefixes = []
    for line in thirdparty_file.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            prefixes.append(line)
    ours, theirs = [], collections.Counter()
    for path in sorted(log_dir.glob("tsan.*")):
        for report in split_reports(path.read_text(errors="replace")):
            stacks = access_stacks(report)
            libraries = []
            for stack in stacks:
                frame = first_non_std_frame(stack)
                libraries.append(owner(frame, prefixes) if frame else "std")
            if stacks and all(libraries):
                theirs[" / ".join(sorted({str(x) for x in libraries}))] += 1
            else:
                ours.append((path.name, report))
    for name, count in theirs.most_common():
        print(f"triage: {count} report(s) inside uninstrumented libraries only ({name}): not ours")
    for name, report in ours:
        print(f"triage: PROJECT REPORT in {name}:")
        print("\n".join(report))
    print(f"triage: {len(ours)} project report(s), {sum(theirs.values())} inside uninstrumented libraries")
    return 1 if ours else 0


if __name__ == "__main__":
    sys.exit(main())
