"""Benchmark of the public emergency-culture portal (issue 9).

Starts gunicorn (sync workers, 127.0.0.1 on a free port; the Server helper of bench/exam_load.py) on a
fresh SQLite database in a temporary INSTANCE_PATH — or on a fresh PostgreSQL database (created and
dropped here) with --postgres when TEST_DATABASE_URL is set — prepared with `flask db upgrade` (plus
create_all for tables a migration does not hold yet) and `flask content load` (the shipped culture/).

Then, for each endpoint — the trivial GET /healthz, the portal's home page /culture/ and an article
/culture/item/<key> — C closed-loop clients (default 8; a new connection per request, as gunicorn's sync
workers close it) request it for --seconds after a warm-up; the trivial endpoint is measured before and
after the pages and its two rates averaged. Reported: requests per second, p50 and p99 latency, errors.
A repeat-visit phase follows: every client visits the home page and the article once, then revisits
them sending the validators it got (If-None-Match, If-Modified-Since); the share answered 304 is
`not_modified_share`. The article is counted as a view on every request (one upsert), as in production.

    .venv/bin/python bench/public_pages.py [--clients 8] [--seconds 10] [--workers 4] [--postgres]

Ends with one line of JSON:
{"home_rps", "home_p99_ms", "article_rps", "trivial_rps", "not_modified_share"} (plus a few more keys).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from exam_load import BIN, ROOT, Server, background_load, flask, pct, pg_plain, pg_with_db  # noqa: E402

TARGET_SHARE = 0.40
CREATE_MISSING_TABLES = ("from app import create_app\nfrom app.extensions import db\napp = create_app()\n"
                         "with app.app_context():\n    db.create_all()\n")


async def _closed_loop(url: str, clients: int, seconds: float, warm: float, headers=None) -> dict:
    """``clients`` loops requesting ``url`` back to back; latencies after the warm-up only."""
    lat, errors, statuses = [], 0, {}
    t_start = time.perf_counter()
    t_measure, t_stop = t_start + warm, t_start + warm + seconds
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    timeout = aiohttp.ClientTimeout(total=15)

    async def loop(session):
        nonlocal errors
        while True:
            t0 = time.perf_counter()
            if t0 >= t_stop:
                return
            try:
                async with session.get(url, headers=headers) as r:
                    await r.read()
                    status = r.status
            except (TimeoutError, aiohttp.ClientError):
                status = None
            t1 = time.perf_counter()
            if t0 >= t_measure:
                if status not in (200, 304):
                    errors += 1
                else:
                    lat.append((t1 - t0) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(loop(session) for _ in range(clients)))
    return {"rps": len(lat) / seconds, "p50_ms": pct(lat, 50), "p99_ms": pct(lat, 99), "errors": errors,
            "statuses": statuses}


async def _repeat_visits(base: str, paths: list[str], clients: int, repeats: int) -> tuple[int, int]:
    """Each client visits every path once, then ``repeats`` times more with the validators it received.
    Returns (repeat requests, of which answered 304)."""
    connector = aiohttp.TCPConnector(force_close=True, limit=0)
    counts = [0, 0]

    async def visitor(session):
        validators = {}
        for path in paths:
            async with session.get(base + path) as r:
                await r.read()
                validators[path] = {k: v for k, v in (("If-None-Match", r.headers.get("ETag")),
                                                      ("If-Modified-Since", r.headers.get("Last-Modified"))) if v}
        for _ in range(repeats):
            for path in paths:
                async with session.get(base + path, headers=validators[path]) as r:
                    await r.read()
                    counts[0] += 1
                    counts[1] += r.status == 304

    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=15)) as session:
        await asyncio.gather(*(visitor(session) for _ in range(clients)))
    return counts[0], counts[1]


def _article_key(base: str) -> str:
    """The first article the home page links to."""
    import re
    import urllib.request
    with urllib.request.urlopen(base + "/culture/list?type=article", timeout=30) as r:
        html = r.read().decode("utf-8")
    m = re.search(r'href="/culture/item/([a-z0-9-]+)"', html)
    if not m:
        raise RuntimeError("no article on the portal: did `flask content load` run?")
    return m.group(1)


def run(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="public-pages-"))
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL", "FLASK_DEBUG")}
    env.update(FLASK_APP="wsgi", INSTANCE_PATH=str(workdir / "instance"), SECRET_KEY="public-bench-" + uuid.uuid4().hex,
               PYTHONUNBUFFERED="1")
    pg_db, server = None, None
    try:
        if args.postgres:
            import psycopg
            admin_url = os.environ["TEST_DATABASE_URL"]
            pg_db = f"bench_public_{os.getpid()}"
            with psycopg.connect(pg_plain(admin_url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_db}"')
                conn.execute(f'CREATE DATABASE "{pg_db}"')
            env["DATABASE_URL"] = pg_with_db(admin_url, pg_db)
        t_prep = time.time()
        flask(env, "db", "upgrade")
        r = subprocess.run([str(BIN / "python"), "-c", CREATE_MISSING_TABLES], cwd=ROOT, env=env, capture_output=True,
                           text=True)
        if r.returncode:
            raise RuntimeError(r.stderr[-3000:])
        flask(env, "content", "load")
        print(f"prepared in {time.time() - t_prep:.1f} s ({'PostgreSQL' if args.postgres else 'SQLite'})", flush=True)
        server = Server(env, workdir, args.workers)
        server.start()
        other = background_load()
        print(f"gunicorn {args.workers} sync workers on {server.base}; other processes busy: {other:.0f}% of one core; "
              f"{args.clients} clients, {args.seconds:.0f} s per endpoint after {args.warm:.0f} s warm-up", flush=True)
        article = "/culture/item/" + _article_key(server.base)
        results = {}
        for label, path in (("trivial", "/healthz"), ("home", "/culture/"), ("article", article),
                            ("trivial2", "/healthz")):
            results[label] = asyncio.run(_closed_loop(server.base + path, args.clients, args.seconds, args.warm))
            res = results[label]
            print(f"  {label:<8} {path:<40} {res['rps']:7.0f} req/s  p50 {res['p50_ms']:6.1f} ms  "
                  f"p99 {res['p99_ms']:6.1f} ms  errors {res['errors']}", flush=True)
        trivial = (results["trivial"]["rps"] + results["trivial2"]["rps"]) / 2
        repeats, not_modified = asyncio.run(_repeat_visits(server.base, ["/culture/", article], args.clients, args.repeats))
        share = not_modified / repeats if repeats else 0.0
        print(f"  repeat visits: {repeats} conditional requests, {not_modified} answered 304 ({share:.1%})")
        home_share = results["home"]["rps"] / trivial if trivial else 0.0
        print(f"home page at {home_share:.0%} of the trivial endpoint's rate (target ≥ {TARGET_SHARE:.0%}): "
              f"{'met' if home_share >= TARGET_SHARE else 'NOT met'}")
        problems = server.log_summary()
        if problems:
            print("server log:", dict(problems))
        return {"home_rps": round(results["home"]["rps"], 1), "home_p99_ms": round(results["home"]["p99_ms"], 1),
                "article_rps": round(results["article"]["rps"], 1), "trivial_rps": round(trivial, 1),
                "not_modified_share": round(share, 3), "article_p99_ms": round(results["article"]["p99_ms"], 1),
                "home_share_of_trivial": round(home_share, 3),
                "errors": sum(r["errors"] for r in results.values()), "db": "postgresql" if args.postgres else "sqlite"}
    finally:
        if server:
            server.stop()
        if pg_db:
            import psycopg
            with psycopg.connect(pg_plain(os.environ["TEST_DATABASE_URL"]), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_db}" WITH (FORCE)')
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=8, help="concurrent closed-loop clients (default 8)")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per endpoint (default 10)")
    p.add_argument("--warm", type=float, default=2.0, help="warm-up seconds per endpoint (default 2)")
    p.add_argument("--repeats", type=int, default=20, help="repeat visits per client in the 304 phase (default 20)")
    p.add_argument("--workers", type=int, default=4, help="gunicorn sync workers (default 4)")
    p.add_argument("--postgres", action="store_true", help="use a fresh database on TEST_DATABASE_URL's server")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (database, gunicorn log)")
    args = p.parse_args()
    if args.postgres and not os.environ.get("TEST_DATABASE_URL"):
        p.error("--postgres needs TEST_DATABASE_URL")
    print(json.dumps(run(args), ensure_ascii=False))


if __name__ == "__main__":
    main()
