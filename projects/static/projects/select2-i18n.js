// select2's messages for the page's language, completed from our catalogue: Django's vendored
// Azerbaijani file has no "errorLoading", so a failed search said "The results could not be
// loaded." in English. Loaded with `defer` from admin/base_site.html: it runs after the form's
// scripts (select2 and its language file) and before Django builds the boxes (on DOM ready).
(function () {
  "use strict";
  var script = document.currentScript;
  var amd = window.django && django.jQuery && django.jQuery.fn.select2 && django.jQuery.fn.select2.amd;
  if (!amd || !script) return;
  var language = document.documentElement.lang;
  var messages;
  try {
    messages = amd.require("select2/i18n/" + language);
  } catch (notLoaded) {
    return;
  }
  if (!messages.errorLoading) {
    var text = script.dataset.errorLoading;
    messages.errorLoading = function () { return text; };
  }
})();
