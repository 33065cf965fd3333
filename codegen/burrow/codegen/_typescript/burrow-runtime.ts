/**
 * The runtime of Burrow's generated TypeScript clients: AMQP 0-9-1 over amqplib,
 * following Burrow's wire protocol (docs/protocol.md, docs/calls.md, docs/delays.md).
 *
 * A generated client module describes its contracts and types; this module does
 * the rest, once for every generated client beside it: publisher confirms and
 * `mandatory`, the delay cascade, one reply queue per connection, deadlines, and
 * replies validated against the lock's JSON Schemas (ajv) before they are returned.
 */
import { randomBytes } from "node:crypto";
import * as amqp from "amqplib";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";

/** Anything a Burrow client raises. */
export class BurrowError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A message could not be published: the broker refused it (`basic.nack`) or the channel failed. */
export class PublishError extends BurrowError {}

/** No queue is bound for the contract's routing key: the broker returned the message. */
export class Unroutable extends PublishError {
  /** The contract's wire name, `<service>.<contract>`. */
  readonly contract: string;

  constructor(contract: string, message: string) {
    super(message);
    this.contract = contract;
  }
}

/** The connection dropped before the broker confirmed a send, or before a call's reply came. */
export class ConnectionLost extends BurrowError {}

/** A declaration differs from the broker's existing entity (for example, a classic queue where a quorum queue exists). */
export class TopologyError extends BurrowError {}

/** A request or a reply does not fit the contract's types in the lock. */
export class ContractError extends BurrowError {}

/** A call failed on the worker's side or got no answer in time. */
export class CallError extends BurrowError {
  /** The contract's wire name, `<service>.<contract>`. */
  readonly contract: string;

  constructor(contract: string, message: string) {
    super(message);
    this.contract = contract;
  }
}

/** No reply came before the call's deadline. */
export class CallTimeout extends CallError {
  /** Seconds the caller waited. */
  readonly waited: number;

  constructor(contract: string, waited: number, message: string) {
    super(contract, message);
    this.waited = waited;
  }
}

/** The handler failed with an error its contract does not declare; `type` names it, never a traceback. */
export class RemoteError extends CallError {
  /** The error envelope's `code`: `failed`, `bad-request`, or a code this client does not know. */
  readonly code: string;
  /** The exception type's name on the worker's side. */
  readonly type: string;
  /** The worker's message. */
  readonly detail: string;

  constructor(contract: string, code: string, type: string, detail: string) {
    super(contract, `${contract} failed on the worker: ${type ? `${type}: ` : ""}${detail}`);
    this.code = code;
    this.type = type;
    this.detail = detail;
  }
}

/** The handler answered with one of the contract's declared errors; generated subclasses carry its typed `data`. */
export class DeclaredError<T = unknown> extends CallError {
  /** The declared error's type name, as declared on the contract. */
  readonly type: string;
  /** The error's fields, validated against its type in the lock. */
  readonly data: T;
  /** The worker's message. */
  readonly detail: string;

  constructor(contract: string, type: string, data: T, detail: string) {
    super(contract, `${contract} answered ${type}: ${detail}`);
    this.type = type;
    this.data = data;
    this.detail = detail;
  }
}

/** How a generated declared-error class is built from a reply's error envelope. */
export type DeclaredErrorClass = new (contract: string, type: string, data: never, detail: string) => DeclaredError;

/** Options of `connect`. */
export interface ConnectOptions {
  /** The deployment's exchange, as in the workers' `Topology(exchange=...)`. Default `burrow`. */
  readonly exchange?: string;
  /** The service queues' type, as in the workers' `Topology(queue_type=...)`. Default `quorum`. */
  readonly queueType?: "classic" | "quorum";
  /** Returns a message may have before a quorum queue dead-letters it, as in `Topology(delivery_limit=...)`. Default 5. */
  readonly deliveryLimit?: number;
  /** Declare each service's queues and bindings before the first send to it (default true). */
  readonly declare?: boolean;
  /** Seconds a call waits when neither the call nor its contract says (default 30). */
  readonly defaultTimeout?: number;
  /** The AMQP `app_id` of every message sent. */
  readonly appId?: string;
}

/** Options of a task's send. A delay is held by the broker, never by this process. */
export interface SendOptions {
  /** Seconds from now before the task may be handled (0 to about 8.5 years). */
  readonly delay?: number;
  /** The moment before which the task must not be handled; a moment in the past means now. */
  readonly at?: Date;
}

/** Options of a call. */
export interface CallOptions {
  /** Seconds to wait for the reply; default: the contract's timeout, then the client's. */
  readonly timeout?: number;
}

/** A JSON Schema, as the generated modules embed them. */
export type JsonSchema = { readonly [key: string]: unknown };

/** A contract, as a generated module describes it from the lock. */
export interface ContractSpec {
  readonly service: string;
  readonly wireName: string;
  readonly routingKey: string;
  readonly queue: string;
  readonly kind: "task" | "call";
  readonly fingerprint: string;
  readonly request: JsonSchema;
  readonly result?: JsonSchema;
  readonly timeout?: number;
  readonly errors?: { readonly [type: string]: readonly [DeclaredErrorClass, JsonSchema] };
}

/** A service's queue and the routing keys bound to it, for declaring them. */
export interface ServiceSpec {
  readonly name: string;
  readonly queue: string;
  readonly contracts: readonly { readonly routingKey: string; readonly queue: string }[];
}

const HEADER_FINGERPRINT = "x-burrow-fingerprint";
const HEADER_DUE = "x-burrow-due";
const HEADER_DEADLINE = "x-burrow-deadline";
const HEADER_REPLY = "x-burrow-reply";
const JSON_TYPE = "application/json";
/** A quorum dead-letter queue's delivery limit: high enough that reading it never drops a message (docs/deploy.md). */
const DEAD_LETTER_DELIVERY_LIMIT = 2 ** 31 - 1;

// The delay cascade (docs/delays.md): 31 levels of 125 ms * 2^n, entered 50 ms early.
const UNIT_MS = 125;
const LEAD_MS = 50;
const LEVELS = 31;
const MAX_UNITS = 2 ** LEVELS - 1;
const MAX_DELAY_MS = MAX_UNITS * UNIT_MS;

let idPrefix = randomBytes(8).toString("hex");
let idCounter = 0;

/** A unique message id: 32 hex digits, a random prefix per process and a counter. */
export function messageId(): string {
  idCounter += 1;
  if (idCounter > Number.MAX_SAFE_INTEGER - 1) {
    idPrefix = randomBytes(8).toString("hex");
    idCounter = 1;
  }
  return idPrefix + idCounter.toString(16).padStart(16, "0");
}

/** Validators for one generated module's types, compiled on first use. */
export class Schemas {
  readonly #ajv = new Ajv2020({ strict: true, validateFormats: false, allErrors: false });
  readonly #compiled = new Map<JsonSchema, ValidateFunction>();
  readonly #defs: JsonSchema;

  constructor(defs: JsonSchema) {
    this.#defs = defs;
  }

  /** Throws `ContractError` unless `value` fits `schema` (whose `$ref`s point into this module's `$defs`). */
  check(schema: JsonSchema, value: unknown, what: string): void {
    let validate = this.#compiled.get(schema);
    if (validate === undefined) {
      validate = this.#ajv.compile({ ...schema, $defs: this.#defs });
      this.#compiled.set(schema, validate);
    }
    if (!validate(value)) {
      const error = validate.errors?.[0];
      const where = error ? `${error.message ?? "invalid"} - at \`$${error.instancePath.replaceAll("/", ".")}\`` : "";
      throw new ContractError(`${what}: ${where}`);
    }
  }
}

interface Pending {
  readonly contract: ContractSpec;
  readonly schemas: Schemas;
  readonly started: number;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
}

interface Confirm {
  returned: boolean;
}

/** One connection to the broker, shared by every service namespace of a generated client. */
export class BurrowConnection {
  readonly #model: amqp.ChannelModel;
  #publisher: Promise<amqp.ConfirmChannel> | undefined;
  readonly #options: Required<Omit<ConnectOptions, "appId">> & { appId: string | undefined };
  readonly #confirms = new Map<string, Confirm>();
  readonly #pending = new Map<string, Pending>();
  readonly #declared = new Map<string, Promise<void>>();
  #declarer: Promise<amqp.Channel> | undefined;
  #replyQueue: Promise<string> | undefined;
  #levels = 0;
  #lost: ConnectionLost | undefined;
  #closing = false;

  private constructor(model: amqp.ChannelModel, options: ConnectOptions) {
    this.#model = model;
    this.#options = {
      exchange: options.exchange ?? "burrow",
      queueType: options.queueType ?? "quorum",
      deliveryLimit: options.deliveryLimit ?? 5,
      declare: options.declare ?? true,
      defaultTimeout: options.defaultTimeout ?? 30,
      appId: options.appId,
    };
    model.on("error", () => {}); // followed by "close"
    model.on("close", () => this.#fail("the connection to the broker dropped"));
  }

  /** Connect to `url` (`amqp://user:password@host:5672/vhost`). */
  static async open(url: string, options: ConnectOptions = {}): Promise<BurrowConnection> {
    return new BurrowConnection(await amqp.connect(url), options);
  }

  /** Close the connection; sends and calls still waiting fail with `ConnectionLost`. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#fail("the client was closed");
    await this.#model.close().catch(() => {});
  }

  /** Publish a task; resolves once the broker has confirmed it. */
  async send(service: ServiceSpec, contract: ContractSpec, schemas: Schemas, body: unknown, options: SendOptions = {}): Promise<void> {
    if (this.#lost) throw this.#lost;
    const content = encode(contract, schemas, body);
    const delayMs = delayMilliseconds(options);
    await this.#declareService(service);
    const headers: Record<string, unknown> = { [HEADER_FINGERPRINT]: contract.fingerprint };
    const properties = { ...this.#properties(contract, 2), headers };
    if (delayMs <= 0) {
      await this.#publish(this.#options.exchange, contract.routingKey, content, properties, contract);
      return;
    }
    const due = Date.now() + delayMs;
    headers[HEADER_DUE] = Math.ceil(due);
    if (units(delayMs) > 0) {
      await this.#declareCascade(units(delayMs), contract);
      const left = units(due - Date.now()); // declaring took part of the delay
      if (left > 0) {
        // Bits most significant first; the message enters at the level of its highest set bit.
        const binary = left.toString(2);
        const bits = binary.padStart(LEVELS, "0").split("").join(".");
        await this.#publish(level(this.#options.exchange, binary.length - 1), `${bits}.${contract.routingKey}`, content, properties, contract);
        return;
      }
    }
    // Shorter than the cascade's resolution: the worker waits until the due time.
    await this.#publish(this.#options.exchange, contract.routingKey, content, properties, contract);
  }

  /** Make a call and wait for its reply, validated against the contract's result type. */
  async call(service: ServiceSpec, contract: ContractSpec, schemas: Schemas, body: unknown, options: CallOptions = {}): Promise<unknown> {
    const timeout = options.timeout ?? contract.timeout ?? this.#options.defaultTimeout;
    if (!(timeout > 0) || !Number.isFinite(timeout)) {
      throw new RangeError(`timeout must be a positive number of seconds, got ${timeout}`);
    }
    if (this.#lost) throw this.#lost;
    const content = encode(contract, schemas, body);
    const started = Date.now();
    const deadline = started + timeout * 1000;
    const id = messageId();
    return await new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        const waited = (Date.now() - started) / 1000;
        reject(new CallTimeout(contract.wireName, waited, `${contract.wireName}: no reply within ${timeout} s`));
      }, Math.max(deadline - Date.now(), 0));
      const settle = <A extends unknown[]>(then: (...args: A) => void) => (...args: A): void => {
        clearTimeout(timer);
        this.#pending.delete(id);
        then(...args);
      };
      this.#pending.set(id, { contract, schemas, started, resolve: settle(resolve), reject: settle(reject) });
      this.#request(service, contract, content, id, deadline).catch((error: unknown) => {
        const failed = this.#lost ?? (error instanceof Error ? error : new PublishError(String(error)));
        this.#pending.get(id)?.reject(failed);
      });
    });
  }

  async #request(service: ServiceSpec, contract: ContractSpec, content: Buffer, id: string, deadline: number): Promise<void> {
    const replyTo = await this.#replies();
    await this.#declareService(service);
    if (!this.#pending.has(id)) return; // timed out while declaring
    // A quorum queue dead-letters what expires: there the worker's deadline check alone drops a late request.
    const expiration = this.#options.queueType === "classic" ? String(Math.max(Math.ceil(deadline - Date.now()), 1)) : undefined;
    await this.#publish(
      this.#options.exchange,
      contract.routingKey,
      content,
      {
        ...this.#properties(contract, 1, id),
        correlationId: id,
        replyTo,
        expiration,
        headers: { [HEADER_DEADLINE]: Math.floor(deadline), [HEADER_FINGERPRINT]: contract.fingerprint },
      },
      contract,
    );
  }

  #properties(contract: ContractSpec, deliveryMode: 1 | 2, id: string = messageId()): amqp.Options.Publish {
    const properties: amqp.Options.Publish = {
      contentType: JSON_TYPE,
      type: contract.wireName,
      messageId: id,
      timestamp: Math.floor(Date.now() / 1000),
      deliveryMode,
      mandatory: true,
    };
    if (this.#options.appId !== undefined) properties.appId = this.#options.appId;
    return properties;
  }

  #publish(exchange: string, routingKey: string, content: Buffer, options: amqp.Options.Publish, contract: ContractSpec): Promise<void> {
    if (this.#lost) return Promise.reject(this.#lost);
    const id = String(options.messageId);
    const confirm: Confirm = { returned: false };
    this.#confirms.set(id, confirm);
    return new Promise<void>((resolve, reject) => {
      const done = (error: unknown): void => {
        this.#confirms.delete(id);
        if (this.#lost) reject(this.#lost);
        else if (error) {
          // amqplib fails unconfirmed messages as their channel closes, before the connection
          // reports its own close: wait a turn to tell a lost connection from a channel error.
          const reason = `${contract.wireName}: the broker did not confirm the message: ${String(error)}`;
          setImmediate(() => reject(this.#lost ?? new PublishError(reason)));
        }
        else if (confirm.returned)
          reject(new Unroutable(contract.wireName, `${contract.wireName}: no queue is bound for routing key ${routingKey} on exchange ${exchange}`));
        else resolve();
      };
      this.#confirmChannel().then(
        (channel) => channel.publish(exchange, routingKey, content, options, done),
        (error: unknown) => {
          this.#confirms.delete(id);
          reject(this.#lost ?? new PublishError(`${contract.wireName}: ${String(error)}`));
        },
      );
    });
  }

  /**
   * The publishing channel, in confirm mode; opened again after a channel error (for
   * example a publish to an exchange that does not exist), which fails only the
   * messages it had not confirmed yet.
   */
  #confirmChannel(): Promise<amqp.ConfirmChannel> {
    if (this.#lost) return Promise.reject(this.#lost);
    if (this.#publisher) return this.#publisher;
    const opened = this.#model.createConfirmChannel().then((channel) => {
      channel.on("return", (message: amqp.Message) => {
        const confirm = this.#confirms.get(String(message.properties.messageId));
        if (confirm) confirm.returned = true; // the broker sends basic.return before the ack
      });
      channel.on("error", () => {}); // a channel error also closes it
      channel.on("close", () => this.#publisher === opened && (this.#publisher = undefined));
      return channel;
    });
    opened.catch(() => this.#publisher === opened && (this.#publisher = undefined));
    this.#publisher = opened;
    return opened;
  }

  /** The reply queue: exclusive, auto-delete, on a channel of its own, declared at the first call. */
  #replies(): Promise<string> {
    this.#replyQueue ??= (async () => {
      const channel = await this.#model.createChannel();
      channel.on("error", () => {});
      channel.on("close", () => {
        // Its queue went with it: calls waiting for a reply fail now, the next call declares a new one.
        this.#replyQueue = undefined;
        this.#failCalls(this.#lost?.message ?? "the reply channel closed");
      });
      const name = `burrow.reply.${randomBytes(16).toString("hex")}`;
      await channel.assertQueue(name, { exclusive: true, autoDelete: true, durable: false });
      await channel.consume(name, (message) => message && this.#reply(message), { noAck: true });
      return name;
    })();
    this.#replyQueue.catch(() => (this.#replyQueue = undefined));
    return this.#replyQueue;
  }

  #reply(message: amqp.ConsumeMessage): void {
    const pending = this.#pending.get(String(message.properties.correlationId));
    if (pending === undefined) return; // its caller gave up: drop it
    const { contract, schemas } = pending;
    let body: unknown;
    try {
      body = JSON.parse(message.content.toString("utf8"));
    } catch (error) {
      pending.reject(new ContractError(`${contract.wireName}: the reply is not JSON: ${String(error)}`));
      return;
    }
    try {
      const kind = String(message.properties.headers?.[HEADER_REPLY] ?? "");
      if (kind === "result") {
        if (contract.result) schemas.check(contract.result, body, `${contract.wireName}: the reply does not decode as the result type`);
        pending.resolve(body);
      } else if (kind === "error") {
        pending.reject(failure(contract, schemas, body, (Date.now() - pending.started) / 1000));
      } else {
        pending.reject(new ContractError(`${contract.wireName}: the reply has no valid ${HEADER_REPLY} header: ${kind}`));
      }
    } catch (error) {
      pending.reject(error instanceof Error ? error : new ContractError(String(error)));
    }
  }

  #declareService(service: ServiceSpec): Promise<void> {
    if (!this.#options.declare) return Promise.resolve();
    return this.#declare(`service:${service.name}`, async (channel) => {
      // The same arguments as the Python Topology's (docs/protocol.md, Topology).
      const quorum = this.#options.queueType === "quorum";
      const dead = `${service.name}.dead`;
      const workArgs = quorum
        ? {
            "x-queue-type": "quorum",
            "x-delivery-limit": this.#options.deliveryLimit,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": dead,
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
          }
        : {};
      const deadArgs = quorum ? { "x-queue-type": "quorum", "x-delivery-limit": DEAD_LETTER_DELIVERY_LIMIT } : {};
      await channel.assertExchange(this.#options.exchange, "direct", { durable: true, autoDelete: false });
      const queues = new Set([service.queue, ...service.contracts.map((c) => c.queue)]);
      for (const queue of queues) await channel.assertQueue(queue, { durable: true, arguments: workArgs });
      await channel.assertQueue(dead, { durable: true, arguments: deadArgs });
      for (const c of service.contracts) await channel.bindQueue(c.queue, this.#options.exchange, c.routingKey);
    });
  }

  async #declareCascade(needed: number, contract: ContractSpec): Promise<void> {
    const count = needed.toString(2).length;
    const exchange = this.#options.exchange;
    const deliver = `${exchange}.delay.deliver`;
    if (count > this.#levels) {
      await this.#declare(`levels:${count}`, async (channel) => {
        await channel.assertExchange(deliver, "topic", { durable: true, autoDelete: false });
        for (let n = 0; n < count; n += 1) {
          const name = level(exchange, n);
          const below = n === 0 ? deliver : level(exchange, n - 1);
          const skip = "*.".repeat(LEVELS - 1 - n); // the bits above this level
          await channel.assertExchange(name, "topic", { durable: true, autoDelete: false });
          await channel.assertQueue(name, {
            durable: true,
            arguments: {
              "x-queue-type": "quorum",
              "x-message-ttl": UNIT_MS * 2 ** n,
              "x-dead-letter-exchange": below,
              "x-dead-letter-strategy": "at-least-once",
              "x-overflow": "reject-publish",
            },
          });
          await channel.bindQueue(name, name, `${skip}1.#`);
          await channel.bindExchange(below, name, `${skip}0.#`);
        }
      });
      this.#levels = Math.max(this.#levels, count);
    }
    await this.#declare(`deliver:${contract.routingKey}:${contract.queue}`, async (channel) => {
      await channel.assertExchange(deliver, "topic", { durable: true, autoDelete: false });
      await channel.bindQueue(contract.queue, deliver, "*.".repeat(LEVELS) + contract.routingKey);
    });
  }

  /** Run `declare` once per `key` on the declaring channel; a failed declaration is tried again next time. */
  #declare(key: string, declare: (channel: amqp.Channel) => Promise<void>): Promise<void> {
    let done = this.#declared.get(key);
    if (done === undefined) {
      done = (async () => {
        const channel = await this.#channel();
        try {
          await declare(channel);
        } catch (error) {
          if (this.#lost) throw this.#lost;
          throw new TopologyError(`declaring ${key} failed: ${error instanceof Error ? error.message : String(error)}`);
        }
      })();
      this.#declared.set(key, done);
      done.catch(() => this.#declared.delete(key));
    }
    return done;
  }

  #channel(): Promise<amqp.Channel> {
    if (this.#lost) return Promise.reject(this.#lost);
    if (this.#declarer) return this.#declarer;
    const opened = this.#model.createChannel().then((channel) => {
      channel.on("error", () => {}); // a refused declaration closes the channel; the next one opens another
      channel.on("close", () => this.#declarer === opened && (this.#declarer = undefined));
      return channel;
    });
    opened.catch(() => this.#declarer === opened && (this.#declarer = undefined));
    this.#declarer = opened;
    return opened;
  }

  #fail(reason: string): void {
    if (this.#lost) return;
    this.#lost = new ConnectionLost(reason);
    this.#failCalls(reason);
  }

  #failCalls(reason: string): void {
    for (const pending of [...this.#pending.values()]) {
      pending.reject(new ConnectionLost(`${pending.contract.wireName}: ${reason} before the reply came; the call may or may not have run`));
    }
  }
}

function encode(contract: ContractSpec, schemas: Schemas, body: unknown): Buffer {
  schemas.check(contract.request, body, `${contract.wireName}: the request does not encode`);
  return Buffer.from(JSON.stringify(body), "utf8");
}

/** The error a reply's error envelope stands for (docs/calls.md, "Reply"). */
function failure(contract: ContractSpec, schemas: Schemas, envelope: unknown, waited: number): Error {
  schemas.check(ENVELOPE, envelope, `${contract.wireName}: the error reply is not an error envelope`);
  const fields = envelope as { code: string; type?: string; message?: string; data?: unknown };
  const { code, type = "", message = "", data = null } = fields;
  const declared = code === "declared" ? contract.errors?.[type] : undefined;
  if (declared !== undefined) {
    const [Class, schema] = declared;
    schemas.check(schema, data, `${contract.wireName}: the declared error ${type} does not decode`);
    return new Class(contract.wireName, type, data as never, message);
  }
  if (code === "expired") return new CallTimeout(contract.wireName, waited, `${contract.wireName}: ${message}`);
  return new RemoteError(contract.wireName, code, type, message);
}

const ENVELOPE: JsonSchema = {
  type: "object",
  properties: { code: { type: "string" }, type: { type: "string" }, message: { type: "string" }, data: {} },
  required: ["code"], // a Burrow worker writes all four; the others default to "" and null
};

function level(exchange: string, n: number): string {
  return `${exchange}.delay.${String(n).padStart(2, "0")}`;
}

/** Whole cascade units for a delay, aimed `LEAD_MS` early; 0 means the delay is left to the worker. */
function units(delayMs: number): number {
  return Math.min(Math.max(Math.floor((delayMs - LEAD_MS) / UNIT_MS), 0), MAX_UNITS);
}

function delayMilliseconds(options: SendOptions): number {
  if (options.delay !== undefined && options.at !== undefined) throw new RangeError("pass delay or at, not both");
  const ms = options.at !== undefined ? Math.max(options.at.getTime() - Date.now(), 0) : (options.delay ?? 0) * 1000;
  if (!(ms >= 0 && ms <= MAX_DELAY_MS)) {
    throw new RangeError(`the delay must be between 0 and ${MAX_DELAY_MS / 1000} s (about 8.5 years)`);
  }
  return ms;
}
