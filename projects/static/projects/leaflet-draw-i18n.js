// Leaflet.draw's tooltips and buttons in the page's language, in the admin's map widgets too.
// django-leaflet's own leaflet.draw.i18n.js applies them only where {% leaflet_js plugins="forms" %}
// ran, which the admin's widgets do not; the strings come from templates/leaflet/leaflet_draw_i18n.html.
(function () {
  "use strict";
  if (!window.L || !L.drawLocal) return;
  var paths = {
    "draw-toolbar-actions-title": "draw.toolbar.actions.title",
    "draw-toolbar-actions-text": "draw.toolbar.actions.text",
    "draw-toolbar-finish-title": "draw.toolbar.finish.title",
    "draw-toolbar-finish-text": "draw.toolbar.finish.text",
    "draw-toolbar-undo-title": "draw.toolbar.undo.title",
    "draw-toolbar-undo-text": "draw.toolbar.undo.text",
    "draw-toolbar-buttons-polyline": "draw.toolbar.buttons.polyline",
    "draw-toolbar-buttons-polygon": "draw.toolbar.buttons.polygon",
    "draw-toolbar-buttons-rectangle": "draw.toolbar.buttons.rectangle",
    "draw-toolbar-buttons-circle": "draw.toolbar.buttons.circle",
    "draw-toolbar-buttons-marker": "draw.toolbar.buttons.marker",
    "draw-handlers-circle-tooltip-start": "draw.handlers.circle.tooltip.start",
    "draw-handlers-marker-tooltip-start": "draw.handlers.marker.tooltip.start",
    "draw-handlers-polygon-tooltip-start": "draw.handlers.polygon.tooltip.start",
    "draw-handlers-polygon-tooltip-cont": "draw.handlers.polygon.tooltip.cont",
    "draw-handlers-polygon-tooltip-end": "draw.handlers.polygon.tooltip.end",
    "draw-handlers-polyline-error": "draw.handlers.polyline.error",
    "draw-handlers-polyline-tooltip-start": "draw.handlers.polyline.tooltip.start",
    "draw-handlers-polyline-tooltip-cont": "draw.handlers.polyline.tooltip.cont",
    "draw-handlers-polyline-tooltip-end": "draw.handlers.polyline.tooltip.end",
    "draw-handlers-rectangle-tooltip-start": "draw.handlers.rectangle.tooltip.start",
    "draw-handlers-simpleshape-tooltip-end": "draw.handlers.simpleshape.tooltip.end",
    "edit-toolbar-actions-save-title": "edit.toolbar.actions.save.title",
    "edit-toolbar-actions-save-text": "edit.toolbar.actions.save.text",
    "edit-toolbar-actions-cancel-title": "edit.toolbar.actions.cancel.title",
    "edit-toolbar-actions-cancel-text": "edit.toolbar.actions.cancel.text",
    "edit-toolbar-actions-clearAll-title": "edit.toolbar.actions.clearAll.title",
    "edit-toolbar-actions-clearAll-text": "edit.toolbar.actions.clearAll.text",
    "edit-toolbar-buttons-edit": "edit.toolbar.buttons.edit",
    "edit-toolbar-buttons-editDisabled": "edit.toolbar.buttons.editDisabled",
    "edit-toolbar-buttons-remove": "edit.toolbar.buttons.remove",
    "edit-toolbar-buttons-removeDisabled": "edit.toolbar.buttons.removeDisabled",
    "edit-handlers-edit-tooltip-text": "edit.handlers.edit.tooltip.text",
    "edit-handlers-edit-tooltip-subtext": "edit.handlers.edit.tooltip.subtext",
    "edit-handlers-remove-tooltip-text": "edit.handlers.remove.tooltip.text"
  };
  Object.keys(paths).forEach(function (id) {
    var source = document.getElementById(id);
    if (!source) return;
    var keys = paths[id].split(".");
    var last = keys.pop();
    var target = keys.reduce(function (node, key) { return node && node[key]; }, L.drawLocal);
    if (target) target[last] = JSON.parse(source.textContent);
  });
})();
