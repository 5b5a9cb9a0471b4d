// Typed core-NATS subscription, the reading side of publishCore (progress messages): nothing is
// stored or acknowledged, so a message that cannot be decoded is logged and dropped.
import { type DescMessage, fromBinary, type MessageShape } from '@bufbuild/protobuf';
import { context } from '@opentelemetry/api';
import type { Msg, NatsConnection, Subscription } from 'nats';
import type { Topic } from '@assay/proto';
import { type BusLogger, silentLogger } from './logger.ts';
import { extractTraceContext } from './trace-headers.ts';

export function subscribeCore<S extends DescMessage>(
  nc: NatsConnection,
  topic: Topic<S>,
  handler: (message: MessageShape<S>, msg: Msg) => void | Promise<void>,
  opts: { logger?: BusLogger; queue?: string } = {},
): Subscription {
  const logger = opts.logger ?? silentLogger;
  return nc.subscribe(topic.subject, {
    ...(opts.queue !== undefined ? { queue: opts.queue } : {}),
    callback: (err, msg) => {
      if (err) {
        logger.error({ subject: topic.subject, err }, 'subscription failed');
        return;
      }
      let decoded: MessageShape<S>;
      try {
        decoded = fromBinary(topic.schema, msg.data);
      } catch (e) {
        logger.warn({ subject: msg.subject, err: e }, `dropping a message that is not a ${topic.schema.typeName}`);
        return;
      }
      void context.with(extractTraceContext(msg.headers), async () => {
        try {
          await handler(decoded, msg);
        } catch (e) {
          logger.error({ subject: msg.subject, err: e }, 'subscription handler failed');
        }
      });
    },
  });
}
