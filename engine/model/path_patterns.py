"""Kestra's path patterns (PathMatcherPredicate): `glob:` and `regex:` as Java's PathMatcher reads them; a
bare pattern is a glob, `**/` before it when it starts with a word character (`*.sql` is not, `dir/*`
is). Paths are absolute (`/dir/file.txt`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence


def matcher(patterns: Sequence[str]) -> Callable[[str], bool]:
    """Whether a path matches any of `patterns`."""
    compiled = [_compile(pattern) for pattern in patterns]
    return lambda path: any(regex.fullmatch(path) for regex in compiled)


def _compile(pattern: str) -> re.Pattern[str]:
    if pattern.startswith("regex:"):
        return re.compile(pattern.removeprefix("regex:"))
    if pattern.startswith("glob:"):
        return re.compile(_glob(pattern.removeprefix("glob:")))
    bare = pattern.replace("\\", "/")
    return re.compile(_glob(f"**/{bare}" if re.match(r"\w", bare) else bare))


def _glob(glob: str) -> str:
    """Java's glob syntax: `**` crosses directories, `*` and `?` do not, `{a,b}` and `[...]`."""
    out, index, depth = [], 0, 0
    while index < len(glob):
        char = glob[index]
        if glob.startswith("**", index):
            out.append(".*")
            index += 2
            continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{":
            out.append("(?:")
            depth += 1
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
        elif char == "," and depth:
            out.append("|")
        elif char == "[":
            end = glob.find("]", index + 1)
            if end < 0:
                out.append(re.escape(char))
            else:
                body = glob[index + 1 : end].replace("\\", "\\\\")
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                index = end
        else:
            out.append(re.escape(char))
        index += 1
    return "".join(out)
