"""The bundle's lists (installer/bundle_contents.py) against the code: nothing the product
imports is left out, nothing loaded only by name goes unlisted, and what is dropped from the
bundle is either dead weight or named in the .deb's Depends. No build needed."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.harness.architecture import imports_of, module_name
from tests.installer.installerkit import INSTALLER, REPO, load

contents = load("bundle_contents")

# console/selftest.py imports every module of the product by the name it finds on disk (its
# completeness probe); its names come from pkgutil, not from a literal.
DYNAMIC_IMPORT_ALLOWED = {"console.selftest"}


def product_sources() -> list[tuple[str, Path]]:
    return [
        (module_name(path, REPO), path)
        for package in contents.PROJECT_PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    ]


def third_party_imports() -> dict[str, set[str]]:
    """Top-level third-party module -> the product modules importing it (lazy imports too)."""
    found: dict[str, set[str]] = {}
    for module, path in product_sources():
        for _line, imported in imports_of(
            path.read_text(encoding="utf-8"), module, path.name == "__init__.py"
        ):
            top = imported.split(".")[0]
            if top and top not in sys.stdlib_module_names and top not in contents.PROJECT_PACKAGES:
                found.setdefault(top, set()).add(module)
    return found


def test_the_bundle_collects_exactly_the_packages_pyproject_installs():
    with open(REPO / "pyproject.toml", "rb") as handle:
        include = tomllib.load(handle)["tool"]["setuptools"]["packages"]["find"]["include"]
    assert sorted(p.rstrip("*") for p in include) == sorted(contents.PROJECT_PACKAGES)


def test_every_third_party_import_of_the_product_is_installed_and_not_excluded():
    imports = third_party_imports()
    assert {"numpy", "av", "aiortc", "aiohttp", "PySide6", "webrtcvad"} <= set(imports)
    for top, importers in sorted(imports.items()):
        assert top not in contents.EXCLUDES, (
            f"{top} is excluded from the bundle but {sorted(importers)} import it"
        )
        assert importlib.util.find_spec(top) is not None, (
            f"{sorted(importers)} import {top}, which is not installed"
        )


def test_the_heavy_test_only_libraries_stay_out_of_the_product():
    """scipy (via pyloudnorm) is excluded to save 113 MB: only the tests may use them."""
    imports = third_party_imports()
    for excluded in ("scipy", "pyloudnorm"):
        assert excluded in contents.EXCLUDES
        assert excluded not in imports, f"{sorted(imports[excluded])} import {excluded}"


def _dynamic_imports(tree: ast.AST) -> list[tuple[int, str | None]]:
    """(line, the literal name or None) for importlib.import_module / __import__ calls."""
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("import_module", "__import__"):
            first = node.args[0]
            literal = first.value if isinstance(first, ast.Constant) else None
            calls.append((node.lineno, literal if isinstance(literal, str) else None))
    return calls


def test_modules_loaded_by_name_are_listed_as_hidden_imports():
    """PyInstaller follows import statements only; a name in a string must be listed."""
    for module, path in product_sources():
        for line, literal in _dynamic_imports(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{module}:{line}"
            if literal is None:
                assert module in DYNAMIC_IMPORT_ALLOWED, (
                    f"{where} imports a computed name: list what it can be in "
                    "installer/bundle_contents.py HIDDEN_IMPORTS"
                )
                continue
            covered = literal.split(".")[0] in contents.PROJECT_PACKAGES
            assert covered or literal in contents.HIDDEN_IMPORTS, (
                f"{where} imports {literal!r} by name: add it to HIDDEN_IMPORTS"
            )


def test_the_dynamic_import_scan_sees_both_forms():
    tree = ast.parse("import importlib\nimportlib.import_module('x.y')\n__import__(name)\n")
    assert _dynamic_imports(tree) == [(2, "x.y"), (3, None)]


def test_the_hidden_imports_and_data_exist():
    for name in contents.HIDDEN_IMPORTS:
        assert importlib.util.find_spec(name) is not None, name
    for source, _target in contents.DATA:
        assert (REPO / source).exists(), source
    assert (REPO / "server/web/index.html").is_file()


def test_what_is_dropped_from_the_bundle_is_neither_needed_nor_unaccounted_for():
    drop = contents.DROP_BINARIES
    for needed in ("libqxcb.so", "libqwayland.so", "libqoffscreen.so", "libqxdgdesktopportal.so"):
        assert not any(needed in entry for entry in drop), f"{needed} must stay in the bundle"
    # PortAudio is dropped because the system's is used: the .deb must then depend on it.
    build = load("build")
    assert "libportaudio.so.2" in drop
    assert "libportaudio2" in build.FIXED_DEPENDS


def test_the_spec_is_valid_python_that_uses_the_lists():
    spec = (INSTALLER / "roomcast.spec").read_text(encoding="utf-8")
    compile(spec, "roomcast.spec", "exec")
    for used in ("PROJECT_PACKAGES", "HIDDEN_IMPORTS", "EXCLUDES", "DATA", "METADATA"):
        assert f"contents.{used}" in spec
    assert "prune(a.binaries, contents.DROP_BINARIES, contents.DLOPENED)" in spec


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ldd")
def test_pruning_drops_what_nothing_left_needs_and_keeps_the_rest():
    """Real files: numpy's extension keeps the OpenBLAS it links; libsndfile, which no file
    links, stays only where it is declared as loaded by name; a dropped name goes."""
    prune = load("bundle_prune")
    site = Path(importlib.util.find_spec("numpy").origin).parent.parent
    extension = next((site / "numpy/_core").glob("_multiarray_umath.cpython-*.so"))
    openblas = next((site / "numpy.libs").glob("libscipy_openblas*.so"))
    sndfile = next((site / "_soundfile_data").glob("libsndfile*.so"))
    webrtcvad = Path(importlib.util.find_spec("_webrtcvad").origin)
    entries = [
        (f"numpy/_core/{extension.name}", str(extension), "EXTENSION"),
        (f"numpy.libs/{openblas.name}", str(openblas), "BINARY"),
        (f"_soundfile_data/{sndfile.name}", str(sndfile), "BINARY"),
        (f"stray/{sndfile.name}", str(sndfile), "BINARY"),
        (webrtcvad.name, str(webrtcvad), "EXTENSION"),
        ("PySide6/Qt/plugins/generic/libqevdevmouseplugin.so", str(webrtcvad), "BINARY"),
        ("libportaudio.so.2", str(webrtcvad), "BINARY"),
    ]
    kept, dropped = prune.prune(
        entries, ["libportaudio.so.2", "PySide6/Qt/plugins/generic/"], ["_soundfile_data/"]
    )
    assert [entry[0] for entry in kept] == [
        f"numpy/_core/{extension.name}",
        f"numpy.libs/{openblas.name}",
        f"_soundfile_data/{sndfile.name}",
        webrtcvad.name,
    ]
    assert dropped == sorted(
        [
            f"stray/{sndfile.name}",
            "PySide6/Qt/plugins/generic/libqevdevmouseplugin.so",
            "libportaudio.so.2",
        ]
    )


def test_roots_are_extensions_plugins_python_and_dlopened_libraries():
    prune = load("bundle_prune")
    assert prune.is_root("av/codec/context.abi3.so")
    assert prune.is_root("_webrtcvad.cpython-311-x86_64-linux-gnu.so")
    assert prune.is_root("PySide6/Qt/plugins/platforms/libqxcb.so")
    assert prune.is_root("libpython3.11.so.1.0")
    assert prune.is_root("_soundfile_data/libsndfile_x86_64.so", ["_soundfile_data/"])
    assert not prune.is_root("libgtk-3.so.0")
    assert not prune.is_root("PySide6/Qt/lib/libQt6Gui.so.6")


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ({"LD_LIBRARY_PATH": "/opt/roomcast/_internal"}, None),
        ({"LD_LIBRARY_PATH": "/opt/roomcast/_internal", "LD_LIBRARY_PATH_ORIG": "/x"}, "/x"),
    ],
)
def test_the_runtime_hook_gives_started_programs_the_systems_library_path(before, after):
    """The frozen app's children (ffmpeg, a browser) must not load the bundle's libraries."""
    hook = INSTALLER / "hooks" / "rthook_system_env.py"
    code = (
        "import os, sys\nsys.frozen = True\n"
        f"exec(open({str(hook)!r}).read())\n"
        "print(os.environ.get('LD_LIBRARY_PATH'), os.environ.get('LD_LIBRARY_PATH_ORIG'))\n"
    )
    if not sys.platform.startswith("linux"):
        pytest.skip("the hook acts on Linux only")
    env = {"PATH": "/usr/bin:/bin", **before}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.stdout.split() == [str(after), "None"], done.stderr
