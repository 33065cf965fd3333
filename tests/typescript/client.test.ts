/**
 * The generated TypeScript client against the Python example worker, on a real broker.
 *
 * Run by test_typescript_client.py, which starts the worker and sets:
 *   AMQP_URL       a vhost where the cleanup worker serves the files below CLEANUP_DIR;
 *   AMQP_URL_IDLE  a vhost where no worker runs.
 */
import assert from "node:assert/strict";
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  CallError,
  CallTimeout,
  Client,
  ConnectionLost,
  ContractError,
  DeclaredError,
  FileMissingError,
  PublishError,
  Unroutable,
  type StatFile,
} from "../../examples/typescript/cleanup-client.js";

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const url = required("AMQP_URL");
const idleUrl = required("AMQP_URL_IDLE");
const root = required("CLEANUP_DIR");
let client: Client;

before(async () => {
  client = await Client.connect(url, { appId: "typescript-tests" });
});

after(async () => {
  await client.close();
});

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Polls until the file is gone; returns the first moment it was seen missing. */
async function goneAt(path: string): Promise<number> {
  for (;;) {
    if (!(await exists(path))) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test("a task is handled by the Python worker", async () => {
  const path = join(root, "task.txt");
  await writeFile(path, "x");
  await client.cleanup.deleteFile({ path: "task.txt" });
  await goneAt(path);
});

test("a delayed task is delivered through the cascade, never early", async () => {
  const paths = [0.1, 0.4, 1.5].map((delay) => ({ delay, path: join(root, `delayed-${delay}.txt`) }));
  for (const { path } of paths) await writeFile(path, "x");
  const sent = Date.now();
  await Promise.all(paths.map(({ delay }) => client.cleanup.deleteFile({ path: `delayed-${delay}.txt` }, { delay })));
  const gone = await Promise.all(paths.map(({ path }) => goneAt(path)));
  paths.forEach(({ delay }, index) => {
    const early = sent + delay * 1000 - (gone[index] ?? 0);
    assert.ok(early <= 0, `the task delayed ${delay} s was handled ${early} ms early`);
  });
});

test("a call returns the typed result", async () => {
  await writeFile(join(root, "hello.txt"), "hello");
  const info = await client.cleanup.statFile({ path: "hello.txt" }, { timeout: 10 });
  assert.equal(info.path, "hello.txt");
  assert.equal(info.size, 5);
  assert.equal(typeof info.modified_at, "number");
});

test("a declared error is caught with instanceof, its data typed", async () => {
  const error = await client.cleanup.statFile({ path: "missing.txt" }).then(
    () => assert.fail("statFile of a missing file resolved"),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof FileMissingError);
  assert.ok(error instanceof DeclaredError);
  assert.ok(error instanceof CallError);
  assert.deepEqual(error.data, { path: "missing.txt" });
  assert.equal(error.type, "FileMissing");
  assert.equal(error.contract, "cleanup.stat_file");
});

test("a request that does not fit its type is refused before it is sent", async () => {
  const wrong = { path: 42 } as unknown as StatFile;
  await assert.rejects(client.cleanup.statFile(wrong), ContractError);
});

test("a call with no worker times out at its deadline", async () => {
  const idle = await Client.connect(idleUrl);
  try {
    const error = await idle.cleanup.statFile({ path: "a.txt" }, { timeout: 0.3 }).then(
      () => assert.fail("a call with no worker resolved"),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof CallTimeout);
    assert.equal(error.contract, "cleanup.stat_file");
    assert.ok(error.waited >= 0.3, `it gave up after ${error.waited} s`);
  } finally {
    await idle.close();
  }
});

test("a send that no queue is bound for is rejected as Unroutable", async () => {
  // amq.direct exists in every vhost and nothing is bound to it here.
  const unbound = await Client.connect(url, { exchange: "amq.direct", declare: false });
  try {
    await assert.rejects(unbound.cleanup.deleteFile({ path: "x" }), Unroutable);
    await assert.rejects(unbound.cleanup.statFile({ path: "x" }), Unroutable);
  } finally {
    await unbound.close();
  }
});

test("a publish the broker refuses fails that send alone", async () => {
  const lost = await Client.connect(url, { exchange: "no-such-exchange", declare: false });
  try {
    // The broker closes the publishing channel (404): the send fails, the next one opens a new channel.
    await assert.rejects(lost.cleanup.deleteFile({ path: "x" }), (error) => error instanceof PublishError && !(error instanceof Unroutable));
    await assert.rejects(lost.cleanup.deleteFile({ path: "x" }), PublishError);
  } finally {
    await lost.close();
  }
  await client.cleanup.statFile({ path: "hello.txt" }); // other clients are unaffected
});

test("a call waiting when its client closes rejects with ConnectionLost at once", async () => {
  const closing = await Client.connect(url);
  const waiting = assert.rejects(closing.cleanup.statFile({ path: "hello.txt" }, { timeout: 60 }), ConnectionLost);
  await closing.close();
  await waiting;
  await assert.rejects(closing.cleanup.deleteFile({ path: "x" }), ConnectionLost);
});

test("1,000 concurrent calls each get their own reply", async (t) => {
  const count = 1000;
  await mkdir(join(root, "many"), { recursive: true });
  await Promise.all(Array.from({ length: count }, (_, i) => writeFile(join(root, "many", `${i}.txt`), "x".repeat(i))));
  await client.cleanup.statFile({ path: "many/0.txt" }); // the reply queue is up before timing
  const started = process.hrtime.bigint();
  const infos = await Promise.all(
    Array.from({ length: count }, (_, i) => client.cleanup.statFile({ path: `many/${i}.txt` }, { timeout: 60 })),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  infos.forEach((info, i) => {
    assert.equal(info.path, `many/${i}.txt`);
    assert.equal(info.size, i);
  });
  t.diagnostic(`figure: ${count} concurrent calls in ${seconds.toFixed(3)} s (${Math.round(count / seconds)} calls/s)`);
});
