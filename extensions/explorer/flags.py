"""The explorer's flags, checked before torch and the networks load (seconds), so a mistake is one
line at once.

    python -m extensions.explorer [--host 127.0.0.1] [--port 8000] [--model models/mnist_net.pt]
                                  [--greek-dir DIR] [--data-dir data] [--no-greek] [--threads 1]

Uploads may have up to 10 MB and 24 megapixels. On a loopback --host (the default) only requests
naming a loopback host (127.0.0.1, localhost, [::1]) are answered; on any host a POST sent from
another site's page is refused (403).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recognition import cli


def parse_args(argv=None):
    p = cli.ArgumentParser(
        prog="python -m extensions.explorer",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (0.0.0.0 opens the page to your network, with a warning)",
    )
    p.add_argument("--port", type=cli.Range(int, 0, 65535), default=8000, help="port (0: any free port)")
    p.add_argument(
        "--model",
        type=Path,
        default=Path("models/mnist_net.pt"),
        help="digit network of kind cnn or gabor (task 1); the transformers that task 1 saves beside it "
        "(transformer_cpu.pt, transformer_course.pt) join the comparison",
    )
    p.add_argument(
        "--greek-dir",
        type=Path,
        default=None,
        help="your own Greek reference letters, one sub-folder per letter (e.g. the course's "
        "greek_train; default: the built-in alpha, beta, gamma and lambda in DATA_DIR/greek_wide, "
        "generated when missing)",
    )
    p.add_argument(
        "--data-dir",
        type=Path,
        default=Path("data"),
        help="where the built-in Greek sets live, and teach mode's personal folders (DATA_DIR/mine/<name>)",
    )
    p.add_argument("--no-greek", action="store_true", help="start without Greek mode")
    p.add_argument(
        "--threads",
        type=cli.Range(int, 1, 256),
        default=1,
        help="torch threads: 1 suits one small request at a time (on a busy 2-core machine, "
        "2 threads made each answer 30x slower)",
    )
    return p.parse_args(argv)
