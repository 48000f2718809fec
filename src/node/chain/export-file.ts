// Chain export (issue 3 item 6): a CBOR sequence (RFC 8742) that anyone can verify with only the
// genesis file. The first item is a header naming the network and the number of blocks; then
// one item per block, in height order, each the block (header and transaction envelopes) with its
// commit certificate:
//   { format: 'bayledger/chain-export', version: 1, chainId, genesisHash, height }
//   { block: { header, txs: [envelope bytes] }, certificate: { height, round, blockHash, signatures } }
// Every item is canonical CBOR (RFC 8949 section 4.2.1). The file is written beside its target
// and renamed into place when complete, so a reader never sees half an export.
import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { toHex } from '../../core/bytes.js';
import { encodeCanonical } from '../../core/codec/canonical.js';
import { bytes, identifier, literal, object, type Schema, uint } from '../../core/codec/schema.js';
import { HASH_BYTES } from '../../core/crypto/hash.js';
import { fail } from '../../core/errors.js';
import { blockFromCbor, blockToCbor } from '../../core/ledger/block-codec.js';
import { certificateFromCbor, certificateToCbor } from '../../core/ledger/certificate-codec.js';
import type { ChainParams } from '../../core/ledger/chain-params.js';
import { LIMITS } from '../../core/limits.js';
import { fileRole, fileWriteError, fileWriteRefusal } from '../file-read-error.js';
import type { CommittedBlock, CommittedBlockSource } from './block-source.js';
import { readCborSequence } from './cbor-sequence.js';

export const CHAIN_EXPORT_FORMAT = 'bayledger/chain-export';
export const CHAIN_EXPORT_VERSION = 1;

export interface ChainExportHeader {
  readonly chainId: string;
  readonly genesisHash: Uint8Array;
  /** Number of block items that follow. */
  readonly height: number;
}

const EXPORT_HEADER_SCHEMA = object({
  format: literal(CHAIN_EXPORT_FORMAT),
  version: uint(CHAIN_EXPORT_VERSION, CHAIN_EXPORT_VERSION),
  chainId: identifier(LIMITS.maxIdentifierChars),
  genesisHash: bytes(HASH_BYTES),
  height: uint(),
});

/** Checked field by field below (blockFromCbor, certificateFromCbor), which name the item. */
const anyValue: Schema<unknown> = { description: 'any value', parse: (value) => value };
const ITEM_SCHEMA = object({ block: anyValue, certificate: anyValue });

/** Largest block item: an encoded block plus its certificate. */
const MAX_ITEM_BYTES = LIMITS.maxEncodedBlockBytes + LIMITS.maxCertificateBytes;

export async function writeChainExport(
  source: CommittedBlockSource,
  params: ChainParams,
  outPath: string,
  onBlock?: (height: number) => void,
): Promise<{ height: number; bytes: number }> {
  const partialPath = `${outPath}.partial`;
  const role = fileRole('chain export', '--out');
  // The export is renamed into place at the end: a directory there would fail only then, after
  // every block was read and written (and the rename's raw EISDIR left the whole .partial behind).
  if ((await stat(outPath).catch(() => undefined))?.isDirectory()) {
    throw fileWriteRefusal('EISDIR', outPath, role);
  }
  let file: FileHandle;
  try {
    file = await open(partialPath, 'w', 0o644);
  } catch (error) {
    throw fileWriteError(error, outPath, role) ?? error;
  }
  let written = 0;
  try {
    const write = async (item: unknown) => {
      const encoded = encodeCanonical(item);
      await file.write(encoded);
      written += encoded.byteLength;
    };
    await write({
      format: CHAIN_EXPORT_FORMAT,
      version: CHAIN_EXPORT_VERSION,
      chainId: params.chainId,
      genesisHash: params.genesisHash,
      height: source.height,
    });
    for await (const { block, certificate } of source.blocks()) {
      await write({ block: blockToCbor(block), certificate: certificateToCbor(certificate) });
      onBlock?.(block.header.height);
    }
    await file.sync();
    await file.close();
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(partialPath, { force: true });
    throw fileWriteError(error, outPath, role) ?? error;
  }
  try {
    await rename(partialPath, outPath);
  } catch (error) {
    // Something took the name meanwhile (a directory made since the check): nothing is left.
    await rm(partialPath, { force: true });
    throw fileWriteError(error, outPath, role) ?? error;
  }
  return { height: source.height, bytes: written };
}

/** Opens an export: reads and checks its header item; the blocks are streamed on demand. */
export interface OpenedChainExport {
  readonly header: ChainExportHeader;
  readonly source: CommittedBlockSource;
  /** Closes the file; needed only when the blocks are not read to the end. */
  close(): Promise<void>;
}

export async function openChainExport(path: string): Promise<OpenedChainExport> {
  const items = readCborSequence(path, MAX_ITEM_BYTES, undefined, 'chain export');
  const first = await items.next();
  if (first.done) fail('CBOR_MALFORMED', 'empty file, expected a chain export header', path);
  let parsed: ReturnType<typeof EXPORT_HEADER_SCHEMA.parse>;
  try {
    parsed = EXPORT_HEADER_SCHEMA.parse(first.value, 'export');
  } catch (error) {
    await items.return(undefined);
    throw error;
  }
  const header: ChainExportHeader = {
    chainId: parsed.chainId,
    genesisHash: parsed.genesisHash,
    height: parsed.height,
  };
  async function* blocks(): AsyncGenerator<CommittedBlock> {
    let count = 0;
    for await (const value of items) {
      count++;
      if (count > header.height)
        fail('SCHEMA_INVALID', `more than the ${header.height} blocks the header announces`, path);
      const item = ITEM_SCHEMA.parse(value, `block item ${count}`);
      yield {
        block: blockFromCbor(item.block, `block item ${count}`),
        certificate: certificateFromCbor(item.certificate, `block item ${count}.certificate`),
      };
    }
    if (count < header.height)
      fail('SCHEMA_INVALID', `${count} blocks, the header announces ${header.height}`, path);
  }
  return {
    header,
    source: { height: header.height, blocks },
    close: async () => {
      await items.return(undefined);
    },
  };
}

/** For messages: the export's network as hex. */
export function describeExportHeader(header: ChainExportHeader): string {
  return `chain ${header.chainId}, genesis ${toHex(header.genesisHash)}, ${header.height} blocks`;
}
