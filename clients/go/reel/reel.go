// Package reel is the thin layer over the stubs of Reel's gRPC API, which
// sit beside it in this module (generated from the contract in proto/):
//
//	reel.dev/reel/clients/go/catalogv1  reel.catalog.v1: CatalogService, Film, ...
//	reel.dev/reel/clients/go/searchv1   reel.search.v1: SearchService, SceneHit, ...
//	reel.dev/reel/clients/go/adminv1    reel.admin.v1: AdminService (backups)
//
// It holds the client's Version and Dial, which connects in plaintext or
// over mutual TLS with a folder laid out like the services' --tls_dir.
// Everything else is plain grpc-go: status.Code(err) for an error's code,
// the context's deadline and cancellation for every call.
package reel

//go:generate ../generate.sh

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// UserAgent is sent with every call of a connection Dial makes (grpc-go
// adds its own name and version after it).
const UserAgent = "reel-go/" + Version

// Dial connects to address (host:port): in plaintext when tlsDir is "",
// else over TLS with TLSConfig(tlsDir). Like grpc.Dial it does not wait for
// the connection: a call fails with codes.Unavailable when the service
// cannot be reached (or the handshake fails). Close the connection when
// done. The options come after Dial's own, so they may override them.
func Dial(address, tlsDir string, options ...grpc.DialOption) (*grpc.ClientConn, error) {
	transport := grpc.WithInsecure() // plaintext (newer grpc-go: insecure.NewCredentials())
	if tlsDir != "" {
		config, err := TLSConfig(tlsDir)
		if err != nil {
			return nil, err
		}
		// The server name verified is the address's host: an IP address is
		// checked against the certificate's IP SANs.
		transport = grpc.WithTransportCredentials(credentials.NewTLS(config))
	}
	return grpc.Dial(address, append([]grpc.DialOption{transport, grpc.WithUserAgent(UserAgent)}, options...)...)
}

// TLSConfig reads a folder laid out like the services' --tls_dir
// (docs/security.md): ca.crt, the CA that verifies the services (absent:
// the system's roots), and tls.crt + tls.key, the client certificate whose
// identity the services' authorization policy decides on (absent: none;
// a service that requires client certificates then refuses the handshake).
func TLSConfig(dir string) (*tls.Config, error) {
	config := &tls.Config{MinVersion: tls.VersionTLS12}
	caFile := filepath.Join(dir, "ca.crt")
	ca, err := os.ReadFile(caFile)
	if err == nil {
		config.RootCAs = x509.NewCertPool()
		if !config.RootCAs.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("%s: no PEM certificate", caFile)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if _, err := os.Stat(certFile); err == nil {
		certificate, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		config.Certificates = []tls.Certificate{certificate}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return config, nil
}
