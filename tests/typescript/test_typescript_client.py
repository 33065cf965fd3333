"""The generated TypeScript client: ``tsc --strict`` accepts it and rejects misuse; on a real
broker it talks to the Python example worker (the node tests in client.test.ts).

Needs Node.js and ``npm ci --prefix tests/typescript`` (scripts/setup does both).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from burrow.codegen._generate import client_from_lock, typescript_runtime_path
from burrow.codegen._inspect import build_lock
from burrow.codegen._lock import encode_lock
from burrow.codegen._render_typescript import typescript_runtime
from burrow.server import Worker

from tests.codegen import rich_contracts
from tests.conftest import Vhost

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests/typescript"
TSC = HERE / "node_modules/typescript/bin/tsc"
MISSING = not (HERE / "node_modules/amqplib").is_dir() or not TSC.is_file() or shutil.which("node") is None
# scripts/test installs the packages and sets BURROW_REQUIRE_TOOLS: there, a missing tool fails.
pytestmark = pytest.mark.skipif(
    MISSING and not os.environ.get("BURROW_REQUIRE_TOOLS"),
    reason="the TypeScript test packages are not installed: run `npm ci --prefix tests/typescript`",
)
EXPECT_ERROR = "// @ts-expect-error"


def node() -> str:
    path = shutil.which("node")
    assert path is not None, "node is not installed"
    return path


def tsc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([node(), str(TSC), *args], capture_output=True, text=True, check=False, timeout=300)


def config(tmp_path: Path, files: list[Path]) -> Path:
    """A tsconfig with the tests' strict settings and module paths, checking only ``files``."""
    path = tmp_path / "tsconfig.json"
    settings = {
        "extends": str(HERE / "tsconfig.json"),
        "compilerOptions": {
            "noEmit": True,
            "rootDir": "/",
            "typeRoots": [str(HERE / "node_modules/@types")],
        },
        "files": [str(file) for file in files],
    }
    path.write_text(json.dumps(settings))
    return path


@pytest.fixture(scope="module")
def build() -> Path:
    """The client, the type tests and the node tests, compiled by ``tsc --strict``."""
    result = tsc("-p", str(HERE / "tsconfig.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    return HERE / "build"


def test_tsc_strict_compiles_the_client_and_every_expected_error_is_there(build: Path) -> None:
    # tsc fails on an `@ts-expect-error` line that compiles, so the build already
    # proves each misuse is refused; this also needs the file to have them.
    assert (build / "examples/typescript/cleanup-client.js").is_file()
    assert (HERE / "types.ts").read_text().count(EXPECT_ERROR) >= 10


def test_each_expected_error_is_a_compile_error_of_its_own(tmp_path: Path) -> None:
    source = (HERE / "types.ts").read_text()
    client = (ROOT / "examples/typescript/cleanup-client.js").as_posix()
    stripped = tmp_path / "types.ts"
    stripped.write_text(
        source.replace(EXPECT_ERROR, "//").replace("../../examples/typescript/cleanup-client.js", client)
    )
    result = tsc("-p", str(config(tmp_path, [stripped])))
    lines = [number for number, line in enumerate(source.splitlines(), 1) if line.strip().startswith(EXPECT_ERROR)]
    failing = sorted({int(m) for m in re.findall(r"types\.ts\((\d+),\d+\): error", result.stdout)})
    assert failing == [number + 1 for number in lines], result.stdout


def test_the_rich_contracts_compile_under_tsc_strict(tmp_path: Path) -> None:
    lock = build_lock([rich_contracts.shapes], source="tests.codegen.rich_contracts")
    out = tmp_path / "shapes-client.ts"
    out.write_text(client_from_lock(encode_lock(lock), source="rich.lock.json", lang="typescript"))
    Path(typescript_runtime_path(str(out))).write_text(typescript_runtime())
    usage = tmp_path / "usage.ts"
    usage.write_text(RICH_USAGE)
    result = tsc("-p", str(config(tmp_path, [out, usage])))
    assert result.returncode == 0, result.stdout + result.stderr


RICH_USAGE = """
import { Client, NotDrawableError, type Circle, type Draw, type Quota } from "./shapes-client.js";

export async function use(client: Client): Promise<number> {
  const circle: Circle = { shape: "circle", center: [0, 1], radius: 2 };
  const square = { shape: "square", corner: [1, 1], side: 3 } as const;
  const draw: Draw = { shapes: [circle, square], drawnAt: "2026-01-01T00:00:00Z" };
  await client.shapes.draw({ ...draw, color: "green", priority: 2, mode: "exact", pair: [1, "a"], amount: "1.5" });
  // @ts-expect-error: not a colour
  await client.shapes.draw({ ...draw, color: "blue" });
  // @ts-expect-error: a square has no radius
  await client.shapes.draw({ ...draw, shapes: [{ shape: "square", corner: [0, 0], radius: 1 }] });
  const quotas: Quota[] = await client.shapes.areaV2({ shape: circle }, { timeout: 1 });
  try {
    await client.shapes.areaV2({ shape: circle });
  } catch (error) {
    if (error instanceof NotDrawableError) return error.data.reason.length;
  }
  const shape = draw.shapes[0];
  return shape === undefined ? 0 : shape.shape === "circle" ? shape.radius : shape.side + (quotas[0]?.limit ?? 0);
}
"""


@pytest.fixture
def idle_vhost(vhost: Vhost) -> Iterator[str]:
    """A second vhost, where no worker runs."""
    name = f"idle-{uuid.uuid4().hex[:12]}"
    url = vhost.broker.create_vhost(name)
    try:
        yield url
    finally:
        vhost.broker.delete_vhost(name)


async def test_the_typescript_client_against_the_python_worker(
    build: Path, amqp_url: str, idle_vhost: str, serve_cleanup: Callable[[Worker], None], tmp_path: Path
) -> None:
    worker = Worker(amqp_url)
    serve_cleanup(worker)
    environment = {**os.environ, "AMQP_URL": amqp_url, "AMQP_URL_IDLE": idle_vhost, "CLEANUP_DIR": str(tmp_path)}
    async with worker:
        process = await asyncio.create_subprocess_exec(
            node(),
            "--test",
            "--test-reporter=spec",
            str(build / "tests/typescript/client.test.js"),
            env=environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        try:
            output, _ = await asyncio.wait_for(process.communicate(), timeout=240)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
        text = output.decode()
        sys.stdout.write(text)  # the figures, with -s
        assert process.returncode == 0, text
        assert re.search(r"\bpass 13\n", text), text  # every test ran
        await python_client_figure(amqp_url, count=1000)


PYTHON_CLIENT = """
import asyncio, sys, time
from contracts.generated.client import Client

async def main(url: str, count: int) -> None:
    async with Client.connect(url) as client:
        await client.cleanup.stat_file("many/0.txt")  # the reply queue is up before timing
        started = time.perf_counter()
        infos = await asyncio.gather(*(client.cleanup.stat_file(f"many/{i}.txt", timeout=60) for i in range(count)))
        seconds = time.perf_counter() - started
    assert [(info.path, info.size) for info in infos] == [(f"many/{i}.txt", i) for i in range(count)]
    print(f"figure (Python client): {count} concurrent calls in {seconds:.3f} s ({count / seconds:.0f} calls/s)")

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


async def python_client_figure(url: str, *, count: int) -> None:
    """The Python client's side of the figure: the same calls (on the files the node tests made),
    the same worker, and like node a process of its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        PYTHON_CLIENT,
        url,
        str(count),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    sys.stdout.write(output.decode())
    assert process.returncode == 0, output.decode()
