#!/usr/bin/python3
"""Compares two outputs of hoplab_analysis_dump (lines "case<TAB>json") field by field: a speed change must
leave every to_json field of every analysis byte for byte unchanged.

  /usr/bin/python3 scripts/bench/compare_analyses.py BEFORE.tsv AFTER.tsv

Prints the number of analyses and fields compared, then each difference (case, field path, both values,
relative difference for numbers). Exit status 0 when identical, 1 otherwise. Fields present on one side
only (a feature added in between) are listed separately and do not count as differences.
"""
import json
import sys


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


def main():
    before, after = load(sys.argv[1]), load(sys.argv[2])
    differences, one_sided, fields = [], [], 0
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
                relative = ""
                try:
                    x, y = float(a[path]), float(b[path])
                    relative = f" rel {abs(x - y) / max(abs(x), abs(y)):.3g}"
                except (TypeError, ValueError):
                    pass
                differences.append(f"{name} {path}: {a[path]} -> {b[path]}{relative}")
    common = len(set(before) & set(after))
    print(f"{common} analyses, {fields} fields compared: {len(differences)} differ")
    for line in differences:
        print("  " + line)
    if one_sided:
        print(f"{len(one_sided)} fields on one side only (not compared), e.g. {one_sided[:3]}")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
