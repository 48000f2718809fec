import '../../src/polyfill.js';
import { strict as assert } from 'node:assert';
import { BayledgerError } from '../../src/core/errors.js';
import {
  createLogger,
  createMemoryLogger,
  isSensitiveFieldName,
  REDACTED,
} from '../../src/node/log/index.js';

describe('structured JSON logger', () => {
  it('writes one JSON object per line with time, level, msg and fields', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', sink: (line) => lines.push(line), now: () => 0 });
    logger.info('block committed', { height: 7, hash: new Uint8Array([0xab, 0xcd]) });
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0]!), {
      time: '1970-01-01T00:00:00.000Z',
      level: 'info',
      msg: 'block committed',
      height: 7,
      hash: 'abcd',
    });
  });

  it('drops lines below the threshold', () => {
    const { logger, lines } = createMemoryLogger('warn');
    logger.debug('a');
    logger.info('b');
    logger.warn('c');
    logger.error('d');
    assert.deepEqual(
      lines.map((line) => line.msg),
      ['c', 'd'],
    );
    assert.equal(logger.isEnabled('info'), false);
  });

  it('child loggers bind fields, and call fields win over bound ones', () => {
    const { logger, lines } = createMemoryLogger();
    const child = logger.child({ org: 'sz-cac', component: 'net' }).child({ peer: 'qianhai' });
    child.info('connected', { component: 'net/reconnect' });
    assert.equal(lines[0]!.org, 'sz-cac');
    assert.equal(lines[0]!.peer, 'qianhai');
    assert.equal(lines[0]!.component, 'net/reconnect');
  });

  it('refuses to log fields named like keys, seeds, tokens and secrets, at any depth', () => {
    const { logger, lines } = createMemoryLogger();
    const secretSeed = 'aa'.repeat(32);
    logger.info('starting', {
      seed: secretSeed,
      apiToken: 'tok-123',
      config: { privateKey: 'pk', nested: [{ client_secret: 's' }], publicKey: 'pub' },
      nodeKey: 'public node key',
      Authorization: 'Bearer x',
      height: 1,
    });
    const line = lines[0]!;
    const text = JSON.stringify(line);
    for (const secret of [secretSeed, 'tok-123', '"pk"', '"s"', 'Bearer x'])
      assert.ok(!text.includes(secret), secret);
    assert.equal(line.seed, REDACTED);
    assert.equal(line.apiToken, REDACTED);
    assert.equal(line.Authorization, REDACTED);
    assert.equal((line.config as Record<string, unknown>).publicKey, 'pub');
    assert.equal(line.nodeKey, 'public node key');
    assert.equal(line.height, 1);
    assert.deepEqual(line.redacted, [
      'seed',
      'apiToken',
      'config.privateKey',
      'config.nested[0].client_secret',
      'Authorization',
    ]);
  });

  it('logs null and other plain values as they are, down to the depth bound, and no deeper', () => {
    const { logger, lines } = createMemoryLogger();
    logger.info('x', {
      absent: null,
      flag: false,
      deep: { a: { b: { c: { d: { e: { f: { leaf: 1, g: { h: 1 } } } } } } } },
    });
    const line = lines[0]!;
    assert.equal(line.absent, null);
    assert.equal(line.flag, false);
    let level = line.deep as Record<string, unknown>;
    for (const key of ['a', 'b', 'c', 'd', 'e', 'f']) level = level[key] as Record<string, unknown>;
    assert.deepEqual(level, { leaf: 1, g: '[too deep]' });
  });

  it('checks what JSON would write: class instances, toJSON results, Buffers as bounded hex', () => {
    const { logger, lines } = createMemoryLogger();
    class Holder {
      constructor(
        readonly secretKey: string,
        readonly height: number,
      ) {}
    }
    const throwing = {
      toJSON: () => {
        throw new Error('no');
      },
    };
    logger.info('x', {
      holder: new Holder('s3cr3t', 4),
      wrapped: { toJSON: () => ({ apiToken: 't0k3n', peer: 'qianhai' }) },
      when: new Date(0),
      buffer: Buffer.from([1, 2, 3]),
      bigBuffer: Buffer.alloc(1_000, 0xab),
      nested: [[[[[[[[[1]]]]]]]]],
      throwing,
      selfReferring: {
        toJSON: function (this: unknown) {
          return this;
        },
      },
    });
    const line = lines[0]!;
    assert.ok(!JSON.stringify(line).includes('s3cr3t'));
    assert.ok(!JSON.stringify(line).includes('t0k3n'));
    assert.deepEqual(line.holder, { secretKey: REDACTED, height: 4 });
    assert.deepEqual(line.wrapped, { apiToken: REDACTED, peer: 'qianhai' });
    assert.deepEqual(line.redacted, ['holder.secretKey', 'wrapped.apiToken']);
    assert.equal(line.when, '1970-01-01T00:00:00.000Z');
    assert.equal(line.buffer, '010203');
    assert.match(line.bigBuffer as string, /^(ab)+\.\.\. \(1000 bytes\)$/);
    assert.equal(JSON.stringify(line.nested), '[[[[[[["[too deep]"]]]]]]]');
    assert.equal(line.throwing, '[not serialisable]');
    assert.equal(
      line.selfReferring,
      '[too deep]',
      'a toJSON that returns its object is followed a bounded number of times',
    );
  });

  it('cuts byte strings past 64 bytes and strings past 2,048 characters, and writes bigints', () => {
    const { logger, lines } = createMemoryLogger();
    logger.info('bounds', {
      bytes64: new Uint8Array(64).fill(0x01),
      bytes65: new Uint8Array(65).fill(0x02),
      text2048: 'a'.repeat(2048),
      text2049: 'b'.repeat(2049),
      count: 2n ** 70n,
    });
    const line = lines[0]!;
    assert.equal(line.bytes64, '01'.repeat(64));
    assert.equal(line.bytes65, `${'02'.repeat(64)}... (65 bytes)`);
    assert.equal(line.text2048, 'a'.repeat(2048));
    assert.equal(line.text2049, `${'b'.repeat(2048)}... (2049 characters)`);
    assert.equal(line.count, '1180591620717411303424');
  });

  it('redacts secrets bound on a child logger too', () => {
    const { logger, lines } = createMemoryLogger();
    logger.child({ secretKey: 'nope' }).info('x');
    assert.equal(lines[0]!.secretKey, REDACTED);
  });

  it('classifies field names', () => {
    for (const name of [
      'seed',
      'nodeSeed',
      'token',
      'bearer',
      'secret',
      'signingKey',
      'private_key',
      'key',
      'mnemonic',
    ]) {
      assert.equal(isSensitiveFieldName(name), true, name);
    }
    for (const name of ['publicKey', 'nodeKey', 'encryptionKey', 'height', 'peer', 'org', 'code']) {
      assert.equal(isSensitiveFieldName(name), false, name);
    }
  });

  it('describes errors by code and message, with a stack only for bugs', () => {
    const { logger, lines } = createMemoryLogger();
    logger.warn('peer dropped', { error: new BayledgerError('CBOR_MALFORMED', 'bad', 'frame') });
    logger.error('bug', { error: new TypeError('undefined is not a function') });
    assert.deepEqual(lines[0]!.error, {
      name: 'BayledgerError',
      code: 'CBOR_MALFORMED',
      message: 'frame: bad',
    });
    assert.ok(typeof (lines[1]!.error as Record<string, unknown>).stack === 'string');
  });

  it('survives fields that cannot be serialised and keeps reserved names apart', () => {
    const { logger, lines } = createMemoryLogger();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    logger.info('odd', { circular: [circular], level: 'spoofed' });
    assert.equal(lines[0]!.level, 'info');
    logger.info('reserved', { msg: 'spoofed', time: 1 });
    assert.equal(lines[1]!.msg, 'reserved');
    assert.equal(lines[1]!.field_msg, 'spoofed');
  });
});
