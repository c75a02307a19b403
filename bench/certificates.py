"""Certificate benchmark: PDFs, then the public verification page under gunicorn.

1. A fresh SQLite database in a temporary INSTANCE_PATH with N (500) issued certificates, each
   holder with a photo and a name using rare characters.
2. One PDF each (A4, in this process, one after the other) and one N-page batch (A4, the pool of
   worker processes merged into one document): certificates per second, pages per second, CPU
   use of the machine during the batch, peak RSS (this process and the largest worker), and the
   size of one certificate's PDF.
3. gunicorn (sync workers) on the same database: GET /v/<token> of random certificates and the
   trivial GET /healthz, each for a fixed time with the same number of concurrent connections:
   requests per second and p99 latency.

Ends with one line of JSON:
{"each_certs_per_s", "batch_certs_per_s", "peak_rss_mb", "pdf_kb", "verify_rps", "verify_p99_ms", "trivial_rps"}

    .venv/bin/python bench/certificates.py [--n 500] [--seconds 8] [--concurrency 16] [--layout a4]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import io
import json
import math
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
RARE = "堃喆玥赟彧昇"


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))] if values else float("nan")


def cpu_times():
    with open("/proc/stat") as fh:
        parts = [int(x) for x in fh.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return sum(parts) - idle, sum(parts)


def busy_cores(before, after) -> float:
    busy, total = after[0] - before[0], after[1] - before[1]
    return busy / total * os.cpu_count() if total else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mb() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, kids


def build_world(app, n: int) -> list[str]:
    """N people with photos and N issued certificates; returns their tokens."""
    from PIL import Image

    from app.catalog.services import item_by_name, load_catalog
    from app.certificates import services
    from app.core.ids import id_check_char
    from app.extensions import db
    from app.people.models import Person
    from app.people.photos import store_photo

    rng = random.Random(7)
    with app.app_context():
        db.create_all()
        load_catalog()
        item = item_by_name("低压电工作业")
        settings = services.get_settings()
        tokens = []
        for i in range(n):
            first17 = f"210902{1970 + i % 30}{1 + i % 12:02d}{1 + i % 28:02d}{i % 1000:03d}"
            number = first17 + id_check_char(first17)
            img = Image.new("RGB", (360, 480), (rng.randrange(256), rng.randrange(256), rng.randrange(256)))
            buf = io.BytesIO()
            img.save(buf, "JPEG", quality=88)
            person = Person(id_number=number, name="欧阳"[: 1 + i % 2] + RARE[i % 6] + RARE[(i + 1) % 6],
                            sex="男", birth_date=dt.date(1970 + i % 30, 1 + i % 12, 1 + i % 28), education="高中",
                            photo_file=store_photo(app.config["UPLOAD_ROOT"], buf.getvalue()))
            db.session.add(person)
            db.session.flush()
            cert = services.create_certificate(person, item, passed_on=dt.date(2026, 1, 5), session_id=None,
                                               today=dt.date(2026, 1, 10), settings=settings)
            tokens.append(cert.current_card.token)
        db.session.commit()
        return tokens


def bench_pdfs(app, layout: str) -> dict:
    import sqlalchemy as sa

    from app.certificates import pdf
    from app.certificates.models import Certificate
    from app.extensions import db

    with app.app_context(), app.test_request_context(base_url="https://ks.example.cn"):
        certs = db.session.scalars(sa.select(Certificate).order_by(Certificate.id)).unique().all()
        n = len(certs)
        pdf.render_one(certs[0], layout)  # cold start (imports, fonts) not counted
        t0 = time.perf_counter()
        sizes = []
        for cert in certs:
            sizes.append(len(pdf.render_one(cert, layout)))
        each_s = time.perf_counter() - t0
        cpu0, t0 = cpu_times(), time.perf_counter()
        done = []
        data = pdf.render_batch(certs, layout, progress=done.append)
        batch_s = time.perf_counter() - t0
        cores = busy_cores(cpu0, cpu_times())
    import pypdfium2 as pdfium
    doc = pdfium.PdfDocument(data)
    pages = len(doc)
    doc.close()
    me, kids = rss_mb()
    return {"n": n, "each_s": each_s, "batch_s": batch_s, "pages": pages, "batch_cores": cores,
            "pdf_kb": max(sizes) / 1024, "batch_mb": len(data) / 1024 / 1024, "rss_self": me, "rss_worker": kids}


async def _load(base: str, paths: list[str], seconds: float, concurrency: int) -> tuple[int, list[float], int]:
    import aiohttp
    latencies, errors = [], 0
    stop = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        async def worker(k: int):
            nonlocal errors
            rng = random.Random(k)
            while time.perf_counter() < stop:
                t0 = time.perf_counter()
                async with http.get(base + rng.choice(paths)) as r:
                    await r.read()
                    if r.status != 200:
                        errors += 1
                latencies.append(time.perf_counter() - t0)
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
    return len(latencies), latencies, errors


def bench_http(instance: Path, tokens: list[str], seconds: float, concurrency: int, workers: int) -> dict:
    port = free_port()
    env = dict(os.environ, INSTANCE_PATH=str(instance), FLASK_APP="wsgi")
    env.pop("DATABASE_URL", None)
    log = open(instance / "gunicorn.log", "ab")
    proc = subprocess.Popen([str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
                             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        import urllib.request
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        body = urllib.request.urlopen(f"{base}/v/{tokens[0]}", timeout=5).read().decode()
        assert "有效" in body, "the verification page did not verify a genuine token"
        out = {}
        for name, paths in (("trivial", ["/healthz"]), ("verify", [f"/v/{t}" for t in tokens])):
            asyncio.run(_load(base, paths, 1.5, concurrency))  # warm up
            n, lat, errors = asyncio.run(_load(base, paths, seconds, concurrency))
            out[name] = {"rps": n / seconds, "p50_ms": pct(lat, 50) * 1000, "p99_ms": pct(lat, 99) * 1000,
                         "errors": errors}
        return out
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        log.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--layout", default="a4", choices=["a4", "card"])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = ap.parse_args()

    instance = Path(tempfile.mkdtemp(prefix="bench-cert-"))
    (instance / "config.py").write_text(
        "SECRET_KEY = 'bench-only'\nCERT_VERIFY_LIMIT = '10000000 per minute'\n", encoding="utf-8")
    os.environ["INSTANCE_PATH"] = str(instance)
    try:
        from app import create_app
        app = create_app()
        t0 = time.perf_counter()
        tokens = build_world(app, args.n)
        print(f"set-up: {args.n} certificates issued in {time.perf_counter() - t0:.1f} s")
        p = bench_pdfs(app, args.layout)
        each = p["n"] / p["each_s"]
        batch = p["n"] / p["batch_s"]
        print(f"PDF ({args.layout}) one each : {each:6.1f} certificates/s ({p['each_s']:.1f} s, one process)")
        print(f"PDF ({args.layout}) batch    : {batch:6.1f} certificates/s, {p['pages'] / p['batch_s']:.1f} pages/s "
              f"({p['pages']} pages, {p['batch_mb']:.1f} MB, {p['batch_s']:.1f} s, {p['batch_cores']:.2f} cores busy)")
        print(f"batch / each = {batch / each:.2f}; one certificate's PDF ≤ {p['pdf_kb']:.0f} KB; "
              f"peak RSS this process {p['rss_self']:.0f} MB, largest worker {p['rss_worker']:.0f} MB")
        h = bench_http(instance, tokens, args.seconds, args.concurrency, args.workers)
        for name in ("trivial", "verify"):
            r = h[name]
            print(f"{name:<8} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  "
                  f"errors {r['errors']}")
        print(f"verify / trivial = {h['verify']['rps'] / h['trivial']['rps']:.2f}")
        print(json.dumps({"each_certs_per_s": round(each, 2), "batch_certs_per_s": round(batch, 2),
                          "peak_rss_mb": round(max(p["rss_self"], p["rss_worker"]), 1),
                          "pdf_kb": round(p["pdf_kb"], 1), "verify_rps": round(h["verify"]["rps"], 1),
                          "verify_p99_ms": round(h["verify"]["p99_ms"], 2),
                          "trivial_rps": round(h["trivial"]["rps"], 1)}))
    finally:
        shutil.rmtree(instance, ignore_errors=True)


if __name__ == "__main__":
    main()
