/**
 * Resolves on the next turn of the event loop (after pending I/O callbacks): long work awaits it between
 * steps so that requests arriving meanwhile are served in between.
 */
export const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
