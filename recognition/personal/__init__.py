"""A person's own examples: their folder, adapting the readers to them, and scoring K shots.

- `folder`: DATA_DIR/mine/<name>/<label>/<label>_<n>.png, the 28x28 inputs a person taught (the
  explorer's teach mode writes them; the scripts read the folder like any own-image folder), with
  what they wrote beside them and their Test me answers; names, labels and caps checked.
- `adapt`: digits, the network's last layer fine-tuned on the examples (seeded, seconds), saved as
  a personal checkpoint beside the base model; letters, the examples joined to the reference set
  and the transfer layer retrained.
- `shots`: for each writer of a folder, K images per symbol adapt the reader and the others are
  scored (never an image that adapted it): the scripts' --shots and the report's curve over K.
"""

from recognition.personal import adapt, folder, shots

__all__ = ["adapt", "folder", "shots"]
