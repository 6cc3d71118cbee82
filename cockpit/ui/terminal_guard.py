"""Putting the terminal back when the cockpit dies without running its own clean-up.

Textual restores the terminal (main screen, cursor, mouse and paste modes off, cooked input) when the app
ends, even on a Python exception. A process killed by a signal runs none of that: SIGKILL (the OOM
killer), and SIGBUS or SIGSEGV raised inside C code (SQLite touching a mapped ``-shm`` file that was
truncated). What was found, and why this shape:

* A Python signal handler cannot help with SIGBUS/SIGSEGV: CPython's C-level handler only sets a flag and
  returns, the faulting instruction runs again and faults again, so the Python handler never runs (the
  process spins). ``faulthandler`` does run at the fault, but writes only tracebacks.
* Nothing in the process runs at SIGKILL at all.
* So another process must do it. A parent that forks the app would stand between the shell and the
  cockpit (job control, the pid users kill, exit status). Instead the cockpit starts a small guard
  beside it, in its own session so the terminal's signals never reach it, which waits on a pipe. The
  kernel closes the pipe however the cockpit ends; the guard then restores the terminal unless the
  cockpit said "done" first (a clean exit, Textual restored it already).
* Input modes are put back only while they are still the cockpit's (ISIG off): a shell that reaped the
  dead cockpit first (bash and zsh restore the modes of a job killed by a signal) may already have put
  its line editor's own modes in, which must not be overwritten.

The escape sequences are those Textual's Linux driver writes when it stops.
"""

from __future__ import annotations

import os
import subprocess
import sys

# What textual/drivers/linux_driver.py undoes on stop: mouse reporting (and pixel mode), bracketed paste,
# in-band resize, focus events, the kitty keyboard protocol, hidden cursor, no line wrap, alternate screen.
RESTORE = (
    "\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?1016l"
    "\x1b[?2004l\x1b[?2048l\x1b[?1004l\x1b[<u\x1b[0m\x1b[?7h\x1b[?25h\x1b[?1049l"
)
NOTICE = "cockpit: stopped abruptly; the terminal was restored\r\n"
DONE = b"done"

# Runs with -I -S (no site-packages, nothing of the project): only the standard library, started in ~10 ms.
_GUARD = """
import ast, os, sys, termios
said = sys.stdin.buffer.read()  # returns at EOF: the cockpit has exited, however it ended
if said != b"done":
    out, tty, attrs = int(sys.argv[1]), int(sys.argv[2]), ast.literal_eval(sys.argv[3])
    try:
        if not termios.tcgetattr(tty)[3] & termios.ISIG:
            termios.tcsetattr(tty, termios.TCSANOW, attrs)
    except termios.error:
        pass
    try:
        os.write(out, (sys.argv[4] + sys.argv[5]).encode())
    except OSError:
        pass  # the terminal is gone (the SSH connection dropped): nothing to restore
"""


class TerminalGuard:
    """The guard process of one run; ``disarm()`` when the app has ended normally."""

    def __init__(self, process: subprocess.Popen[bytes], pipe_fd: int) -> None:
        self.process = process
        self._pipe_fd: int | None = pipe_fd

    def disarm(self) -> None:
        """The app restored the terminal itself: the guard exits without writing anything."""
        if self._pipe_fd is None:
            return
        try:
            os.write(self._pipe_fd, DONE)
        except OSError:
            pass  # the guard is gone already: nothing would be written anyway
        finally:
            os.close(self._pipe_fd)
            self._pipe_fd = None


def start_guard(out_fd: int | None = None, tty_fd: int | None = None) -> TerminalGuard | None:
    """Start the guard for a terminal app about to write to ``out_fd`` (stderr, as Textual does) and read
    ``tty_fd`` (stdin); None when they are not a terminal (nothing to restore) or not POSIX."""
    out_fd = sys.__stderr__.fileno() if out_fd is None and sys.__stderr__ is not None else out_fd
    tty_fd = sys.__stdin__.fileno() if tty_fd is None and sys.__stdin__ is not None else tty_fd
    if out_fd is None or tty_fd is None or not (os.isatty(out_fd) and os.isatty(tty_fd)):
        return None
    try:
        import termios

        attrs = termios.tcgetattr(tty_fd)  # before Textual changes them: what to go back to
    except (ImportError, OSError):
        return None
    read_fd, write_fd = os.pipe()  # not inheritable: only the guard holds the read end
    # Copies above 2: the guard's own 0-2 are the pipe and /dev/null.
    out, tty = os.dup(out_fd), os.dup(tty_fd)
    argv = [sys.executable, "-I", "-S", "-c", _GUARD, str(out), str(tty), repr(attrs), RESTORE, NOTICE]
    try:
        process = subprocess.Popen(
            argv,
            stdin=read_fd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(out, tty),
            start_new_session=True,
        )
    except OSError:
        os.close(write_fd)
        return None
    finally:
        for fd in (read_fd, out, tty):
            os.close(fd)
    return TerminalGuard(process, write_fd)
