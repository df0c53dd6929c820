// The REST API, as the UI calls it: Kestra's routes under /api/v1/main, with the credentials the user gave
// (kept for the browser tab only).
const BASE = "/api/v1/main";
const KEY = "kite.credentials";

export class ApiError extends Error {
  constructor(status, body) {
    const details = (body && body._embedded && body._embedded.errors || []).map((e) => e.message);
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.details = details;
  }
}

let onUnauthorized = null;

export function whenUnauthorized(callback) {
  onUnauthorized = callback;
}

export function setCredentials(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

function headers(extra) {
  const all = { "X-Kite-UI": "1", ...extra };
  const credentials = sessionStorage.getItem(KEY);
  if (credentials) all.Authorization = credentials;
  return all;
}

export async function request(method, path, { body, json, query, raw } = {}) {
  const url = new URL(BASE + path, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(key, item);
  }
  const extra = {};
  let payload = body;
  if (json !== undefined) {
    extra["Content-Type"] = "application/json";
    payload = JSON.stringify(json);
  } else if (typeof body === "string") {
    extra["Content-Type"] = "application/x-yaml";
  }
  const response = await fetch(url, { method, headers: headers(extra), body: payload });
  if (response.status === 401 && onUnauthorized) {
    await onUnauthorized();
    return request(method, path, { body, json, query, raw });
  }
  if (raw) {
    if (!response.ok) throw new ApiError(response.status, null);
    return response;
  }
  const text = await response.text();
  const data = text ? parseJson(text) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export const api = {
  get: (path, query) => request("GET", path, { query }),
  post: (path, options) => request("POST", path, options),
  put: (path, options) => request("PUT", path, options),
  del: (path, options) => request("DELETE", path, options),
  fileUrl(executionId, uri) {
    const url = new URL(`${BASE}/executions/${encodeURIComponent(executionId)}/file`, location.origin);
    url.searchParams.set("path", uri);
    return url;
  },
};
