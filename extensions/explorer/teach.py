"""Teach mode: a person's own examples, the personal readers adapted to them, and Test me.

The folder, its checks and caps, and the adapting itself live in recognition.personal; this module
holds the readers the page compares (base and personal, per person and kind) and answers for them:

- digits: the base is the explorer's CNN; the personal reader is its copy with fc2 fine-tuned on
  the person's examples (and MNIST replay), saved as MODELS/personal/<name>_digits.pt, an ordinary
  checkpoint (`--model` of every script takes it);
- letters: the base is 1-NN over the explorer's Greek reference at the layer and distance that
  read the built-in selection writers best (as Task 3 chooses them); the personal reader has the
  person's examples joined to that reference (saved as MODELS/personal/<name>_letters.pt).

Personal readers are kept in memory once adapted or read back from their files, so a restarted
server answers with the reader the person adapted, not with what the folder holds now.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import torch

import netlib
from recognition import readers
from recognition.data import datasets, greeksets
from recognition.personal import adapt
from recognition.personal.folder import (
    DIGITS,
    KINDS,
    LETTERS,
    FolderUnwritable,
    PersonalError,
    PersonalFolder,
    check_kind,
)

TOP = 3  # answers listed per reader


class NothingTaught(PersonalError):
    """Adapting was asked for with no examples of that kind in the person's folder."""


def rounded(a) -> list:
    return np.round(np.asarray(a, dtype=np.float64), 3).tolist()


def letter_base(model: netlib.MnistNet, folder: Path, data_dir: Path, seed: int) -> adapt.LetterReader:
    """1-NN over the reference letters in `folder`, at the layer and distance of the reader chosen on
    the built-in selection writers, as the Greek mode's (generated under `data_dir` when missing;
    never the scored letters)."""
    ref = greeksets.load_reference(folder, "mnist", None, quiet=True)
    letters = sorted(set(ref.labels))
    _, select = greeksets.load_selection(
        None, data_dir, greeksets.needs_all_letters(letters), "mnist", set(letters), seed
    )
    layer, distance = readers.chosen_one_nn(model, ref, select, seed)
    return adapt.letter_reader(model, ref.images, ref.labels, layer, distance, seed)


class Teacher:
    """The base and personal readers of every person, and their folders under `data_dir`."""

    def __init__(
        self,
        cnn: netlib.MnistNet,
        base_model: Path,
        data_dir: Path,
        letters: adapt.LetterReader | None,
        replay=None,
        seed: int = netlib.DEFAULT_SEED,
    ):
        self.cnn, self.base_model, self.data_dir = cnn, Path(base_model), Path(data_dir)
        self.letters, self.replay, self.seed = letters, replay, seed
        self.personal: dict[tuple[str, str], object] = {}  # (name, kind) -> adapted reader
        self.adapted: dict[tuple[str, str], list[str]] = {}  # (name, kind) -> the files it was adapted to
        self.lock = threading.Lock()  # the readers
        self.writing = threading.Lock()  # the folders: two taps at once must not pick the same file
        adapt.warm_up()

    def info(self) -> dict:
        kinds = [DIGITS] + ([LETTERS] if self.letters is not None else [])
        reader = f"1-NN at the {self.letters.layer} layer, {self.letters.distance}" if self.letters else None
        return {"kinds": kinds, "labels": {k: list(KINDS[k]) for k in kinds}, "letter_reader": reader}

    def folder(self, name: str) -> PersonalFolder:
        return PersonalFolder(self.data_dir, name)

    def usable_kind(self, kind: str) -> str:
        check_kind(kind)
        if kind == LETTERS and self.letters is None:
            raise PersonalError("Greek letters are off: the explorer was started with --no-greek")
        return kind

    # --- examples -----------------------------------------------------------------------------

    def examples(self, name: str, kind: str | None = None) -> dict:
        """The person's examples (each with its 28x28 input, for the thumbnails) and what each
        personal reader was adapted to."""
        folder = self.folder(name)
        if kind is not None:
            self.usable_kind(kind)
        with self.lock:
            adapted = {k: self._personal(folder.name, k)[1] for k in KINDS if self._usable(k)}
        return {
            "name": folder.name,
            "examples": [{**e.as_json(), "input": rounded(e.image)} for e in folder.examples(kind)],
            "adapted": {k: files for k, files in adapted.items() if files is not None},
        }

    def _usable(self, kind: str) -> bool:
        return kind == DIGITS or self.letters is not None

    def add(self, name: str, label: str, image: np.ndarray, written=None):
        folder = self.folder(name)
        with self.writing:
            return folder.add(label, image, written)

    def delete(self, name: str, label: str, file: str) -> None:
        folder = self.folder(name)
        with self.writing:
            folder.delete(label, file)

    # --- adapting -----------------------------------------------------------------------------

    def adapt(self, name: str, kind: str) -> dict:
        """Adapt the personal `kind` reader to every example of that kind in the folder and save it."""
        folder = self.folder(name)
        self.usable_kind(kind)
        examples = folder.examples(kind)
        if not examples:
            raise NothingTaught(
                f"{folder.name} has no examples of {kind} yet: teach a few (three of each symbol), then adapt"
            )
        images = np.stack([e.image for e in examples])
        labels, files = [e.label for e in examples], [e.file for e in examples]
        path = adapt.personal_checkpoint(self.base_model, folder.name, kind)
        with self.lock:
            start = time.perf_counter()
            try:
                if kind == DIGITS:
                    reader = adapt.adapt_digits(self.cnn, images, labels, self.replay, self.seed)
                    adapt.save_personal_digits(reader, path, self.base_model, files, self.seed)
                else:
                    reader = adapt.join_examples(self.cnn, self.letters, images, labels, self.seed)
                    adapt.save_personal_letters(path, images, labels, files, self.seed)
            except OSError as err:
                raise FolderUnwritable(
                    f"cannot save the personal reader in {path.parent} ({err.strerror or err}): make "
                    "that folder writable, free some space, or start the explorer with --model in a "
                    "writable folder"
                ) from err
            seconds = time.perf_counter() - start
            self.personal[folder.name, kind] = reader
            self.adapted[folder.name, kind] = files
        return {
            "name": folder.name,
            "kind": kind,
            "examples": len(files),
            "symbols": len(set(labels)),
            "seconds": round(seconds, 3),
            "checkpoint": str(path),
        }

    def _personal(self, name: str, kind: str):
        """(the personal reader, the files it was adapted to), read back from its file the first
        time; (None, None) when the person never adapted it. Call with the lock held."""
        if (name, kind) not in self.personal:
            path = adapt.personal_checkpoint(self.base_model, name, kind)
            reader, files = None, None
            if kind == DIGITS and path.is_file():
                try:
                    reader, meta = netlib.load_checkpoint(path, hidden=self.cnn.hidden, kinds=("cnn",))
                    files = list(meta.get("personal", {}).get("files", []))
                except netlib.CheckpointError:  # damaged or foreign: the person adapts again
                    reader = None
            elif kind == LETTERS and (saved := adapt.load_personal_letters(path)) is not None:
                images, labels, files, seed = saved
                reader = adapt.join_examples(self.cnn, self.letters, images, labels, seed)
            self.personal[name, kind] = reader
            self.adapted[name, kind] = files if reader is not None else None
        return self.personal[name, kind], self.adapted[name, kind]

    # --- reading ------------------------------------------------------------------------------

    def predict(self, name: str, kind: str, image: np.ndarray) -> dict:
        """Both readers' answers for one 28x28 input, side by side (personal: None before adapting)."""
        folder = self.folder(name)
        self.usable_kind(kind)
        start = time.perf_counter()
        with self.lock:
            personal, files = self._personal(folder.name, kind)
            read = self._digit_answer if kind == DIGITS else self._letter_answer
            out = {
                "name": folder.name,
                "kind": kind,
                "base": read(self.cnn if kind == DIGITS else self.letters, image),
                "personal": read(personal, image) if personal is not None else None,
                "adapted_to": len(files) if files is not None else 0,
            }
        out["compute_ms"] = round(1000 * (time.perf_counter() - start), 1)
        return out

    @staticmethod
    def _digit_answer(net: netlib.MnistNet, image: np.ndarray) -> dict:
        with torch.inference_mode():
            p = net(datasets.to_model_input(torch.from_numpy(image)[None])).exp()[0].numpy()
        top = np.argsort(-p, kind="stable")[:TOP]
        return {
            "prediction": str(int(top[0])),
            "top": [{"class": str(int(i)), "score": round(float(p[i]), 3)} for i in top],
            "score": "probability",
        }

    def _letter_answer(self, reader: adapt.LetterReader, image: np.ndarray) -> dict:
        """1-NN's answer, and the nearest example of each of the TOP nearest letters."""
        d = reader.distances(self.cnn, image[None])[0]
        nearest = {}
        for i in np.argsort(d, kind="stable"):
            nearest.setdefault(str(reader.labels[i]), float(d[i]))
            if len(nearest) == TOP:
                break
        top = [{"class": label, "score": round(dist, 4)} for label, dist in nearest.items()]
        return {"prediction": top[0]["class"], "top": top, "score": f"{reader.distance} distance"}

    # --- Test me ------------------------------------------------------------------------------

    def record_test(self, name: str, truth: str, base: str, personal: str | None) -> dict:
        """Keep one Test me answer and return the person's accuracy and confusion for its kind."""
        folder = self.folder(name)
        with self.writing:
            record = folder.record_test(truth, {"base": base, "personal": personal})
        return {"recorded": record, **folder.test_summary(record["kind"])}

    def test_summary(self, name: str, kind: str) -> dict:
        return self.folder(name).test_summary(self.usable_kind(kind))
