"""The explorer's web server: one static page and JSON endpoints, on 127.0.0.1 by default
(`python -m extensions.explorer`, flags in flags.py).

POST /api/predict and POST /api/greek take an image file in the multipart field `image`; teach
mode's routes, /api/teach/..., are in teach_api.py.
Uploads are read by uploads.py behind limits (size, pixel count) and go through the project's
own-image preprocessing; a bad upload gets a 4xx with a JSON `detail`, and the server carries on.
"""

from __future__ import annotations

import socket
import sys
import time
from pathlib import Path

import torch
from fastapi import FastAPI, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

import netlib
from extensions.explorer import flags, guard, teach_api
from extensions.explorer.engine import Explorer, load_digit_networks, load_greek_reference
from extensions.explorer.teach import Teacher
from extensions.explorer.uploads import (
    MAX_UPLOAD_BYTES,
    MULTIPART_SLACK,
    TOO_LARGE,
    read_upload_with_doubt,
    upload_bytes,
)
from recognition import cli

STATIC = Path(__file__).resolve().parent / "static"


def answer(read, image: UploadFile | None) -> JSONResponse:
    """`read`'s answer for the upload, with the time its decoding and preprocessing took.

    The answer is plain lists and numbers: JSONResponse sends it as it is, skipping FastAPI's
    per-value conversion (thousands of floats per answer).
    """
    start = time.perf_counter()
    image, doubt = read_upload_with_doubt(upload_bytes(image))
    preprocess_ms = round(1000 * (time.perf_counter() - start), 1)
    return JSONResponse({**read(image), "doubt": doubt, "preprocess_ms": preprocess_ms})


def create_app(explorer: Explorer, host: str = "127.0.0.1", teacher: Teacher | None = None) -> FastAPI:
    """The app for an explorer served on `host` (a loopback one: only loopback Host names answered),
    with teach mode when a `teacher` is given."""
    app = FastAPI(title="Digit and Greek letter explorer", docs_url=None, redoc_url=None, openapi_url=None)
    loopback_only = guard.is_loopback(host)

    @app.middleware("http")
    async def refuse_strangers_and_large_bodies(request: Request, call_next):
        """Refuse another site's request (guard.py) and an oversized upload from its header, before it
        is parsed and spooled."""
        why = guard.refusal(request.method, request.headers, loopback_only)
        if why:
            return JSONResponse({"detail": why}, status_code=403)
        length = request.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_UPLOAD_BYTES + MULTIPART_SLACK:
            return JSONResponse({"detail": TOO_LARGE}, status_code=413)
        return await call_next(request)

    @app.get("/", include_in_schema=False)
    def index():
        return FileResponse(STATIC / "index.html")

    @app.get("/api/info")
    def info():
        return explorer.info()

    @app.post("/api/predict")
    def predict(image: UploadFile | None = File(None)):
        return answer(explorer.digits, image)

    @app.post("/api/greek")
    def greek(image: UploadFile | None = File(None)):
        if explorer.greek_reference is None:
            raise HTTPException(503, "Greek mode is off: the server was started without a reference set")
        return answer(explorer.greek, image)

    teach_api.add_routes(app, teacher)

    # StaticFiles resolves every path inside STATIC and answers 404 for anything that leaves it.
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def build_explorer(model: Path, greek_dir: Path | None, data_dir: Path, greek: bool = True) -> Explorer:
    """Load the networks and the Greek reference once; a missing or unusable file is a user error."""
    try:
        networks = load_digit_networks(model)
    except netlib.CheckpointError as err:
        hint = "" if Path(model).is_file() else "; `make figures` also makes it"
        raise cli.UserError(f"{err}{hint}") from err
    reference = load_greek_reference(next(iter(networks.values())), greek_dir, data_dir) if greek else None
    return Explorer(networks, reference)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, so the printed address is the one really served (port 0: any free port)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except (OSError, OverflowError) as err:
        why = getattr(err, "strerror", None) or err
        raise cli.UserError(f"cannot listen on {host}:{port} ({why}); pick another --port or --host") from err
    sock.listen(128)
    return sock


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def main(argv=None) -> None:
    serve(flags.parse_args(argv))


def serve(args) -> None:
    """Listen, load the networks, warn when the page is open to the network, and serve until Ctrl-C."""
    import uvicorn

    torch.set_num_threads(args.threads)
    sock = bind(args.host, args.port)  # a busy port is said before the seconds of loading
    explorer = build_explorer(args.model, args.greek_dir, args.data_dir, greek=not args.no_greek)
    teacher = teach_api.build_teacher(explorer, args.model, args.data_dir)
    warning = guard.exposure_warning(args.host)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    print(f"explorer: {address(sock)}  (model {args.model}; Ctrl-C stops it)", flush=True)
    app = create_app(explorer, args.host, teacher)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
