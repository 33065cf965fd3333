/** The example of docs/codegen.md ("A TypeScript client"), compiled by tsc --strict with the tests. */
// --8<-- [start:usage]
import { CallTimeout, Client, FileMissingError, type FileInfo } from "../../examples/typescript/cleanup-client.js";

export async function cleanUp(url: string): Promise<FileInfo | undefined> {
  const client = await Client.connect(url, { appId: "web" });
  try {
    await client.cleanup.deleteFile({ path: "tmp/upload.png" }); // resolves once the broker has it
    await client.cleanup.deleteFile({ path: "tmp/report.pdf" }, { delay: 3600 }); // not before an hour
    return await client.cleanup.statFile({ path: "a.png" }, { timeout: 5 }); // Promise<FileInfo>
  } catch (error) {
    if (error instanceof FileMissingError) return undefined; // error.data: FileMissing
    if (error instanceof CallTimeout) throw new Error(`cleanup is slow: ${error.waited} s`);
    throw error;
  } finally {
    await client.close();
  }
}
// --8<-- [end:usage]
