"""The `reel` package as installed: where it is imported from, its version,
its generated modules, and the parts of its API that need no service."""

import importlib.metadata
import socket
from pathlib import Path

import grpc
import pytest

import reel
from conftest import REPO, SOURCE


def test_imported_from_the_installation_not_the_source_folder():
    installed = Path(reel.__file__).resolve()
    assert not installed.is_relative_to(SOURCE.resolve()), installed
    assert {"site-packages", "dist-packages"} & set(installed.parts), installed
    # The generated modules are part of the installed package.
    from reel.catalog.v1 import catalog_pb2, catalog_pb2_grpc
    from reel.search.v1 import search_pb2, search_pb2_grpc
    for module in (catalog_pb2, catalog_pb2_grpc, search_pb2, search_pb2_grpc):
        assert Path(module.__file__).resolve().is_relative_to(installed.parent), module
    assert (installed.parent / "py.typed").is_file()
    assert (installed.parent / "catalog" / "v1" / "catalog_pb2.pyi").is_file()
    # ... and were never written into the source folder.
    assert not list((SOURCE / "src").rglob("*_pb2*.py")), "stubs in the source tree"


def test_version_is_the_repository_version():
    version = (REPO / "VERSION").read_text(encoding="utf-8").strip()
    assert reel.__version__ == version
    assert importlib.metadata.version("reel") == version


def test_stubs_are_generated_from_the_protos():
    """Every service of proto/ is in the package, with every method."""
    from reel.catalog.v1 import catalog_pb2
    from reel.search.v1 import search_pb2
    services = {
        "reel.catalog.v1.CatalogService": catalog_pb2.DESCRIPTOR,
        "reel.search.v1.SearchService": search_pb2.DESCRIPTOR,
    }
    for full_name, descriptor in services.items():
        service = descriptor.services_by_name[full_name.rsplit(".", 1)[1]]
        proto = (REPO / "proto" / descriptor.name).read_text(encoding="utf-8")
        rpcs = {line.split()[1].split("(")[0] for line in proto.splitlines()
                if line.strip().startswith("rpc ")}
        assert {method.name for method in service.methods} == rpcs, full_name


def test_reel_error_reads_like_the_status():
    error = reel.ReelError(grpc.StatusCode.NOT_FOUND, "films/x: no such film")
    assert (error.code, error.message, error.code_name) == (
        grpc.StatusCode.NOT_FOUND, "films/x: no such film", "NOT_FOUND")
    assert str(error) == "NOT_FOUND: films/x: no such film"
    assert isinstance(error, Exception)


def test_unreachable_service_is_unavailable():
    # A port bound but not listening: connections are refused.
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{closed.getsockname()[1]}"
        with reel.CatalogClient(address, timeout=5) as catalog:
            with pytest.raises(reel.ReelError) as refused:
                catalog.get_film("films/x")
        assert refused.value.code == grpc.StatusCode.UNAVAILABLE, refused.value


def test_tls_settings(tmp_path):
    with pytest.raises(FileNotFoundError):
        reel.Tls.from_dir(tmp_path / "missing")
    (tmp_path / "ca.crt").write_bytes(b"ca")
    tls = reel.Tls.from_dir(tmp_path)
    assert tls == reel.Tls(root_certificates=b"ca")  # no client certificate
    with pytest.raises(ValueError):
        reel.Tls(certificate_chain=b"cert").credentials()  # a certificate needs its key


def test_sort_order_names():
    assert reel.sort_order("title") == reel.sort_order("SORT_ORDER_TITLE") == (
        reel.SortOrder.SORT_ORDER_TITLE)
    assert reel.sort_order("year_descending") == reel.SortOrder.SORT_ORDER_YEAR_DESCENDING
    assert reel.sort_order(0) == reel.SortOrder.SORT_ORDER_UNSPECIFIED
    with pytest.raises(ValueError):
        reel.sort_order("popularity")
