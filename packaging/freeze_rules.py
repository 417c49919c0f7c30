"""What the frozen build holds and leaves out, and the version it says it is.

``cme-desktop.spec`` (PyInstaller) builds from these rules, and the tests check
them without a build. This file runs inside PyInstaller's spec and in the tests,
never in the program itself, so it imports nothing from ``cme_desktop``.

Decisions written down so they can be challenged:

- Qt is trimmed to what the program uses: QtCore, QtGui, QtWidgets,
  QtPrintSupport, QtPdf and QtPdfWidgets (QtPdf needs the QtNetwork *library*,
  not its Python module). Qml, Quick, the virtual keyboard and WebEngine are
  large and unused; a plugin that would pull them in (the virtual keyboard's
  input context) goes with them.
- Qt's translations are left out: the program is in English and loads none.
- Faker is there for ``cme demo`` only, which writes ``en_GB`` people; its other
  locales (about nine tenths of Faker) are left out. What stays is what
  ``Faker("en_GB")`` loads, asked of Faker itself at build time (a provider with
  no British locale falls back to its own default: ``en_US``, or ``la`` for the
  lorem ipsum), and ``en``, on which British providers build.
"""

from __future__ import annotations

import re
import string
import tomllib
from pathlib import Path, PurePosixPath, PureWindowsPath

ROOT = Path(__file__).resolve().parents[1]

# Modules the program never imports but that hooks or optional imports would pull in.
EXCLUDED_MODULES = frozenset(
    {
        "tkinter",
        "_tkinter",
        "PySide6.QtQml",
        "PySide6.QtQuick",
        "PySide6.QtQuickWidgets",
        "PySide6.QtQuickControls2",
        "PySide6.QtQuick3D",
        "PySide6.QtWebEngineCore",
        "PySide6.QtWebEngineWidgets",
        "PySide6.QtWebEngineQuick",
        "PySide6.QtWebChannel",
        "PySide6.QtWebSockets",
        "PySide6.QtNetwork",  # QtPdf links the QtNetwork library, not its Python module
        "PySide6.QtOpenGL",
        "PySide6.QtOpenGLWidgets",
        "PySide6.QtMultimedia",
        "PySide6.QtAsyncio",
        "PySide6.scripts",
        "pytest",
        "_pytest",
        "hypothesis",
        "IPython",
    }
)
# Qt plugin folders the program needs: the windowing systems (Windows; X11,
# Wayland and offscreen on Linux), the desktop's own dialogs and input methods,
# widget styles, printing, and the icon formats.
QT_PLUGIN_TYPES = frozenset(
    {
        "platforms",
        "platformthemes",
        "platforminputcontexts",
        "styles",
        "printsupport",
        "imageformats",
        "iconengines",
        "xcbglintegrations",
        "wayland-decoration-client",
        "wayland-graphics-integration-client",
        "wayland-shell-integration",
    }
)
# Within those folders: embedded-device platforms and remote desktops (no laptop
# needs them), the virtual keyboard, and image formats other than icons.
_UNUSED_PLUGIN = re.compile(
    r"(eglfs|linuxfb|vnc|vkkhrdisplay|minimalegl|virtualkeyboard)", re.IGNORECASE
)
_ICON_FORMATS = re.compile(r"q(ico|svg)", re.IGNORECASE)
# Qt libraries no module the program uses needs, matched on the file name
# (libQt6Quick.so.6, Qt6Quick.dll, libpyside6qml.abi3.so.6.11, ...), and those only
# the embedded-device platforms left out above need (EglFS).
UNUSED_QT_LIBRARY = re.compile(
    r"(Qt6?(Qml|Quick|VirtualKeyboard|WebEngine|WebChannel|WebSockets|WebView|EglFS|EglFsKms)"
    r"|pyside6qml)",
    re.IGNORECASE,
)
# Windows: Qt's software OpenGL and the Direct3D shader compiler serve Qt Quick and
# OpenGL widgets; the program's widgets are painted without either.
_GRAPHICS_FALLBACK = re.compile(r"^(opengl32sw|d3dcompiler_\d+)\.dll$", re.IGNORECASE)
FAKER_LOCALES = frozenset({"en", "en_GB", "en_US"})
DEMO_LOCALE = "en_GB"
_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")


def project_version(root: Path = ROOT) -> str:
    """The version in ``pyproject.toml``, which the build, the MSI and ``--version`` share."""
    with (root / "pyproject.toml").open("rb") as file:
        version = tomllib.load(file)["project"]["version"]
    if not isinstance(version, str):
        raise ValueError("pyproject.toml has no [project] version")
    return version


def windows_version(version: str) -> tuple[int, int, int, int]:
    """The four numbers Windows shows for ``version``: ``0.1.0`` -> ``(0, 1, 0, 0)``.

    A pre-release or local suffix (``1.2.0rc1``, ``1.2.0+council``) is dropped: Windows
    has numbers only. Windows Installer compares only the first three, which must
    fit 255, 255 and 65535, or an upgrade would not replace the installed copy.
    """
    found = re.match(r"^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?", version)
    if found is None:
        raise ValueError(f"{version!r} does not start with a version number")
    numbers = tuple(int(part or 0) for part in found.groups())
    major, minor, build, revision = numbers
    if major > 255 or minor > 255 or build > 65535 or revision > 65535:
        raise ValueError(f"{version!r} is beyond what Windows Installer can compare")
    return major, minor, build, revision


def render_version_info(template: str, *, version: str, name: str, description: str) -> str:
    """The Windows version resource of one program, from ``windows/version_info.txt.in``."""
    numbers = windows_version(version)
    return string.Template(template).substitute(
        filevers=repr(numbers),
        dotted=".".join(str(n) for n in numbers),
        version=version,
        name=name,
        description=description,
    )


def faker_locales(locale: str = DEMO_LOCALE) -> frozenset[str]:
    """The Faker locales the demo's ``Faker(locale)`` loads, with those it builds on.

    Needs Faker (the ``demo`` extra), as the build does.
    """
    from faker import Faker

    loaded = set()
    for provider in Faker(locale).get_providers():
        parts = type(provider).__module__.split(".")
        if len(parts) > 3 and _LOCALE.match(parts[3]):
            loaded.add(parts[3])
    return FAKER_LOCALES | loaded


def _parts(dest: str) -> tuple[str, ...]:
    return PurePosixPath(PureWindowsPath(dest).as_posix()).parts


def leave_out(dest: str, *, locales: frozenset[str] = FAKER_LOCALES) -> str | None:
    """Why the file bound for ``dest`` (its path inside the build) is left out; None keeps it.

    ``locales``: the Faker locales to keep (the build passes ``faker_locales()``).
    """
    parts = _parts(dest)
    if not parts:
        return None
    if parts[0] == "PySide6":
        return _qt_file(parts)
    if parts[0] == "faker":
        return _faker_file(parts, locales)
    if UNUSED_QT_LIBRARY.search(parts[-1]):
        return "a Qt module the program does not use"
    return None


def leave_out_module(
    name: str, source: str, *, locales: frozenset[str] = FAKER_LOCALES
) -> str | None:
    """Why the Python module ``name``, read from ``source``, is left out; None keeps it.

    A package (``faker.providers.address.de_DE``, from its ``__init__.py``) is judged as
    the folder it is, a module (``faker.providers.sbn.sbn``) as its file.
    """
    path = "/".join(name.split("."))
    is_package = PurePosixPath(PureWindowsPath(source).as_posix()).stem == "__init__"
    return leave_out(f"{path}/__init__.py" if is_package else f"{path}.py", locales=locales)


def _qt_file(parts: tuple[str, ...]) -> str | None:
    # Linux wheels keep Qt under PySide6/Qt/, Windows wheels directly under PySide6/.
    inner = parts[2:] if len(parts) > 2 and parts[1] == "Qt" else parts[1:]
    if inner[:1] == ("translations",):
        return "Qt translations (the program is in English only)"
    if inner[:1] == ("plugins",) and len(inner) > 2:
        kind, name = inner[1], inner[-1]
        if kind not in QT_PLUGIN_TYPES or _UNUSED_PLUGIN.search(name):
            return "a Qt plugin the program does not use"
        if kind in ("imageformats", "iconengines") and not _ICON_FORMATS.search(name):
            return "a Qt image format the program does not use"
        return None
    if UNUSED_QT_LIBRARY.search(parts[-1]):
        return "a Qt module the program does not use"
    if _GRAPHICS_FALLBACK.match(parts[-1]):
        return "software OpenGL and Direct3D's compiler (widgets paint without them)"
    return None


def _faker_file(parts: tuple[str, ...], locales: frozenset[str]) -> str | None:
    # faker/providers/<provider>/<locale>/... : a locale is a folder; faker/providers/sbn/sbn.py
    # is a module of the provider itself.
    if len(parts) > 4 and parts[1] == "providers":
        locale = parts[3]
        if _LOCALE.match(locale) and locale not in locales:
            return "a Faker locale the demo does not use"
    return None
