/* Azerbaijani-aware folding for search, the same as projects/text.py `fold` (the server stores
 * each kəhriz's folded spellings; the phone folds what is typed and looks for every word). */
(function () {
  "use strict";
  var TO_ASCII = { "ə": "e", "ı": "i", "ğ": "g", "ş": "s", "ç": "c", "ö": "o", "ü": "u" };
  var SPACES = /[\s\-_.,;:/'"`’()]+/g;

  function fold(value) {
    if (!value) return "";
    var lowered = String(value).replace(/I/g, "ı").replace(/İ/g, "i").normalize("NFC").toLowerCase();
    var ascii = lowered.replace(/[əığşçöü]/g, function (ch) { return TO_ASCII[ch]; });
    return ascii.normalize("NFKD").replace(/\p{M}/gu, "").replace(SPACES, " ").trim();
  }

  /* True when every word of the (unfolded) query is in the stored search keys. */
  function matches(query, keys) {
    var words = fold(query).split(" ").filter(Boolean);
    for (var i = 0; i < words.length; i++) {
      if (keys.indexOf(words[i]) === -1) return false;
    }
    return true;
  }

  window.kehrizFold = { fold: fold, matches: matches };
})();
