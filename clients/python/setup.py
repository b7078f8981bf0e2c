"""Builds the `reel` package: the version comes from the repository's VERSION
file and the gRPC/protobuf modules are generated from proto/ while the
package is built (protoc + grpc_python_plugin), never kept in the source
tree. Everything else is declared in pyproject.toml.

An sdist carries copies of VERSION and proto/ (made by the sdist command
below), so it builds away from the repository too.

Unless told otherwise (--build-base, --egg-base), the build happens in a
temporary folder removed at exit, not in build/ here: builds running at the
same time do not share files, none is left over from an earlier build, and
the source folder stays as it is.
"""

import atexit
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def _in_repository() -> bool:
    return (REPO / "VERSION").is_file() and (REPO / "proto" / "reel").is_dir()


def _version_file() -> Path:
    return REPO / "VERSION" if _in_repository() else HERE / "VERSION"


def _proto_root() -> Path:
    return REPO / "proto" if _in_repository() else HERE / "proto"


def read_version() -> str:
    path = _version_file()
    if not path.is_file():
        raise SystemExit(f"reel: no VERSION file at {path}")
    version = path.read_text(encoding="utf-8").strip()
    if not version or len(version.splitlines()) != 1:
        raise SystemExit(f"reel: {path} must hold one line, the version")
    return version


def _tool(variable: str, name: str, package: str) -> str:
    tool = os.environ.get(variable) or shutil.which(name)
    if not tool:
        raise SystemExit(f"reel: {name} not found (Debian: apt-get install {package}; "
                         f"or set {variable})")
    return tool


class BuildPy(build_py):
    """build_py, then the generated modules: reel/_version.py and, for every
    proto/reel/**/*.proto, its messages (_pb2.py + .pyi) and stubs
    (_pb2_grpc.py) at the proto package's own path inside `reel` (proto
    package reel.catalog.v1 -> module reel.catalog.v1.catalog_pb2), so the
    imports protoc writes work as installed."""

    def run(self) -> None:
        # Start from nothing: no module left over from an earlier build.
        shutil.rmtree(Path(self.build_lib) / "reel", ignore_errors=True)
        super().run()
        self._generated = self.generate(Path(self.build_lib))

    def generate(self, out: Path) -> list:
        package = out / "reel"
        package.mkdir(parents=True, exist_ok=True)
        version = package / "_version.py"
        version.write_text(f'"""Generated from VERSION when the package was built."""\n\n'
                           f'__version__ = "{read_version()}"\n', encoding="utf-8")

        root = _proto_root()
        protos = sorted(p.relative_to(root).as_posix() for p in (root / "reel").rglob("*.proto"))
        if not protos:
            raise SystemExit(f"reel: no .proto files under {root / 'reel'}")
        protoc = _tool("PROTOC", "protoc", "protobuf-compiler")
        plugin = _tool("GRPC_PYTHON_PLUGIN", "grpc_python_plugin", "protobuf-compiler-grpc")
        command = [protoc, f"-I{root}", f"--python_out={out}", f"--pyi_out={out}",
                   f"--grpc_python_out={out}", f"--plugin=protoc-gen-grpc_python={plugin}",
                   *protos]
        self.announce("generating: " + " ".join(command), level=2)
        subprocess.run(command, check=True)

        outputs = [version]
        for proto in protos:
            stem = out / proto[:-len(".proto")]
            outputs += [Path(f"{stem}_pb2.py"), Path(f"{stem}_pb2.pyi"), Path(f"{stem}_pb2_grpc.py")]
            # Regular packages (with __init__.py) from reel/ down to the module.
            directory = stem.parent
            while directory != package:
                init = directory / "__init__.py"
                if not init.exists():
                    init.write_text('"""Generated from proto/ when the package was built."""\n',
                                    encoding="utf-8")
                outputs.append(init)
                directory = directory.parent
        return sorted({str(path) for path in outputs})

    def get_outputs(self, include_bytecode=1):
        return super().get_outputs(include_bytecode) + getattr(self, "_generated", [])


class Sdist(sdist):
    """An sdist with copies of VERSION and proto/reel, which live outside
    this folder in the repository."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        shutil.copyfile(_version_file(), Path(base_dir) / "VERSION")
        shutil.copytree(_proto_root() / "reel", Path(base_dir) / "proto" / "reel",
                        dirs_exist_ok=True)


BUILD_DIR = tempfile.mkdtemp(prefix="reel-python-build-")
atexit.register(shutil.rmtree, BUILD_DIR, ignore_errors=True)

setup(version=read_version(), cmdclass={"build_py": BuildPy, "sdist": Sdist},
      options={"build": {"build_base": BUILD_DIR}, "egg_info": {"egg_base": BUILD_DIR}})
