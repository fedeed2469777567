#!/usr/bin/env python3
"""Rewrites the folded legacy `try` form of the exception-handling proposal's
tests, `(try bt (do instr*) (catch x instr*)* (catch_all instr*)?)` and
`(try bt (do instr*) (delegate l))`, into the flat form
`try bt instr* catch x instr* ... end` / `... delegate l`, the only one the
`wast` crate reads. Everything else is kept byte for byte.

Usage: unfold.py FILE... (rewrites the files in place)
"""
import sys


def skip_space(s, i):
    """Index of the next token at or after i (skips blanks and comments)."""
    while i < len(s):
        if s[i].isspace():
            i += 1
        elif s.startswith(";;", i):
            j = s.find("\n", i)
            i = len(s) if j < 0 else j + 1
        elif s.startswith("(;", i):
            depth, i = 1, i + 2
            while depth and i < len(s):
                if s.startswith("(;", i):
                    depth, i = depth + 1, i + 2
                elif s.startswith(";)", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        else:
            break
    return i


def end_of(s, i):
    """The index after the token or parenthesized form starting at i."""
    if s[i] == '"':
        i += 1
        while s[i] != '"':
            i += 2 if s[i] == "\\" else 1
        return i + 1
    if s[i] != "(":
        while i < len(s) and not s[i].isspace() and s[i] not in '()"':
            i += 1
        return i
    i += 1
    while True:
        i = skip_space(s, i)
        if s[i] == ")":
            return i + 1
        i = end_of(s, i)


def items(s, start, stop):
    """The (start, end) of each token or form in s[start:stop]."""
    out, i = [], skip_space(s, start)
    while i < stop and s[i] != ")":
        j = end_of(s, i)
        out.append((i, j))
        i = skip_space(s, j)
    return out


def head(s, item):
    """The keyword a form starts with."""
    i, j = item
    if s[i] != "(":
        return None
    k = skip_space(s, i + 1)
    return s[k:end_of(s, k)]


def unfold(s):
    out, i = [], 0
    while True:
        j = find_try(s, i)
        if j < 0:
            out.append(s[i:])
            return "".join(out)
        out.append(s[i:j])
        end = end_of(s, j)
        out.append(rewrite(s, j, end))
        i = end


def find_try(s, i):
    """The start of the next `(try` form outside strings and comments."""
    while i < len(s):
        i = skip_space(s, i)
        if i >= len(s):
            return -1
        if s[i] == '"':
            i = end_of(s, i)
        elif s[i] == "(":
            k = skip_space(s, i + 1)
            if s[k:end_of(s, k)] == "try":
                return i
            i += 1
        else:
            i += 1
    return -1


def rewrite(s, start, end):
    parts = items(s, start + 1, end - 1)[1:]  # after the `try` keyword
    out = ["try"]
    for item in parts:
        kind = head(s, item)
        i, j = item
        inner = items(s, i + 1, j - 1)
        body = lambda skip: " ".join(unfold(s[a:b]) for a, b in inner[skip:])
        if kind == "do":
            out.append(body(1))
        elif kind == "catch":
            out.append("catch " + body(1))
        elif kind == "catch_all":
            out.append("catch_all " + body(1))
        elif kind == "delegate":
            out.append("delegate " + body(1))
            return " ".join(out)
        else:  # label or block type
            out.append(s[i:j])
    out.append("end")
    return " ".join(out)


for path in sys.argv[1:]:
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(unfold(text))
