"""The ``wherelang`` command line (also ``python -m wherelang``).

Exit codes: 0 success; 1 invalid input (a where expression, a parameter, JSON, a schema
file); 2 wrong usage (unknown command or option, missing argument). Results go to
standard output, errors to standard error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, NoReturn
from uuid import UUID

from .errors import WhereError
from .parser import parse
from .query import ListQuery, MemoryStore
from .schema import Schema
from .text import decode_query, encode_query

__all__ = ["main", "EXIT_OK", "EXIT_INVALID", "EXIT_USAGE"]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_USAGE = 2

DESCRIPTION = """\
Check, format, encode and run where expressions of ConfigHub-style list APIs.

  wherelang filter --sample --where "Labels.tier = 'backend' AND LEN(ApplyGates) > 0"
  wherelang check --entity Unit "CreatedAt >= '2025-01-07' AND Slug = 'test'"
  wherelang encode --entity Unit --where "Slug = 'a b'" --select DisplayName

exit codes: 0 success, 1 invalid input, 2 wrong usage"""


class InputError(Exception):
    """Input that is not a where error but still the user's to fix (a file, JSON)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


# --- schemas ------------------------------------------------------------------------


def _schema_file(path: str) -> Schema:
    """A schema from a schema file (the format of ``describe --json``, published as the
    JSON Schema ``wherelang/data/schema-file.schema.json``), checked in full."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read schema file {path}: {exc.strerror}") from None
    try:
        return Schema.from_json(text, name=Path(path).stem)
    except WhereError as err:
        raise InputError(f"schema file {path}: {err.message}" + (f"\nhint: {err.hint}" if err.hint else "")) from None


def _schema(args: argparse.Namespace, required: bool = False) -> Schema | None:
    from . import confighub

    if args.schema is not None:
        return _schema_file(args.schema)
    if args.entity is not None:
        return confighub.schema(args.entity)
    if getattr(args, "sample", False):
        return confighub.schema("Unit")
    if required:
        raise _Usage(f"{args.command} needs --entity NAME or --schema FILE")
    return None


class _Usage(Exception):
    pass


# --- reading input ------------------------------------------------------------------


def _expression(args: argparse.Namespace) -> str:
    if args.expression is not None and args.expression != "-":
        return str(args.expression)
    return sys.stdin.read()


def _read_entities(stream: IO[str], name: str) -> Iterator[Any]:
    """Entities from a JSON array or from JSON Lines, lazily for JSON Lines."""
    first = ""
    lines = iter(stream)
    buffered: list[str] = []
    for line in lines:
        buffered.append(line)
        if line.strip():
            first = line.lstrip()[:1]
            break
    if first == "[":
        text = "".join(buffered) + "".join(lines)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}: not JSON: {exc}") from None
        if not isinstance(data, list):
            raise InputError(f"{name}: expected a JSON array of entities")
        for index, item in enumerate(data):
            yield _entity(item, f"{name}, item {index}")
        return
    number = 0
    for line in _chain(buffered, lines):
        number += 1
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}, line {number}: not JSON: {exc.msg}") from None
        yield _entity(item, f"{name}, line {number}")


def _entity(item: Any, where: str) -> Any:
    # An entity is a JSON object; anything else would silently match nothing.
    if not isinstance(item, dict):
        raise InputError(f"{where}: an entity is a JSON object, not {_dump(item)[:60]}")
    return item


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _open_inputs(paths: Sequence[str]) -> Iterator[Any]:
    if not paths or paths == ["-"]:
        yield from _read_entities(sys.stdin, "<stdin>")
        return
    for path in paths:
        try:
            with open(path, encoding="utf-8") as stream:
                yield from _read_entities(stream, path)
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (UUID, Decimal)):
        return str(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(by_alias=True, mode="json")
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default)


# --- commands -----------------------------------------------------------------------


def _expressions(args: argparse.Namespace) -> tuple[str, list[tuple[int, str]]]:
    """What check and fmt read, the same way: the argument as one expression, or each
    line of standard input as one. Returns the whole input and (offset, text) per line,
    so that errors give the line and column of the input itself."""
    if args.expression is not None and args.expression != "-":
        text = str(args.expression)
        return text, [(0, text)]
    text = sys.stdin.read()
    lines, offset = [], 0
    for line in text.splitlines(keepends=True):
        lines.append((offset, line.rstrip("\r\n")))
        offset += len(line)
    return text, lines


def _in_input(err: WhereError, whole: str, offset: int) -> WhereError:
    # An error in one line of the input points into the whole input: one line/column scheme.
    if err.position is not None:
        err.text, err.position = whole, err.position + offset
    return err


def _cmd_check(args: argparse.Namespace) -> int:
    schema = _schema(args)
    whole, lines = _expressions(args)
    status = EXIT_OK
    for offset, text in lines:
        if not text.strip() and len(lines) > 1:
            continue
        try:
            expr = parse(text, schema=schema, extended=args.extended)
        except WhereError as err:
            _in_input(err, whole, offset)
            if args.json:
                print(_dump({"valid": False, "error": err.to_dict()}))
            else:
                _report(err)
            status = EXIT_INVALID
            continue
        if args.json:
            print(_dump({"valid": True, "where": str(expr), "query": expr.to_query(extended=True)}))
        else:
            print(expr)
    return status


def _cmd_fmt(args: argparse.Namespace) -> int:
    schema = _schema(args)
    whole, lines = _expressions(args)
    status = EXIT_OK
    for offset, text in lines:
        # One output line per input line: a blank or invalid line gives an empty one.
        if not text.strip():
            print()
            continue
        try:
            # Read leniently (any letter case, any blanks), print canonical text; at the
            # strict level that text must then be what the server takes.
            canonical = str(parse(text, schema=schema, extended=True))
            if not args.extended:
                canonical = str(parse(canonical, schema=schema))
            print(canonical)
        except WhereError as err:
            _report(_in_input(err, whole, offset))
            print()
            status = EXIT_INVALID
    return status


def _list_options(args: argparse.Namespace) -> dict[str, str]:
    values = {
        "where": args.where,
        "filter": args.filter,
        "contains": args.contains,
        "select": args.select,
        "include": args.include,
    }
    return {k: v for k, v in values.items() if v is not None}


def _cmd_encode(args: argparse.Namespace) -> int:
    params = _list_options(args)
    if params:
        if args.expression is not None:
            raise _Usage("give the where expression either as an argument or as --where")
        schema = _schema(args, required=True)
        assert schema is not None
        query = ListQuery.from_params(params, schema=schema, extended=args.extended)
        print(query.to_query_string())
        return EXIT_OK
    text = _expression(args)
    if args.raw:
        print(encode_query(text))
        return EXIT_OK
    print(parse(text, schema=_schema(args), extended=args.extended).to_query(extended=True))
    return EXIT_OK


def _cmd_decode(args: argparse.Namespace) -> int:
    value = args.value if args.value is not None else sys.stdin.read().strip()
    if args.params:
        schema = _schema(args)
        if schema is None:
            # Without a schema: decode each parameter and check nothing.
            out: dict[str, str] = {}
            for part in value.lstrip("?").split("&"):
                if part:
                    name, _, raw = part.partition("=")
                    out[decode_query(name)] = decode_query(raw)
            print(_dump(out))
            return EXIT_OK
        query = ListQuery.from_params(value, schema=schema, extended=args.extended)
        print(_dump(query.to_params()))
        return EXIT_OK
    text = decode_query(value)
    schema = _schema(args)
    if schema is not None or args.extended:
        # --entity, --schema and --extended check the decoded expression, as check does.
        print(parse(text, schema=schema, extended=args.extended))
        return EXIT_OK
    print(text)
    return EXIT_OK


def _cmd_sql(args: argparse.Namespace) -> int:
    schema = _schema(args, required=True)
    assert schema is not None
    params = _list_options(args)
    if args.expression is not None:
        if "where" in params:
            raise _Usage("give the where expression either as an argument or as --where")
        params["where"] = _expression(args)
    query = ListQuery.from_params(params, schema=schema, extended=args.extended)
    if args.clause:
        if query.where is None:
            raise _Usage("--clause needs a where expression")
        from .sql import to_sql

        clause = to_sql(query.where, dialect=args.dialect, params=not args.inline)
        print(clause.sql)
        if clause.params:
            print("-- params: " + _dump(list(clause.params)))
        return EXIT_OK
    tables = dict(_pairs(args.table_for or [], "--table-for"))
    statement = query.to_sql(
        args.dialect, table=args.table, tables=tables, params=not args.inline
    )
    print(statement.sql)
    if statement.params:
        print("-- params: " + _dump(list(statement.params)))
    return EXIT_OK


def _pairs(items: Sequence[str], option: str) -> Iterator[tuple[str, str]]:
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name or not value:
            raise _Usage(f"{option} takes ENTITY=VALUE, not {item!r}")
        yield name, value


def _cmd_filter(args: argparse.Namespace) -> int:
    schema = _schema(args, required=True)
    assert schema is not None
    query = ListQuery.from_params(_list_options(args), schema=schema, extended=args.extended)
    store = MemoryStore()
    if args.sample:
        if args.inputs:
            raise _Usage("give input files or --sample, not both")
        from . import sample

        store = sample.store()
        if schema.name not in sample.names():
            raise InputError(f"the sample has no {schema.name} entities")
        entities: Any = sample.entities(schema.name)
    else:
        entities = _open_inputs(args.inputs)
    if args.space is not None:
        _uuid(args.space, "--space")
    given = {entity for entity, _ in _pairs(args.related or [], "--related")}
    if args.filter is not None and not args.sample and "Filter" not in given:
        raise _Usage("--filter needs the saved filters: pass them with --related Filter=FILE")
    related = _related_entities(schema)
    for entity, path in _pairs(args.related or [], "--related"):
        if entity not in related:
            raise _Usage(
                f"--related {entity}=...: {schema.name} has no relation to {entity} entities; "
                f"name one of {', '.join(sorted(related))}"
            )
        try:
            with open(path, encoding="utf-8") as stream:
                store.add(entity, list(_read_entities(stream, path)))
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
    results = query.apply(entities, filters=store, resolver=store, space_id=args.space)
    count = 0
    out = sys.stdout
    for item in results:
        count += 1
        if args.limit is not None and count > args.limit:
            break
        if not args.count:
            out.write(_dump(item) + "\n")
    if args.count:
        print(min(count, args.limit) if args.limit is not None else count)
    return EXIT_OK


def _related_entities(schema: Schema) -> set[str]:
    """What ``--related`` may supply: the entity types the schema's relations reach
    (for include and paths), and Filter (saved filters, for --filter)."""
    return {r.entity for r in schema.relations.values()} | {"Filter"}


def _uuid(text: str, option: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise _Usage(f"{option} takes a UUID, not {text!r}") from None


def _cmd_entities(args: argparse.Namespace) -> int:
    from . import confighub

    rows = []
    for name in confighub.names():
        s = confighub.schema(name)
        rows.append((name, s.id or "", str(len(s.filterable)), ", ".join(s.includable)))
    if args.json:
        print(_dump([{"name": r[0], "id": r[1]} for r in rows]))
        return EXIT_OK
    _table(("ENTITY", "ID", "FILTERABLE", "INCLUDABLE"), rows)
    return EXIT_OK


def _cmd_describe(args: argparse.Namespace) -> int:
    from . import confighub

    if args.name is not None and (args.entity or args.schema):
        raise _Usage("name the entity either as an argument or with --entity/--schema")
    schema = confighub.schema(args.name) if args.name is not None else _schema(args)
    if schema is None:
        raise _Usage("describe needs an ENTITY name, --entity NAME or --schema FILE")
    if args.json:
        print(json.dumps(schema.to_json(), indent=2))
        return EXIT_OK
    print(f"{schema.name}" + (f" (ID {schema.id})" if schema.id else ""))
    rows = []
    for a in schema.attributes.values():
        flags = [
            word
            for word, on in (
                ("filterable", a.filterable),
                ("searchable", a.searchable),
                ("always returned", a.always),
            )
            if on
        ]
        rows.append((a.name, str(a.type), ", ".join(flags)))
    print()
    _table(("ATTRIBUTE", "TYPE", "USE"), rows)
    if schema.relations:
        print()
        rel_rows = [
            (r.field, r.via, r.entity + (" (many)" if r.many else ""), "yes" if r.includable else "")
            for r in schema.relations.values()
        ]
        _table(("RELATION", "VIA", "ENTITY", "INCLUDABLE"), rel_rows)
    return EXIT_OK


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in (head, *rows)) for i in range(len(head))]
    for row in (head, *rows):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


#: The library's words for its Python callers, and what a command-line user types instead.
_CLI_WORDS = (
    ("parse with extended=True", "pass --extended"),
    ("extended=True", "--extended"),
    ("include it in memory with apply()", "include it in memory with wherelang filter"),
    ("resolve it in memory with apply()", "resolve it in memory with wherelang filter"),
    ("this endpoint does not resolve saved filters", "no saved filters were given"),
    ("leave out the filter parameter", "pass them with --related Filter=FILE, or leave out --filter"),
    ("this request lists across spaces", "no --space was given"),
    ("this request lists in space", "--space is"),
    ("in memory (wherelang.filter)", "in memory (wherelang filter)"),
)


def _cli_words(text: str) -> str:
    for python, cli in _CLI_WORDS:
        text = text.replace(python, cli)
    return text


def _report(err: WhereError, prefix: str = "") -> None:
    err.message = _cli_words(err.message)
    err.hint = _cli_words(err.hint) if err.hint else err.hint
    print(f"error: {prefix}{err}", file=sys.stderr)


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from .server import create_app, run
    except ImportError as exc:
        raise InputError(f"serve needs the server extra: pip install 'wherelang[server]' ({exc})")
    import logging
    import os

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    secret = args.secret or os.environ.get("WHERELANG_SECRET") or None
    app = create_app(args.database, secret=secret, prefix=args.prefix, extended=args.extended)
    print(f"wherelang serve: http://{args.host}:{args.port}/ (API docs at /docs)", file=sys.stderr)
    run(app, host=args.host, port=args.port, log_level=args.log_level, exit_after=args.exit_after)
    return EXIT_OK


def _cmd_list(args: argparse.Namespace) -> int:
    try:
        from .client import Client
    except ImportError as exc:
        raise InputError(f"list needs the server extra: pip install 'wherelang[server]' ({exc})")
    with Client(args.url, token=args.token) as client:
        items = client.list(
            args.entity, space=args.space, where=args.where, filter=args.filter,
            contains=args.contains, select=args.select, include=args.include,
            order_by=args.order_by, limit=args.limit, extended=args.extended,
        )  # fmt: skip
        for item in items:
            sys.stdout.write(_dump(item) + "\n")
    return EXIT_OK


# --- the parser ---------------------------------------------------------------------


def _schema_options(parser: argparse.ArgumentParser, extended: bool = True) -> None:
    group = parser.add_argument_group("schema")
    pick = group.add_mutually_exclusive_group()
    pick.add_argument("--entity", metavar="NAME", help="a built-in ConfigHub entity type (Unit, Space, ...)")
    pick.add_argument("--schema", metavar="FILE", help="a schema file (as printed by describe --json)")
    if extended:
        group.add_argument(
            "--extended", action="store_true", help="accept the extended syntax (OR, NOT, parentheses)"
        )


def _list_query_options(parser: argparse.ArgumentParser, where: bool = True) -> None:
    group = parser.add_argument_group("list parameters")
    if where:
        group.add_argument("--where", metavar="EXPR", help="a where expression")
    group.add_argument("--filter", metavar="UUID", help="the ID of a saved Filter")
    group.add_argument("--contains", metavar="TEXT", help="free-text search")
    group.add_argument("--select", metavar="NAMES", help="comma-separated attributes to return")
    group.add_argument("--include", metavar="NAMES", help="comma-separated relations to expand")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="wherelang",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from . import __name__ as package

    parser.add_argument("--version", action="version", version=f"{package} {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    p = commands.add_parser("check", help="validate a where expression and print its canonical form")
    p.add_argument("expression", nargs="?", help="the expression (default: standard input)")
    p.add_argument("--json", action="store_true", help="print the result or the error as JSON")
    _schema_options(p)
    p.set_defaults(run=_cmd_check)

    p = commands.add_parser("fmt", help="print where expressions in canonical form")
    p.add_argument("expression", nargs="?", help="the expression (default: one per line of standard input)")
    _schema_options(p)
    p.set_defaults(run=_cmd_fmt)

    p = commands.add_parser("encode", help="percent-encode a where expression, or list parameters")
    p.add_argument("expression", nargs="?", help="the expression (default: standard input)")
    p.add_argument("--raw", action="store_true", help="encode the text as given, without parsing it")
    _schema_options(p)
    _list_query_options(p)
    p.set_defaults(run=_cmd_encode)

    p = commands.add_parser("decode", help="decode a percent-encoded value or query string")
    p.add_argument("value", nargs="?", help="the encoded text (default: standard input)")
    p.add_argument("--params", action="store_true", help="decode a whole query string into JSON")
    _schema_options(p)
    p.set_defaults(run=_cmd_decode)

    p = commands.add_parser("sql", help="compile a list query to a SQL SELECT (or a WHERE clause)")
    p.add_argument("expression", nargs="?", help="the where expression")
    p.add_argument("--dialect", default="postgres", help="postgres, mysql, sqlite, duckdb, or any sqlglot dialect")
    p.add_argument("--table", metavar="NAME", help="the table of the entities (default: the entity name)")
    p.add_argument("--table-for", metavar="ENTITY=TABLE", action="append", help="the table of a related entity type")
    p.add_argument("--clause", action="store_true", help="print only the WHERE condition")
    p.add_argument("--inline", action="store_true", help="inline the values instead of placeholders")
    _schema_options(p)
    _list_query_options(p)
    p.set_defaults(run=_cmd_sql)

    p = commands.add_parser("filter", help="filter JSON entities; print the matches as JSON Lines")
    p.add_argument("inputs", nargs="*", metavar="FILE", help="JSON array or JSON Lines files (default: standard input)")
    p.add_argument("--sample", action="store_true", help="filter the built-in sample data (Units by default)")
    p.add_argument("--related", metavar="ENTITY=FILE", action="append",
                   help="related entities (for include and filter), e.g. Space=spaces.jsonl")  # fmt: skip
    p.add_argument("--space", metavar="UUID", help="the space of the request (checked against a filter's FromSpaceID)")
    p.add_argument("--count", action="store_true", help="print only the number of matches")
    p.add_argument("--limit", type=_count, metavar="N", help="stop after N matches")
    _schema_options(p)
    _list_query_options(p)
    p.set_defaults(run=_cmd_filter)

    p = commands.add_parser("entities", help="list the built-in ConfigHub entity types")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_cmd_entities)

    p = commands.add_parser("describe", help="show the attributes and relations of an entity type")
    p.add_argument("name", nargs="?", metavar="ENTITY", help="a built-in entity type")
    p.add_argument("--json", action="store_true", help="print the schema as JSON (usable with --schema)")
    _schema_options(p, extended=False)  # describing reads no expression
    p.set_defaults(run=_cmd_describe)

    p = commands.add_parser("serve", help="serve the sample data as a ConfigHub-style list API")
    p.add_argument("--database", metavar="URL", help="a SQLAlchemy URL such as postgresql://user@host/db (default: a new SQLite file)")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    p.add_argument("--prefix", default="", help="a prefix for the table names")
    p.add_argument("--secret", help="signs continuation tokens (default: $WHERELANG_SECRET, else random)")
    p.add_argument("--extended", action="store_true", help="accept the extended syntax in where")
    p.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    p.add_argument("--exit-after", type=float, metavar="SECONDS", help="stop after this long (tests, demos)")
    p.set_defaults(run=_cmd_serve)

    p = commands.add_parser("list", help="list entities from a list API (such as wherelang serve) as JSON Lines")
    p.add_argument("url", help="the API's base URL, e.g. http://127.0.0.1:8000")
    p.add_argument("entity", metavar="ENTITY", help="Unit, Space, Target, ...")
    p.add_argument("--space", metavar="SPACE", help="the space (ID or slug) to list in")
    p.add_argument("--order-by", metavar="TERMS", help="ASC:Field,DESC:Field")
    p.add_argument("--limit", type=_count, metavar="N", help="at most N entities in all")
    p.add_argument("--token", help="a bearer token for the API")
    p.add_argument("--extended", action="store_true", help="accept the extended syntax in where")
    _list_query_options(p)
    p.set_defaults(run=_cmd_list)
    return parser


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"expected a number of matches, not {text!r}")
    return int(text)


def _version() -> str:
    from . import __version__

    return __version__


def _subcommand(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices.get(name, parser)
            return found
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    command = _subcommand(parser, args.command)
    if extra:  # reported with the usage of the subcommand they were given to
        command.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        code: int = args.run(args)
    except _Usage as exc:
        command.print_usage(sys.stderr)
        print(f"wherelang {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except WhereError as err:
        _report(err)
        return EXIT_INVALID
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:
        # The reader went away (``| head``): not an error of ours.
        sys.stderr.close()
        return EXIT_OK
    return code


if __name__ == "__main__":
    sys.exit(main())
