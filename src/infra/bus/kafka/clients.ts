/** Closes without waiting for in-flight requests; errors are ignored (the client is being thrown away). */
export function forceClose(client: { close(force: boolean, callback: (err?: Error | null) => void): void }): Promise<void> {
  return new Promise((resolve) => client.close(true, () => resolve()));
}
