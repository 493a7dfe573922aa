"""Who may use the explorer. Bound to a loopback address it answers only requests that name a
loopback host (`localhost`, `127.0.0.1`, `[::1]`): a web page the user visits cannot reach it by
pointing its own domain name at 127.0.0.1 (DNS rebinding). On any address a request that changes
something (any method but GET and HEAD: sending images, keeping or deleting teach mode's examples)
from another site's page (an `Origin` other than the page's own) is refused, so no other page can
use it.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """'127.0.0.1', '::1', '[::1]', 'localhost' or 'x.localhost': only this computer reaches it."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """A Host header's name without its port: '127.0.0.1:8000' -> '127.0.0.1', '[::1]:80' -> '::1'."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def refusal(method: str, headers, loopback_only: bool) -> str | None:
    """Why a request is refused (403), or None when it may be answered."""
    host = headers.get("host", "")
    if loopback_only and not is_loopback(host_name(host)):
        return (
            f"host {host!r} refused: this explorer listens on this computer only; open it as "
            f"http://127.0.0.1 or http://localhost with its port"
        )
    origin = headers.get("origin")
    if method not in ("GET", "HEAD") and origin is not None and origin.split("://", 1)[-1] != host:
        return f"cross-origin request refused: only the explorer's own page may send it images, not {origin}"
    return None


def exposure_warning(host: str) -> str | None:
    """The warning printed when the page is served beyond this computer."""
    if is_loopback(host):
        return None
    return (
        f"warning: --host {host} opens the explorer to the network: anyone who can reach this computer "
        f"can use the page and send it images; leave out --host to keep it on 127.0.0.1"
    )
