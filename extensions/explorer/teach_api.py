"""Teach mode's JSON API (docs/explorer.md#teach-mode): examples, adapting, reading, Test me.

Every request names the person (`name`) and is answered in JSON; a bad one gets a 4xx with a
`detail` saying what is wrong and what to do, and the server carries on:

    GET    /api/teach/examples?name=ada[&kind=digits]      the examples, with their 28x28 inputs
    POST   /api/teach/examples      name, label, image      keep one example      -> 201
    DELETE /api/teach/examples?name=ada&label=7&file=7_0.png
    POST   /api/teach/adapt         name, kind              adapt and save the personal reader
    POST   /api/teach/predict       name, kind, image       base and personal answers side by side
    POST   /api/teach/tests         name, truth, base[, personal]   keep a Test me answer
    GET    /api/teach/tests?name=ada&kind=digits           accuracy and confusion per reader
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
from pathlib import Path

from fastapi import FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse
from PIL import Image

import netlib
from extensions.explorer.teach import NothingTaught, Teacher, letter_base, rounded
from extensions.explorer.uploads import read_upload, upload_bytes
from recognition.data import imagefiles
from recognition.personal import adapt
from recognition.personal.folder import (
    CapReached,
    FolderUnwritable,
    NoSuchExample,
    PersonalError,
    kind_of,
)

STATUS = {NoSuchExample: 404, CapReached: 409, NothingTaught: 409, FolderUnwritable: 507, PersonalError: 400}


def build_teacher(explorer, model: Path, data_dir: Path, seed: int = netlib.DEFAULT_SEED) -> Teacher | None:
    """Teach mode for the explorer's CNN (None when the first network is not one), with letters
    when Greek mode is on and MNIST replay when MNIST is in `data_dir`."""
    if not isinstance(explorer.cnn, netlib.MnistNet):
        return None
    g = explorer.greek_reference
    # a note on generating the selection writers goes to stderr: stdout's first line is the address
    with contextlib.redirect_stdout(sys.stderr):
        letters = letter_base(explorer.cnn, g.folder, data_dir, seed) if g is not None else None
    return Teacher(explorer.cnn, model, data_dir, letters, adapt.replay_set(data_dir, seed), seed)


def needed(value: str | None, field: str, example: str) -> str:
    if value is None or value == "":
        raise HTTPException(400, f"no {field}: send the form field '{field}', e.g. {field}={example}")
    return value


def add_routes(app: FastAPI, teacher: Teacher | None):
    """Teach mode's routes on `app` (uploads checked and read as the explorer's own); without a
    teacher every route answers 503."""

    def teaching() -> Teacher:
        if teacher is None:
            raise HTTPException(
                503, "teach mode is off: the explorer's --model is not a CNN checkpoint (task1's default)"
            )
        return teacher

    for error, status in STATUS.items():

        def handler(request: Request, err: Exception, status: int = status) -> JSONResponse:
            return JSONResponse({"detail": str(err)}, status_code=status)

        app.add_exception_handler(error, handler)

    @app.get("/api/teach")
    def teach_info():
        return teaching().info()

    @app.get("/api/teach/examples")
    def examples(name: str | None = None, kind: str | None = None):
        return teaching().examples(needed(name, "name", "ada"), kind)

    @app.post("/api/teach/examples", status_code=201)
    def add_example(
        name: str | None = Form(None), label: str | None = Form(None), image: UploadFile | None = File(None)
    ):
        t = teaching()
        folder = t.folder(needed(name, "name", "ada"))  # names and labels checked before any work
        label = needed(label, "label", "7")
        t.usable_kind(kind_of(label))
        data = upload_bytes(image)
        x = read_upload(data)
        example = t.add(folder.name, label, x, written=_written(data))
        return {**example.as_json(), "input": rounded(example.image), "name": folder.name}

    @app.delete("/api/teach/examples")
    def delete_example(name: str | None = None, label: str | None = None, file: str | None = None):
        name = needed(name, "name", "ada")
        teaching().delete(name, needed(label, "label", "7"), needed(file, "file", "7_0.png"))
        return {"deleted": f"{label}/{file}", "name": name}

    @app.post("/api/teach/adapt")
    def adapt_reader(name: str | None = Form(None), kind: str | None = Form(None)):
        return teaching().adapt(needed(name, "name", "ada"), needed(kind, "kind", "digits"))

    @app.post("/api/teach/predict")
    def predict(
        name: str | None = Form(None), kind: str | None = Form(None), image: UploadFile | None = File(None)
    ):
        t = teaching()
        name, kind = needed(name, "name", "ada"), needed(kind, "kind", "digits")
        t.folder(name), t.usable_kind(kind)
        start = time.perf_counter()
        x = read_upload(upload_bytes(image))
        preprocess_ms = round(1000 * (time.perf_counter() - start), 1)
        return JSONResponse({**t.predict(name, kind, x), "input": rounded(x), "preprocess_ms": preprocess_ms})

    @app.post("/api/teach/tests")
    def record_test(
        name: str | None = Form(None),
        truth: str | None = Form(None),
        base: str | None = Form(None),
        personal: str | None = Form(None),
    ):
        name, truth = needed(name, "name", "ada"), needed(truth, "truth", "7")
        return teaching().record_test(name, truth, needed(base, "base", "1"), personal or None)

    @app.get("/api/teach/tests")
    def tests(name: str | None = None, kind: str | None = None):
        return teaching().test_summary(needed(name, "name", "ada"), needed(kind, "kind", "digits"))


def _written(data: bytes) -> Image.Image | None:
    """What was written, upright, for the folder's .written copy (the upload already passed the checks)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return imagefiles.upright_rgb(img)
    except (OSError, ValueError):
        return None
