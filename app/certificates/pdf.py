"""Certificate PDFs: a card (85.6 × 54 mm, front and back) and an A4 certificate, with photo and
a QR code of the signed verification URL. One certificate renders in-process; a batch renders
chunks in a pool of worker processes (both cores) and merges them into one PDF."""
from __future__ import annotations

import io
import math
import multiprocessing as mp
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from app.certificates import services
from app.certificates.models import Certificate, PrintJob
from app.certificates.render_worker import LAYOUTS, entries_html, render_entries
from app.core.timeutil import format_date
from app.db import utcnow
from app.extensions import db
from app.people.photos import photo_path

LAYOUT_LABELS = {"card": "证卡（85.6×54 毫米，正反面）", "a4": "A4 证书"}
CHUNK = None   # certificates per worker document: chosen from the batch size (see _chunk_size)
WORKERS = 2


def base_url() -> str:
    """Where the public verification page lives: the setting, else this request's host."""
    configured = services.get_settings().public_base_url.rstrip("/")
    if configured:
        return configured
    if has_request_context():
        return request.host_url.rstrip("/")
    return "http://localhost:5000"


def verify_url(token: str, base: str | None = None) -> str:
    return f"{base or base_url()}/v/{token}"


def _photo_path(person) -> str | None:
    if not person.photo_file:
        return None
    try:
        return str(photo_path(current_app.config["UPLOAD_ROOT"], person.photo_file))
    except FileNotFoundError:
        return None


def entry(cert: Certificate, base: str) -> dict:
    """What the templates print for one certificate, as plain data a worker process can take
    (the holder's own document: full name and ID number)."""
    card = cert.current_card
    person, item = cert.person, cert.item
    return {
        "is_special": item.is_special, "item_name": item.name, "category": item.category, "role": item.role,
        "name": person.name, "sex": person.sex, "number": cert.number, "authority": cert.authority,
        "url": verify_url(card.token, base) if card else "", "photo_path": _photo_path(person),
        "issued_on": format_date(cert.issued_on), "valid_until": format_date(cert.valid_until),
        "review_due": format_date(cert.review_due), "last_review_on": format_date(cert.last_review_on),
    }


def certificates_html(certs: Sequence[Certificate], layout: str, base: str | None = None) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    base = base or base_url()
    return entries_html([entry(c, base) for c in certs], layout, current_app.config["SITE_NAME"])


def render_one(cert: Certificate, layout: str = "card") -> bytes:
    """One certificate's PDF, rendered in this process."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    return render_entries([entry(cert, base_url())], layout, current_app.config["SITE_NAME"])


def _merge(parts: list[bytes]) -> bytes:
    """One PDF of several, pages in order (PDFium)."""
    import pypdfium2 as pdfium
    out = pdfium.PdfDocument.new()
    try:
        for data in parts:
            src = pdfium.PdfDocument(data)
            try:
                out.import_pages(src)
            finally:
                src.close()
        buf = io.BytesIO()
        out.save(buf)
        return buf.getvalue()
    finally:
        out.close()


def _can_merge() -> bool:
    try:
        import pypdfium2  # noqa: F401
    except ImportError:
        return False
    return True


def _chunk_size(n: int, workers: int) -> int:
    """About four documents per worker (balance and progress), each of 10–50 certificates: every
    document costs a fixed share (fonts embedded, PDF written), so fewer, larger ones are faster."""
    return max(10, min(50, math.ceil(n / (4 * max(workers, 1)))))


def render_batch(certs: Sequence[Certificate], layout: str = "card", *, workers: int = WORKERS, chunk: int | None = CHUNK,
                 progress: Callable[[int], None] | None = None) -> bytes:
    """All certificates in one PDF. The certificates' data is read here; photos, QR codes, HTML
    and layout are done by ``workers`` spawned processes, one document per chunk, and the chunks
    are merged in order.
    ``progress(n)`` is called with the number of certificates done after each chunk. Without
    pypdfium2, or with one worker, everything renders in this process as one document."""
    certs = list(certs)
    if not certs:
        raise ValueError("no certificates to print")
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r}")
    base, site = base_url(), current_app.config["SITE_NAME"]
    entries = [entry(c, base) for c in certs]
    chunk = chunk or _chunk_size(len(entries), workers)
    if workers <= 1 or len(entries) <= chunk or not _can_merge():
        pdf = render_entries(entries, layout, site)
        if progress:
            progress(len(certs))
        return pdf
    chunks = [entries[i:i + chunk] for i in range(0, len(entries), chunk)]
    parts: list[bytes | None] = [None] * len(chunks)
    done = 0
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn")) as pool:
        from app.certificates.render_worker import render_chunk
        jobs = [(i, c, layout, site) for i, c in enumerate(chunks)]
        for index, data in pool.map(render_chunk, jobs):
            parts[index] = data
            done += len(chunks[index])
            if progress:
                progress(done)
    return _merge(parts)


# ---- background print jobs ----------------------------------------------------------------------

def prints_dir() -> Path:
    """instance/certificates/prints (or CERT_PRINTS_DIR), created when needed."""
    path = Path(current_app.config.get("CERT_PRINTS_DIR") or Path(current_app.instance_path) / "certificates" / "prints")
    path.mkdir(parents=True, exist_ok=True)
    return path


def create_print_job(certificate_ids: list[int], layout: str, label: str, actor=None) -> PrintJob:
    """A queued print job (flushes). Raises ValueError for an empty selection or unknown layout."""
    if layout not in LAYOUTS:
        raise ValueError(layout)
    if not certificate_ids:
        raise ValueError("empty")
    job = PrintJob(label=label[:200], layout=layout, certificate_ids=list(certificate_ids), total=len(certificate_ids),
                   created_by_id=getattr(actor, "id", None))
    db.session.add(job)
    db.session.flush()
    return job


def run_print_job(app, job_id: int, base: str) -> None:
    """Render a job's PDF into instance/certificates/prints and record progress (own session)."""
    with app.app_context():
        job = db.session.get(PrintJob, job_id)
        job.state = "running"
        db.session.commit()
        try:
            ids = list(job.certificate_ids)
            certs = db.session.scalars(sa.select(Certificate).where(Certificate.id.in_(ids))).unique().all()
            order = {cid: i for i, cid in enumerate(ids)}
            certs.sort(key=lambda c: order[c.id])

            def progress(n: int) -> None:
                db.session.execute(sa.update(PrintJob).where(PrintJob.id == job_id).values(done=n))
                db.session.commit()

            with app.test_request_context(base_url=base):
                pdf = render_batch(certs, job.layout, progress=progress)
            name = f"job-{job_id}.pdf"
            tmp = prints_dir() / (name + ".part")
            tmp.write_bytes(pdf)
            tmp.replace(prints_dir() / name)
            job = db.session.get(PrintJob, job_id)
            job.state, job.file_name, job.done, job.finished_at = "done", name, job.total, utcnow()
            db.session.commit()
        except Exception as exc:  # the job records its failure; the page shows it
            db.session.rollback()
            current_app.logger.exception("print job %s failed", job_id)
            job = db.session.get(PrintJob, job_id)
            job.state, job.error, job.finished_at = "failed", str(exc)[:500], utcnow()
            db.session.commit()
        finally:
            db.session.remove()


def start_print_job(job_id: int, base: str) -> threading.Thread | None:
    """Run the job in a background thread of this process (no queue server needed). With
    CERT_PRINT_INLINE (tests, whose database connection cannot be shared with a thread) it runs
    before returning. ``base`` is the verification URL prefix (``base_url()``, taken before the
    caller commits)."""
    app = current_app._get_current_object()
    if app.config.get("CERT_PRINT_INLINE"):
        run_print_job(app, job_id, base)
        return None
    thread = threading.Thread(target=run_print_job, args=(app, job_id, base), daemon=True,
                              name=f"print-job-{job_id}")
    thread.start()
    return thread
