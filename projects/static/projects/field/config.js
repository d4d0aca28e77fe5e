/* The page's settings and messages (projects/views/field.py `app`), read once. */
export const cfg = JSON.parse(document.getElementById("field-config").textContent);
export const L = cfg.labels;
