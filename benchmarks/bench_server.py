"""A bounded load test of ``wherelang serve`` beside a hand-written SQLAlchemy endpoint.

Both servers are real uvicorn processes on 127.0.0.1 over the same SQLite file (the
sample data in the default layout). Eight client threads send 5,000 requests in all
(500 under ``--quick``): to ``wherelang serve`` good list queries mixed with bad ones (a
typo, a bad limit, a forged token, the extended syntax, an unknown parameter), to the
reference the same good queries as SQL written by hand (``text()`` with bound
parameters) and, for the bad ones, a 400 of its own. The whole run, servers started and
stopped, stays within BUDGET seconds: ``wherelang serve`` must answer all its requests
within SERVE_BOUND seconds, and the reference sends the same sequence for the time that
is left (what it did not send by then is counted in the note). Every answer must be a
200 or a 400: a 5xx, a dropped connection or a request of ``wherelang serve`` not sent
fails the run. Rows: p50 and p99 latency, and requests per second (as seconds per
request); the reference is the hand-written endpoint.

Run alone: ``python benchmarks/bench_server.py`` (``--quick`` for 500 requests).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from fastapi import Request  # at module level: the endpoint's annotation names it

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CLIENTS = 8
REQUESTS = 5000
#: seconds the whole run may take, and the part of it wherelang serve's requests get
BUDGET = 60.0
SERVE_BOUND = 40.0
#: seconds kept for stopping the servers at the end
STOPPING = 3.0

#: (wherelang serve path and params, the reference's query name and params)
GOOD: list[tuple[str, dict[str, str], str, dict[str, str]]] = [
    ("/unit", {"where": "Labels.tier = 'backend'", "select": "Slug", "order_by": "ASC:Slug",
               "limit": "50"}, "backend", {"tier": "backend"}),
    ("/unit", {"where": "Space.Labels.Environment = 'prod'", "include": "SpaceID", "limit": "20"},
     "prod_with_space", {"env": "prod"}),
    ("/unit", {"contains": "ledger", "select": "Slug"}, "contains", {"text": "ledger"}),
    ("/unit", {"where": "HeadRevisionNum > 10", "order_by": "DESC:HeadRevisionNum",
               "limit": "100"}, "revisions", {"n": "10"}),
    ("/space/payments-prod/unit", {"where": "LEN(FromLinkID) > 0", "select": "Slug"},
     "linked_in_space", {"space": "payments-prod"}),
]  # fmt: skip
BAD: list[tuple[str, dict[str, str]]] = [
    ("/unit", {"where": "Slgu = 'x'"}),
    ("/unit", {"limit": "5000"}),
    ("/unit", {"order_by": "ASC:Slug", "limit": "5", "continue": "eyJ2IjoxfQ.AAAAAAAAAAAAAAAAAAAAAA"}),
    ("/unit", {"where": "Slug = 'a' OR Slug = 'b'"}),
    ("/unit", {"wher": "x"}),
]

# --- the hand-written endpoint (run as its own process) -----------------------------------

HAND_SQL = {
    "backend": (
        'SELECT "Slug", "UnitID", "SpaceID", "OrganizationID", "Labels" FROM "Unit" '
        "WHERE json_extract(\"Labels\", '$.tier') = :tier ORDER BY \"Slug\", \"UnitID\" LIMIT 51"
    ),
    "prod_with_space": (
        'SELECT u.*, s."SpaceID" AS s_id, s."Slug" AS s_slug, s."Labels" AS s_labels '
        'FROM "Unit" AS u LEFT JOIN "Space" AS s ON s."SpaceID" = u."SpaceID" '
        "WHERE json_extract(s.\"Labels\", '$.Environment') = :env ORDER BY u.\"UnitID\" LIMIT 21"
    ),
    "contains": (
        'SELECT "Slug", "UnitID", "SpaceID", "OrganizationID" FROM "Unit" '
        'WHERE lower("Slug") LIKE :p OR lower("DisplayName") LIKE :p '
        "OR EXISTS (SELECT 1 FROM json_each(\"Labels\") WHERE lower(key) LIKE :p OR lower(value) LIKE :p) "
        'ORDER BY "UnitID" LIMIT 1001'
    ),
    "revisions": (
        'SELECT * FROM "Unit" WHERE "HeadRevisionNum" > :n '
        'ORDER BY "HeadRevisionNum" DESC, "UnitID" LIMIT 101'
    ),
    "linked_in_space": (
        'SELECT "Slug", "UnitID", "SpaceID", "OrganizationID", "FromLinkID" FROM "Unit" '
        'WHERE "SpaceID" = (SELECT "SpaceID" FROM "Space" WHERE "Slug" = :space) '
        'AND json_array_length("FromLinkID") > 0 ORDER BY "UnitID" LIMIT 1001'
    ),
}


def hand_app(database: str) -> Any:
    import sqlalchemy as sa
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse

    engine = sa.create_engine(database, connect_args={"check_same_thread": False}, pool_size=20)
    app = FastAPI()

    @app.get("/hand")
    def hand(request: Request) -> Any:
        params = dict(request.query_params)
        name = params.pop("q", "")
        sql = HAND_SQL.get(name)
        if sql is None:
            return JSONResponse({"Code": "400", "Message": "unknown query"}, status_code=400)
        if name == "contains":
            params = {"p": f"%{params['text'].lower()}%"}
        if name == "revisions":
            params = {"n": int(params["n"])}
        with engine.connect() as conn:
            rows = conn.execute(sa.text(sql), params).mappings().all()
        out = []
        for row in rows:
            item = dict(row)
            for key, value in item.items():
                if isinstance(value, str) and value[:1] in "[{":
                    item[key] = json.loads(value)
            out.append(item)
        return out

    return app


# --- load ----------------------------------------------------------------------------------


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)  # fmt: skip


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server at {url} exited with {process.returncode}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not start")


def _cpu(process: subprocess.Popen[bytes]) -> float:
    """The CPU seconds (user and system) the server process has used so far: a figure
    that the other load on a shared machine disturbs much less than wall time."""
    fields = Path(f"/proc/{process.pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load(url: str, requests: list[tuple[str, dict[str, str]]], seconds: float,
         process: subprocess.Popen[bytes] | None = None) -> dict[str, Any]:
    """Send ``requests`` from CLIENTS threads (one keep-alive connection each) for at
    most ``seconds``; with the server's ``process``, count the CPU time it used.

    The clients are the standard library's ``http.client``: it costs the shared CPU
    a fraction of what httpx does, so the servers, not the clients, are measured. A
    connection that fails or closes is a dropped connection (and is opened again)."""
    import http.client
    from urllib.parse import urlencode, urlsplit

    host, port = urlsplit(url).hostname, urlsplit(url).port
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    dropped = 0
    lock = threading.Lock()
    queue = list(reversed(requests))
    stop = time.monotonic() + seconds

    def client() -> None:
        nonlocal dropped
        conn = http.client.HTTPConnection(host or "127.0.0.1", port, timeout=30)
        try:
            while time.monotonic() < stop:
                with lock:
                    if not queue:
                        return
                    path, params = queue.pop()
                target = f"{path}?{urlencode(params)}" if params else path
                start = time.perf_counter()
                try:
                    conn.request("GET", target)
                    response = conn.getresponse()
                    response.read()
                    status = response.status
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection(host or "127.0.0.1", port, timeout=30)
                    with lock:
                        dropped += 1
                    continue
                elapsed = time.perf_counter() - start
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1
        finally:
            conn.close()

    cpu = _cpu(process) if process is not None else 0.0
    began = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    cpu = _cpu(process) - cpu if process is not None else 0.0
    latencies.sort()
    return {
        "sent": len(latencies) + dropped,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "rps": len(latencies) / wall,
        "statuses": statuses,
        "dropped": dropped,
        "unsent": len(queue),
        "cpu": cpu / max(len(latencies), 1),
    }


def run(bench: Any) -> None:
    from harness import Row

    began = time.monotonic()
    count = 500 if bench.quick else REQUESTS
    folder = tempfile.mkdtemp(prefix="wherelang-bench-")
    database = "sqlite:///" + os.path.join(folder, "sample.db")
    serve_port, hand_port = _port(), _port()
    server = _start([sys.executable, "-m", "wherelang", "serve", "--port", str(serve_port),
                     "--database", database, "--secret", "bench", "--log-level", "warning",
                     "--exit-after", "300"])  # fmt: skip
    hand = None
    try:
        _wait(f"http://127.0.0.1:{serve_port}/health", server)  # it writes the database
        hand = _start([sys.executable, str(Path(__file__)), "--hand", str(hand_port), database])
        # four good requests to one bad one, in a fixed shuffled order
        mixed, plain = [], []
        for i in range(count):
            if i % 5 == 4:
                mixed.append(BAD[(i // 5) % len(BAD)])
                plain.append(("/hand", {"q": "no-such-query"}))
            else:
                path, params, name, hand_params = GOOD[i % len(GOOD)]
                mixed.append((path, params))
                plain.append(("/hand", {"q": name, **hand_params}))
        # warm up (caches, one database connection per worker), then measure
        load(f"http://127.0.0.1:{serve_port}", mixed[: 2 * CLIENTS * len(GOOD)], 10)
        _wait(f"http://127.0.0.1:{hand_port}/hand", hand)  # it started meanwhile
        load(f"http://127.0.0.1:{hand_port}", plain[: 2 * CLIENTS * len(GOOD)], 10)
        ours = load(f"http://127.0.0.1:{serve_port}", mixed, SERVE_BOUND, server)
        left = BUDGET - (time.monotonic() - began) - STOPPING
        theirs = load(f"http://127.0.0.1:{hand_port}", plain, max(left, 1.0), hand)
        theirs["bound"] = left
    finally:
        for process in (server, hand):
            if process is not None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
    for result, what in ((ours, "wherelang serve"), (theirs, "hand-written endpoint")):
        bad = {s: n for s, n in result["statuses"].items() if s not in (200, 400)}
        if bad or result["dropped"]:
            raise RuntimeError(f"{what}: statuses {result['statuses']}, "
                               f"{result['dropped']} dropped")  # fmt: skip
    if ours["unsent"]:
        raise RuntimeError(f"wherelang serve answered {ours['sent']} of {count} requests "
                           f"within {SERVE_BOUND:.0f} s")  # fmt: skip
    total = time.monotonic() - began
    for label, result, reference in ((
        "wherelang serve (good and bad queries)", ours, False), (
        "hand-written SQLAlchemy endpoint", theirs, True)):  # fmt: skip
        note = (f"{result['sent']} requests, {CLIENTS} clients: "
                + ", ".join(f"{n}x {s}" for s, n in sorted(result["statuses"].items()))
                + ", 0 dropped, no 5xx"
                + (f"; {result['unsent']} not sent in the {result['bound']:.0f} s left"
                   if result["unsent"] else "")
                + f"; server CPU {result['cpu'] * 1000:.2f} ms/request"
                + ("" if reference else f"; the whole run took {total:.0f} s"))  # fmt: skip
        bench.rows.append(Row("server: p50 latency", label, result["p50"], "request", reference, note))
        bench.rows.append(Row("server: p99 latency", label, result["p99"], "request", reference))
        bench.rows.append(Row("server: throughput", label, 1 / result["rps"], "request", reference))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--hand"]:
        import uvicorn

        uvicorn.run(hand_app(sys.argv[3]), host="127.0.0.1", port=int(sys.argv[2]),
                    log_level="warning")  # fmt: skip
    else:
        sys.path.insert(0, str(HERE))
        from harness import Bench, table

        bench = Bench(quick="--quick" in sys.argv)
        run(bench)
        print(table(bench.rows))
