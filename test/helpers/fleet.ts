import { request } from 'node:http';
import type { KpihubProcess } from './processes.ts';

// Several `kpihub serve` processes behind a round-robin "load balancer" of the test's own,
// for test/multi-process.test.ts. A process the test killed leaves the rotation; a request
// it was answering gets no answer (`undefined`), which the caller may send again elsewhere.

export interface Api {
  readonly name: string;
  readonly url: string;
  readonly proc: KpihubProcess;
  /** Set just before the test kills it, so a failed request is known to be the kill's doing. */
  killed: boolean;
}

export interface Answer {
  status: number;
  text: string;
  headers: Record<string, string>;
  via: string;
}

export interface Sent {
  answer: Answer;
  /** Attempts that got no answer because their process was killed under them. */
  unanswered: number;
}

export class Fleet {
  /** Requests that failed on a process the test did not kill: each is a failure of the test. */
  readonly unexpected: string[] = [];

  constructor(
    readonly apis: Api[],
    private readonly key: string,
  ) {}

  live(): Api[] {
    return this.apis.filter((a) => !a.killed);
  }

  /** The process for a metric's n-th write: consecutive writes of one metric go to different ones. */
  at(n: number): Api {
    const live = this.live();
    return live[n % live.length];
  }

  /** One request to one process; undefined when it got no answer (its process was killed). */
  async send(
    api: Api,
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<Answer | undefined> {
    try {
      const res = await fetch(`${api.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.key}`, ...headers },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      const text = await res.text();
      return { status: res.status, text, headers: Object.fromEntries(res.headers), via: api.name };
    } catch (e) {
      if (!api.killed) this.unexpected.push(`${method} ${path} on ${api.name}: ${String(e)}`);
      return undefined;
    }
  }

  /**
   * Sends to the n-th process and, while no answer comes, the same request to the next live
   * one. Only safe for requests whose repetition is harmless (the caller's business).
   */
  async sendUntilAnswered(
    n: number,
    method: string,
    path: string,
    body?: string,
    headers: Record<string, string> = {},
  ): Promise<Sent> {
    let unanswered = 0;
    for (let attempt = 0; attempt < 10; attempt++) {
      const answer = await this.send(this.at(n + attempt), method, path, body, headers);
      if (answer) return { answer, unanswered };
      unanswered++;
    }
    throw new Error(`${method} ${path}: no answer from any process`);
  }
}

/**
 * A request sent with node:http, so the caller knows when its body has left (`sent`): the
 * moment to kill the process that is now reading and handling it. `answer` is undefined
 * when the connection died first.
 */
export function sendInFlight(
  api: Api,
  key: string,
  path: string,
  body: string,
  headers: Record<string, string>,
): { sent: Promise<void>; answer: Promise<Answer | undefined> } {
  let sentDone: () => void = () => {};
  const sent = new Promise<void>((r) => {
    sentDone = r;
  });
  const answer = new Promise<Answer | undefined>((done) => {
    const req = request(`${api.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'content-length': Buffer.byteLength(body),
        ...headers,
      },
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => {
        text += String(d);
      });
      res.on('end', () =>
        done({
          status: res.statusCode ?? 0,
          text,
          headers: Object.fromEntries(
            Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]),
          ),
          via: api.name,
        }),
      );
      res.on('error', () => done(undefined));
    });
    req.on('error', () => {
      sentDone();
      done(undefined);
    });
    req.end(body, () => sentDone());
  });
  return { sent, answer };
}
