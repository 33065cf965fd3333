/**
 * Type tests: the generated client's mistakes are compile errors. `tsc --strict`
 * fails if any `@ts-expect-error` line below compiles without an error.
 * Nothing here runs against a broker.
 */
import {
  CallTimeout,
  Client,
  DeclaredError,
  FileMissingError,
  type DeleteFile,
  type FileInfo,
  type FileMissing,
  type StatFile,
} from "../../examples/typescript/cleanup-client.js";

export async function typeTests(client: Client): Promise<void> {
  // What is right compiles, with the declared types.
  const info: FileInfo = await client.cleanup.statFile({ path: "a.png" }, { timeout: 5 });
  const size: number = info.size;
  const path: string = info.path;
  const sent: void = await client.cleanup.deleteFile({ path: "x" }, { delay: 60 });
  await client.cleanup.deleteFile({ path: "x" }, { at: new Date() });
  await client.cleanup.deleteFile({ path: "x" });
  const request: StatFile = { path: "a.png" };
  await client.cleanup.statFile(request);
  void [size, path, sent];

  // @ts-expect-error: a wrong argument type
  await client.cleanup.statFile({ path: 1 });
  // @ts-expect-error: a missing field
  await client.cleanup.statFile({});
  // @ts-expect-error: a field the contract does not have
  await client.cleanup.deleteFile({ path: "x", force: true });
  // @ts-expect-error: the request is an object, not its only field
  await client.cleanup.statFile("a.png");
  // @ts-expect-error: a call takes no delay
  await client.cleanup.statFile({ path: "a" }, { delay: 5 });
  // @ts-expect-error: a task has no timeout
  await client.cleanup.deleteFile({ path: "a" }, { timeout: 5 });
  // @ts-expect-error: the delay is in seconds, a number
  await client.cleanup.deleteFile({ path: "a" }, { delay: "60s" });
  // @ts-expect-error: a wrong result use: size is a number
  const wrong: string = (await client.cleanup.statFile({ path: "a" })).size;
  // @ts-expect-error: the result has no such field
  void (await client.cleanup.statFile({ path: "a" })).modifiedAt;
  // @ts-expect-error: a task resolves to nothing
  void (await client.cleanup.deleteFile({ path: "a" })).path;
  // @ts-expect-error: no such contract
  await client.cleanup.removeFile({ path: "a" });
  // @ts-expect-error: no such service
  await client.billing.statFile({ path: "a" });
  // @ts-expect-error: results are read-only, like the frozen Structs
  info.size = 3;
  const task: DeleteFile = { path: "x" };
  // @ts-expect-error: requests are read-only too
  task.path = "y";
  void wrong;

  // Declared errors narrow with instanceof; their data is typed.
  try {
    await client.cleanup.statFile({ path: "gone.png" });
  } catch (error) {
    if (error instanceof FileMissingError) {
      const missing: FileMissing = error.data;
      const name: string = missing.path;
      // @ts-expect-error: the declared error's data has only its own fields
      void error.data.size;
      void name;
    } else if (error instanceof CallTimeout) {
      const waited: number = error.waited;
      void waited;
    } else if (error instanceof DeclaredError) {
      const data: unknown = error.data;
      void data;
    }
  }
}
