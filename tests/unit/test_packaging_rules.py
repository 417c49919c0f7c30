"""The rules of the frozen build and of its MSI, checked without building (packaging/).

The build itself is run by ``make package-test`` (tests/frozen/); these tests keep
the decisions it rests on honest in every ``make test``.
"""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath
from xml.etree import ElementTree

import pytest
from faker import Faker

import cme_desktop
from tests.support.packaging_tools import PACKAGING, harvest, rules

ROOT = PACKAGING.parent


# --- the version ----------------------------------------------------------------------


def test_the_build_and_the_package_say_the_same_version() -> None:
    assert rules.project_version() == cme_desktop.__version__


@pytest.mark.parametrize(
    ("version", "numbers"),
    [
        ("0.1.0", (0, 1, 0, 0)),
        ("2.10", (2, 10, 0, 0)),
        ("1.2.3.4", (1, 2, 3, 4)),
        ("1.2.0rc1", (1, 2, 0, 0)),
        ("3.0.1+council", (3, 0, 1, 0)),
    ],
)
def test_windows_gets_four_numbers(version: str, numbers: tuple[int, ...]) -> None:
    assert rules.windows_version(version) == numbers


@pytest.mark.parametrize("version", ["", "v1.0", "256.0.0", "1.256.0", "1.0.65536"])
def test_a_version_windows_installer_cannot_compare_is_refused(version: str) -> None:
    with pytest.raises(ValueError, match=repr(version)):
        rules.windows_version(version)


def test_the_version_resource_names_the_program_and_its_version() -> None:
    template = (PACKAGING / "windows" / "version_info.txt.in").read_text(encoding="utf-8")
    text = rules.render_version_info(
        template, version="1.2.0rc1", name="cme", description="CME Desktop command line"
    )
    assert "filevers=(1, 2, 0, 0)" in text
    assert "StringStruct('FileVersion', '1.2.0.0')" in text
    assert "StringStruct('ProductVersion', '1.2.0rc1')" in text
    assert "StringStruct('OriginalFilename', 'cme.exe')" in text
    assert "StringStruct('FileDescription', 'CME Desktop command line')" in text
    assert "$" not in text  # every placeholder filled
    ast.parse(text, mode="eval")  # PyInstaller evaluates it as one expression


# --- what the build leaves out ---------------------------------------------------------

KEPT = [
    # Linux wheel layout
    "PySide6/Qt/lib/libQt6Core.so.6",
    "PySide6/Qt/lib/libQt6Pdf.so.6",
    "PySide6/Qt/lib/libQt6Network.so.6",  # QtPdf links it
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/Qt/plugins/platforms/libqwayland.so",
    "PySide6/Qt/plugins/platforms/libqoffscreen.so",
    "PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so",
    "PySide6/Qt/plugins/platforminputcontexts/libcomposeplatforminputcontextplugin.so",
    "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so",
    "PySide6/Qt/plugins/imageformats/libqico.so",
    "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
    "PySide6/QtWidgets.abi3.so",
    # Windows wheel layout
    "PySide6\\Qt6Gui.dll",
    "PySide6\\plugins\\platforms\\qwindows.dll",
    "PySide6\\plugins\\styles\\qmodernwindowsstyle.dll",
    "PySide6\\plugins\\imageformats\\qsvg.dll",
    # everything else
    "faker/providers/address/en_GB/__init__.py",
    "faker/providers/address/en/__init__.py",
    "faker/providers/person/en_US/__init__.py",
    "faker/providers/sbn/sbn.py",
    "cme_desktop/migrations/versions/0001_initial_schema.py",
    "cme_desktop/resources/icons/cme-desktop.ico",
    "libQt6Core.so.6",
]
LEFT_OUT = {
    "PySide6/Qt/translations/qtbase_de.qm": "translations",
    "PySide6\\translations\\qt_fr.qm": "translations",
    "PySide6/Qt/lib/libQt6Qml.so.6": "Qt module",
    "PySide6/Qt/lib/libQt6Quick.so.6": "Qt module",
    "PySide6/Qt/lib/libQt6VirtualKeyboard.so.6": "Qt module",
    "PySide6/Qt/lib/libQt6WebEngineCore.so.6": "Qt module",
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration.so.6": "Qt module",
    "PySide6\\Qt6Quick.dll": "Qt module",
    "PySide6/libpyside6qml.abi3.so.6.11": "Qt module",
    "libQt6Qml.so.6": "Qt module",  # the link PyInstaller makes beside the programs
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so": "plugin",
    "PySide6\\plugins\\platforminputcontexts\\qtvirtualkeyboardplugin.dll": "plugin",
    "PySide6/Qt/plugins/platforms/libqeglfs.so": "plugin",
    "PySide6/Qt/plugins/platforms/libqvnc.so": "plugin",
    "PySide6/Qt/plugins/tls/libqopensslbackend.so": "plugin",
    "PySide6/Qt/plugins/networkinformation/libqnetworkmanager.so": "plugin",
    "PySide6\\plugins\\generic\\qtuiotouchplugin.dll": "plugin",
    "PySide6/Qt/plugins/imageformats/libqjpeg.so": "image format",
    "PySide6\\plugins\\imageformats\\qwebp.dll": "image format",
    "PySide6\\opengl32sw.dll": "OpenGL",
    "PySide6\\d3dcompiler_47.dll": "Direct3D",
    "faker/providers/address/de_DE/__init__.py": "Faker locale",
    "faker/providers/lorem/la/__init__.py": "Faker locale",
    "faker/providers/person/fil_PH/__init__.py": "Faker locale",
}


@pytest.mark.parametrize("dest", KEPT)
def test_what_the_program_needs_is_kept(dest: str) -> None:
    assert rules.leave_out(dest) is None


@pytest.mark.parametrize("dest", list(LEFT_OUT))
def test_what_it_does_not_use_is_left_out_with_a_reason(dest: str) -> None:
    reason = rules.leave_out(dest)
    assert reason is not None
    assert LEFT_OUT[dest] in reason


def test_a_faker_locale_is_a_package_and_a_providers_own_module_is_not() -> None:
    root = "/venv/faker/providers"
    assert rules.leave_out_module("faker.providers.sbn.sbn", f"{root}/sbn/sbn.py") is None
    assert rules.leave_out_module("faker.providers.isbn.isbn", f"{root}/isbn/isbn.py") is None
    german = rules.leave_out_module(
        "faker.providers.address.de_DE", f"{root}/address/de_DE/__init__.py"
    )
    assert german is not None and "Faker locale" in german
    british = "faker.providers.address.en_GB"
    assert rules.leave_out_module(british, f"{root}/address/en_GB/__init__.py") is None


def test_every_faker_provider_the_demo_loads_is_kept() -> None:
    locales = rules.faker_locales()
    assert {"en_GB", "en"} <= locales
    for provider in Faker(rules.DEMO_LOCALE).get_providers():
        module = type(provider).__module__
        source = f"/venv/{module.replace('.', '/')}/__init__.py"
        assert rules.leave_out_module(module, source, locales=locales) is None, module
    german = "faker/providers/address/de_DE/__init__.py"
    assert rules.leave_out(german, locales=locales) is not None


def _imported_by_the_program() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "cme_desktop").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module)
    return names


def test_nothing_the_program_imports_is_excluded_from_the_build() -> None:
    imported = _imported_by_the_program()
    excluded = {
        name
        for name in imported
        if any(name == e or name.startswith(f"{e}.") for e in rules.EXCLUDED_MODULES)
    }
    assert excluded == set()


def test_the_qt_modules_the_program_imports_are_all_kept() -> None:
    used = {
        name.split(".")[1] for name in _imported_by_the_program() if name.startswith("PySide6.")
    }
    assert {"QtCore", "QtGui", "QtWidgets"} <= used
    for module in used:
        assert rules.leave_out(f"PySide6/Qt/lib/lib{module.replace('Qt', 'Qt6')}.so.6") is None
        assert rules.leave_out(f"PySide6\\{module.replace('Qt', 'Qt6')}.dll") is None
        assert rules.leave_out(f"PySide6/{module}.abi3.so") is None


# --- the start scripts -------------------------------------------------------------------


@pytest.mark.parametrize("script", ["cme.py", "cme-desktop.py"])
def test_a_program_lets_the_sandbox_worker_run_before_anything_else(script: str) -> None:
    """The import sandbox starts the program again: its worker must run before the parser."""
    tree = ast.parse((PACKAGING / "launchers" / script).read_text(encoding="utf-8"))
    before: list[ast.stmt] = []
    for node in tree.body:
        if ast.unparse(node) == "multiprocessing.freeze_support()":
            break
        before.append(node)
    else:
        pytest.fail(f"{script} never calls multiprocessing.freeze_support()")
    # Only the docstring and the standard library's multiprocessing and sys come first.
    for node in before:
        if isinstance(node, ast.Import):
            assert {alias.name for alias in node.names} <= {"multiprocessing", "sys"}
        else:
            assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    rest = tree.body[len(before) :]
    assert any(
        isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cme_desktop")
        for node in rest
    )


# --- the MSI's file list -------------------------------------------------------------------

NS = {"w": harvest.NAMESPACE}


def _tree(folder: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def _built(tmp_path: Path) -> Path:
    return _tree(
        tmp_path / "cme-desktop",
        {
            "cme-desktop.exe": b"MZ",
            "cme.exe": b"MZ",
            "_internal/base_library.zip": b"PK",
            "_internal/PySide6/Qt6Core.dll": b"MZ",
            "_internal/PySide6/plugins/platforms/qwindows.dll": b"MZ",
            "_internal/cme_desktop/migrations/versions/0001_initial_schema.py": b"# rev",
        },
    )


def test_every_file_but_the_programs_gets_one_component_in_its_own_folder(tmp_path: Path) -> None:
    files = harvest.collect(_built(tmp_path))
    assert [str(f) for f in files] == [
        "_internal/PySide6/Qt6Core.dll",
        "_internal/PySide6/plugins/platforms/qwindows.dll",
        "_internal/base_library.zip",
        "_internal/cme_desktop/migrations/versions/0001_initial_schema.py",
    ]
    wix = harvest.fragment(files).getroot()
    components = wix.findall(".//w:ComponentGroup/w:Component", NS)
    assert len(components) == 4
    sources = [c.find("w:File", NS).get("Source") for c in components]
    assert "$(var.SourceDir)\\_internal\\PySide6\\plugins\\platforms\\qwindows.dll" in sources
    # The component's Directory is the folder of its file, under INSTALLFOLDER.
    directories = {d.get("Id"): d for d in wix.iter(f"{{{harvest.NAMESPACE}}}Directory")}
    plugin = components[1]
    chain = []
    parents = {child: parent for parent in wix.iter() for child in parent}
    node = directories[plugin.get("Directory")]
    while node.tag.endswith("}Directory"):
        chain.append(node.get("Name"))
        node = parents[node]
    assert node.get("Id") == "INSTALLFOLDER"
    assert list(reversed(chain)) == ["_internal", "PySide6", "plugins", "platforms"]


def test_identifiers_are_valid_unique_and_the_same_at_every_build(tmp_path: Path) -> None:
    files = harvest.collect(_built(tmp_path))
    first = ElementTree.tostring(harvest.fragment(files).getroot())
    again = ElementTree.tostring(harvest.fragment(list(files)).getroot())
    assert first == again
    ids = [e.get("Id") for e in harvest.fragment(files).getroot().iter() if e.get("Id")]
    ids = [i for i in ids if i not in ("INSTALLFOLDER", "ProgramFiles")]
    assert len(ids) == len(set(ids))
    for identifier in ids:
        assert len(identifier) <= 72
        assert identifier[0].isalpha() and identifier.replace("_", "").isalnum()


def test_a_symbolic_link_is_refused_unless_asked_to_skip(tmp_path: Path) -> None:
    folder = _built(tmp_path)
    (folder / "_internal" / "Qt6Core.dll").symlink_to(folder / "_internal/PySide6/Qt6Core.dll")
    with pytest.raises(harvest.HarvestError, match="symbolic link"):
        harvest.collect(folder)
    names = [str(f) for f in harvest.collect(folder, skip_symlinks=True)]
    assert "_internal/Qt6Core.dll" not in names


def test_names_that_windows_would_merge_are_refused(tmp_path: Path) -> None:
    folder = _tree(tmp_path / "b", {"_internal/Readme.txt": b"a", "_internal/README.txt": b"b"})
    with pytest.raises(harvest.HarvestError, match="one file on Windows"):
        harvest.collect(folder)


def test_a_path_too_long_for_windows_is_refused(tmp_path: Path) -> None:
    deep = "/".join(["folder-with-a-long-name"] * 11)
    folder = _tree(tmp_path / "c", {f"_internal/{deep}/file.txt": b"a"})
    with pytest.raises(harvest.HarvestError, match="too long"):
        harvest.collect(folder)


def test_the_command_writes_the_fragment_and_explains_a_missing_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "files.wxs"
    assert harvest.main([str(_built(tmp_path)), str(out)]) == 0
    assert len(ElementTree.parse(out).getroot().findall(".//w:File", NS)) == 4
    assert harvest.main([str(tmp_path / "missing"), str(out)]) == 1
    assert "build it first" in capsys.readouterr().err


def test_the_package_installs_both_programs_and_the_harvested_files() -> None:
    package = ElementTree.parse(PACKAGING / "windows" / "cme-desktop.wxs").getroot()
    files = {f.get("Source") for f in package.iter(f"{{{harvest.NAMESPACE}}}File")}
    assert files == {"$(var.SourceDir)\\cme-desktop.exe", "$(var.SourceDir)\\cme.exe"}
    # harvest.py leaves these two out of its fragment, so each is installed once.
    assert {PurePosixPath(str(s).split("\\")[-1]).name for s in files} <= harvest.PROGRAMS
    refs = {r.get("Id") for r in package.iter(f"{{{harvest.NAMESPACE}}}ComponentGroupRef")}
    assert refs == {harvest.GROUP}
    (pkg,) = package.findall("w:Package", NS)
    assert pkg.get("Scope") == "perMachine"
    assert pkg.get("Version") == "$(var.Version)"
    (shortcut,) = package.iter(f"{{{harvest.NAMESPACE}}}Shortcut")
    assert shortcut.get("Directory") == "ProgramMenuFolder"
    assert {d.get("Id") for d in package.iter(f"{{{harvest.NAMESPACE}}}Directory")} == {
        harvest.ROOT_DIRECTORY
    }
