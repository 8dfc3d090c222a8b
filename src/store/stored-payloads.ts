// Keeps large Temporal payloads in the run store: the SDK's external storage (claim check) with the run store as driver.
import {
  ExternalStorage,
  StorageDriverClaim,
  type DataConverter,
  type Payload,
  type StorageDriver,
  type StorageDriverRetrieveContext,
  type StorageDriverStoreContext,
} from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { RunStore, ValueKey } from './run-store';

/** No payload at or above this size reaches history (spec section 12); the history holds a reference instead. */
export const STORED_PAYLOAD_THRESHOLD = 256 * 1024;

/** The driver's name, written into every reference payload: keep it stable (histories name it). */
export const RUN_STORE_DRIVER_NAME = 'orc-run-store';

/** The SDK writes references as this protobuf message, JSON-encoded. */
const REFERENCE_MESSAGE_TYPE = 'temporal.api.sdk.v1.ExternalStorageReference';

const PREVIEW_CHARACTERS = 200;

const PayloadProto = temporal.api.common.v1.Payload;

function metadataText(payload: Payload, key: string): string | undefined {
  const raw = payload.metadata?.[key];
  return raw ? Buffer.from(raw).toString('utf8') : undefined;
}

/** The first characters of a JSON or text payload, so the Web UI shows something readable beside the reference. */
function previewOf(payload: Payload): string {
  const encoding = metadataText(payload, 'encoding');
  if (!payload.data || (encoding !== 'json/plain' && encoding !== 'json/protobuf')) return `(${encoding ?? 'binary'})`;
  const head = Buffer.from(payload.data.subarray(0, PREVIEW_CHARACTERS * 4)).toString('utf8');
  return head.length > PREVIEW_CHARACTERS ? `${head.slice(0, PREVIEW_CHARACTERS)}…` : head;
}

/** A value the run store no longer holds (deleted by `orc gc`, or a worker on another store). */
export class StoredValueMissingError extends Error {
  override readonly name = 'StoredValueMissingError';
  constructor(key: ValueKey, location: string) {
    super(
      `the run store at ${location} has no value ${key}: it was deleted by \`orc gc\`, or this process uses another ` +
        'store than the one that wrote it (every worker and client of a cluster must share ORC_STORE_URL)',
    );
  }
}

/** Stores a payload whole (metadata and data, as protobuf bytes), so it comes back exactly as it was. */
export class RunStoreDriver implements StorageDriver {
  readonly name = RUN_STORE_DRIVER_NAME;
  readonly type = 'orc.run-store';

  constructor(readonly runStore: RunStore) {}

  async store(_context: StorageDriverStoreContext, payloads: Payload[]): Promise<StorageDriverClaim[]> {
    return Promise.all(
      payloads.map(async (payload) => {
        const bytes = PayloadProto.encode(payload).finish();
        const key = await this.runStore.putValue(bytes);
        return new StorageDriverClaim({ key, size: String(bytes.length), preview: previewOf(payload) });
      }),
    );
  }

  async retrieve(_context: StorageDriverRetrieveContext, claims: StorageDriverClaim[]): Promise<Payload[]> {
    return Promise.all(claims.map((claim) => this.retrieveKey(claimKey(claim.claimData))));
  }

  async retrieveKey(key: ValueKey): Promise<Payload> {
    const bytes = await this.runStore.getValue(key);
    if (bytes === null) throw new StoredValueMissingError(key, this.runStore.location);
    return PayloadProto.decode(bytes);
  }
}

function claimKey(claimData: Record<string, string>): ValueKey {
  const key = claimData.key;
  if (!key) throw new Error(`a reference payload of ${RUN_STORE_DRIVER_NAME} has no key`);
  return key;
}

/** The data converter of every worker and client: payloads over the threshold go to the run store. */
export function storedPayloadsDataConverter(store: RunStore): DataConverter {
  return {
    externalStorage: new ExternalStorage({ drivers: [new RunStoreDriver(store)], payloadSizeThreshold: STORED_PAYLOAD_THRESHOLD }),
  };
}

/** The run-store key a payload refers to, or null when the payload is not one of our references. */
export function storedValueKeyOf(payload: Payload): ValueKey | null {
  if (metadataText(payload, 'messageType') !== REFERENCE_MESSAGE_TYPE || !payload.data) return null;
  try {
    const reference = JSON.parse(Buffer.from(payload.data).toString('utf8')) as { driverName?: string; claimData?: Record<string, string> };
    if (reference.driverName !== RUN_STORE_DRIVER_NAME) return null;
    return reference.claimData?.key ?? null;
  } catch {
    return null;
  }
}

/** A payload as it was before it was stored: a reference is fetched from the store, any other payload returned as is. */
export async function resolveStoredPayload(payload: Payload, store: RunStore): Promise<Payload> {
  const key = storedValueKeyOf(payload);
  return key === null ? payload : new RunStoreDriver(store).retrieveKey(key);
}
