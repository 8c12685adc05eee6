"""HQ's HTTP API (FastAPI). Every route but /v1/health and /v1/enrol needs
`Authorization: Bearer <store token>`; errors are `{"error", "message"}`.

    GET  /v1/health
    POST /v1/enrol            EnrolRequest  -> EnrolResponse
    POST /v1/push             PushRequest   -> PushResponse      (403: an event of another store)
    GET  /v1/pull?cursor=&limit=            -> PullResponse
    POST /v1/holds            HoldRequest   -> HoldResponse
    POST /v1/holds/release    ReleaseRequest
    GET  /v1/phones                         -> PhonePolicy       (the chain's phone key, for the till)
    POST /v1/members/unmask   UnmaskRequest -> UnmaskResponse    (a full number, audited at HQ)
    POST /v1/orders           an online shop's order (`Authorization: Bearer <channel key>`; orders.py)
    POST /v1/members/resolve-code ResolveCodeRequest -> ResolveCodeResponse (a dynamic member code)
    GET  /v1/snapshot?min_changes=N         -> a new till's bootstrap snapshot (snapshot.py), or null
    GET  /v1/snapshot/{id}                  -> its file (gzip of SQLite; `Range: bytes=N-` resumes)

Workers: `serve(url, host, port, workers=N)` runs N worker processes (uvicorn's
multiprocess supervisor over one listening socket; each worker builds its app with
`worker_app()`, the factory). All HQ state is in the database, so any worker answers
any request: nothing a request leaves behind lives in a process (see `serve`).

Request bodies may be gzip (`Content-Encoding: gzip`); responses are gzip
when the client accepts it.

Nothing a client sends makes HQ answer 500: a body that is not (gzip of) JSON,
the wrong shape or a field out of range is a 4xx with `{"error", "message"}`;
a bad event inside a good push is answered `rejected` on its own (ingest.py).
A database HQ cannot reach is 503 (the till retries later).
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
import zlib

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.concurrency import run_in_threadpool

from ..protocol import PhonePolicy, UnmaskRequest, UnmaskResponse
from ..protocol import (
    MAX_PAGE, PROTOCOL_VERSION, EnrolRequest, EnrolResponse, HoldRequest, PushEnvelope, ReleaseRequest, error_text,
)
from . import admin, changes, holds, ingest
from . import phones as server_phones
from .db import HQDatabase

log = logging.getLogger("memberpos.hq")
access_log = logging.getLogger("memberpos.hq.access")
MAX_BODY = 32 * 1024 * 1024


class ApiError(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _json(model: BaseModel) -> Response:
    return Response(model.model_dump_json(), media_type="application/json")


async def _body(request: Request, model: type[BaseModel]):
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError(413, "body.too_large", f"request body over {MAX_BODY} bytes")
    encoding = request.headers.get("content-encoding", "").strip().lower()
    if encoding == "gzip":
        try:  # bounded: a small bomb must not expand past MAX_BODY
            d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            raw = d.decompress(raw, MAX_BODY + 1)
            if len(raw) > MAX_BODY:
                raise ApiError(413, "body.too_large", f"request body over {MAX_BODY} bytes")
            if not d.eof:
                raise zlib.error("truncated")
        except (OSError, EOFError, zlib.error):
            raise ApiError(400, "body.gzip", "request body is not valid gzip") from None
    elif encoding not in ("", "identity"):
        raise ApiError(415, "body.encoding", f"unsupported Content-Encoding {encoding[:20]!r} (gzip or none)")
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False, include_input=False)[0]
        if err["type"] == "json_invalid":
            raise ApiError(422, "body.invalid", "request body is not valid JSON (UTF-8)") from None
        if tuple(err["loc"])[:1] == ("protocol",):
            raise ApiError(400, "protocol.unsupported",
                           f"protocol version not supported: this HQ speaks {PROTOCOL_VERSION}") from None
        raise ApiError(422, "body.invalid", error_text(exc) or "body: not the expected object") from None


def create_app(db_url: str | None = None, hq: HQDatabase | None = None, *, pool: int | None = None) -> FastAPI:
    """`pool`: database connections of this process (default 20); request threads are
    bounded by it too, so a request waits for a thread, never for a connection."""
    hq = hq or HQDatabase(db_url, pool=pool)

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = hq.pool_capacity
        yield

    app = FastAPI(title="memberpos HQ", version=str(PROTOCOL_VERSION), lifespan=lifespan)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.state.hq = hq

    @app.middleware("http")
    async def _request_log(request: Request, call_next):
        """One line per request: method, path (never the query: cursors, codes), status, latency.
        No body, no header (Authorization never)."""
        started, status = time.perf_counter(), 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            access_log.info("%s %s %d %.1f ms", request.method, request.url.path[:120], status,
                            (time.perf_counter() - started) * 1000)

    @app.exception_handler(ApiError)
    async def _api_error(_request, exc: ApiError):
        return JSONResponse({"error": exc.error, "message": exc.message}, status_code=exc.status)

    @app.exception_handler(OperationalError)
    async def _db_down(_request, exc: OperationalError):
        log.warning("HQ database unavailable: %s", str(exc).splitlines()[0][:200])
        return JSONResponse({"error": "hq.database", "message": "HQ's database is unavailable; try again later"},
                            status_code=503)

    @app.exception_handler(PoolTimeout)
    async def _pool_busy(_request, exc: PoolTimeout):
        log.warning("HQ's database connections all busy: %s", str(exc).splitlines()[0][:200])
        return JSONResponse({"error": "hq.busy", "message": "HQ is busy; try again later"}, status_code=503)

    @app.exception_handler(admin.AdminError)
    async def _admin_error(_request, exc: admin.AdminError):
        return JSONResponse({"error": exc.code, "message": str(exc)}, status_code=exc.status)

    async def store_of(request: Request) -> str:
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if not token:
            raise ApiError(401, "auth.missing", "Authorization: Bearer <store token> is required")
        store = await run_in_threadpool(admin.authenticate, hq, token)
        if store is None:
            raise ApiError(401, "auth.bad_token", "unknown or revoked store token; enrol the till again")
        return store

    @app.get("/v1/health")
    async def health():
        return {"ok": True, "protocol": PROTOCOL_VERSION, "database": hq.dialect}

    @app.post("/v1/enrol")
    async def enrol(request: Request):
        req = await _body(request, EnrolRequest)
        got = await run_in_threadpool(admin.enrol, hq, req.code, req.device)
        return _json(EnrolResponse(**got))

    @app.post("/v1/push")
    async def push(request: Request):
        store = await store_of(request)
        req = await _body(request, PushEnvelope)
        try:
            resp = await run_in_threadpool(ingest.push, hq, store, req)
        except ingest.Forbidden as exc:
            raise ApiError(403, "store.mismatch", str(exc)) from None
        except ingest.BadBatch as exc:
            raise ApiError(422, "body.invalid", str(exc)) from None
        if any(isinstance(e, dict) and e.get("kind") == "parcel.arrived" for e in req.events):
            from . import orders  # a parcel arrived: the customer is told once the push committed

            try:
                await run_in_threadpool(orders.send_arrivals, hq, str(request.base_url))
            except Exception:  # the push is committed; a message not sent now goes with the next push
                log.exception("parcel arrival messages not sent")
        return _json(resp)

    @app.post("/v1/orders")
    async def online_order(request: Request):
        from . import channels, orders

        auth = request.headers.get("authorization", "")
        key = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if not key:
            raise ApiError(401, "auth.missing", "Authorization: Bearer <channel key> is required")
        channel = await run_in_threadpool(channels.authenticate, hq, key)
        if channel is None:
            raise ApiError(401, "auth.bad_key", "unknown or revoked channel key (hq channel add NAME)")
        raw = await request.body()
        if len(raw) > 1024 * 1024:
            raise ApiError(413, "body.too_large", "an order is at most 1 MB")
        try:
            got = await run_in_threadpool(orders.post, hq, channel, orders.parse(raw))
        except orders.OrderError as exc:
            raise ApiError(exc.status, exc.error, exc.message) from None
        return JSONResponse(got)

    @app.get("/v1/pull")
    async def pull(request: Request, cursor: str = "", limit: int = 1000, own: bool = False):
        store = await store_of(request)
        if not 1 <= limit <= MAX_PAGE:
            raise ApiError(422, "pull.limit", f"limit must be 1 to {MAX_PAGE}, got {limit}")
        try:
            page = await run_in_threadpool(changes.pull_page, hq, store, cursor or None, limit, own)
        except ValueError as exc:
            raise ApiError(400, "pull.cursor", str(exc)) from None
        return Response(page.json(), media_type="application/json")

    @app.get("/v1/snapshot")
    async def snapshot_manifest(request: Request, min_changes: int = 0):
        """A new till's first pull in one file (sync/server/snapshot.py)."""
        from . import snapshot

        store = await store_of(request)
        body = await run_in_threadpool(snapshot.manifest, hq, store, max(0, min_changes))
        return Response(body, media_type="application/json")

    @app.get("/v1/snapshot/{snapshot_id}")
    async def snapshot_file(request: Request, snapshot_id: str):
        from fastapi.responses import FileResponse

        from . import snapshot

        store = await store_of(request)
        try:
            path = await run_in_threadpool(snapshot.file_for, hq, store, snapshot_id)
        except snapshot.SnapshotMissing as exc:
            raise ApiError(404, "snapshot.missing", str(exc)) from None
        return FileResponse(path, media_type="application/octet-stream")  # Range requests answered 206

    @app.post("/v1/holds")
    async def hold(request: Request):
        store = await store_of(request)
        req = await _body(request, HoldRequest)
        return _json(await run_in_threadpool(holds.place, hq, store, req))

    @app.post("/v1/holds/release")
    async def release(request: Request):
        store = await store_of(request)
        req = await _body(request, ReleaseRequest)
        return {"released": await run_in_threadpool(holds.release, hq, store, req.hold_id)}

    @app.get("/v1/phones")
    async def phone_policy(request: Request):
        await store_of(request)
        got = await run_in_threadpool(server_phones.policy, hq)
        return _json(PhonePolicy(**got))

    @app.post("/v1/members/unmask")
    async def unmask(request: Request):
        store = await store_of(request)
        req = await _body(request, UnmaskRequest)
        try:
            got = await run_in_threadpool(server_phones.unmask, hq, store, req.member_id, req.actor)
        except server_phones.UnmaskError as exc:
            raise ApiError(exc.status, exc.error, exc.message) from None
        return _json(UnmaskResponse(**got))

    @app.post("/v1/members/resolve-code")
    async def resolve_code(request: Request):
        """A dynamic member code the till does not know yet (sync.server.member_code)."""
        from ..protocol import ResolveCodeRequest
        from . import member_code

        await store_of(request)
        req = await _body(request, ResolveCodeRequest)
        try:
            got = await run_in_threadpool(member_code.resolve, hq, req.code)
        except member_code.CodeRefused as exc:
            return JSONResponse({"error": exc.error, "message": exc.message, **exc.detail}, status_code=exc.status)
        return Response(got, media_type="application/json")

    from . import pages  # the member pages under /m/ (issue 16)

    pages.register(app)
    return app


SERVE_DB = "MEMBERPOS_HQ_SERVE_DB"  # how the parent tells its workers the database (a spawned worker reads it)
SERVE_POOL = "MEMBERPOS_HQ_SERVE_POOL"
POOL_TOTAL = 20  # connections of one HQ process; with N workers each has POOL_TOTAL // N (at least 4)


def worker_pool(workers: int) -> int:
    return max(4, POOL_TOTAL // max(1, workers))


def worker_app() -> FastAPI:
    """The app factory each worker process calls (`uvicorn ... factory=True`)."""
    return create_app(os.environ[SERVE_DB], pool=int(os.environ.get(SERVE_POOL) or POOL_TOTAL))


SQLITE_WORKERS = ("--workers > 1 needs PostgreSQL (--db postgresql://...): an SQLite HQ has one writer at a time, "
                  "so more processes would only wait on its lock; use --workers 1")


class SQLiteWorkers(ValueError):
    """Several workers asked of an SQLite HQ."""


def serve(db_url: str | None, host: str, port: int, workers: int = 1) -> None:
    """Serve HQ until stopped. `workers` > 1: that many processes (PostgreSQL only).

    Why uvicorn's own workers: the app is plain ASGI and uvicorn (already HQ's server)
    pre-forks N processes over one socket bound by the parent, restarts a worker that
    dies and stops them all on SIGTERM/SIGINT — gunicorn would add a dependency for
    the same. Each worker is a fresh interpreter (spawn) that builds its own engine and
    pool (`worker_app`), so no connection or lock is shared across a fork. What HQ keeps
    in a process is only a cache of what never changes once written: the phone and
    signing keys (made once, in the database), published program versions (immutable)
    and the shipped presets; throttles, holds, sessions, cursors and snapshots are in
    the database (snapshot files in a shared directory, built under a file lock).

    SQLite is refused with several workers: one writer at a time and a file lock, so
    more processes only queue on the lock (and each would hold the file open)."""
    import uvicorn

    if workers > 1:
        from .db import normalize_url

        url = normalize_url(db_url)
        if url.startswith("sqlite"):
            raise SQLiteWorkers(SQLITE_WORKERS)
        os.environ[SERVE_DB] = url
        os.environ[SERVE_POOL] = str(worker_pool(workers))
        uvicorn.run("sync.server.app:worker_app", factory=True, workers=workers, host=host, port=port,
                    log_level="warning", access_log=False)
        return
    app = create_app(db_url)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
