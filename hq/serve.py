"""Running HQ: uvicorn in the foreground (``counter hq serve``), or in a thread of the
calling process (tests and benchmarks: a real server on a loopback port)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn
from sqlalchemy.exc import SQLAlchemyError

from hq.app import ASGIApp, asgi
from hq.store import DEFAULT_URL, make_engine, migrate

log = logging.getLogger("hq")
URL_ENV = "COUNTER_HQ_DATABASE_URL"
#: Lanes push every few seconds over one kept-alive connection each: uvicorn's default (5 s)
#: would close it between pushes, and a push racing the close fails (ReadError) and waits
#: for the retry. HTTP parsing is httptools and the loop uvloop when installed (pinned).
KEEP_ALIVE_SECONDS = 75


def app_from_env() -> ASGIApp:
    """uvicorn factory for several worker processes: ``uvicorn --factory hq.serve:app_from_env``."""
    return warm_app(os.environ.get(URL_ENV, DEFAULT_URL))


def warm_app(database_url: str, *, pool_size: int = 10) -> ASGIApp:
    """The app over a new engine whose pool already holds the connections the push route
    uses at once (``fastpush.THREADS``): lanes reconnecting together after a restart
    otherwise wait while each process opens its connections one push at a time."""
    from hq.fastpush import THREADS

    engine = make_engine(database_url, pool_size=pool_size)
    opened = []
    try:
        for _ in range(min(THREADS, pool_size)):
            opened.append(engine.connect())
    except SQLAlchemyError as exc:  # PostgreSQL not up yet: serve anyway, connect on demand
        log.warning("HQ could not open its database connections at start (%s); it will on demand", exc)
    for conn in opened:
        conn.close()
    return asgi(engine)


def serve(database_url: str, host: str = "127.0.0.1", port: int = 8765, workers: int = 1) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    engine.dispose()
    log.info("HQ serving on http://%s:%d (database %s)", host, port, engine.url.render_as_string(hide_password=True))
    if workers > 1:
        os.environ[URL_ENV] = database_url
        uvicorn.run(
            "hq.serve:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )
    else:
        uvicorn.run(
            warm_app(database_url),
            host=host,
            port=port,
            log_level="info",
            timeout_keep_alive=KEEP_ALIVE_SECONDS,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningHq:
    server: uvicorn.Server
    thread: threading.Thread
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_in_thread(database_url: str, port: int | None = None, *, pool_size: int = 10) -> RunningHq:
    """Start a real uvicorn server on a loopback port in a daemon thread; returns once it
    accepts connections."""
    port = port or free_port()
    config = uvicorn.Config(
        warm_app(database_url, pool_size=pool_size),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"hq-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"HQ did not start on port {port}")
        time.sleep(0.02)
    return RunningHq(server, thread, port)
