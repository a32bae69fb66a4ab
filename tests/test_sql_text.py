"""Engines that do not run here (Trino, BigQuery, Snowflake): the produced SQL, checked
against each engine's documented semantics. Spark and ClickHouse, which do run
(tests/test_spark.py, tests/test_clickhouse.py), are checked here too where the text
itself is the point (bound keys, no user text).

The documented facts each test relies on are in its docstring.
"""

from __future__ import annotations

import re

import pytest
import sqlglot
from hypothesis import given, settings
from hypothesis import strategies as st

from sql_engines import SCHEMA, parse
from wherelang import sql as wsql
from wherelang.errors import WhereSqlError
from wherelang.strategies import expressions_for
from wherelang.validate import validate

TEXT_ONLY = ["trino", "presto", "athena", "bigquery", "snowflake"]
ALL = TEXT_ONLY + ["spark", "databricks", "clickhouse"]

JSON_CONSTRUCTS = [
    "Labels.tier = 'x'",
    "Gates.g1 = true",
    "Labels ? 'k'",
    "Tags ? 'a'",
    "LEN(Tags) > 0",
    "LEN(Labels) = 1",
    "Labels.tier IS NULL",
]


def sql(text: str, dialect: str, **kw: object) -> wsql.SqlClause:
    return wsql.to_sql(parse(text), dialect=dialect, **kw)  # type: ignore[arg-type]


def reads_back(clause: wsql.SqlClause, dialect: str) -> None:
    marker = re.compile(r"\{wl\d+:[^{}]*\}") if dialect == "clickhouse" else None
    text = marker.sub("NULL", clause.sql) if marker else clause.sql.replace("?", "NULL")
    assert sqlglot.parse_one(text, read=dialect) is not None


@pytest.mark.parametrize("dialect", ALL)
@pytest.mark.parametrize("text", JSON_CONSTRUCTS)
def test_json_constructs_compile_and_read_back(dialect: str, text: str) -> None:
    clause = sql(text, dialect)
    reads_back(clause, dialect)


@pytest.mark.parametrize("dialect", ALL)
def test_keys_are_bound_values_never_json_paths(dialect: str) -> None:
    """A key holding ' or . or $ is a bound value: it cannot change the query, and it
    matches as written (sqlglot's $['it''s'] path would lose the quote)."""
    for key in ("it's", "a.b", "$[0]", "x'] OR 1=1 --"):
        quoted = "'" + key.replace("'", "''") + "'"
        for text in (f"Labels.{quoted} = 'v'", f"Labels ? {quoted}"):
            clause = sql(text, dialect)
            assert key in clause.params
            assert key not in clause.sql and "$." not in clause.sql


@settings(max_examples=150, deadline=None)
@given(expr=st.one_of(expressions_for(SCHEMA), expressions_for(SCHEMA, extended=True)).map(lambda e: validate(e, SCHEMA)))
def test_no_user_text_reaches_the_sql(expr: object) -> None:
    """With params, every quoted literal in the text is one of the engine's own."""
    for dialect in ALL:
        try:
            clause = wsql.to_sql(expr, dialect=dialect)  # type: ignore[arg-type]
        except WhereSqlError as exc:
            assert exc.code == "sql-unsupported" and dialect in exc.message
            continue
        literals = set(re.findall(r"'((?:[^']|'')*)'", clause.sql))
        assert literals <= OUR_LITERALS, (dialect, literals - OUR_LITERALS)


@settings(max_examples=100, deadline=None)
@given(
    expr=st.one_of(expressions_for(SCHEMA), expressions_for(SCHEMA, extended=True)).map(lambda e: validate(e, SCHEMA)),
    table=st.sampled_from([None, "u"]),
)
def test_generator_writes_what_sqlglots_own_writes(expr: object, table: str | None) -> None:
    """The compiler's generator (one per engine, with its own handlers for placeholders,
    identifiers, columns and comparisons) writes the text sqlglot's stock generator of
    the dialect writes for the same tree."""
    from wherelang.sql.registry import _engine

    for dialect in [*ALL, *wsql.ENGINES, "tsql"]:
        try:
            clause = wsql.to_sql(expr, dialect=dialect, params=False, table=table)  # type: ignore[arg-type]
        except WhereSqlError:
            continue
        tree = wsql.to_sqlglot(expr, dialect=dialect, table=table)  # type: ignore[arg-type]
        engine = _engine(dialect)
        stock = tree.sql(dialect=engine.generator_dialect or engine.dialect)
        assert clause.sql == stock, dialect



@settings(max_examples=100, deadline=None)
@given(
    expr=st.one_of(expressions_for(SCHEMA), expressions_for(SCHEMA, extended=True)).map(lambda e: validate(e, SCHEMA)),
    table=st.sampled_from([None, "u"]),
)
def test_direct_comparisons_write_what_the_generator_writes(expr: object, table: str | None) -> None:
    """to_sql with params writes plain comparisons as text (compiler._Direct) where the
    generator would write them so: the text and the values' order are those of the same
    compilation with every condition built as sqlglot nodes and generated."""
    from wherelang.sql import compiler

    dialects = [*ALL, *wsql.ENGINES, "tsql"]
    direct: dict[str, object] = {}
    for dialect in dialects:
        try:
            direct[dialect] = wsql.to_sql(expr, dialect=dialect, table=table, cache=False)  # type: ignore[arg-type]
        except WhereSqlError as exc:
            direct[dialect] = exc.code, exc.message
    stock = compiler._Generator.direct
    compiler._Generator.direct = classmethod(lambda cls, engine: None)  # type: ignore[assignment]
    try:
        for dialect in dialects:
            try:
                built: object = wsql.to_sql(expr, dialect=dialect, table=table, cache=False)  # type: ignore[arg-type]
            except WhereSqlError as exc:
                built = exc.code, exc.message
            assert direct[dialect] == built, dialect
    finally:
        compiler._Generator.direct = stock  # type: ignore[method-assign]


# Spark and ClickHouse write SQL around a bound value (Engine.bound), T-SQL's generator
# rewrites conditions to booleans (ENSURE_BOOLS), BigQuery's writes columns its own way
# (column_parts), so the compiler's column handler is not installed.
@pytest.mark.parametrize("dialect, direct", [
    ("postgres", True), ("mysql", True), ("sqlite", True), ("duckdb", True), ("trino", True),
    ("snowflake", True), ("spark", False), ("clickhouse", False), ("tsql", False), ("bigquery", False),
])  # fmt: skip
def test_which_engines_write_comparisons_directly(dialect: str, direct: bool) -> None:
    """The direct text is used where the generator's handlers are wherelang's, nothing
    rewrites the tree and the engine puts nothing around a placeholder; not elsewhere."""
    from wherelang.sql.compiler import _Generator
    from wherelang.sql.registry import _engine

    assert (_Generator.direct(_engine(dialect)) is not None) is direct


OUR_LITERALS = {
    "\\", "\\\\", "$", "utf8", "s", "UTC", "İΣ", "iσ", "Array", "Object", "",
    "MAP<STRING,STRING>", "ARRAY<STRING>", "Nullable(String)", "Nullable(Int64)",
    "Nullable(Float64)", "Nullable(Bool)", "Array(Nullable(String))", "Array(Nullable(Int64))",
    "Array(Nullable(Float64))", "Array(Nullable(Bool))",
}


# --- LIKE and ILIKE -----------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["trino", "bigquery", "snowflake", "spark", "clickhouse"])
def test_like_escapes_mean_what_postgres_means(dialect: str) -> None:
    r"""PostgreSQL reads \x as x. Trino and Spark refuse an escape before anything but
    %, _ and the escape itself; ClickHouse and BigQuery keep the backslash: the pattern
    is sent with \x written x, and \% \_ \\ kept."""
    assert sql("Slug LIKE 'a\\b\\%\\_\\\\'", dialect).params == ("ab\\%\\_\\\\",)


@pytest.mark.parametrize("dialect", ["trino", "snowflake"])
def test_like_escape_clause_where_the_engine_needs_it(dialect: str) -> None:
    """Trino and Snowflake LIKE have no default escape: ESCAPE '\\' is written."""
    assert "ESCAPE" in sql("Slug LIKE 'a\\_%'", dialect).sql
    assert "ESCAPE" not in sql("Slug LIKE 'a\\_%'", "bigquery").sql  # backslash by default


@pytest.mark.parametrize(("dialect", "lower"), [
    ("trino", 'LOWER("Slug")'),  # lower() maps one code point at a time
    ("bigquery", "LOWER(TRANSLATE(`Slug`, 'İΣ', 'iσ'))"),
    ("snowflake", "LOWER(TRANSLATE(\"Slug\", 'İΣ', 'iσ'))"),
    ("spark", "LOWER(TRANSLATE(`Slug`, 'İΣ', 'iσ'))"),
    ("clickhouse", "lowerUTF8(translateUTF8(\"Slug\", 'İΣ', 'iσ'))"),
])  # fmt: skip
def test_ilike_lowers_one_character_at_a_time(dialect: str, lower: str) -> None:
    """ILIKE is lower(x) LIKE lower(p) with PostgreSQL's per-character lower(): the
    pattern is lowered here ('İ' -> 'i', 'Σ' -> 'σ'), the value by the engine, with 'İ'
    and 'Σ' translated first where the engine's lower() is the full Unicode mapping."""
    clause = sql("Slug ILIKE 'İSTANBUL ΟΔΟΣ%'", dialect)
    assert clause.sql.startswith(lower + " LIKE ")
    assert clause.params == ("istanbul οδοσ%",)


# --- regular expressions ------------------------------------------------------------------


@pytest.mark.parametrize(("dialect", "call", "pattern"), [
    ("trino", 'REGEXP_LIKE("Slug", ?)', "(?s)^[aA].[bB]\\z"),  # Joni, Java syntax: $ before a final \n
    ("spark", "`Slug` RLIKE ?", "(?s)^[aA].[bB]\\z"),  # java.util.regex, find()
    ("bigquery", "REGEXP_CONTAINS(`Slug`, ?)", "(?s)^[aA].[bB]$"),  # RE2: $ is the end
    ("snowflake", "REGEXP_INSTR(\"Slug\", ?, 1, 1, 0, 's') > 0", "^[aA].[bB]$"),  # REGEXP_LIKE is anchored
    ("clickhouse", 'match("Slug", {wl0:String})', "(?s)^[aA].[bB]$"),  # RE2 search
])  # fmt: skip
def test_regex_is_a_search_with_postgres_case_sets(dialect: str, call: str, pattern: str) -> None:
    """~* matches a pattern character's lower and upper case only (PostgreSQL), written
    out as classes and matched case-sensitively; '.' matches a newline."""
    clause = sql("Slug ~* '^a.b$'", dialect)
    assert clause.sql == call and clause.params == (pattern,)


@pytest.mark.parametrize("dialect", ["trino", "spark"])
def test_java_class_intersection_is_refused(dialect: str) -> None:
    """Java-syntax engines read && inside [...] as class intersection; RE2 as two '&'."""
    with pytest.raises(WhereSqlError, match="&&"):
        sql("Slug ~ '[$-&&]'", dialect)
    assert sql("Slug ~ 'a&&b'", dialect).params  # outside a class: two '&'
    assert sql("Slug ~ '[a&&b]'", dialect).params == ("(?s)[a&b]",)  # one '&' is enough


@pytest.mark.parametrize("dialect", ["trino", "spark", "snowflake"])
def test_regex_outside_the_portable_subset_is_refused(dialect: str) -> None:
    with pytest.raises(WhereSqlError, match="word boundaries"):
        sql("Slug ~ '\\bapp'", dialect)


# --- maps, arrays, lengths ------------------------------------------------------------------


def test_trino_json_text() -> None:
    """Trino: CAST(JSON AS MAP(VARCHAR, JSON)) keeps every key; element_at is NULL for a
    missing key; json_extract_scalar(v, '$') is NULL for JSON null; contains() is NULL
    when an element is NULL and none matches, so NULL elements are filtered out first;
    json_array_length is NULL unless an array."""
    assert sql("Labels.tier = 'x'", "trino").sql == (
        "JSON_EXTRACT_SCALAR(ELEMENT_AT(TRY_CAST(JSON_PARSE(\"Labels\") AS MAP(VARCHAR, JSON)), ?), '$') = ?"
    )
    assert sql("Tags ? 'a'", "trino").sql == (
        "CONTAINS(FILTER(TRY_CAST(JSON_PARSE(\"Tags\") AS ARRAY(VARCHAR)), wl_x -> NOT wl_x IS NULL), ?)"
    )
    assert "TRANSFORM(" in sql("Ids ? '7C61626F-DDBE-41AF-93F6-B69F4AB6D308'", "trino").sql  # lower-cased
    assert sql("LEN(Tags) = 0", "trino").sql == "COALESCE(JSON_ARRAY_LENGTH(JSON_PARSE(\"Tags\")), 0) = ?"


def test_bigquery_json_text() -> None:
    """BigQuery: the JSON subscript with a STRING key is SQL NULL for a missing key and
    JSON null for a null value (so ? is IS NOT NULL); LAX_STRING of JSON null is NULL;
    JSON_QUERY_ARRAY is NULL unless an array."""
    assert sql("Labels.tier = 'x'", "bigquery").sql == "LAX_STRING(PARSE_JSON(`Labels`)[?]) = ?"
    assert sql("Labels ? 'k'", "bigquery").sql == (
        "CASE WHEN `Labels` IS NULL THEN NULL ELSE NOT PARSE_JSON(`Labels`)[?] IS NULL END"
    )
    assert "EXISTS(SELECT 1 FROM UNNEST(JSON_QUERY_ARRAY(" in sql("Tags ? 'a'", "bigquery").sql


def test_snowflake_json_text() -> None:
    """Snowflake: GET is SQL NULL for a missing key and a VARIANT null (IS NOT NULL) for
    a null value; AS_VARCHAR of a VARIANT null is NULL; ARRAY_CONTAINS compares VARIANTs
    exactly, so arrays of UUIDs (any case) are refused."""
    assert sql("Labels.tier = 'x'", "snowflake").sql == "AS_VARCHAR(GET(PARSE_JSON(\"Labels\"), ?)) = ?"
    assert sql("Tags ? 'a'", "snowflake").sql == (
        "CASE WHEN \"Tags\" IS NULL THEN NULL ELSE ARRAY_CONTAINS(TO_VARIANT(?), AS_ARRAY(PARSE_JSON(\"Tags\"))) END"
    )
    with pytest.raises(WhereSqlError, match="Snowflake.*array of uuid"):
        sql("Ids ? '7C61626F-DDBE-41AF-93F6-B69F4AB6D308'", "snowflake")


def test_snowflake_orders_strings_by_code_point() -> None:
    """An account may set a default collation; 'utf8' is Snowflake's binary one."""
    assert sql("Slug < 'b'", "snowflake").sql == "COLLATE(\"Slug\", 'utf8') < ?"
    assert sql("Slug = 'b'", "snowflake").sql == "\"Slug\" = ?"


@pytest.mark.parametrize("dialect", ["trino", "spark"])
def test_native_maps_and_arrays(dialect: str) -> None:
    mapping = {"Labels": wsql.MapColumn("Labels"), "Tags": wsql.ArrayColumn("Tags")}
    for text in ("Labels.tier = 'x'", "Labels ? 'k'", "LEN(Labels) = 0", "Tags ? 'a'", "LEN(Tags) = 0"):
        clause = sql(text, dialect, mapping=mapping)
        assert "JSON" not in clause.sql.upper(), clause.sql


@pytest.mark.parametrize("dialect", ["bigquery", "snowflake", "clickhouse", "postgres"])
def test_native_maps_are_refused_by_engines_without_them(dialect: str) -> None:
    with pytest.raises(WhereSqlError, match="native map column"):
        sql("Labels.tier = 'x'", dialect, mapping={"Labels": wsql.MapColumn("Labels")})


@pytest.mark.parametrize(("dialect", "bound"), [("trino", "?"), ("snowflake", "?")])
def test_integers_beyond_bigint_compare_exactly(dialect: str, bound: str) -> None:
    clause = sql("N < 99999999999999999999", dialect)
    assert clause.sql.endswith(" < " + bound)
    assert str(clause.params[0]) == "99999999999999999999"


@pytest.mark.parametrize("dialect", ["bigquery", "spark", "clickhouse"])
def test_integers_beyond_bigint_are_settled_for_int64_columns(dialect: str) -> None:
    """Engines with 64-bit integer columns (Engine.int_range): a literal outside the
    range is settled when compiling, N = N (TRUE, NULL for NULL) or N <> N (issue 10)."""
    assert not sql("N < 99999999999999999999", dialect).params
    below = sql("N IN (-99999999999999999999, 99999999999999999999)", dialect)
    assert not below.params and "<>" in below.sql


@pytest.mark.parametrize("dialect", ["trino", "bigquery", "snowflake"])
def test_default_layout_types(dialect: str) -> None:
    ddl = wsql.create_table(SCHEMA, dialect, table="t")
    assert sqlglot.parse_one(ddl, read=dialect) is not None
    assert "JSON" not in ddl.upper().replace("JSON_", "")  # containers are JSON text in strings


def test_databricks_gets_the_sql_spark_runs() -> None:
    """Databricks is proven through Spark: the two dialects produce the same text, but
    for sqlglot spelling RLIKE as REGEXP_LIKE(x, p), its synonym (Spark 3.2+)."""
    rlike = re.compile(r"REGEXP_LIKE\((`\w+`), (\?|'[^']*')\)")
    from test_sql_engines import REGRESSIONS

    from test_spark import SPARK_REGRESSIONS

    for text in REGRESSIONS + SPARK_REGRESSIONS + JSON_CONSTRUCTS:
        for params in (True, False):
            spark, databricks = (sql(text, d, params=params) for d in ("spark", "databricks"))
            same = rlike.sub(r"\1 RLIKE \2", databricks.sql)
            assert (spark.sql, spark.params) == (same, databricks.params), text


@pytest.mark.parametrize("dialect", ["spark2", "hive", "athena"])
def test_java_regex_dialects_get_the_java_rewrite(dialect: str) -> None:
    """Hive and Spark 2 (java.util.regex, no module of their own) and Athena (Trino's
    Joni): $ also matches before a final newline and (?i) is not PostgreSQL's ~*, so
    they get Spark's rewrite; Athena's placeholders are bound like Trino's."""
    assert sql("Slug ~* '^a.b$'", dialect).params == ("(?s)^[aA].[bB]\\z",)
    with pytest.raises(WhereSqlError, match="word boundaries"):
        sql("Slug ~ '\\bx'", dialect)
