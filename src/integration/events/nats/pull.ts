import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { UnavailableError } from '../../errors/internal.js';

/** Status codes that end a no-wait pull with what was there: no messages, request done, max ack pending reached. */
const END_OF_BATCH = new Set([404, 408, 409]);

/**
 * Asks a durable pull consumer for up to `batch` messages that are waiting, without waiting for
 * more (`no_wait`): resolves the messages handed (the server's redeliveries first), `[]` when none
 * are waiting. The client library's fetch waits at least a second for a full batch; a stream's
 * fetch must never wait for events to come, so this speaks the pull request itself.
 */
export function pullWaiting(
  nc: NatsConnection,
  stream: string,
  consumer: string,
  batch: number,
  timeoutMs: number,
): Promise<Msg[]> {
  const inbox = createInbox();
  const handed: Msg[] = [];
  return new Promise<Msg[]>((resolve, reject) => {
    const finish = (error?: Error): void => {
      clearTimeout(timer);
      subscription.unsubscribe();
      if (error === undefined) resolve(handed);
      else reject(error);
    };
    const timer = setTimeout(
      () =>
        finish(new UnavailableError(`NATS did not answer a pull of consumer "${consumer}" within ${timeoutMs} ms.`)),
      timeoutMs,
    );
    const subscription = nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (error !== null)
          return finish(new UnavailableError(`Pulling consumer "${consumer}" failed.`, { cause: error }));
        const code = msg.headers?.code ?? 0;
        if (code === 0) {
          handed.push(msg);
          if (handed.length >= batch) finish();
        } else if (END_OF_BATCH.has(code) && !/deleted/i.test(msg.headers?.description ?? '')) finish();
        else
          finish(new UnavailableError(`Pulling consumer "${consumer}" failed: ${code} ${msg.headers?.description}.`));
      },
    });
    nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`, JSON.stringify({ batch, no_wait: true }), {
      reply: inbox,
    });
  });
}
