"""The compiler: a typed where tree to a sqlglot tree, through one :class:`Engine`,
then to text with bound parameters in the driver's style."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ErrorLevel, SqlglotError
from sqlglot.generator import Generator

from ..errors import WhereError, WhereSqlError, too_deep
from ..nodes import (
    And,
    Attr,
    Compare,
    Expr,
    In,
    IsNull,
    Len,
    Literal,
    Node,
    Not,
    Op,
    Operand,
    Or,
    Path,
    Truth,
    Value,
    walk,
)
from ..schema import Kind, Type
from .base import Engine
from .mapping import ArrayColumn, Column, Joined, JsonPath, MapColumn, Related, Target
from ..evaluate import is_permissions
from .paths import path_sql, permissions_length
from .registry import _engine

__all__ = ["SqlClause", "OPERATORS", "to_sql", "to_sqlglot"]


@dataclass(frozen=True, slots=True)
class SqlClause:
    """A compiled WHERE clause: ``sql`` text and positional ``params`` for the driver."""

    sql: str
    params: tuple[Any, ...]
    dialect: str

    def __str__(self) -> str:
        return self.sql


_Builder = Callable[["_Compiler", Compare], exp.Expression]


# The comparisons whose stock handler is Generator.binary with this operator.
_COMPARISONS: dict[type[exp.Expression], tuple[str, str]] = {
    exp.EQ: ("eq_sql", "="), exp.NEQ: ("neq_sql", "<>"), exp.GT: ("gt_sql", ">"),
    exp.GTE: ("gte_sql", ">="), exp.LT: ("lt_sql", "<"), exp.LTE: ("lte_sql", "<="),
}  # fmt: skip


def _cmp(cls: type[exp.Expression]) -> _Builder:
    ordered = cls in (exp.LT, exp.GT, exp.LTE, exp.GTE)
    text = f" {_COMPARISONS[cls][1]} "

    def build(c: _Compiler, node: Compare) -> exp.Expression:
        left, right = node.left, node.right
        if type(left) is Attr and type(right) is Literal and left.type.kind is not Kind.INT:
            # most comparisons: nothing to settle (not an integer), nothing to cast
            direct = c.direct
            if direct is not None and not c.mapping and not left.hops and left.key is None and (
                left.type.kind is not Kind.STRING or direct.plain_text[ordered]
            ):
                return direct.add(f"{direct.column(left.name, c.table)}{text}{c.bind_direct(right, left.type)}")
            return cls(this=c.attribute(left, ordered), expression=c.literal(right, left.type))
        lk, rk = _kind(left), _kind(right)
        if lk is Kind.INT or rk is Kind.INT:  # only an integer operand can be settled
            settled = c.out_of_range(node)
            if settled is not None:
                return settled
        a = c.operand(left, right, ordered)
        b = c.operand(right, left, ordered)
        if lk is Kind.INT and rk is Kind.FLOAT:
            a = c.engine.as_float(a)  # PostgreSQL casts bigint to float8
        elif lk is Kind.FLOAT and rk is Kind.INT:
            b = c.engine.as_float(b)
        return cls(this=a, expression=b)

    return build


def _kind(node: Operand) -> Kind | None:
    """The kind of an attribute or LEN operand; None for a literal (or an untyped path)."""
    if type(node) is Attr:
        return node.type.kind
    return Kind.INT if type(node) is Len else None


def _is_int(node: Operand) -> bool:
    return _kind(node) is Kind.INT


# Whether an integer comparison holds for every integer of the engine's range when the
# literal lies above it (below it: the mirror). EQ never, NE always.
_ABOVE_RANGE = {Op.EQ: False, Op.NE: True, Op.LT: True, Op.LE: True, Op.GT: False, Op.GE: False}
_MIRROR = {Op.LT: Op.GT, Op.GT: Op.LT, Op.LE: Op.GE, Op.GE: Op.LE, Op.EQ: Op.EQ, Op.NE: Op.NE}


def _negate(build: _Builder) -> _Builder:
    def negated(c: _Compiler, node: Compare) -> exp.Expression:
        return exp.Not(this=exp.Paren(this=build(c, node)))

    return negated


def _like(c: _Compiler, node: Compare) -> exp.Expression:
    return c.engine.like(c.operand(node.left, node.right, False), c.pattern(node))


def _ilike(c: _Compiler, node: Compare) -> exp.Expression:
    x = c.operand(node.left, node.right, False)
    assert isinstance(node.right, Literal) and isinstance(node.right.value, str)
    regex = c.engine.ilike_regex(node.right.value)
    if regex is not None:  # the engine's lower() is not PostgreSQL's
        return c.engine.regex(x, c.bind(regex), False)
    return c.engine.ilike(x, c.pattern(node, fold=True))


def _regex(ci: bool) -> _Builder:
    def build(c: _Compiler, node: Compare) -> exp.Expression:
        return c.regex(node, ci)

    return build


def _has(c: _Compiler, node: Compare) -> exp.Expression:
    return c.has(node)


#: One SQL builder per operator (a test checks that every Op has one).
OPERATORS: Mapping[Op, _Builder] = {
    Op.EQ: _cmp(exp.EQ),
    Op.NE: _cmp(exp.NEQ),
    Op.LT: _cmp(exp.LT),
    Op.GT: _cmp(exp.GT),
    Op.LE: _cmp(exp.LTE),
    Op.GE: _cmp(exp.GTE),
    Op.LIKE: _like,
    Op.NOT_LIKE: _negate(_like),
    Op.ILIKE: _ilike,
    Op.NOT_ILIKE: _negate(_ilike),
    Op.REGEX: _regex(False),
    Op.IREGEX: _regex(True),
    Op.NOT_REGEX: _negate(_regex(False)),
    Op.NOT_IREGEX: _negate(_regex(True)),
    Op.HAS: _has,
}


# OPERATORS by each operator's text: an Enum member hashes through a Python-level
# __hash__, a str through its cached hash.
_BUILDERS: Mapping[str, _Builder] = {op.text: build for op, build in OPERATORS.items()}


class _Compiler:
    def __init__(self, engine: Engine, mapping: Mapping[str, Target], table: str | None) -> None:
        self.engine = engine
        self.mapping = mapping
        self.table = table
        self.values: list[Any] = []
        #: the whole expression, for errors that show the condition they are about
        self.root: Expr | None = None
        #: where plain comparisons go as text (to_sql with params, on a generator that
        #: would write them exactly so), or None: every condition is a sqlglot node
        self.direct: _Direct | None = None

    # values

    def bind(self, value: Any) -> exp.Expression:
        engine, values = self.engine, self.values
        if isinstance(value, str):
            engine.check_text(value)
        node, value = engine.bound(exp.Placeholder(this=f"wl{len(values)}"), value)
        values.append(value)
        return node

    def bind_direct(self, lit: Literal, type: Type | None) -> str:
        """:meth:`literal` as the text the generator writes for its placeholder (the
        engine's :meth:`~.base.Engine.bound` is the stock one: no SQL around it)."""
        value = self.engine.param(lit.value, type)
        if isinstance(value, str):
            self.engine.check_text(value)
        values = self.values
        values.append(value)
        return f"\x01{len(values) - 1}\x02"

    def literal(self, lit: Literal, type: Type | None) -> exp.Expression:
        return self.bind(self.engine.param(lit.value, type))

    def pattern(self, node: Compare, fold: bool = False) -> exp.Expression:
        assert isinstance(node.right, Literal) and isinstance(node.right.value, str)
        return self.bind(self.engine.param(self.engine.like_pattern(node.right.value, fold), None))

    # where an attribute lives

    def locate(self, attr: Attr) -> tuple[str | Column | JsonPath | ArrayColumn | MapColumn, str | None]:
        mapping, table = self.mapping, self.table
        for hop in attr.hops:
            target = mapping.get(hop)
            if not isinstance(target, Joined):
                raise WhereSqlError(
                    "sql-unmapped-relation",
                    f"the relation {hop!r} of {attr.to_where()} has no joined table",
                    hint=f"pass mapping={{{hop!r}: Joined('alias')}} and join that table",
                )
            mapping, table = target.mapping, target.alias
        target = mapping.get(attr.name, attr.name)
        if isinstance(target, (Joined, Related)):
            raise WhereSqlError("sql-bad-mapping", f"{attr.name!r} is mapped to a join, not a column")
        return target, table

    def column(self, name: str, table: str | None) -> exp.Column:
        # What exp.column(name, table=table, quoted=True) builds, without its parsing of
        # each part: the names are allow-listed (the schema's, or the caller's mapping).
        if table is None:
            return exp.Column(this=exp.Identifier(this=name, quoted=True))
        return exp.Column(this=exp.Identifier(this=name, quoted=True),
                          table=exp.Identifier(this=table, quoted=True))  # fmt: skip

    def read(self, name: str, table: str | None, plain_json: bool) -> exp.Expression:
        """A mapped column as the engine reads it: a ``plain_json`` one (PostgreSQL's
        json, see :class:`Column`) through :meth:`Engine.plain_json`."""
        col = self.column(name, table)
        return self.engine.plain_json(col) if plain_json else col

    def container(self, attr: Attr) -> tuple[exp.Expression, bool]:
        """The SQL of an array or map attribute, and whether it is a native array or map."""
        target, table = self.locate(attr)
        return self.placed(target, table)

    def placed(
        self, target: str | Column | JsonPath | ArrayColumn | MapColumn, table: str | None
    ) -> tuple[exp.Expression, bool]:
        """:meth:`container` of an attribute located at ``target`` (of ``table``)."""
        if isinstance(target, str):
            return self.column(target, table), False
        if isinstance(target, Column):
            return self.read(target.name, target.table or table, target.plain_json), False
        if isinstance(target, (ArrayColumn, MapColumn)):
            return self.column(target.name, target.table or table), True
        col = self.read(target.column, target.table or table, target.plain_json)
        return self.engine.json_container(col, target.path), False

    def value(self, attr: Attr) -> exp.Expression:
        """The SQL value of an attribute operand, typed as ``attr.type``."""
        if not self.mapping and not attr.hops and attr.key is None:  # the default layout
            return self.column(attr.name, self.table)
        target, table = self.locate(attr)
        kind = attr.type.kind
        if attr.key is not None:  # the map holding the key lives where the attribute does
            doc, native = self.placed(target, table)
            if native:
                return self.keys_to_params(self.engine.native_key(doc, self.map_key(attr), kind))
            return self.json_scalar(doc, (self.map_key(attr),), kind)
        if isinstance(target, JsonPath):
            col = self.read(target.column, target.table or table, target.plain_json)
            if attr.type.is_container:
                return self.keys_to_params(self.engine.json_container(col, target.path))
            return self.json_scalar(col, target.path, kind)
        if isinstance(target, Column):
            return self.read(target.name, target.table or table, target.plain_json)
        name = target if isinstance(target, str) else target.name
        tab = table if isinstance(target, str) else (target.table or table)
        return self.column(name, tab)

    def map_key(self, attr: Attr) -> str:
        assert attr.key is not None
        return attr.key

    def json_scalar(self, doc: exp.Expression, keys: tuple[str, ...], kind: Kind) -> exp.Expression:
        e = self.engine.json_scalar(doc, keys, kind)
        return self.keys_to_params(e)

    def keys_to_params(self, e: exp.Expression) -> exp.Expression:
        """JSON keys and paths (built from user text) become bound values too."""

        if isinstance(e, exp.Placeholder) and e.name == "wl_key":
            return self.bind_key(e)
        # In place (e was just built for this operand), with a plain stack: a sqlglot
        # transform copies the tree and walks it through generators.
        stack = [e]
        while stack:
            node = stack.pop()
            for key, value in node.args.items():
                if type(value) is list:
                    for i, child in enumerate(value):
                        if isinstance(child, exp.Expression):
                            if isinstance(child, exp.Placeholder) and child.name == "wl_key":
                                bound = self.bind_key(child)
                                if bound is not child:
                                    node.set(key, bound, index=i)
                            else:
                                stack.append(child)
                elif isinstance(value, exp.Expression):
                    if isinstance(value, exp.Placeholder) and value.name == "wl_key":
                        bound = self.bind_key(value)
                        if bound is not value:
                            node.set(key, bound)
                    else:
                        stack.append(value)
        return e

    def bind_key(self, key: exp.Placeholder) -> exp.Expression:
        """:meth:`bind` of a JSON key's placeholder (:func:`~.base._key`), reusing it."""
        engine, values = self.engine, self.values
        text = key.args["key"]
        if isinstance(text, str):
            engine.check_text(text)
        key.args = {"this": f"wl{len(values)}"}  # a leaf: no children's parents to set
        node, value = engine.bound(key, text)
        values.append(value)
        return node

    def operand(self, node: Operand, other: Operand, ordered: bool) -> exp.Expression:
        if isinstance(node, Attr):
            return self.attribute(node, ordered)
        if isinstance(node, Literal):
            return self.literal(node, _operand_type(other))
        if isinstance(node, Len):
            return self.length(node)
        raise _untyped(node)

    def attribute(self, attr: Attr, ordered: bool) -> exp.Expression:
        """An attribute operand (``ordered``: of < > <= >=)."""
        e = self.value(attr)
        if attr.type.kind is Kind.STRING:
            e = self.engine.text(e, ordered)
        return e

    def length(self, node: Len) -> exp.Expression:
        attr = node.path
        if not isinstance(attr, Attr):
            raise _untyped(node)
        if is_permissions(None, attr):
            return permissions_length(self, attr)
        doc, native = self.container(attr)
        if native:
            if attr.type.kind is Kind.MAP:
                return self.keys_to_params(self.engine.native_map_len(doc))
            return self.engine.native_len(doc)
        if attr.key is not None:
            raise self.engine.unsupported("LEN() of a map value")
        e = self.engine.map_len(doc) if attr.type.kind is Kind.MAP else self.engine.array_len(doc)
        return self.keys_to_params(e)

    # integers beyond what the engine binds

    def outside(self, value: object) -> bool | None:
        """True above, False below the engine's integer range; None inside it (or not
        an integer, or an engine that compares any integer exactly)."""
        bounds = self.engine.int_range
        if bounds is None or type(value) is not int or bounds[0] <= value <= bounds[1]:
            return None
        return value > bounds[1]

    def constant(self, subject: exp.Expression, truth: bool) -> exp.Expression:
        """TRUE (``x = x``) or FALSE (``x <> x``) for a non-NULL ``x``, NULL for NULL."""
        return (exp.EQ if truth else exp.NEQ)(this=subject, expression=subject.copy())

    def out_of_range(self, node: Compare) -> exp.Expression | None:
        """``N = -9223372036854775809`` where the engine cannot bind the literal as an
        integer (SQLite would send a float equal to -2^63): an integer column's value
        lies inside the range, so the answer is settled for every non-NULL value."""
        op, subject, lit = node.op, node.left, node.right
        if isinstance(subject, Literal):
            op, subject, lit = _MIRROR[op], lit, subject
        if not isinstance(lit, Literal) or isinstance(subject, Literal) or not _is_int(subject):
            return None
        above = self.outside(lit.value)
        if above is None:
            return None
        truth = _ABOVE_RANGE[op] if above else (op in (Op.NE, Op.GT, Op.GE))
        return self.constant(self.operand(subject, lit, False), truth)

    # operators

    def regex(self, node: Compare, ci: bool) -> exp.Expression:
        assert isinstance(node.right, Literal) and isinstance(node.right.value, str)
        x = self.operand(node.left, node.right, False)
        if "\x00" in node.right.value:
            raise self.engine.unsupported("a NUL character in a pattern")
        pattern, ci = self.engine.regex_pattern(node.right.value, ci)
        return self.engine.regex(x, self.bind(pattern), ci)

    def has(self, node: Compare) -> exp.Expression:
        attr, lit = node.left, node.right
        if not isinstance(attr, Attr):
            raise _untyped(attr)
        assert isinstance(lit, Literal)
        doc, native = self.container(attr)
        type = attr.type
        if type.kind is Kind.MAP:
            key = lit.value
            assert isinstance(key, str)  # keys match exactly, as in memory (UUID keys too)
            if native:
                return self.keys_to_params(self.engine.native_has_key(doc, key))
            return self.keys_to_params(self.engine.has_key(doc, key))
        assert type.items is not None
        kind = type.items.kind
        if kind is Kind.JSON:
            raise self.engine.unsupported("? on an array of json values")
        value = self.bind(self.element(lit.value, type.items))
        if native:
            return self.engine.native_has(doc, value, kind)
        return self.keys_to_params(self.engine.array_has(doc, value, kind))

    def element(self, value: Value, type: Type) -> Any:
        return self.engine.element(value, type)

    # expressions

    def expr(self, node: Expr) -> exp.Expression:
        if isinstance(node, And):
            return _join(exp.And, [self.expr(i) for i in node.items])
        if isinstance(node, Or):
            return _join(exp.Or, [self.expr(i) for i in node.items])
        if isinstance(node, Not):
            direct, self.direct = self.direct, None  # under NOT: sqlglot's nodes only
            try:
                return exp.Not(this=exp.Paren(this=self.expr(node.expr)))
            finally:
                self.direct = direct
        try:
            return self._condition(node)
        except WhereSqlError as err:
            if isinstance(node, (Compare, In, IsNull, Truth)):
                raise _at_condition(err, node, self.root, self.engine) from None
            raise

    def _condition(self, node: Expr) -> exp.Expression:
        if isinstance(node, Compare) and _plain(node):
            return _BUILDERS[node.op.text](self, node)
        if isinstance(node, Truth):
            return self.truth(node)
        if isinstance(node, (Compare, In, IsNull)):
            special = path_sql(self, node)  # relation lists, JSON paths, Permissions
            if special is not None:
                return special
        if isinstance(node, Compare):
            return _BUILDERS[node.op.text](self, node)
        if isinstance(node, In):
            operand = self.operand(node.operand, node.operand, False)
            type = _operand_type(node.operand)
            literals = node.values
            if _is_int(node.operand):  # values no integer of the engine's range equals
                literals = tuple(v for v in literals if self.outside(v.value) is None)
                if not literals:
                    return self.constant(operand, node.negated)
            values = [self.literal(v, type) for v in literals]
            e: exp.Expression = exp.In(this=operand, expressions=values)
            return exp.Not(this=e) if node.negated else e
        if isinstance(node, IsNull):
            tested = node.operand
            if isinstance(tested, Attr) and tested.type.is_container and tested.key is None:
                subject, _ = self.container(tested)
                subject = self.keys_to_params(subject)
            elif isinstance(tested, (Attr, Len, Literal)):
                subject = self.operand(tested, tested, False)
            else:
                raise _untyped(tested)
            e = exp.Is(this=subject, expression=exp.Null())
            return exp.Not(this=e) if node.negated else e
        raise _untyped(node)

    def truth(self, node: Truth) -> exp.Expression:
        # COALESCE, not IS TRUE: some dialects' generators drop IS TRUE (Trino, Snowflake).
        direct, self.direct = self.direct, None  # inside COALESCE: sqlglot's nodes only
        try:
            inner = exp.Paren(this=self.expr(node.expr))
        finally:
            self.direct = direct
        test: exp.Expression = inner if node.value else exp.Not(this=inner)
        e: exp.Expression = exp.Coalesce(this=test, expressions=[exp.false()])
        return exp.Not(this=e) if node.negated else e


def _plain(node: Compare) -> bool:
    """Whether a comparison is of a plain attribute with a literal (most are), which
    :func:`path_sql` would pass on: not through a list reference, not into JSON, not ?."""
    left, right = node.left, node.right
    return (
        type(left) is Attr and type(right) is Literal and node.op is not Op.HAS
        and not left.each and not left.json and left.type.kind is not Kind.JSON
    )  # fmt: skip


def _join(cls: type[exp.And] | type[exp.Or], items: list[exp.Expression]) -> exp.Expression:
    if not items:  # an empty expression (no terms) keeps every row
        return exp.true() if cls is exp.And else exp.false()
    wrapped = [exp.Paren(this=i) if isinstance(i, exp.Connector) else i for i in items]
    out: exp.Expression = wrapped[0]
    for item in wrapped[1:]:
        out = cls(this=out, expression=item)
    return out


def _operand_type(node: Operand) -> Type | None:
    if isinstance(node, Attr):
        return node.type
    if isinstance(node, Len):
        return Type(Kind.INT)
    return None


def _untyped(node: Node) -> WhereError:
    return WhereSqlError(
        "sql-untyped",
        f"{node} is not checked against a schema",
        hint="parse with a schema: wherelang.parse(text, schema=...)",
    )


def _check_typed(expr: Expr) -> None:
    for node in walk(expr):
        if isinstance(node, Path):
            raise _untyped(node)
        if not isinstance(node, Node):
            raise WhereSqlError("sql-untyped", f"not a where expression: {type(node).__name__}")


def _freeze(mapping: Mapping[str, Target] | None) -> tuple[tuple[str, Target], ...]:
    return tuple(sorted((mapping or {}).items(), key=lambda kv: kv[0]))


# A placeholder is generated as this sentinel, then replaced in text order: sqlglot
# does not always generate children left to right (IN writes its list first). With
# params the text holds no user text, so the sentinel cannot be forged.
_SENTINEL = re.compile("\x01(\\d+)\x02")


class _Generator:
    """The dialect's stock sqlglot generator, one per engine and thread, with two handlers
    of its dispatch table swapped: placeholders come out in the driver's style, with the
    values in the order the placeholders appear in the text, and identifiers' quoting is
    remembered. Swapping handlers instead of subclassing the generator keeps wherelang
    working on sqlglot's mypyc build (``sqlglotc``), whose classes refuse interpreted
    subclasses. A generator keeps per-call state (its unsupported messages), hence one per
    thread; making one per call cost more than the rest of the generation."""

    _local = threading.local()

    @classmethod
    def _made(cls, engine: Engine) -> tuple[Any, _Direct | None]:
        made: dict[str, tuple[Any, _Direct | None]] | None = getattr(cls._local, "made", None)
        if made is None:
            made = cls._local.made = {}
        pair = made.get(engine.dialect)
        if pair is None:
            pair = made[engine.dialect] = _generator(engine)
        return pair

    @classmethod
    def _for(cls, engine: Engine) -> Any:
        return cls._made(engine)[0]

    @classmethod
    def direct(cls, engine: Engine) -> _Direct | None:
        """This thread's :class:`_Direct` of ``engine``, emptied for a new compilation;
        None when its generator would not write plain comparisons as :class:`_Direct` does."""
        direct = cls._made(engine)[1]
        if direct is not None:
            direct.texts = []
        return direct

    @classmethod
    def generate(cls, engine: Engine, tree: exp.Expression, values: list[Any]) -> tuple[str, tuple[Any, ...]]:
        gen = cls._for(engine)
        try:
            sql: str = gen.generate(tree, copy=False)
        except SqlglotError as exc:
            raise engine.unsupported(f"this expression ({exc})") from None
        if not values:  # nothing bound (params=False inlines them all): no sentinel is ours
            return sql, ()
        order = [int(i) for i in _SENTINEL.findall(sql)]
        if type(engine).marker is Engine.marker:  # the same marker for every value
            text = _SENTINEL.sub(_template_text(engine.placeholder or "?"), sql)
        else:
            position = iter(range(len(order)))
            text = _SENTINEL.sub(lambda m: engine.marker(next(position), values[int(m.group(1))]), sql)
        return text, tuple(values[i] for i in order)


def _template_text(marker: str) -> str:
    """``marker`` as the replacement of :func:`re.sub`, which reads backslashes."""
    return marker.replace("\\", "\\\\")


class _Direct:
    """Plain comparisons (a column of the default layout against a bound literal) written
    as text by the compiler instead of built as sqlglot nodes and generated: exactly the
    text this thread's generator of the engine would write for them, which
    :func:`_generator` checks it would (its handlers for columns, identifiers,
    placeholders, comparisons and connectors are wherelang's own, no preprocessing of the
    tree, an engine without SQL around a bound value). Each text stands in the tree as a
    placeholder ``wd<n>`` that the generator writes as the text; the bound values' sentinels
    inside it are then ordered as any other. Only :func:`to_sql` with params uses it: the
    tree is not seen by anyone else (``params=False`` and :func:`to_sqlglot` rewrite or
    return it)."""

    __slots__ = ("column", "plain_text", "texts")

    def __init__(self, column: Callable[[str, str | None], str], plain_text: tuple[bool, bool]) -> None:
        #: the text of the default column of an attribute (its name), of a table or None
        self.column = column
        #: whether the engine's text() of a string column is the column itself, unordered
        #: (= <> LIKE) and ordered (< > <= >=)
        self.plain_text = plain_text
        #: this compilation's texts, by the number of their placeholder
        self.texts: list[str] = []

    def add(self, text: str) -> exp.Expression:
        texts = self.texts
        texts.append(text)
        return exp.Placeholder(this=f"wd{len(texts) - 1}")


def _generator(engine: Engine) -> tuple[Any, _Direct | None]:
    dialect = Dialect.get_or_raise(engine.generator_dialect or engine.dialect)
    # No comments: the trees hold none, and looking for them is a call per node.
    gen = dialect.generator(unsupported_level=ErrorLevel.RAISE, comments=False)
    stock = gen._dispatch
    placeholder = stock[exp.Placeholder]
    identifier = stock[exp.Identifier]

    def placeholder_sql(self: Any, expression: exp.Placeholder) -> str:
        name = expression.args.get("this")
        if type(name) is str and name[2:].isdigit():
            if name.startswith("wl"):
                return f"\x01{name[2:]}\x02"
            if name.startswith("wd") and direct is not None and len(expression.args) == 1:
                return direct.texts[int(name[2:])]
        return str(placeholder(self, expression))

    direct: _Direct | None = None

    quoted: dict[tuple[Any, bool], str] = {}

    def identifier_sql(self: Any, expression: exp.Identifier) -> str:
        # The same few column names recur in every query; the dialect's quoting of one
        # depends only on its text and whether it is quoted.
        args = expression.args  # .name and .quoted, without their two calls each
        key = (args.get("this"), bool(args.get("quoted")))
        text = quoted.get(key)
        if text is None:
            if len(quoted) >= 4096:
                quoted.clear()
            text = quoted[key] = str(identifier(self, expression))
        return text

    handlers: dict[Any, Any] = {exp.Placeholder: placeholder_sql, exp.Identifier: identifier_sql}
    column = stock[exp.Column]
    if column is Generator.column_sql and type(gen).column_parts is Generator.column_parts:

        def column_sql(self: Any, expression: exp.Column) -> str:
            # The stock column_sql of the columns the compiler builds (an identifier, and
            # a table's), without its walk over every part a column may have.
            args = expression.args
            this = args.get("this")
            if type(this) is exp.Identifier:
                if len(args) == 1:
                    return identifier_sql(self, this)
                table = args.get("table")
                if len(args) == 2 and type(table) is exp.Identifier:
                    return f"{identifier_sql(self, table)}.{identifier_sql(self, this)}"
            return str(column(self, expression))

        handlers[exp.Column] = column_sql
    for cls, (name, op) in _COMPARISONS.items():
        if stock.get(cls) is getattr(Generator, name):
            handlers[cls] = _comparison_sql(cls, op, stock[cls])
    if type(gen).connector_sql is Generator.connector_sql:
        for cls, (name, op) in _CONNECTORS.items():
            if stock.get(cls) is getattr(Generator, name):
                handlers[cls] = _connector_sql(cls, op, stock[cls])
    ours = dict(handlers)
    handlers.update(engine.transforms)
    gen._dispatch = dispatch = {**stock, **handlers}
    # The text _Direct writes is what these handlers write for a comparison of a column
    # with a placeholder, when they are all wherelang's and nothing rewrites the tree.
    needs = [exp.Column, exp.Identifier, exp.Placeholder, *_COMPARISONS, *_CONNECTORS]
    if (
        all(cls in ours and dispatch[cls] is ours[cls] for cls in needs)
        and not gen.ENSURE_BOOLS and type(gen).preprocess is Generator.preprocess
        and type(engine).bound is Engine.bound
    ):  # fmt: skip

        def quote(name: str) -> str:
            text = quoted.get((name, True))
            if text is None:
                text = identifier_sql(gen, exp.Identifier(this=name, quoted=True))
            return text

        def column_text(name: str, table: str | None) -> str:
            return quote(name) if table is None else f"{quote(table)}.{quote(name)}"

        probe = exp.Column(this=exp.Identifier(this="probe", quoted=True))
        plain = (engine.text(probe, False) is probe, engine.text(probe, True) is probe)
        direct = _Direct(column_text, plain)
    return gen, direct


def _comparison_sql(cls: type[exp.Expression], op: str, stock: Callable[..., str]) -> Callable[..., str]:
    """Generator.binary of a comparison of two operands, neither a comparison of the same
    class (binary would flatten it), without an OPERATOR() or negation: binary's loop
    and its stack for the one case the compiler builds."""
    text = f" {op} "

    def comparison_sql(self: Any, expression: exp.Expression) -> str:
        args = expression.args
        if len(args) == 2:
            this, other = args.get("this"), args.get("expression")
            if this is not None and other is not None and type(this) is not cls and type(other) is not cls:
                return f"{self.sql(this)}{text}{self.sql(other)}"
        return stock(self, expression)

    return comparison_sql


_CONNECTORS: dict[type[exp.Expression], tuple[str, str]] = {exp.And: ("and_sql", "AND"), exp.Or: ("or_sql", "OR")}


def _connector_sql(cls: type[exp.Expression], op: str, stock: Callable[..., str]) -> Callable[..., str]:
    """Generator.connector_sql of a left-deep chain of one connector over operands that
    are not connectors (what :func:`_join` builds): the operands joined by the keyword."""
    text = f" {op} "

    def connector_sql(self: Any, expression: exp.Expression) -> str:
        rights = []
        node: Any = expression
        while type(node) is cls:
            args = node.args
            right = args.get("expression")
            if len(args) != 2 or isinstance(right, exp.Connector):
                return stock(self, expression)
            rights.append(right)
            node = args.get("this")
        if isinstance(node, exp.Connector):
            return stock(self, expression)
        sql = self.sql
        return text.join([sql(node), *[sql(r) for r in reversed(rights)]])

    return connector_sql


def _at_condition(err: WhereSqlError, node: Expr, root: Expr | None, engine: Engine) -> WhereSqlError:
    """An engine's refusal, with the caret under the condition it refuses (in the
    canonical text of the whole expression) and a way out."""
    if err.position is not None or root is None:
        return err
    text, piece = str(root), str(node)
    position = text.find(piece)
    hint = err.hint or (
        f"{engine.label} cannot run this condition; filter these rows in memory "
        "(wherelang.filter), or use an engine that can, such as postgres"
    )
    return WhereSqlError(err.code, err.message, text=text, position=max(position, 0),
                         length=len(piece) if position >= 0 else len(text), hint=hint,
                         parameter=err.parameter)  # fmt: skip


def _compile(
    expr: Expr, dialect: str, mapping: Mapping[str, Target] | None, table: str | None, direct: bool = False
) -> tuple[Engine, exp.Expression, list[Any]]:
    if not isinstance(expr, Node):
        raise WhereSqlError("sql-untyped", f"expected a where expression, got {type(expr).__name__}")
    engine = _engine(dialect)
    compiler = _Compiler(engine, dict(mapping or {}), table)
    compiler.root = expr
    if direct:  # the tree goes only to this thread's generator, which writes the texts
        compiler.direct = _Generator.direct(engine)
    try:
        tree = compiler.expr(expr)
    except Exception:
        # A tree that is not typed fails somewhere in the compiler (every Path operand
        # does); checked only then, the error names it the same way wherever it is.
        _check_typed(expr)
        raise
    return engine, tree, compiler.values


def _inline(engine: Engine, tree: exp.Expression, values: list[Any]) -> exp.Expression:
    def literal(node: exp.Expression) -> exp.Expression | None:
        if isinstance(node, exp.Placeholder) and node.name.startswith("wl") and node.name[2:].isdigit():
            value = values[int(node.name[2:])]
            if isinstance(value, str) and "\x00" in value:
                raise engine.unsupported(
                    "a NUL character in an inlined literal", "bind it: to_sql(..., params=True)"
                )
            return engine.inline(value)
        return None

    if literal(tree) is not None:
        return literal(tree)  # type: ignore[return-value]
    # Each parent's arguments are rebuilt once: sqlglot's transform() replaces a node in
    # a list by searching the list, quadratic in an IN list of 100,000 values.
    for node in list(tree.walk()):
        for key, arg in list(node.args.items()):
            if isinstance(arg, list):
                swapped = [literal(a) if isinstance(a, exp.Expression) else None for a in arg]
                if any(x is not None for x in swapped):
                    node.set(key, [x if x is not None else a for x, a in zip(swapped, arg)])
            elif isinstance(arg, exp.Expression):
                found = literal(arg)
                if found is not None:
                    node.set(key, found)
    return tree


@lru_cache(maxsize=2048)
def _to_sql_cached(
    expr: Expr, dialect: str, mapping: tuple[tuple[str, Target], ...], params: bool, table: str | None
) -> SqlClause:
    return _to_sql(expr, dialect, dict(mapping), params, table)


def _to_sql(
    expr: Expr, dialect: str, mapping: Mapping[str, Target] | None, params: bool, table: str | None
) -> SqlClause:
    engine, tree, values = _compile(expr, dialect, mapping, table, direct=params)
    if not params:
        tree = _inline(engine, tree, values)
        values = []
    sql, ordered = _Generator.generate(engine, tree, values)
    return SqlClause(sql, ordered, engine.dialect)


def to_sql(
    expr: Expr,
    *,
    dialect: str = "postgres",
    mapping: Mapping[str, Target] | None = None,
    params: bool = True,
    table: str | None = None,
    cache: bool = True,
) -> SqlClause:
    """Compile a typed where expression into a WHERE clause for ``dialect``.

    ``params=True`` gives placeholders in the driver's style (psycopg and pymysql
    ``%s``; sqlite3 and duckdb ``?``; sqlglot's ``?`` elsewhere) with the values in
    ``.params``; ``params=False`` inlines the values as literals quoted by sqlglot, for
    display. ``mapping`` points attributes at other columns (see :class:`Column`,
    :class:`JsonPath`, :class:`ArrayColumn`, :class:`Joined`); ``table`` qualifies the
    default columns (``u."Slug"``).

    >>> from wherelang import parse, to_sql
    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("Slug", Type.of("string"))])
    >>> to_sql(parse("Slug LIKE 'a%'", schema=s), dialect="sqlite").sql
    'WHERELANG_LIKE("Slug" COLLATE BINARY, ?)'
    >>> to_sql(parse("Slug = 'it''s'", schema=s, extended=True), dialect="mysql", params=False).sql
    "`Slug` COLLATE utf8mb4_nopad_bin = 'it''s'"
    """
    try:
        if cache:
            try:
                return _to_sql_cached(expr, dialect, _freeze(mapping), params, table)
            except TypeError:  # an unhashable mapping value
                pass
        return _to_sql(expr, dialect, mapping, params, table)
    except RecursionError:  # a tree built in code (hashing it recurses too)
        raise too_deep(WhereSqlError, "compile to SQL") from None


def to_sqlglot(
    expr: Expr,
    *,
    dialect: str = "postgres",
    mapping: Mapping[str, Target] | None = None,
    table: str | None = None,
) -> exp.Expression:
    """The WHERE condition as a sqlglot expression, values inlined as sqlglot literals.

    >>> from wherelang import parse, to_sqlglot
    >>> from wherelang.schema import Schema, Attribute, Type
    >>> s = Schema("Unit", [Attribute("Slug", Type.of("string"))])
    >>> import sqlglot
    >>> cond = to_sqlglot(parse("Slug = 'x'", schema=s), dialect="duckdb")
    >>> sqlglot.select("*").from_("units").where(cond).sql("duckdb")
    'SELECT * FROM units WHERE "Slug" = \\'x\\''
    """
    try:
        engine, tree, values = _compile(expr, dialect, mapping, table)
        return _inline(engine, tree, values)
    except RecursionError:  # a tree built in code
        raise too_deep(WhereSqlError, "compile to SQL") from None
