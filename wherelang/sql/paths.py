"""SQL for relation lists (``FromLink.*.Slug``), JSON paths and Permissions.

The meanings are :mod:`wherelang.jsonpath`'s and :mod:`wherelang.evaluate`'s; this module
writes them per engine, from tables keyed by engine class:

- **JSON paths**: PostgreSQL ``jsonb_path_exists`` with the lax SQL/JSON path of
  :func:`wherelang.jsonpath.pg_jsonpath` (a bound parameter; keys and literals are
  jsonpath string literals inside it, never SQL); SQLite calls ``wherelang_json``, which
  :func:`~wherelang.sql.prepare_sqlite` registers and which runs the in-memory meaning.
  Other engines refuse.
- **Prefix.*.Attr**: ``EXISTS`` over the related table (a :class:`~wherelang.sql.Related`
  mapping entry names it), the related entity named by this entity's list attribute
  (each engine's JSON array membership) or by a join table; the condition inside is
  compiled for the related table. Every engine of the differential test.
- **Permissions.<Action>.UserIDs**: PostgreSQL and SQLite JSON access; others refuse.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from .. import jsonpath
from ..errors import WhereSqlError
from ..evaluate import each_attr, each_inner, is_permissions
from ..nodes import Attr, Compare, Family, In, IsNull, JsonStep, Literal, Op
from ..schema import Kind, Type
from .base import _case_null, _fill, _fn
from .mapping import Related

if TYPE_CHECKING:
    from .compiler import _Compiler

__all__ = ["json_condition", "path_sql", "permissions_length"]

_Node = Compare | In | IsNull

_MIRROR = {Op.LT: Op.GT, Op.GT: Op.LT, Op.LE: Op.GE, Op.GE: Op.LE, Op.EQ: Op.EQ, Op.NE: Op.NE}
_JSONPATH_OPS = {Op.EQ: "==", Op.NE: "!=", Op.LT: "<", Op.GT: ">", Op.LE: "<=", Op.GE: ">="}


def path_sql(c: _Compiler, node: _Node) -> exp.Expression | None:
    """The SQL of a condition on a list reference, a JSON path or Permissions; None for
    every other condition."""
    attr = each_attr(node)
    if attr is not None:
        return _each(c, node, attr)
    subject = node.operand if not isinstance(node, Compare) else (
        node.right if isinstance(node.left, Literal) else node.left
    )
    if not isinstance(subject, Attr):  # LEN(Permissions...) is an operand: permissions_length
        return None
    if isinstance(node, Compare) and node.op is Op.HAS and is_permissions(None, subject):
        return _permissions_has(c, node, subject)
    if subject.json or (subject.type.kind is Kind.JSON and not isinstance(node, IsNull)):
        return _json(c, node, subject)
    return None


# --- Prefix.*.Attr ------------------------------------------------------------------------


def _each(c: _Compiler, node: _Node, attr: Attr) -> exp.Expression:
    from .compiler import _Compiler

    field = attr.hops[0]
    related = c.mapping.get(field)
    if not isinstance(related, Related):
        raise WhereSqlError(
            "sql-unmapped-relation",
            f"the list reference {field!r} of {attr.to_where()} has no related table",
            hint=f"pass mapping={{{field!r}: Related('<table>', id='<its ID column>', via='<the list of IDs>')}}",
        )
    alias = f"wl_r{len(c.values)}"
    inner = _Compiler(c.engine, related.mapping, alias)
    inner.values = c.values  # one list of bound values, in the order they are made
    condition = inner.expr(each_inner(node, attr))
    related_id = exp.column(related.id, table=alias, quoted=True)
    if related.join is not None:
        join = related.join
        owner = c.value(Attr((join.key,), (), join.key, None, Type(Kind.UUID)))
        link = f"{alias}_j"
        named: exp.Expression = exp.Exists(
            this=exp.select(exp.Literal.number(1))
            .from_(exp.Table(this=exp.to_identifier(join.table, quoted=True), alias=exp.TableAlias(this=exp.to_identifier(link))))
            .where(exp.and_(
                exp.EQ(this=exp.column(join.owner, table=link, quoted=True), expression=owner),
                exp.EQ(this=exp.column(join.target, table=link, quoted=True), expression=related_id),
            ))
        )  # fmt: skip
    elif related.via is not None:
        ids, native = c.container(Attr((related.via,), (), related.via, None, Type(Kind.ARRAY, items=Type(Kind.UUID))))
        if native:
            raise c.engine.unsupported("a list reference in a native array column")
        member = _MEMBER.get(type(c.engine).__name__)
        if member is None:
            raise c.engine.unsupported(f"{attr.to_where()} (EXISTS over a list of IDs)")
        named = c.keys_to_params(member(ids, related_id))
    else:
        raise WhereSqlError("sql-bad-mapping", f"Related({related.table!r}) needs via= or join=")
    table = exp.Table(this=exp.to_identifier(related.table, quoted=True), alias=exp.TableAlias(this=exp.to_identifier(alias)))
    query = exp.select(exp.Literal.number(1)).from_(table).where(exp.and_(named, exp.Paren(this=condition)))
    return exp.Exists(this=query)


def _pg_member(ids: exp.Expression, related_id: exp.Expression) -> exp.Expression:
    return _fn("jsonb_exists", ids, exp.Cast(this=related_id, to=exp.DataType.build("TEXT")))


def _sqlite_member(ids: exp.Expression, related_id: exp.Expression) -> exp.Expression:
    return _fill("EXISTS (SELECT 1 FROM json_each(:ids) AS wl_m WHERE wl_m.value = :id)", "sqlite", ids=ids, id=related_id)


def _duckdb_member(ids: exp.Expression, related_id: exp.Expression) -> exp.Expression:
    return _fill(
        "list_contains(CAST(json_extract_string(:ids, '$[*]') AS VARCHAR[]), CAST(:id AS VARCHAR))",
        "duckdb", ids=ids, id=related_id,
    )  # fmt: skip


def _mariadb_member(ids: exp.Expression, related_id: exp.Expression) -> exp.Expression:
    return _fill("JSON_CONTAINS(:ids, JSON_QUOTE(:id))", "mysql", ids=ids, id=related_id)


#: whether the related row's ID is in this entity's JSON array of IDs, per engine
_MEMBER: dict[str, Callable[[exp.Expression, exp.Expression], exp.Expression]] = {
    "Postgres": _pg_member,
    "SQLite": _sqlite_member,
    "DuckDB": _duckdb_member,
    "MariaDB": _mariadb_member,
}


# --- JSON paths -----------------------------------------------------------------------------


def _json_doc(c: _Compiler, attr: Attr) -> exp.Expression:
    plain = Attr(attr.segments[:1], attr.hops, attr.name, None, Type(Kind.JSON))
    doc, native = c.container(plain)
    if native:
        raise c.engine.unsupported("a JSON path into a native array column")
    return c.keys_to_params(doc)


def _literal_value(lit: Literal) -> object:
    value = lit.value
    if not isinstance(value, (str, bool, int, Decimal)):
        return lit.text if lit.text is not None else str(value)
    return value


def _jsonpath_literal(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return jsonpath.pg_string(str(value))


def _json(c: _Compiler, node: _Node, attr: Attr) -> exp.Expression:
    builder = _JSON.get(type(c.engine).__name__)
    if builder is None:
        raise c.engine.unsupported(f"the JSON path {attr.to_where()}",
                                   "filter in memory, or use PostgreSQL, SQLite or DuckDB")
    return builder(c, node, attr)


def _pg_predicate(c: _Compiler, op: Op, value: object) -> Callable[[str], str]:
    """The jsonpath test of a subject (``@``) for ``subject OP literal``."""
    if op.family in (Family.LIKE, Family.REGEX):
        text = str(value)
        if op in (Op.LIKE, Op.NOT_LIKE, Op.ILIKE, Op.NOT_ILIKE):
            pattern, ci = jsonpath.like_to_regex(text), op in (Op.ILIKE, Op.NOT_ILIKE)
        else:
            pattern, ci = c.engine.regex_pattern(text, op in (Op.IREGEX, Op.NOT_IREGEX))
        regex = f'like_regex {jsonpath.pg_string(pattern)} flag "{"is" if ci else "s"}"'
        if op in jsonpath.NEGATED:
            return lambda subject: f"!({subject} {regex})"
        return lambda subject: f"{subject} {regex}"
    comparison = f"{_JSONPATH_OPS[op]} {_jsonpath_literal(value)}"
    return lambda subject: f"{subject} {comparison}"


def _pg_text(v: exp.Expression) -> exp.Expression:
    """query.go's text of a JSON value: strings as is, numbers' integer part, booleans."""
    return _fill(
        "CASE jsonb_typeof(:v) WHEN 'string' THEN :v #>> '{}' "
        "WHEN 'number' THEN CAST(TRUNC(CAST(:v #>> '{}' AS NUMERIC)) AS TEXT) "
        "WHEN 'boolean' THEN :v #>> '{}' END",
        "postgres", v=v,
    )  # fmt: skip


def _pg_json(c: _Compiler, node: _Node, attr: Attr) -> exp.Expression:
    doc = _json_doc(c, attr)
    steps = attr.json

    def path(text: str) -> exp.Expression:
        c.engine.check_text(text)
        return exp.Cast(this=c.bind(text), to=exp.DataType.build("jsonpath", udt=True))

    def exists(text: str) -> exp.Expression:
        return _fn("jsonb_path_exists", doc, path(text))

    if isinstance(node, IsNull):
        present: exp.Expression = exp.Coalesce(this=exists(jsonpath.pg_jsonpath(steps)), expressions=[exp.false()])
        return present if node.negated else exp.Not(this=present)
    value = exp.column("wl_v", "wl_j")
    if isinstance(node, In):
        texts = [jsonpath.literal_text(_literal_value(v)) for v in node.values]
        test: exp.Expression = exp.In(this=_pg_text(value), expressions=[c.bind(t) for t in texts])
        if node.negated:
            test = exp.Not(this=test)
        selected = jsonpath.pg_values_path(steps)
    else:
        op, lit = node.op, node.right
        if isinstance(node.left, Literal):
            op, lit = _MIRROR[op], node.left
        if not isinstance(lit, Literal):
            raise c.engine.unsupported("a JSON path compared with another attribute")
        literal = _literal_value(lit)
        if op is not Op.HAS:
            if isinstance(literal, str):
                c.engine.check_text(literal)
            return exists(jsonpath.pg_jsonpath(steps, _pg_predicate(c, op, literal), op))
        test = _fn("jsonb_exists", value, c.bind(str(literal)))
        selected = jsonpath.pg_values_path(steps, flatten=False)
    found = _fill(
        "EXISTS (SELECT 1 FROM jsonb_path_query(:doc, :path) AS wl_j(wl_v) WHERE :test)",
        "postgres", doc=doc, path=path(selected), test=test,
    )  # fmt: skip
    return _case_null(doc, found)


def _spec(node: _Node, attr: Attr) -> str:
    """The condition as JSON for ``wherelang_json`` (SQLite): steps, test, literal."""

    def lit(value: object) -> list[object]:
        if isinstance(value, bool):
            return ["bool", value]
        if isinstance(value, (int, Decimal)):
            return ["number", str(value)]
        return ["string", str(value)]

    steps = [[s.kind, s.key, s.index, s.value] for s in attr.json]
    if isinstance(node, IsNull):
        return json.dumps({"steps": steps, "test": "null", "negated": node.negated})
    if isinstance(node, In):
        texts = [jsonpath.literal_text(_literal_value(v)) for v in node.values]
        return json.dumps({"steps": steps, "test": "in", "values": texts, "negated": node.negated})
    op, other = node.op, node.right
    if isinstance(node.left, Literal):
        op, other = _MIRROR[op], node.left
    assert isinstance(other, Literal)
    return json.dumps({"steps": steps, "test": "compare", "op": op.name, "literal": lit(_literal_value(other))})


def _sqlite_json(c: _Compiler, node: _Node, attr: Attr) -> exp.Expression:
    doc = _json_doc(c, attr)
    return _fn("wherelang_json", doc, c.bind(_spec(node, attr)))


def _duckdb_json(c: _Compiler, node: _Node, attr: Attr) -> exp.Expression:
    doc = exp.Cast(this=_json_doc(c, attr), to=exp.DataType.build("VARCHAR"))
    return _fn("wherelang_json", doc, c.bind(_spec(node, attr)))


@lru_cache(maxsize=1024)
def _spec_test(spec: str) -> Callable[[Any], bool | None]:
    from ..evaluate import _string_matcher

    data = json.loads(spec)
    steps = tuple(JsonStep(k, key, index, value) for k, key, index, value in data["steps"])
    if data["test"] == "null":
        found = jsonpath.exists(steps)
        return (lambda d: found(d)) if data["negated"] else (lambda d: not found(d))
    if data["test"] == "in":
        return jsonpath.in_list(steps, data["values"], data["negated"])
    op = Op[data["op"]]
    kind, text = data["literal"]
    literal: object = text if kind != "number" else (int(text) if text.lstrip("-").isdigit() else Decimal(text))
    if op is Op.HAS:
        return jsonpath.has_key(steps, str(literal))
    if op.family in (Family.LIKE, Family.REGEX):
        return jsonpath.condition(steps, op, literal, _string_matcher(op, str(literal)))
    return jsonpath.condition(steps, op, literal)


def json_condition(doc: Any, spec: Any) -> bool | None:
    """``wherelang_json(doc, spec)``, registered by :func:`~wherelang.sql.prepare_sqlite`
    and :func:`~wherelang.sql.prepare_duckdb`: the in-memory meaning of
    :mod:`wherelang.jsonpath` on the stored JSON text."""
    if spec is None:
        return None
    test = _spec_test(str(spec))
    value = None if doc is None else json.loads(doc) if isinstance(doc, (str, bytes)) else doc
    return test(value)


#: JSON path conditions per engine
_JSON: dict[str, Callable[[_Compiler, _Node, Attr], exp.Expression]] = {
    "Postgres": _pg_json,
    "SQLite": _sqlite_json,
    "DuckDB": _duckdb_json,
}


# --- Permissions.<Action>.UserIDs ----------------------------------------------------------


def _user(lit: Literal) -> str | None:
    from ..evaluate import _uuid_key

    return _uuid_key(lit.value)


def _permissions_doc(c: _Compiler, attr: Attr) -> exp.Expression:
    plain = Attr(attr.segments[:1], attr.hops, attr.name, None, Type(Kind.JSON))
    doc, _ = c.container(plain)
    return c.keys_to_params(doc)


def _action(c: _Compiler, attr: Attr) -> str:
    action = str(attr.key)
    if not action.isalnum():
        raise c.engine.unsupported("a Permissions action that is not letters and digits")
    return action


def _permissions_has(c: _Compiler, node: Compare, attr: Attr) -> exp.Expression:
    build = _GRANTED.get(type(c.engine).__name__)
    if build is None:
        raise c.engine.unsupported(f"{attr.to_where()} ? ... (Permissions)")
    doc = _permissions_doc(c, attr)
    action = _action(c, attr)
    user = _user(node.right) if isinstance(node.right, Literal) else None
    if user is None:
        return _case_null(doc, exp.false())
    return _case_null(doc, build(c, doc, action, user))


def _pg_granted(c: _Compiler, doc: exp.Expression, action: str, user: str) -> exp.Expression:
    return _fill(
        "COALESCE(jsonb_extract_path(:doc, :a, 'UserIDs', :u) = CAST('true' AS JSONB), FALSE)",
        "postgres", doc=doc, a=c.bind(action), u=c.bind(user),
    )  # fmt: skip


def _sqlite_granted(c: _Compiler, doc: exp.Expression, action: str, user: str) -> exp.Expression:
    return _fill("COALESCE(json_type(:doc, :p) = 'true', 0)", "sqlite",
                 doc=doc, p=c.bind(f'$."{action}"."UserIDs"."{user}"'))  # fmt: skip


def _duckdb_granted(c: _Compiler, doc: exp.Expression, action: str, user: str) -> exp.Expression:
    return _fill("COALESCE(json_extract(:doc, :p) = CAST('true' AS JSON), FALSE)", "duckdb",
                 doc=doc, p=c.bind(f"/{action}/UserIDs/{user}"))  # fmt: skip


def _mariadb_granted(c: _Compiler, doc: exp.Expression, action: str, user: str) -> exp.Expression:
    # JSON_EXTRACT writes a JSON true as the text true (a string "true" keeps its quotes)
    return _fill("COALESCE(JSON_EXTRACT(:doc, :p) = 'true', FALSE)", "mysql",
                 doc=doc, p=c.bind(f'$."{action}"."UserIDs"."{user}"'))  # fmt: skip


_Granted = Callable[["_Compiler", exp.Expression, str, str], exp.Expression]

#: ``Permissions.<Action>.UserIDs ? u`` on a non-NULL document, per engine
_GRANTED: dict[str, _Granted] = {
    "Postgres": _pg_granted,
    "SQLite": _sqlite_granted,
    "DuckDB": _duckdb_granted,
    "MariaDB": _mariadb_granted,
}

#: ``LEN(Permissions.<Action>.UserIDs)``: the users whose value is true, per engine (the
#: users map only counts when it is an object)
_COUNTED: dict[str, tuple[str, str, Callable[[str], str]]] = {
    "Postgres": ("postgres", "(SELECT COUNT(*) FROM jsonb_each(CASE WHEN jsonb_typeof(jsonb_extract_path(:doc, :a, "
                 "'UserIDs')) = 'object' THEN jsonb_extract_path(:doc, :a, 'UserIDs') END) AS wl_p "
                 "WHERE wl_p.value = CAST('true' AS JSONB))", lambda a: a),
    "SQLite": ("sqlite", "(SELECT COUNT(*) FROM json_each(:doc, :a) AS wl_p WHERE wl_p.type = 'true' "
               "AND json_type(:doc, :a) = 'object')", lambda a: f'$."{a}"."UserIDs"'),
    "DuckDB": ("duckdb", "(SELECT COUNT(*) FROM json_each(CASE WHEN json_type(:doc, :a) = 'OBJECT' "
               "THEN json_extract(:doc, :a) END) AS wl_p WHERE wl_p.value = CAST('true' AS JSON))",
               lambda a: f"/{a}/UserIDs"),
    "MariaDB": ("mysql", "(SELECT COUNT(*) FROM JSON_TABLE(CASE WHEN JSON_TYPE(JSON_EXTRACT(:doc, :a)) = 'OBJECT' "
                "THEN JSON_KEYS(JSON_EXTRACT(:doc, :a)) END, '$[*]' COLUMNS (wl_k TEXT PATH '$')) AS wl_p "
                "WHERE JSON_EXTRACT(JSON_EXTRACT(:doc, :a), CONCAT('$.\"', wl_p.wl_k, '\"')) = 'true')",
                lambda a: f'$."{a}"."UserIDs"'),
}  # fmt: skip


def permissions_length(c: _Compiler, attr: Attr) -> exp.Expression:
    """``LEN(Permissions.<Action>.UserIDs)``: the users whose value is true."""
    found = _COUNTED.get(type(c.engine).__name__)
    if found is None:
        raise c.engine.unsupported(f"LEN({attr.to_where()}) (Permissions)")
    dialect, template, argument = found
    doc = _permissions_doc(c, attr)
    return _fill(template, dialect, doc=doc, a=c.bind(argument(_action(c, attr))))
