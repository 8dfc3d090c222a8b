// The error a client or worker gives when the Temporal server it was pointed at does not answer.
import * as net from 'node:net';

/** How long `orc run`, `orc worker` and the API wait for a server that accepts the connection but does not answer (a refused or unresolvable address fails at once): under the 10 s a user should wait, with room for a loaded machine. */
export const TEMPORAL_CONNECT_TIMEOUT_MS = 9000;

export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    /** Where the address came from, for the hint: `TEMPORAL_ADDRESS`, or the option that set it. */
    readonly source: string,
    cause: unknown,
  ) {
    super(
      `cannot reach the Temporal server at ${address} (${source}): ${reasonOf(cause)}. ` +
        'Check that a Temporal server is running there (`orc server`, or `temporal server start-dev`) and that host and port are right; ' +
        'unset TEMPORAL_ADDRESS to let orc start its own embedded server.',
      { cause },
    );
  }
}

/** The SDKs' messages, shortened to what a user can act on. */
function reasonOf(cause: unknown): string {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (/refused/i.test(message)) return 'connection refused';
  if (/dns error|ENOTFOUND|EAI_AGAIN|Name or service not known|failed to lookup/i.test(message)) return 'the host name does not resolve';
  if (/deadline|timed? ?out/i.test(message)) return `no answer within ${TEMPORAL_CONNECT_TIMEOUT_MS / 1000} s`;
  return message.split('\n')[0] ?? message;
}

/**
 * Fails at once when nothing listens at `address` (refused, or a host that does not resolve): the gRPC client would
 * only say so after its whole connect timeout. A port that accepts is left for the real connection to judge.
 */
export async function checkReachable(address: string, source: string): Promise<void> {
  const separator = address.lastIndexOf(':');
  const host = separator === -1 ? address : address.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = separator === -1 ? 7233 : Number(address.slice(separator + 1));
  if (!Number.isInteger(port)) return;
  const failure = await new Promise<Error | undefined>((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(TEMPORAL_CONNECT_TIMEOUT_MS, () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('error', (error) => resolve(error));
  });
  if (failure) throw new TemporalUnreachableError(address, source, failure);
}
