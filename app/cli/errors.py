"""Every failure of a command is one line, never a traceback: known conditions (a read-only or
full disk, a locked or damaged index, an unreachable Chroma server) with what to do, anything
else as its type and message (``RIS3_DEBUG=1`` shows the traceback).

Exit codes: 0 done; 1 an error (this line, or a domain error of the command); 2 a usage error
(click's own message: an unknown option, a value out of range)."""
from __future__ import annotations

import errno
import os
import sqlite3

import click


def one_line(text: object) -> str:
    return " ".join(str(text).split())


_READ_ONLY = ("readonly", "read-only", "unable to open database", "permission denied")
_FULL = ("disk is full", "no space left", "file too large", "database or disk is full", "disk i/o error")


def describe(exc: BaseException) -> str:
    """A one-line message for an exception a command did not handle itself."""
    text = one_line(exc)
    low = text.lower()
    if isinstance(exc, ConnectionError) and "chroma" in low:
        return text  # index.chroma says which server and what to do
    if isinstance(exc, OSError) and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS) or any(k in low for k in _READ_ONLY):
        where = f" {exc.filename}" if getattr(exc, "filename", None) else " the index"
        return (f"cannot write{where} ({text}). RIS3_HOME must be a folder you can write to: set RIS3_HOME to "
                "another folder")
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or any(k in low for k in _FULL):
        return (f"the index could not be written: the disk is full or failing ({text}). Free some space and run "
                "'ris3 ingest' again: it repairs what the interrupted run left half-written")
    if isinstance(exc, sqlite3.OperationalError):
        if "locked" in low:
            return f"the index is busy ({text}); try again when the other ris3 process has finished"
        return f"the index record cannot be read or written ({text}); 'ris3 status --check' tells more"
    module = type(exc).__module__ or ""
    if module.startswith("chromadb") and type(exc).__name__ == "InternalError":
        return (f"the vector store (Chroma) could not write the index ({text}). If the disk is full, free some "
                "space; then run 'ris3 ingest' again: it repairs what the interrupted run left half-written")
    if module.startswith(("httpx", "httpcore")) or "could not connect to a chroma server" in low \
            or "connection refused" in low:
        return (f"cannot reach the Chroma server ({text}). Start it ('chroma run --path DIR --port PORT') "
                "or unset RIS3_CHROMA_URL to use the index on disk")
    if isinstance(exc, OSError):
        return text
    return f"{type(exc).__name__}: {text} (RIS3_DEBUG=1 shows the traceback)"


class OneLineErrors(click.Group):
    """A click group whose commands fail with one line (``describe``) instead of a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort,
                KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("RIS3_DEBUG"):
                raise
            raise click.ClickException(describe(exc)) from exc
