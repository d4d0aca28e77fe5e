/* Azerbaijani-aware folding for search, the same as projects/text.py `fold` (the server stores
 * each kəhriz's folded spellings; the phone folds what is typed and looks for every word).
 * Imports nothing: Node's test runner can load it. */
const TO_ASCII = { "ə": "e", "ı": "i", "ğ": "g", "ş": "s", "ç": "c", "ö": "o", "ü": "u" };
const SPACES = /[\s\-_.,;:/'"`’()]+/g;

export function fold(value) {
  if (!value) return "";
  const lowered = String(value).replace(/I/g, "ı").replace(/İ/g, "i").normalize("NFC").toLowerCase();
  const ascii = lowered.replace(/[əığşçöü]/g, (ch) => TO_ASCII[ch]);
  return ascii.normalize("NFKD").replace(/\p{M}/gu, "").replace(SPACES, " ").trim();
}

/* True when every word of the (unfolded) query is in the stored search keys. */
export function matches(query, keys) {
  const words = fold(query).split(" ").filter(Boolean);
  return words.every((word) => keys.indexOf(word) !== -1);
}
