"""One module per SQL engine; :mod:`wherelang.sql.registry` finds them all."""
