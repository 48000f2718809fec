// The part of sodium-native (https://github.com/holepunchto/sodium-native) bayledger uses; the
// package ships no type declarations. Arguments may be any Uint8Array view.
declare module 'sodium-native' {
  /** libsodium crypto_sign_verify_detached: true when `signature` is valid for `message` under `publicKey`. */
  export function crypto_sign_verify_detached(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): boolean;
  const sodium: { crypto_sign_verify_detached: typeof crypto_sign_verify_detached };
  export default sodium;
}
