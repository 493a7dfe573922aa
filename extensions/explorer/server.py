"""The explorer's web server: one static page and two JSON endpoints, on 127.0.0.1 by default.

    python -m extensions.explorer [--host 127.0.0.1] [--port 8000] [--model models/mnist_net.pt]
                                  [--greek-dir DIR] [--data-dir data] [--no-greek]

POST /api/predict and POST /api/greek take an image file in the multipart field `image`.
Uploads are read by uploads.py behind limits (size, pixel count) and go through the project's
own-image preprocessing; a bad upload gets a 4xx with a JSON `detail`, and the server carries on.
"""

from __future__ import annotations

import argparse
import socket
import time
from pathlib import Path

import torch
from fastapi import FastAPI, File, HTTPException, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

import netlib
from extensions.explorer.engine import Explorer, load_digit_networks, load_greek_reference
from extensions.explorer.uploads import (
    MAX_UPLOAD_BYTES,
    MULTIPART_SLACK,
    TOO_LARGE,
    read_upload,
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
    image = read_upload(upload_bytes(image))
    preprocess_ms = round(1000 * (time.perf_counter() - start), 1)
    return JSONResponse({**read(image), "preprocess_ms": preprocess_ms})


def create_app(explorer: Explorer) -> FastAPI:
    app = FastAPI(title="Digit and Greek letter explorer", docs_url=None, redoc_url=None, openapi_url=None)

    @app.middleware("http")
    async def refuse_large_bodies(request: Request, call_next):
        """Refuse an oversized upload from its header, before it is parsed and spooled."""
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

    # StaticFiles resolves every path inside STATIC and answers 404 for anything that leaves it.
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def build_explorer(model: Path, greek_dir: Path | None, data_dir: Path, greek: bool = True) -> Explorer:
    """Load the networks and the Greek reference once; a missing or broken file is a user error."""
    try:
        networks = load_digit_networks(model)
    except netlib.CheckpointError as err:
        raise cli.UserError(f"{err}; `make figures` also makes it") from err
    reference = load_greek_reference(next(iter(networks.values())), greek_dir, data_dir) if greek else None
    return Explorer(networks, reference)


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, so the printed address is the one really served (port 0: any free port)."""
    try:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as err:
        raise cli.UserError(
            f"cannot listen on {host}:{port} ({err.strerror}); pick another --port or --host"
        ) from err
    sock.listen(128)
    return sock


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument(
        "--host", default="127.0.0.1", help="interface to listen on (0.0.0.0 opens it to your network)"
    )
    p.add_argument("--port", type=int, default=8000, help="port (0: any free port)")
    p.add_argument("--model", type=Path, default=Path("models/mnist_net.pt"), help="digit network (task 1)")
    p.add_argument(
        "--greek-dir",
        type=Path,
        default=None,
        help="Greek reference letters, one sub-folder per letter (default: the built-in set "
        "in DATA_DIR/greek, generated when missing)",
    )
    p.add_argument(
        "--data-dir", type=Path, default=Path("data"), help="where the built-in Greek reference set lives"
    )
    p.add_argument("--no-greek", action="store_true", help="start without Greek mode")
    p.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads: 1 suits one small request at a time (on a busy 2-core machine, "
        "2 threads made each answer 30x slower)",
    )
    return p.parse_args(argv)


def main(argv=None) -> None:
    import uvicorn

    args = parse_args(argv)
    torch.set_num_threads(max(1, args.threads))
    explorer = build_explorer(args.model, args.greek_dir, args.data_dir, greek=not args.no_greek)
    sock = bind(args.host, args.port)
    print(f"explorer: {address(sock)}  (model {args.model}; Ctrl-C stops it)", flush=True)
    uvicorn.Server(uvicorn.Config(create_app(explorer), log_level="warning")).run(sockets=[sock])
