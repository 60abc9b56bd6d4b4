//! TLS for FTPS (RFC 4217) with rustls: the certificate is loaded once per
//! configuration; each control session gets its own copy of the server
//! config with a fresh ticket key and session cache, so a data connection
//! can only resume the TLS session of its own control connection.

mod ciphers;
mod stream;

use crate::config::Config;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io;
use std::sync::Arc;

pub(crate) use rustls::ServerConnection;
pub(crate) use rustls::server::ServerConfig as SessionConfig;
pub(crate) use stream::TlsStream;

/// Sessions remembered per control connection for TLS 1.2 resumption.
const SESSION_CACHE: usize = 16;

/// Why the TLS set-up failed, and which key to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsError {
    pub key: &'static str,
    pub message: String,
}

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

impl std::error::Error for TlsError {}

#[derive(Debug)]
pub struct Tls {
    base: Arc<ServerConfig>,
}

impl Tls {
    /// The TLS set-up the config asks for; `None` when TLS is off. An error
    /// names the key whose file or value is at fault.
    pub(crate) fn load(config: &Config) -> Result<Option<Tls>, TlsError> {
        if !config.tls_on() {
            return Ok(None);
        }
        let err = |key: &'static str, message: String| TlsError { key, message };
        let cert_file = &config.rsa_cert_file;
        let certs = CertificateDer::pem_file_iter(cert_file)
            .and_then(|it| it.collect::<Result<Vec<_>, _>>())
            .map_err(|e| err("rsa_cert_file", format!("{cert_file}: {e}")))?;
        if certs.is_empty() {
            return Err(err("rsa_cert_file", format!("{cert_file}: no certificate in the file")));
        }
        let (key_key, key_file) = match config.rsa_private_key_file.as_str() {
            "" => ("rsa_cert_file", cert_file),
            f => ("rsa_private_key_file", &f.to_owned()),
        };
        let key = PrivateKeyDer::from_pem_file(key_file).map_err(|e| err(key_key, format!("{key_file}: {e}")))?;
        let mut versions = Vec::new();
        if config.ssl_tlsv1_3 {
            versions.push(&rustls::version::TLS13);
        }
        if config.ssl_tlsv1_2 {
            versions.push(&rustls::version::TLS12);
        }
        let mut provider = rustls::crypto::ring::default_provider();
        if !config.ssl_ciphers.is_empty() {
            provider.cipher_suites =
                ciphers::select(&provider.cipher_suites, &config.ssl_ciphers).map_err(|m| err("ssl_ciphers", m))?;
        }
        let server = ServerConfig::builder_with_provider(Arc::new(provider))
            .with_protocol_versions(&versions)
            .map_err(|e| err("ssl_ciphers", format!("no cipher suite fits the TLS versions allowed: {e}")))?
            .with_no_client_auth()
            .with_single_cert(certs, key)
            .map_err(|e| err(key_key, format!("{key_file}: key does not fit the certificate: {e}")))?;
        Ok(Some(Tls { base: Arc::new(server) }))
    }

    /// A server config for one control session: its own ticket key (TLS 1.3
    /// tickets are decrypted, not consumed, so a client may offer one
    /// ticket on many data connections) and its own TLS 1.2 session cache.
    pub(crate) fn for_session(&self) -> io::Result<Arc<ServerConfig>> {
        let mut c = (*self.base).clone();
        c.ticketer = rustls::crypto::ring::Ticketer::new().map_err(io::Error::other)?;
        c.session_storage = rustls::server::ServerSessionMemoryCache::new(SESSION_CACHE);
        c.send_tls13_tickets = CONTROL_TICKETS;
        Ok(Arc::new(c))
    }
}

/// How many TLS 1.3 tickets the control handshake issues: as many as a
/// rustls client keeps per server (8). A client that spends each ticket
/// once (rustls does, to avoid being tracked) can resume that many data
/// connections before it needs the fresh tickets a download brings.
const CONTROL_TICKETS: usize = 8;

/// How many tickets each download's data connection issues: one to replace
/// the ticket its handshake spent, one to build the supply back up.
const DOWNLOAD_TICKETS: usize = 2;

/// The server configs of one control session's data connections, by
/// direction. A download's client reads its data connection to the end,
/// tickets included, so downloads issue fresh tickets. An upload's client
/// may never read its data connection: it would close with the tickets
/// unread, and the kernel turns such a close into a reset that discards
/// whatever of the upload the client had not yet sent. So uploads issue none.
pub(crate) struct DataConfigs {
    pub(crate) download: Arc<ServerConfig>,
    pub(crate) upload: Arc<ServerConfig>,
}

impl DataConfigs {
    /// Data configs sharing `control`'s ticket key and session cache.
    pub(crate) fn of(control: &ServerConfig) -> DataConfigs {
        let with_tickets = |n| {
            let mut c = control.clone();
            c.send_tls13_tickets = n;
            Arc::new(c)
        };
        DataConfigs { download: with_tickets(DOWNLOAD_TICKETS), upload: with_tickets(0) }
    }
}

/// Runs a server handshake to its end over a blocking stream; `before_step`
/// runs before each blocking step (the control connection arms its login
/// deadline there).
pub(crate) fn handshake(
    conn: &mut ServerConnection,
    io: &mut (impl io::Read + io::Write),
    mut before_step: impl FnMut() -> io::Result<()>,
) -> io::Result<()> {
    while conn.is_handshaking() {
        before_step()?;
        conn.complete_io(io)?;
    }
    // Session tickets and the like, queued behind the handshake.
    flush(conn, io)
}

/// Writes out every TLS record rustls has queued.
pub(crate) fn flush(conn: &mut ServerConnection, io: &mut impl io::Write) -> io::Result<()> {
    while conn.wants_write() {
        conn.write_tls(io)?;
    }
    Ok(())
}

/// Whether this connection resumed an earlier session of the same config.
pub(crate) fn resumed(conn: &ServerConnection) -> bool {
    conn.handshake_kind() == Some(rustls::HandshakeKind::Resumed)
}
