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
import * as amqp from "amqplib";
import {
  CallError,
  CallTimeout,
  Client,
  ConnectionLost,
  ContractError,
  DeclaredError,
  FileMissingError,
  PublishError,
  RemoteError,
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
    assert.match(error.message, /no reply within 0.3 s/);
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

test("a task carries the protocol's properties and headers", async () => {
  const idle = await Client.connect(idleUrl, { appId: "typescript-tests" });
  const model = await amqp.connect(idleUrl);
  try {
    const before = Date.now();
    await idle.cleanup.deleteFile({ path: "a.txt" }); // declares the queue, as the Python client does
    const channel = await model.createChannel();
    let message = await channel.get("cleanup", { noAck: true });
    // Skip a timed-out call request from an earlier test: a quorum queue does not expire it.
    while (message && message.properties.type === "cleanup.stat_file") message = await channel.get("cleanup", { noAck: true });
    assert.ok(message, "the task is not in its queue");
    const { properties } = message;
    assert.equal(properties.type, "cleanup.delete_file");
    assert.equal(properties.contentType, "application/json");
    assert.equal(properties.deliveryMode, 2);
    assert.equal(properties.appId, "typescript-tests");
    assert.match(String(properties.messageId), /^[0-9a-f]{32}$/);
    assert.ok(Math.abs(Number(properties.timestamp) - before / 1000) < 60);
    assert.equal(String(properties.headers?.["x-burrow-fingerprint"]), "c50ace9cf99fef5c");
    assert.deepEqual(JSON.parse(message.content.toString()), { path: "a.txt" });
  } finally {
    await model.close();
    await idle.close();
  }
});

/** Answers every call request on the idle vhost's `cleanup` queue with `reply(request)`. */
async function fakeWorker(
  reply: (request: amqp.ConsumeMessage) => { kind: "result" | "error"; body: unknown },
): Promise<amqp.ChannelModel> {
  const model = await amqp.connect(idleUrl);
  const channel = await model.createChannel();
  // As a Python worker with the default Topology declares it (docs/protocol.md, Topology).
  await channel.assertQueue("cleanup", {
    durable: true,
    arguments: {
      "x-queue-type": "quorum",
      "x-delivery-limit": 5,
      "x-dead-letter-exchange": "",
      "x-dead-letter-routing-key": "cleanup.dead",
      "x-dead-letter-strategy": "at-least-once",
      "x-overflow": "reject-publish",
    },
  });
  await channel.purgeQueue("cleanup");
  await channel.consume("cleanup", (request) => {
    if (request === null) return;
    const { kind, body } = reply(request);
    channel.sendToQueue(String(request.properties.replyTo), Buffer.from(JSON.stringify(body)), {
      correlationId: request.properties.correlationId,
      contentType: "application/json",
      type: request.properties.type,
      headers: { "x-burrow-reply": kind },
    });
    channel.ack(request);
  });
  return model;
}

test("a call request carries its deadline, reply queue and correlation id", async () => {
  const requests: amqp.ConsumeMessage[] = [];
  const worker = await fakeWorker((request) => {
    requests.push(request);
    return { kind: "result", body: { path: "a.txt", size: 1, modified_at: 2.5 } };
  });
  const idle = await Client.connect(idleUrl);
  try {
    const before = Date.now();
    assert.deepEqual(await idle.cleanup.statFile({ path: "a.txt" }, { timeout: 20 }), {
      path: "a.txt",
      size: 1,
      modified_at: 2.5,
    });
    const { properties } = requests[0] ?? assert.fail("no request arrived");
    assert.equal(properties.type, "cleanup.stat_file");
    assert.equal(properties.deliveryMode, 1);
    assert.equal(properties.correlationId, properties.messageId);
    assert.match(String(properties.replyTo), /^burrow\.reply\.[0-9a-f]{32}$/);
    const deadline = Number(properties.headers?.["x-burrow-deadline"]);
    assert.ok(Number.isInteger(deadline) && deadline >= before + 20_000 && deadline <= Date.now() + 20_000);
    // On a quorum queue (the default) an expired request would be dead-lettered: no AMQP expiration.
    assert.equal(properties.expiration, undefined);
    assert.equal(String(properties.headers?.["x-burrow-fingerprint"]), "b3538cce93f39b5b");
  } finally {
    await idle.close();
    await worker.close();
  }
});

test("replies are checked against the contract: wrong results and every error code", async () => {
  const answers: Record<string, { kind: "result" | "error"; body: unknown }> = {
    wrong: { kind: "result", body: { path: "wrong", size: "big", modified_at: 1 } },
    declared: { kind: "error", body: { code: "declared", type: "FileMissing", message: "gone", data: { path: "x" } } },
    baddata: { kind: "error", body: { code: "declared", type: "FileMissing", message: "gone", data: { file: 1 } } },
    undeclared: { kind: "error", body: { code: "declared", type: "DiskFull", message: "full", data: {} } },
    failed: { kind: "error", body: { code: "failed", type: "ValueError", message: "boom", data: null } },
    unknown: { kind: "error", body: { code: "on-fire", message: "?" } },
    expired: { kind: "error", body: { code: "expired", type: "", message: "late", data: null } },
  };
  const worker = await fakeWorker((request) => {
    const { path } = JSON.parse(request.content.toString()) as { path: string };
    return answers[path] ?? { kind: "error", body: { code: "failed", type: "KeyError", message: path, data: null } };
  });
  const idle = await Client.connect(idleUrl);
  const stat = (path: string): Promise<unknown> => idle.cleanup.statFile({ path }, { timeout: 20 });
  try {
    await assert.rejects(stat("wrong"), (error) => error instanceof ContractError && /size/.test(error.message));
    await assert.rejects(stat("declared"), (error) => error instanceof FileMissingError && error.data.path === "x");
    await assert.rejects(stat("baddata"), ContractError);
    await assert.rejects(stat("undeclared"), (error) => error instanceof RemoteError && error.type === "DiskFull");
    await assert.rejects(stat("failed"), (error) => error instanceof RemoteError && error.code === "failed");
    await assert.rejects(stat("unknown"), (error) => error instanceof RemoteError && error.code === "on-fire");
    await assert.rejects(stat("expired"), CallTimeout);
  } finally {
    await idle.close();
    await worker.close();
  }
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
