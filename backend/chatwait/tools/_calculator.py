"""Arithmetic for the `calculator` tool: parsed with `ast`, evaluated from a whitelist.

The expression comes from a model, which may have read it from anyone, so nothing in it
may reach Python: no `eval`, no names but a few constants, no calls but a few pure math
functions, no attributes, subscripts or comprehensions. Work is bounded too: the text's
length, the nesting depth, integer size (`2 ** 10 ** 9` would take minutes and gigabytes)
and non-finite floats are refused before or as they happen.
"""

from __future__ import annotations

import ast
import math
import operator
from collections.abc import Callable
from typing import Any

MAX_EXPRESSION_CHARS = 500
MAX_DEPTH = 64
MAX_INT_BITS = 4096
"""About 1,233 decimal digits: larger integer results are refused."""
MAX_EXPONENT = 4096
MAX_ROUND_DIGITS = 100

Number = int | float

_BINARY: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY: dict[type[ast.unaryop], Callable[[Any], Any]] = {
    ast.UAdd: operator.pos,
    ast.USub: operator.neg,
}
_CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}
_FUNCTIONS: dict[str, tuple[Callable[..., Any], int, int]] = {
    # name: (function, fewest arguments, most arguments)
    "abs": (abs, 1, 1),
    "round": (round, 1, 2),
    "min": (min, 1, 32),
    "max": (max, 1, 32),
    "sqrt": (math.sqrt, 1, 1),
    "log": (math.log, 1, 2),
    "log10": (math.log10, 1, 1),
    "exp": (math.exp, 1, 1),
    "sin": (math.sin, 1, 1),
    "cos": (math.cos, 1, 1),
    "tan": (math.tan, 1, 1),
}
SUPPORTED = (
    "+ - * / // % ** and parentheses; "
    + ", ".join(_FUNCTIONS)
    + "; the constants "
    + ", ".join(_CONSTANTS)
)


class CalculatorError(ValueError):
    """The expression is not allowed or has no finite real value; the message says why."""


def evaluate(expression: str) -> Number:
    """The value of an arithmetic `expression`, or `CalculatorError`."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(f"the expression is longer than {MAX_EXPRESSION_CHARS} characters")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except (SyntaxError, ValueError, RecursionError):
        raise CalculatorError("this is not an arithmetic expression") from None
    return _value(tree.body, 1)


def format_number(value: Number) -> str:
    """Integers exactly, floats as Python's shortest round-tripping form."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def _value(node: ast.expr, depth: int) -> Number:
    if depth > MAX_DEPTH:
        raise CalculatorError(f"the expression nests more than {MAX_DEPTH} levels deep")
    if isinstance(node, ast.Constant):
        return _literal(node.value)
    if isinstance(node, ast.Name) and node.id in _CONSTANTS:
        return _CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _checked(_UNARY[type(node.op)](_value(node.operand, depth + 1)))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = _value(node.left, depth + 1), _value(node.right, depth + 1)
        if isinstance(node.op, ast.Pow):
            _check_power(left, right)
        return _apply(_BINARY[type(node.op)], left, right)
    if isinstance(node, ast.Call):
        return _call(node, depth)
    raise CalculatorError(f"{_describe(node)} is not allowed; supported: {SUPPORTED}")


def _literal(value: object) -> Number:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CalculatorError(f"{value!r} is not a number")
    return _checked(value)


def _call(node: ast.Call, depth: int) -> Number:
    name = node.func.id if isinstance(node.func, ast.Name) else None
    if name not in _FUNCTIONS or node.keywords:
        raise CalculatorError(f"{_describe(node)} is not allowed; supported: {SUPPORTED}")
    function, fewest, most = _FUNCTIONS[name]
    if not fewest <= len(node.args) <= most or any(isinstance(a, ast.Starred) for a in node.args):
        raise CalculatorError(f"{name} takes {fewest} to {most} arguments")
    args = [_value(arg, depth + 1) for arg in node.args]
    # round(1, -10**9) would compute 10**10**9.
    if name == "round" and len(args) == 2 and not _small_int(args[1], MAX_ROUND_DIGITS):
        raise CalculatorError(f"round's digits must be an integer within ±{MAX_ROUND_DIGITS}")
    return _apply(function, *args)


def _check_power(base: Number, exponent: Number) -> None:
    """Refuse powers whose integer result would be huge, before computing them."""
    if abs(exponent) > MAX_EXPONENT:
        raise CalculatorError(f"exponents are limited to ±{MAX_EXPONENT}")
    integral = isinstance(base, int) and isinstance(exponent, int)
    if integral and exponent > 0 and max(int(base).bit_length() - 1, 0) * exponent > MAX_INT_BITS:
        raise CalculatorError("the result would be too large")


def _small_int(value: Number, limit: int) -> bool:
    return isinstance(value, int) and abs(value) <= limit


def _apply(function: Callable[..., Any], *args: Number) -> Number:
    try:
        result = function(*args)
    except ZeroDivisionError:
        raise CalculatorError("division by zero") from None
    except OverflowError:
        raise CalculatorError("the result is too large") from None
    except ValueError as exc:
        raise CalculatorError(f"math error: {exc}") from None
    return _checked(result)


def _checked(value: Any) -> Number:
    if isinstance(value, complex):
        raise CalculatorError("the result is not a real number")
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise CalculatorError("the result would be too large")
    if isinstance(value, float) and not math.isfinite(value):
        raise CalculatorError("the result is too large or not a number")
    return value  # type: ignore[no-any-return]


def _describe(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return f"the name {node.id!r}"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return f"the function {node.func.id!r}"
    return f"{type(node).__name__} syntax"
