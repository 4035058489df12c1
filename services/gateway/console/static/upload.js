// Large files go straight to the object store: the gateway hands out a presigned PUT URL
// (POST /v1/media/uploads), the browser PUTs the bytes there with XMLHttpRequest (whose upload
// events drive the progress bar), then the gateway checks and registers them
// (POST /v1/media/{id}/complete). A failed or interrupted PUT is retried from the same presigned
// URL while it is valid; the gateway never carries the bytes.
import { api, ApiError } from "./api.js";

function put(url, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", url);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded, e.total); };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300)
      ? resolve()
      : reject(new ApiError(xhr.status, "store", `the store refused the upload (HTTP ${xhr.status})`));
    xhr.onerror = () => reject(new ApiError(0, "network", "the upload was interrupted"));
    xhr.onabort = () => reject(new ApiError(0, "aborted", "the upload was cancelled"));
    xhr.send(file);
  });
}

// Upload one File; onProgress(loaded, total); returns the medium's record (MediaOut).
export async function uploadFile(file, onProgress, { retries = 2 } = {}) {
  const ticket = await api("/v1/media/uploads", { method: "POST", body: { filename: file.name } });
  const deadline = Date.now() + ticket.expires_s * 1000;
  for (let attempt = 0; ; attempt++) {
    try {
      await put(ticket.upload_url, file, onProgress);
      break;
    } catch (e) {
      if (attempt >= retries || Date.now() > deadline || e.code === "aborted") throw e;
      await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
    }
  }
  return api(`/v1/media/${ticket.id}/complete`, { method: "POST", body: { filename: file.name } });
}
