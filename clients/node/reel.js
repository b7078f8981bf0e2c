// Reel's gRPC clients for Node.js: @grpc/proto-loader reads the contracts in
// proto/ at run time (nothing is generated or committed) and @grpc/grpc-js
// makes the calls.
//
//   const reel = require('./reel');
//   const catalog = reel.catalogClient('127.0.0.1:50051');
//   const { film } = await reel.unary(catalog, 'getFilm', { name: 'films/the-red-shoes' });
//
// Over mutual TLS, with a client certificate (docs/security.md):
//   const catalog = reel.catalogClient('127.0.0.1:50051', reel.tlsCredentials('tls/reel-writer'));
//
// Messages are plain objects with camelCase fields (start_utf16 ->
// startUtf16), enums as their names ('EVENT_TYPE_CREATED'), int64 fields
// (revisions, counts) as Numbers, and unset fields with their defaults
// (unset message fields are null).
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = path.resolve(__dirname, '..', '..', 'proto');
const DEFAULT_TIMEOUT_MS = 10_000;

const definition = protoLoader.loadSync(
  ['reel/catalog/v1/catalog.proto', 'reel/search/v1/search.proto'],
  {
    includeDirs: [PROTO_DIR],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  },
);
const proto = grpc.loadPackageDefinition(definition);
const { CatalogService } = proto.reel.catalog.v1;
const { SearchService } = proto.reel.search.v1;

function catalogClient(address, credentials = grpc.credentials.createInsecure()) {
  return new CatalogService(address, credentials);
}

function searchClient(address, credentials = grpc.credentials.createInsecure()) {
  return new SearchService(address, credentials);
}

// TLS credentials from a directory laid out the way the services' --tls_dir
// reads it: ca.crt verifies the server (absent: the system's roots), tls.crt
// + tls.key are the client certificate (absent: none).
function tlsCredentials(dir) {
  const read = (name) => {
    const file = path.join(dir, name);
    return fs.existsSync(file) ? fs.readFileSync(file) : null;
  };
  return grpc.credentials.createSsl(read('ca.crt'), read('tls.key'), read('tls.crt'));
}

// Deadline for a call: always set one.
function deadline(ms = DEFAULT_TIMEOUT_MS) {
  return new Date(Date.now() + ms);
}

// Promise form of a unary call: resolves to the response, rejects with the
// grpc-js error (error.code is a grpc.status value, error.details the
// server's message).
function unary(client, method, request, options = {}) {
  return new Promise((resolve, reject) => {
    client[method](request, { deadline: deadline(), ...options }, (error, response) =>
      error ? reject(error) : resolve(response));
  });
}

// The name of a status code: statusName(3) === 'INVALID_ARGUMENT'.
function statusName(code) {
  return grpc.status[code];
}

module.exports = {
  grpc,
  status: grpc.status,
  catalogClient,
  searchClient,
  tlsCredentials,
  deadline,
  unary,
  statusName,
  DEFAULT_TIMEOUT_MS,
};
