"""A real text corpus that needs no download: Python's own standard library.

Every machine with Python has the standard library's source files: Python code
full of the structure character models are known to track (quotes, brackets,
indentation, comments; Karpathy, Johnson & Fei-Fei 2015) and English prose in
its docstrings and comments. We also add the one bundled piece of pure prose,
the Zen of Python (the ``this`` module, stored ROT13-encoded).

Determinism: a fixed, sorted list of module files (``MODULES``) is read from
``sysconfig.get_paths()["stdlib"]`` and split into train / validation / test
*by file* (no file contributes to two splits). The same Python minor version
gives the same corpus. The shipped models do not depend on the local
standard library, though: the exact held-out text they were scored on is
stored in the repository (``checkpoints/text/test_split.txt``).

Licence: the Python standard library is distributed under the PSF License
Agreement (see ``docs/text.md``); we ship only a short excerpt (the test split).

Vocabulary: a fixed set of V = 97 symbols -- index 0 is the explicit
"unknown" symbol UNK (shown as U+FFFD), then newline, then the 95 printable
ASCII characters (space .. ~). Anything else (tabs, accents, emoji, any other
Unicode) maps to UNK and is flagged, never silently dropped.
"""

from __future__ import annotations

import ast
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import numpy as np

UNK = "\ufffd"  # the "unknown" symbol, index 0
VOCAB = UNK + "\n" + "".join(chr(i) for i in range(32, 127))  # (V,) = 97 symbols
V = len(VOCAB)
_INDEX = {ch: i for i, ch in enumerate(VOCAB)}

# Module files, sorted. All exist from Python 3.9 to 3.13 (modules removed by
# PEP 594 are left out); a missing file is skipped and reported in Corpus.missing.
MODULES = tuple(
    sorted(
        """
        _collections_abc.py _pyio.py _strptime.py abc.py argparse.py ast.py base64.py bdb.py bisect.py
        calendar.py cmd.py code.py codecs.py codeop.py colorsys.py compileall.py configparser.py contextlib.py
        copy.py copyreg.py csv.py dataclasses.py datetime.py difflib.py dis.py doctest.py enum.py filecmp.py
        fileinput.py fnmatch.py fractions.py ftplib.py functools.py genericpath.py getopt.py getpass.py gettext.py
        glob.py graphlib.py gzip.py hashlib.py heapq.py hmac.py imaplib.py inspect.py ipaddress.py keyword.py
        linecache.py locale.py mailbox.py mimetypes.py modulefinder.py netrc.py ntpath.py numbers.py opcode.py
        operator.py optparse.py os.py pathlib.py pdb.py pickle.py pickletools.py pkgutil.py platform.py
        plistlib.py poplib.py posixpath.py pprint.py profile.py pstats.py py_compile.py pyclbr.py queue.py
        quopri.py random.py reprlib.py rlcompleter.py runpy.py sched.py secrets.py selectors.py shelve.py
        shlex.py shutil.py signal.py site.py smtplib.py socket.py socketserver.py stat.py statistics.py
        string.py stringprep.py struct.py subprocess.py symtable.py tabnanny.py tarfile.py tempfile.py
        textwrap.py threading.py timeit.py token.py tokenize.py trace.py traceback.py tracemalloc.py tty.py
        types.py typing.py uuid.py warnings.py wave.py weakref.py webbrowser.py zipapp.py zipimport.py
        json/__init__.py json/decoder.py json/encoder.py logging/__init__.py logging/handlers.py
        email/message.py email/utils.py http/client.py http/server.py urllib/parse.py urllib/request.py
        collections/__init__.py importlib/__init__.py unittest/case.py unittest/mock.py
        """.split()
    )
)
VAL_EVERY, VAL_OFFSET, TEST_OFFSET = 10, 3, 7  # file i -> val if i % 10 == 3, test if i % 10 == 7
TEST_CHARS_PER_FILE = 1200  # the stored test text: this many characters of each test file (cut at a line end)


def encode(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Characters -> (ids (T,) int64, unknown (T,) bool). Unknown chars get id 0 (UNK)."""
    ids = np.fromiter((_INDEX.get(ch, 0) for ch in text), dtype=np.int64, count=len(text))  # (T,)
    return ids, ids == 0


def decode(ids) -> str:
    return "".join(VOCAB[int(i)] for i in ids)


def one_hot(ids: np.ndarray) -> np.ndarray:
    """(T,) ids -> (T, V) float64 one-hot rows: the models' input x."""
    x = np.zeros((len(ids), V))  # (T, V)
    x[np.arange(len(ids)), ids] = 1.0
    return x


def normalise(text: str) -> str:
    """Line endings to \\n (so a pasted Windows text is not full of unknowns)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def zen_of_python() -> str:
    """The Zen of Python, decoded from the ROT13 text in the stdlib's ``this.py`` (without importing it)."""
    src = (stdlib_dir() / "this.py").read_text(encoding="utf-8")
    for node in ast.parse(src).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "s":
            rot = ast.literal_eval(node.value)
            table = str.maketrans(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", "NOPQRSTUVWXYZABCDEFGHIJKLMnopqrstuvwxyzabcdefghijklm"
            )
            return rot.translate(table)
    raise ValueError("this.py has no assignment to s; cannot read the Zen of Python")


def stdlib_dir() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


@dataclass
class Corpus:
    """Documents (name, text) per split, and which listed files were missing."""

    train: list[tuple[str, str]]
    val: list[tuple[str, str]]
    test: list[tuple[str, str]]
    missing: list[str]

    def text(self, split: str) -> str:
        """All documents of a split joined by a blank line."""
        return "\n\n".join(t for _, t in getattr(self, split))

    def test_pieces(self, chars_per_file: int = TEST_CHARS_PER_FILE) -> list[tuple[str, str]]:
        """The held-out pieces we evaluate on: from each test file, ``chars_per_file`` characters
        starting at the first top-level ``def``/``class``/decorator line after a third of the
        file (code rather than the licence header, and never inside a docstring, so the piece
        can be labelled on its own), cut at a line end."""
        parts = []
        for name, t in self.test:
            a = t.find("\n", len(t) // 3) + 1
            starts = [t.find("\n" + key, a - 1) + 1 for key in ("def ", "class ", "@")]
            a = min((s for s in starts if s > 0), default=a)
            cut = t[a : a + chars_per_file]
            parts.append((name, cut[: cut.rfind("\n") + 1] if "\n" in cut else cut))
        return parts

    def test_excerpt(self, chars_per_file: int = TEST_CHARS_PER_FILE) -> str:
        """All test pieces joined by a newline: the text stored as checkpoints/text/test_split.txt."""
        return "\n".join(t for _, t in self.test_pieces(chars_per_file))


def load(root: Path | None = None) -> Corpus:
    """Read MODULES from the standard library (or ``root``) and split by file.

    The Zen of Python joins the training split (it is prose, and short).
    """
    root = Path(root) if root is not None else stdlib_dir()
    splits: dict[str, list] = {"train": [], "val": [], "test": []}
    missing = []
    for i, name in enumerate(MODULES):
        path = root / name
        if not path.is_file():
            missing.append(name)
            continue
        text = normalise(path.read_text(encoding="utf-8", errors="replace"))
        split = "val" if i % VAL_EVERY == VAL_OFFSET else "test" if i % VAL_EVERY == TEST_OFFSET else "train"
        splits[split].append((name, text))
    try:
        splits["train"].append(("this.py (Zen of Python)", zen_of_python()))
    except (OSError, ValueError):
        missing.append("this.py")
    return Corpus(missing=missing, **splits)
