/* Photos: shrunk on the phone before they are kept (IndexedDB), shown with their captions in the
 * observation, and sent one by one after their visit (send.js decides when).
 *
 * `sendPhoto` is the one function that puts one photo on the server: swap it for another way of
 * sending (in chunks, say) and nothing else changes, as long as it resolves to the server's
 * answer ({status, body} with the photo's uuid and id once stored) and rejects when the
 * connection fails. */
import { cfg, L } from "./config.js";
import { store } from "./storage.js";
import { request } from "./net.js";
import { uploadPhoto } from "./upload.js";
import { $, showPhotoProgress, uuid4 } from "./screen.js";
import { editingState, saveDraft } from "./forms.js";

/* Send one photo of the observation `observationId` (the server's id). Idempotent on the
 * photo's uuid: sending it again never makes two. */
export function sendPhoto(photo, observationId) {
  // In chunks sized to the link, resumed where the server got to (upload.js).
  return uploadPhoto(photo, observationId, {
    request: request,
    urls: { start: cfg.urls.uploads },
    memory: uploadMemory,
    onProgress: (sent, total) => {
      showPhotoProgress(photo.uuid, sent, total);
      store.update("photos", photo.uuid, (p) => { p.sentBytes = sent; });
    },
  });
}

// The chunk size that suits the link, carried from one photo to the next.
const uploadMemory = {};

function readImage(file) {
  if (window.createImageBitmap) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).catch(() => imageElement(file));
  }
  return imageElement(file);
}

function imageElement(file) {
  return new Promise((resolve, reject) => {
    const url = URL.createObjectURL(file);
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => { URL.revokeObjectURL(url); reject(new Error("image")); };
    image.src = url;
  });
}

/* The photo as a JPEG whose long side is at most cfg.photoMaxSide pixels. */
export function shrink(file) {
  return readImage(file).then((image) => {
    const scale = Math.min(1, cfg.photoMaxSide / Math.max(image.width, image.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(image.width * scale);
    canvas.height = Math.round(image.height * scale);
    canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
    if (image.close) image.close();
    return new Promise((resolve, reject) => {
      canvas.toBlob((blob) => {
        if (blob) resolve({ blob: blob, width: canvas.width, height: canvas.height });
        else reject(new Error("toBlob"));
      }, "image/jpeg", 0.85);
    });
  });
}

/* The photos chosen in the observation's file input: shrunk, kept, and shown. */
export function addPhotos() {
  const input = $("photo-input");
  const files = Array.from(input.files || []);
  const { current, editing } = editingState();
  $("photo-error").textContent = "";
  let chain = Promise.resolve();
  files.forEach((file) => {
    chain = chain.then(() => shrink(file).then((shrunk) => {
      const photo = {
        uuid: uuid4(),
        visitUuid: current.uuid,
        kehriz: editing.observation.kehriz,
        blob: shrunk.blob,
        width: shrunk.width,
        height: shrunk.height,
        caption: "",
        takenAt: new Date(file.lastModified || Date.now()).toISOString(),
        state: "draft",
        createdAt: Date.now(),
      };
      return store.put("photos", photo).then(() => {
        editing.addedPhotos.push(photo.uuid);
        if (editingState().editing === editing) showPhoto(photo.uuid, "", shrunk.blob);
        return saveDraft(); // kept with the observation at once: a killed page brings it back
      });
    }, () => {
      $("photo-error").textContent = L.photoFailed;
    }));
  });
  chain.then(() => { input.value = ""; });
}

export function showPhoto(photoUuid, caption, blob) {
  const row = $("photo-template").content.firstElementChild.cloneNode(true);
  row.dataset.uuid = photoUuid;
  row.querySelector("[data-name=caption]").value = caption || "";
  const image = row.querySelector("img");
  const setImage = (b) => { if (b) image.src = URL.createObjectURL(b); };
  if (blob) setImage(blob);
  else store.get("photos", photoUuid).then((p) => { if (p) setImage(p.blob); });
  row.querySelector(".remove-row").addEventListener("click", () => {
    row.remove();
    editingState().editing.removedPhotos.push(photoUuid);
  });
  $("photos").appendChild(row);
}
