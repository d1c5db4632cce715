/**
 * The one file that reaches below kafkajs's public API, for two reasons:
 * - Round trips. The admin client sends a metadata refresh per new topic, two ListOffsets per topic
 *   (`fetchTopicOffsets`) and a FindCoordinator per group (`fetchOffsets`); its consumer cannot be assigned
 *   partitions without joining a group. kafkajs's `Cluster`/`Broker` can send one request per leader.
 * - Partial answers. kafkajs turns the first error code anywhere in an answer into an exception: one
 *   offline partition anywhere in the cluster fails every Metadata request, one deleted topic fails a
 *   whole ListOffsets. We send the same requests but read the decoded answer ourselves, error codes per
 *   topic and partition, so one bad partition costs only its own series.
 * kafkajs 2.2.4 is its last release (the project is unmaintained), so these internals do not move; the
 * integration tests exercise every call below against a real broker.
 */
import { createRequire } from 'node:module';
import type { Kafka, KafkaConfig } from 'kafkajs';

export const READ_UNCOMMITTED = 0;
export const EARLIEST = '-2';
export const LATEST = '-1';

export const ERROR = {
  OFFSET_OUT_OF_RANGE: 1,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  TOPIC_AUTHORIZATION_FAILED: 29,
} as const;

/** DescribeConfigs resource type of a topic. */
export const TOPIC_RESOURCE = 2;

export interface DecodedMetadata {
  readonly brokers: readonly { nodeId: number; host: string; port: number }[];
  readonly topicMetadata: readonly {
    readonly topicErrorCode: number;
    readonly topic: string;
    readonly partitionMetadata: readonly {
      partitionErrorCode: number;
      partitionId: number;
      leader: number;
    }[];
  }[];
}

export interface DecodedListOffsets {
  readonly responses: readonly {
    readonly topic: string;
    /** `offsets` in v0, `offset` from v1. */
    readonly partitions: readonly {
      partition: number;
      errorCode: number;
      offset?: string;
      offsets?: readonly string[];
    }[];
  }[];
}

export interface DecodedOffsetFetch {
  /** Group-level error, from v2. */
  readonly errorCode?: number;
  readonly responses: readonly {
    readonly topic: string;
    readonly partitions: readonly {
      partition: number;
      offset: string;
      metadata?: string | null;
      errorCode: number;
    }[];
  }[];
}

export interface DecodedDescribeConfigs {
  readonly resources: readonly {
    readonly errorCode: number;
    readonly resourceName: string;
    readonly configEntries: readonly { configName: string; configValue: string | null }[];
  }[];
}

/** A record as kafkajs's RecordBatch decoder returns it. Header values are null, a buffer, or repeats. */
export interface WireRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, Buffer | null | readonly (Buffer | null)[]>>;
  readonly isControlRecord?: boolean;
}

export interface DecodedFetch {
  readonly errorCode?: number;
  readonly responses: readonly {
    readonly topicName: string;
    readonly partitions: readonly {
      partition: number;
      errorCode: number;
      highWatermark: string;
      messages: readonly WireRecord[];
    }[];
  }[];
}

export interface WireBroker {
  findGroupCoordinator(req: {
    groupId: string;
    coordinatorType: number;
  }): Promise<{ coordinator: { nodeId: number } }>;
  /** Throws on the first error code in the answer (one group, so any error is the group's). */
  offsetCommit(req: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    retentionTime?: number;
    topics: { topic: string; partitions: { partition: number; offset: string; metadata: string | null }[] }[];
  }): Promise<unknown>;
}

export interface WireCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  isConnected(): boolean;
  readonly brokerPool: {
    readonly brokers: Readonly<Record<string, WireBroker>>;
    findConnectedBroker(): Promise<WireBroker>;
    /** Full kafkajs metadata refresh (fails on any error code): only to learn the broker list. */
    refreshMetadata(topics: string[]): Promise<void>;
  };
  findBroker(req: { nodeId: number | string }): Promise<WireBroker>;
}

interface ProtocolRequest {
  readonly request: { readonly apiKey: number };
  readonly response: { decode(raw: Buffer): Promise<unknown>; parse(decoded: unknown): Promise<unknown> };
}

interface BrokerInternals {
  lookupRequest(apiKey: number, definitions: unknown): (args: Record<string, unknown>) => ProtocolRequest;
  connectionPool: { send(r: ProtocolRequest): Promise<unknown> };
  disconnect(): Promise<void>;
}

interface InstrumentationEmitter {
  addListener(
    event: string,
    listener: (e: { payload: { apiName: string; broker: string } }) => void,
  ): () => void;
}

const require = createRequire(import.meta.url);
const Cluster = require('kafkajs/src/cluster/index.js') as new (opts: Record<string, unknown>) => WireCluster;
const Emitter = require('kafkajs/src/instrumentation/emitter.js') as new () => InstrumentationEmitter;
const defaultSocketFactory = require('kafkajs/src/network/socketFactory.js') as () => unknown;
const apiKeys = require('kafkajs/src/protocol/requests/apiKeys.js') as Record<string, number>;
const { requests } = require('kafkajs/src/protocol/requests/index.js') as {
  requests: Record<string, unknown>;
};
const { errorCodes } = require('kafkajs/src/protocol/error.js') as {
  errorCodes: readonly { type: string; code: number }[];
};
const NETWORK_REQUEST = 'network.request';

/** Kafka's name of an error code, e.g. 3 → UNKNOWN_TOPIC_OR_PARTITION. */
export function errorName(code: number): string {
  return errorCodes.find((e) => e.code === code)?.type ?? `error code ${code}`;
}

export type UnparsedApi = 'Metadata' | 'ListOffsets' | 'OffsetFetch' | 'Fetch' | 'DescribeConfigs';

/**
 * Sends one request the way `broker.<api>()` does (same version negotiation, same connection) but returns
 * the decoded answer without kafkajs's `parse`, which throws on the first error code it meets.
 */
export async function sendUnparsed<T>(
  broker: WireBroker,
  api: UnparsedApi,
  args: Record<string, unknown>,
): Promise<T> {
  const b = broker as unknown as BrokerInternals;
  const key = apiKeys[api];
  if (key === undefined) throw new Error(`kafkajs has no API key for ${api}`);
  const pr = b.lookupRequest(key, requests[api])(args);
  try {
    return (await b.connectionPool.send({
      ...pr,
      response: { decode: (raw) => pr.response.decode(raw), parse: async (d) => d },
    })) as T;
  } catch (e) {
    // As kafkajs's own Broker does: a closed connection is dropped so the next call reconnects.
    if ((e as { name?: string }).name === 'KafkaJSConnectionClosedError') await b.disconnect();
    throw e;
  }
}

export interface WireClusterOptions {
  readonly config: KafkaConfig;
  /** Called once per request sent on the wire (ApiVersions and SASL included). */
  readonly onRequest?: (apiName: string) => void;
}

/**
 * A kafkajs Cluster wired like `kafka.admin()` wires its own (same logger, retry, socket settings), with
 * auto topic creation off and an instrumentation emitter that lets us count round trips.
 */
export function createWireCluster(kafka: Kafka, opts: WireClusterOptions): WireCluster {
  const emitter = new Emitter();
  if (opts.onRequest) {
    const onRequest = opts.onRequest;
    emitter.addListener(NETWORK_REQUEST, (e) => onRequest(e.payload.apiName));
  }
  const c = opts.config;
  return new Cluster({
    logger: kafka.logger(),
    retry: c.retry,
    socketFactory: defaultSocketFactory(),
    brokers: c.brokers,
    ssl: c.ssl,
    sasl: c.sasl,
    clientId: c.clientId,
    connectionTimeout: c.connectionTimeout,
    authenticationTimeout: c.authenticationTimeout,
    requestTimeout: c.requestTimeout,
    enforceRequestTimeout: c.enforceRequestTimeout,
    metadataMaxAge: 300_000,
    allowAutoTopicCreation: false,
    instrumentationEmitter: emitter,
    isolationLevel: READ_UNCOMMITTED,
  });
}
