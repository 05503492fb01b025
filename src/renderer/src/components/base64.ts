/** Bytes as base64 (the way binary files travel in a request payload). Pure. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  // in slices: String.fromCharCode takes its arguments on the stack
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}
