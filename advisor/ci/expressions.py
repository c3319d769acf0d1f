"""GitHub Actions expressions (a job's `if:`), evaluated with what a pull request event tells.

A job's `if:` is evaluated for each event of `_update_events` with what is known of a pull request
event: the event's name and action, `github.ref` (refs/pull/N/merge, or the base branch for
pull_request_target), the base branch, and that the pull request is open and not merged. Everything
else (needs.*.outputs, inputs, vars, labels, ...) is unknown, and an expression that depends on an
unknown is taken to be possibly true. Anything not parsed is unknown too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from advisor.ci.logic import UNKNOWN, Tri, Unknown, and3

PR_EVENTS = ("pull_request", "pull_request_target")


@dataclass(frozen=True, slots=True)
class Event:
    """One way a workflow runs when a pull request's head changes."""

    name: str  # "pull_request", "pull_request_target" or "push"
    action: str | None  # github.event.action ("opened", "synchronize"); None for a push
    trunk: str | None  # the pull request's base branch, when known
    ready_rerun: bool  # the workflow runs again when a draft is marked ready (types include ready_for_review)


MAX_EXPRESSION_TOKENS = 400
MAX_EXPRESSION_LENGTH = 4000


class _Object:
    """An object (not null) whose properties are not known."""


@dataclass(frozen=True, slots=True)
class _Prefix:
    """A string known only to start with `text` (lower case)."""

    text: str


_OBJECT = _Object()
_STATUS_FUNCTIONS = ("success", "always", "failure", "cancelled")
_SPACE = re.compile(r"\s*")
_TOKEN = re.compile(r"""\s*(?:
    (?P<number>0x[0-9a-fA-F]+|[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<operator>&&|\|\||==|!=|<=|>=|[<>!()\[\].,*])
)""", re.VERBOSE)


class _BadExpression(Exception):
    pass


class _Parser:
    """Recursive descent over GitHub's expression grammar, into tuples:
    ("literal", v), ("path", names), ("unknown",), ("not", x), ("and"/"or", a, b), ("compare", op, a, b),
    ("call", name, args)."""

    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, Any]] = []
        position = 0
        while _SPACE.match(text, position).end() < len(text):  # type: ignore[union-attr]
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise _BadExpression(text)
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
            if len(self.tokens) > MAX_EXPRESSION_TOKENS:
                raise _BadExpression(text)
        self.at = 0
        self.depth = 0
        self.status = False  # whether a status function (success(), always(), ...) is called

    def parse(self) -> Any:
        node = self.or_()
        if self.at != len(self.tokens):
            raise _BadExpression("trailing tokens")
        return node

    def peek(self) -> tuple[str, Any]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, operator: str) -> bool:
        if self.peek() == ("operator", operator):
            self.at += 1
            return True
        return False

    def expect(self, operator: str) -> None:
        if not self.take(operator):
            raise _BadExpression(f"expected {operator}")

    def descend(self) -> None:
        self.depth += 1
        if self.depth > 64:
            raise _BadExpression("too deep")

    def or_(self) -> Any:
        node = self.and_()
        while self.take("||"):
            node = ("or", node, self.and_())
        return node

    def and_(self) -> Any:
        node = self.equality()
        while self.take("&&"):
            node = ("and", node, self.equality())
        return node

    def equality(self) -> Any:
        node = self.relation()
        while self.peek()[0] == "operator" and self.peek()[1] in ("==", "!="):
            operator = self.tokens[self.at][1]
            self.at += 1
            node = ("compare", operator, node, self.relation())
        return node

    def relation(self) -> Any:
        node = self.unary()
        while self.peek()[0] == "operator" and self.peek()[1] in ("<", "<=", ">", ">="):
            operator = self.tokens[self.at][1]
            self.at += 1
            node = ("compare", operator, node, self.unary())
        return node

    def unary(self) -> Any:
        if self.take("!"):
            self.descend()
            node = ("not", self.unary())
            self.depth -= 1
            return node
        return self.postfix()

    def postfix(self) -> Any:
        node = self.primary()
        while True:
            if self.take("."):
                kind, value = self.peek()
                self.at += 1
                if kind == "name" and node[0] == "path":
                    node = ("path", (*node[1], value.lower()))
                elif kind == "name" or (kind, value) == ("operator", "*"):
                    node = ("unknown",)
                else:
                    raise _BadExpression("expected a property")
            elif self.take("["):
                self.descend()
                index: Any = ("unknown",) if self.take("*") else self.or_()
                self.depth -= 1
                self.expect("]")
                if node[0] == "path" and index[0] == "literal" and isinstance(index[1], str):
                    node = ("path", (*node[1], index[1].lower()))
                else:
                    node = ("unknown",)
            else:
                return node

    def primary(self) -> Any:
        kind, value = self.peek()
        self.at += 1
        if kind == "number":
            try:
                return ("literal", _hex(value) if value.lower().startswith("0x") else float(value))
            except ValueError:
                raise _BadExpression(value) from None
        if kind == "string":
            return ("literal", value[1:-1].replace("''", "'"))
        if kind == "name":
            literals = {"true": True, "false": False, "null": None, "nan": math.nan, "infinity": math.inf}
            if value.lower() in literals and self.peek() != ("operator", "("):
                return ("literal", literals[value.lower()])
            if self.take("("):
                self.descend()
                args = []
                if not self.take(")"):
                    args.append(self.or_())
                    while self.take(","):
                        args.append(self.or_())
                    self.expect(")")
                self.depth -= 1
                name = value.lower()
                self.status = self.status or name in _STATUS_FUNCTIONS
                return ("call", name, tuple(args))
            return ("path", (value.lower(),))
        if (kind, value) == ("operator", "("):
            self.descend()
            node = self.or_()
            self.depth -= 1
            self.expect(")")
            return node
        raise _BadExpression(f"unexpected {value!r}")


def parse_condition(value: Any) -> tuple[Any, bool]:
    """A job's `if:` as (expression tree, whether it calls a status function)."""
    if value is None or isinstance(value, (bool, int, float)):
        return ("literal", value if value is not None else True), False
    if not isinstance(value, str):
        return ("unknown",), False
    text = value.strip()
    if text.startswith("${{") and text.endswith("}}") and text.count("${{") == 1 and text.count("}}") == 1:
        text = text[3:-2]
    elif "${{" in text:
        return ("unknown",), False  # text around an expression: a string, not a condition
    if not text.strip():
        return ("literal", True), False
    if len(text) > MAX_EXPRESSION_LENGTH:
        return ("unknown",), False
    try:
        parser = _Parser(text)
        return parser.parse(), parser.status
    except (_BadExpression, RecursionError):
        return ("unknown",), False


def condition_value(condition: tuple[Any, bool] | None, context: Event, success: Tri) -> Tri:
    """Whether a job with this `if:` runs: without a status function, only when the jobs it needs succeeded."""
    if condition is None:
        return success
    node, status = condition
    try:
        value = _truthy(_evaluate(node, context, success))
    except RecursionError:
        value = None
    return value if status else and3(success, value)


def _truthy(value: Any) -> Tri:
    if isinstance(value, Unknown):
        return None
    if isinstance(value, _Object):
        return True
    if isinstance(value, _Prefix):
        return True if value.text else None
    if value is None:
        return False
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return bool(value)


def _number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return _hex(text) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _equal(a: Any, b: Any) -> Tri:
    if isinstance(a, (Unknown, _Object)) or isinstance(b, (Unknown, _Object)):
        return None
    if isinstance(a, _Prefix) or isinstance(b, _Prefix):
        prefix, other = (a, b) if isinstance(a, _Prefix) else (b, a)
        if isinstance(other, str):
            return None if other.lower().startswith(prefix.text) else False
        return None if isinstance(other, _Prefix) else False
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if a is None and b is None:
        return True
    return _number(a) == _number(b)


def _order(operator: str, a: Any, b: Any) -> Tri:
    if any(isinstance(v, (Unknown, _Object, _Prefix)) for v in (a, b)):
        return None
    if isinstance(a, str) and isinstance(b, str):
        x: Any = a.lower()
        y: Any = b.lower()
    else:
        x, y = _number(a), _number(b)
        if math.isnan(x) or math.isnan(y):
            return False
    return bool({"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[operator])


def _known(value: Tri) -> Any:
    return UNKNOWN if value is None else value


def _evaluate(node: Any, context: Event, success: Tri) -> Any:
    kind = node[0]
    if kind == "literal":
        return node[1]
    if kind == "path":
        return _lookup(node[1], context)
    if kind == "not":
        value = _truthy(_evaluate(node[1], context, success))
        return _known(None if value is None else not value)
    if kind in ("and", "or"):
        left = _evaluate(node[1], context, success)
        decided = _truthy(left)
        if decided is (kind == "or"):  # true || x, false && x: the left value
            return left
        right = _evaluate(node[2], context, success)
        if decided is not None:
            return right
        right_truth = _truthy(right)  # unknown left: the result is known only when both sides agree
        if kind == "and":
            return False if right_truth is False else UNKNOWN
        return _OBJECT if right_truth is True else UNKNOWN
    if kind == "compare":
        a, b = _evaluate(node[2], context, success), _evaluate(node[3], context, success)
        if node[1] in ("==", "!="):
            equal = _equal(a, b)
            return _known(equal if node[1] == "==" or equal is None else not equal)
        return _known(_order(node[1], a, b))
    if kind == "call":
        args = [_evaluate(arg, context, success) for arg in node[2]]
        return _call(node[1], args, success)
    return UNKNOWN


def _call(name: str, args: list[Any], success: Tri) -> Any:
    if name in ("success", "always", "failure", "cancelled") and not args:
        # On a pull request whose jobs pass: failure() and cancelled() are false.
        return {"success": _known(success), "always": True}.get(name, False)
    if name in ("contains", "startswith", "endswith") and len(args) == 2:
        haystack, needle = args
        if not isinstance(needle, str):
            return UNKNOWN
        needle = needle.lower()
        if isinstance(haystack, str):
            text = haystack.lower()
            return (needle in text if name == "contains" else
                    text.startswith(needle) if name == "startswith" else text.endswith(needle))
        if isinstance(haystack, _Prefix):
            if name == "contains":
                return True if needle in haystack.text else UNKNOWN
            if name == "startswith":
                if haystack.text.startswith(needle):
                    return True
                return UNKNOWN if needle.startswith(haystack.text) else False
    return UNKNOWN


def _lookup(names: tuple[str, ...], context: Event) -> Any:
    """What a context property is on `context`'s event, as far as a pull request event tells."""
    if not names or names[0] != "github":
        return UNKNOWN
    rest = names[1:]
    pull_request = context.name in PR_EVENTS
    trunk: Any = context.trunk if context.trunk is not None else UNKNOWN
    if rest == ("event_name",):
        return context.name
    if rest == ("ref",):
        if context.name == "pull_request":
            return _Prefix("refs/pull/")
        if context.name == "pull_request_target" and context.trunk is not None:
            return f"refs/heads/{context.trunk}"
        return _Prefix("refs/heads/")
    if rest == ("ref_type",):
        return "branch" if context.name != "pull_request" else UNKNOWN
    if rest == ("base_ref",):
        return trunk if pull_request else ""
    if rest == ("head_ref",):
        return UNKNOWN if pull_request else ""
    if rest == ("event", "action"):
        return context.action
    if rest[:2] == ("event", "pull_request"):
        if not pull_request:
            return None
        field = rest[2:]
        if not field:
            return _OBJECT
        if field == ("draft",):
            return False if context.ready_rerun else UNKNOWN
        return {("merged",): False, ("state",): "open", ("base", "ref"): trunk}.get(field, UNKNOWN)
    return UNKNOWN


def _hex(text: str) -> float:
    """A hexadecimal number as the expressions' numbers are (JavaScript's): past a double's range it is
    Infinity, where float() of so large an int raises."""
    try:
        return float(int(text, 16))
    except OverflowError:
        return math.inf
