#!/usr/bin/python3
"""Compares two outputs of hoplab_analysis_dump (lines "case<TAB>json") field by field: a speed change must
leave every to_json field of every analysis unchanged (byte for byte by default).

  /usr/bin/python3 scripts/bench/compare_analyses.py BEFORE.tsv AFTER.tsv [--rel-tol 1e-9]

Prints the number of analyses and fields compared and how many differ at all, then each difference (case,
field path, both values, relative difference for numbers). With --rel-tol R, numbers whose relative
difference |a - b| / max(|a|, |b|) is at most R (e.g. last-bit changes from FMA contraction) are counted
but not listed and do not fail. Exit status 0 when no field differs beyond the tolerance, 1 otherwise.
Fields present on one side only (a feature added in between) are listed separately and do not count.
"""
import argparse
import json


def load(path):
    cases = {}
    with open(path) as f:
        for line in f:
            name, _, text = line.rstrip("\n").partition("\t")
            cases[name] = text
    return cases


def leaves(value, path=""):
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def parse(text):
    try:
        return json.loads(text, parse_float=str, parse_int=str)  # keep the printed digits
    except json.JSONDecodeError:
        return text  # an error message


def relative_difference(x, y):
    """|x - y| / max(|x|, |y|) for two printed numbers, None when either is not a number."""
    try:
        a, b = float(x), float(y)
    except (TypeError, ValueError):
        return None
    scale = max(abs(a), abs(b))
    return abs(a - b) / scale if scale > 0 else 0.0


def main():
    parser = argparse.ArgumentParser(description="Compare two hoplab_analysis_dump outputs field by field.")
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--rel-tol", type=float, default=0.0,
                        help="relative difference a numeric field may have without failing (default 0: exact)")
    args = parser.parse_args()
    before, after = load(args.before), load(args.after)
    differences, one_sided, fields, within_tolerance = [], [], 0, 0
    for name in sorted(set(before) | set(after)):
        if name not in before or name not in after:
            one_sided.append((name, "(whole analysis)"))
            continue
        a = dict(leaves(parse(before[name])))
        b = dict(leaves(parse(after[name])))
        for path in sorted(set(a) | set(b)):
            if path not in a or path not in b:
                one_sided.append((name, path))
                continue
            fields += 1
            if a[path] != b[path]:
                relative = relative_difference(a[path], b[path])
                if relative is not None and relative <= args.rel_tol:
                    within_tolerance += 1
                    continue
                shown = "" if relative is None else f" rel {relative:.3g}"
                differences.append(f"{name} {path}: {a[path]} -> {b[path]}{shown}")
    common = len(set(before) & set(after))
    print(f"{common} analyses, {fields} fields compared: {len(differences) + within_tolerance} differ at all, "
          f"{len(differences)} beyond relative {args.rel_tol:g}")
    for line in differences:
        print("  " + line)
    if one_sided:
        print(f"{len(one_sided)} fields on one side only (not compared), e.g. {one_sided[:3]}")
    raise SystemExit(1 if differences else 0)


if __name__ == "__main__":
    main()
